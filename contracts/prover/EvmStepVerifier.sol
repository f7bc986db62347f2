// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepVerifier} from "../dispute/IStepVerifier.sol";
import {ITraceBinding} from "../dispute/ITraceBinding.sol";
import {IStepClass} from "./steps/IStepClass.sol";
import {StepProof, StepLib, PreStateMismatch, PhaseNotSupported, StepClassNotSupported} from "./steps/StepProof.sol";
import {MachineHash} from "./lib/MachineHash.sol";
import {CodeChunks} from "./lib/CodeChunks.sol";

/// @title EvmStepVerifier
/// @notice The one-step prover of the rollup EVM for the `DisputeGame`: from the committed
///         machine state before one step of a transaction's trace (`docs/commitment.md`)
///         and a proof (`abi.encode(StepProof)`, built by `agents/evm/proof_abi.py`), it
///         computes the committed state after the step, exactly as the Python trace mode
///         (`agents/evm/trace.py`) does. It is also the game's trace binding: a trace
///         starts at `traceStart` and is padded with its absorbing `traceEnd` state.
/// @dev The step classes live in separate contracts (code-size limit) and are reached by
///      `staticcall`; each re-checks the whole proof, so this router only peeks at the
///      proof to pick one (a wrongly routed step reverts). Padding steps from a `DONE`
///      state are answered here. Uncovered steps revert with a named error
///      (`PhaseNotSupported`, `StepClassNotSupported`, `ExceptionalHaltNotSupported`);
///      no step ever returns a hash it did not compute from an opened pre-state.
contract EvmStepVerifier is IStepVerifier, ITraceBinding {
    /// @notice Stack, arithmetic, flow, memory, KECCAK256 and environment instructions.
    IStepClass public immutable CORE;
    /// @notice SLOAD, SSTORE, BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, SELFBALANCE.
    IStepClass public immutable STORAGE;
    /// @notice KECCAK256 and LOGn sponge sub-steps.
    IStepClass public immutable SPONGE;
    /// @notice Copy sub-steps (CALLDATACOPY, CODECOPY, RETURNDATACOPY, MCOPY).
    IStepClass public immutable COPY;

    /// @notice A step class contract address is zero.
    error ZeroStepClass();

    /// @param core The `CoreSteps` contract.
    /// @param storage_ The `StorageSteps` contract.
    /// @param sponge The `SpongeSteps` contract.
    /// @param copy The `CopySteps` contract.
    constructor(IStepClass core, IStepClass storage_, IStepClass sponge, IStepClass copy) {
        // INVARIANT: every class is deployed (immutables cannot be fixed later).
        if (
            address(core) == address(0) || address(storage_) == address(0) || address(sponge) == address(0)
                || address(copy) == address(0)
        ) {
            revert ZeroStepClass();
        }
        CORE = core;
        STORAGE = storage_;
        SPONGE = sponge;
        COPY = copy;
    }

    /// @inheritdoc IStepVerifier
    /// @dev `context`, `txIndex` and `stepIndex` are committed inside the machine state
    ///      (`TxEnv` / the boundary locator), so the step needs only `preState` and `proof`.
    function step(bytes32, uint256, uint256, bytes32 preState, bytes calldata proof)
        external
        view
        returns (bytes32 postState)
    {
        StepProof calldata p = StepLib.decode(proof);
        uint256 phase = p.machine.phase;
        if (phase == MachineHash.PHASE_DONE) {
            MachineHash.MachineState memory m = p.machine;
            bytes32 opened = MachineHash.hash(m);
            // INVARIANT: a DONE state steps to itself, and only an opened DONE state does.
            if (opened != preState) revert PreStateMismatch(preState, opened);
            return preState;
        }
        // INVARIANT: transaction start/end stages are not covered yet.
        if (phase != MachineHash.PHASE_RUNNING) revert PhaseNotSupported(phase);
        return _route(p).run(proof, preState);
    }

    /// @inheritdoc ITraceBinding
    function traceStart(bytes32 context, uint256 txIndex, bytes32 preTxRoot) external pure returns (bytes32) {
        return MachineHash.traceStart(context, txIndex, preTxRoot);
    }

    /// @inheritdoc ITraceBinding
    function traceEnd(bytes32 context, uint256 txIndex, bytes32 postTxRoot) external pure returns (bytes32) {
        return MachineHash.traceEnd(context, txIndex, postTxRoot);
    }

    /// @dev Pick the class from the (not yet verified) pending kind or opcode.
    function _route(StepProof calldata p) private view returns (IStepClass) {
        if (p.frame.pendingOp != 0) {
            uint256 kind = p.pending.length == 0 ? 0 : uint256(p.pending[0]);
            if (kind == MachineHash.PENDING_KECCAK) return SPONGE;
            if (kind == MachineHash.PENDING_COPY_BYTES || kind == MachineHash.PENDING_COPY_CODE) return COPY;
            revert StepClassNotSupported(StepLib.SUB_STEP_BASE + kind);
        }
        if (p.chunks.length != 0) {
            uint256 op = CodeChunks.opcodeAt(p.chunks[0].chunk, p.frame.pc);
            if (op == 0x54 || op == 0x55 || op == 0x31 || op == 0x3b || op == 0x3c || op == 0x3f || op == 0x47) {
                return STORAGE;
            }
        }
        return CORE;
    }
}
