// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepVerifier} from "./IStepVerifier.sol";
import {ITraceBinding} from "./ITraceBinding.sol";

/// @title AlphabetVM
/// @notice A trivial step VM for testing the dispute game apart from the EVM (in the
///         spirit of Optimism's AlphabetVM). A machine state is a pair (counter, value);
///         its commitment is keccak256(abi.encode(counter, value)); one step takes
///         (counter, value) to (counter + 1, value + 1), wrapping at 2^256.
/// @dev Both trace-binding maps are the identity: a pack's per-transaction root *is* the
///      VM state reached after that transaction, and a transaction's trace starts at the
///      root left by the previous one. `counter` is a global step counter, so equal values
///      at different positions never share a commitment. The step index the game passes
///      is not needed (the counter is inside the committed state) and is ignored.
contract AlphabetVM is IStepVerifier, ITraceBinding {
    /// @notice Length of a valid proof: abi.encode(uint256 counter, uint256 value).
    uint256 public constant PROOF_LENGTH = 64;

    /// @notice The proof is not exactly `PROOF_LENGTH` bytes.
    /// @param length The length received.
    error InvalidProofLength(uint256 length);

    /// @notice The proof does not open the committed pre-state.
    /// @param preState The committed pre-state.
    /// @param opened The commitment of the state the proof describes.
    error PreStateMismatch(bytes32 preState, bytes32 opened);

    /// @notice Commitment of machine state (counter, value).
    /// @param counter The global step counter.
    /// @param value The machine's value.
    /// @return keccak256(abi.encode(counter, value)).
    function stateHash(uint256 counter, uint256 value) public pure returns (bytes32) {
        return keccak256(abi.encode(counter, value));
    }

    /// @inheritdoc IStepVerifier
    function step(bytes32, uint256, uint256, bytes32 preState, bytes calldata proof)
        external
        pure
        returns (bytes32 postState)
    {
        // INVARIANT: the proof is exactly one encoded (counter, value) pair.
        if (proof.length != PROOF_LENGTH) revert InvalidProofLength(proof.length);
        (uint256 counter, uint256 value) = abi.decode(proof, (uint256, uint256));
        bytes32 opened = stateHash(counter, value);
        // INVARIANT: the step starts from the committed pre-state, nothing else.
        if (opened != preState) revert PreStateMismatch(preState, opened);
        unchecked {
            postState = stateHash(counter + 1, value + 1);
        }
    }

    /// @inheritdoc ITraceBinding
    function traceStart(bytes32, uint256, bytes32 preTxRoot) external pure returns (bytes32) {
        return preTxRoot;
    }

    /// @inheritdoc ITraceBinding
    function traceEnd(bytes32, uint256, bytes32 postTxRoot) external pure returns (bytes32) {
        return postTxRoot;
    }
}
