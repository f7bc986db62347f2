// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepClass} from "./IStepClass.sol";
import {
    StepProof,
    StepLib,
    BadRangeOpening,
    ExceptionalHaltNotSupported,
    RecordMismatch,
    WrongStepClass
} from "./StepProof.sol";
import {MachineHash} from "../lib/MachineHash.sol";
import {StackHash} from "../lib/StackHash.sol";
import {KeccakSponge} from "../lib/KeccakSponge.sol";

/// @title SpongeSteps
/// @notice The sponge sub-steps of a KECCAK256 or LOGn over more than 1088 bytes
///         (`docs/commitment.md` section 6.2): each absorbs one 136-byte block of memory
///         into the committed sponge with keccak-f[1600] in Solidity; the sub-step that
///         meets fewer than 136 remaining bytes pads, squeezes and pushes the digest
///         (KECCAK256) or appends the log entry to `TxContext` (LOGn).
/// @dev Proof fields used: `pending` (the 7-word `PendingKeccak` preimage of the frame's
///      `pendingOp`), `sponge` (200-byte state ‖ `w(absorbed)`), `mem` (the words holding
///      the block, against the frame's memory; none for an empty final block), and for
///      the final sub-step of log data (`purpose = 1`) `txContext`, to append the log.
contract SpongeSteps is IStepClass {
    uint256 internal constant RATE = 136;

    /// @inheritdoc IStepClass
    function run(bytes calldata proof, bytes32 preState) external pure returns (bytes32) {
        StepProof calldata p = StepLib.decode(proof);
        (MachineHash.MachineState memory m, MachineHash.Frame memory f) = StepLib.open(p, preState);
        // INVARIANT: a sub-step runs only on a frame with a pending operation.
        if (f.pendingOp == 0) revert WrongStepClass(0);
        bytes32[] calldata words = p.pending;
        // INVARIANT: the pending record is the frame's committed one.
        if (words.length == 0 || StepLib.hashWords(words) != f.pendingOp) revert RecordMismatch(StepLib.REC_PENDING);
        uint256 kind = uint256(words[0]);
        // INVARIANT: this contract runs KECCAK sponge sub-steps only.
        if (kind != MachineHash.PENDING_KECCAK) revert WrongStepClass(StepLib.SUB_STEP_BASE + kind);
        if (words.length != 7) revert RecordMismatch(StepLib.REC_PENDING);
        MachineHash.PendingKeccak memory k = abi.decode(abi.encodePacked(words), (MachineHash.PendingKeccak));
        // INVARIANT: the hash feeds the stack (0) or a log (1), nothing else.
        if (k.purpose > 1) revert RecordMismatch(StepLib.REC_PENDING);
        // INVARIANT: the sponge opening is 200 state bytes plus the absorbed count.
        if (p.sponge.length != 232) revert RecordMismatch(StepLib.REC_SPONGE);
        bytes memory state = p.sponge[:200];
        uint256 absorbed = uint256(bytes32(p.sponge[200:232]));
        if (k.remaining >= RATE) {
            bytes memory block_ = _memoryBytes(p, f, k.offset, RATE);
            k.spongeCommitment = KeccakSponge.absorbCommitted(k.spongeCommitment, state, absorbed, block_);
            k.offset += RATE;
            k.remaining -= RATE;
            f.pendingOp = MachineHash.hash(k);
        } else {
            bytes memory tail = k.remaining == 0 ? new bytes(0) : _memoryBytes(p, f, k.offset, k.remaining);
            bytes32 digest = KeccakSponge.finishCommitted(k.spongeCommitment, state, absorbed, tail);
            if (k.purpose == 0) {
                // INVARIANT: pushing the digest cannot overflow (the opcode step popped two).
                if (f.stackSize + 1 > StepLib.STACK_LIMIT) revert ExceptionalHaltNotSupported(0x20);
                f.stackHash = StackHash.push(f.stackHash, uint256(digest));
                f.stackSize += 1;
            } else {
                // LOG data: append `H(header ‖ w(totalSize) ‖ digest)` to the logs.
                MachineHash.TxContext memory t = StepLib.txContext(p, m);
                bytes32 entry = MachineHash.logEntry(k.purposeData, k.totalSize, digest);
                t.logsHash = MachineHash.logsAccumulate(t.logsHash, entry);
                t.logCount += 1;
                m.txContextHash = MachineHash.hash(t);
            }
            f.pendingOp = 0;
        }
        return StepLib.commit(m, f);
    }

    /// @dev `size` memory bytes at `offset`, from the single memory opening.
    function _memoryBytes(StepProof calldata p, MachineHash.Frame memory f, uint256 offset, uint256 size)
        private
        pure
        returns (bytes memory out)
    {
        // INVARIANT: the memory was grown by the opcode step; the block lies inside it.
        if (offset + size > f.memoryWords * 32) revert BadRangeOpening(1);
        bytes32[] memory data = StepLib.openMemory(p, f, offset / 32, (offset + size - 1) / 32);
        out = new bytes(size);
        /// @solidity memory-safe-assembly
        assembly {
            mcopy(add(out, 0x20), add(add(data, 0x20), mod(offset, 32)), size)
        }
    }
}
