// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MachineHash} from "../lib/MachineHash.sol";
import {SparseMerkle} from "../lib/SparseMerkle.sol";
import {WordTree} from "../lib/WordTree.sol";
import {CodeChunks} from "../lib/CodeChunks.sol";
import {StackHash} from "../lib/StackHash.sol";

/*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
/*                      THE PROOF LAYOUT                      */
/*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

/// @notice Contiguous words `[first, first + words.length)` of a word tree, with their
///         range proof (`docs/commitment.md` section 3). The tree's root and size are
///         never taken from the proof: the step knows which committed tree it opens.
struct RangeOpening {
    uint256 first;
    bytes32[] words;
    bytes32[] proof;
}

/// @notice Code chunk `index` and its bottom-up leaf proof against the frame's `codeRoot`.
struct ChunkOpening {
    uint256 index;
    bytes32 chunk;
    bytes32[] proof;
}

/// @notice An SMT key's value (`present = false`: absent) and its proof. The key and the
///         tree root are fixed by the step, never by the proof.
struct SmtOpening {
    bool present;
    bytes32 value;
    SparseMerkle.Proof proof;
}

/// @notice Everything one step reads: the `bytes proof` of `IStepVerifier.step` is
///         `abi.encode(StepProof)` (produced by `agents/evm/proof_abi.py`).
/// @dev Optional records are word arrays that are empty when the step does not open
///      them (their length is checked by the step that needs them); optional openings
///      are arrays of length 0 or 1. `stack` is top first. `smt` holds, for SLOAD and
///      SSTORE, the account, storage and warm-slot openings in that order; for TLOAD and
///      TSTORE the transient-slot opening. `sponge` is
///      the 200-byte sponge state followed by `w(absorbed)` (232 bytes) for sponge
///      sub-steps. See `docs/one-step-prover.md` for the table per step class.
struct StepProof {
    MachineHash.MachineState machine;
    MachineHash.Frame frame;
    ChunkOpening[] chunks;
    uint256[] stack;
    bytes32 stackBelow;
    bytes32[] frameContext;
    bytes32[] txContext;
    bytes32[] txEnv;
    bytes32[] pending;
    bytes sponge;
    RangeOpening[] mem;
    RangeOpening[] cdata;
    bytes32[] account;
    SmtOpening[] smt;
}

/*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
/*                       CUSTOM ERRORS                        */
/*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

/// @notice The proof bytes are not an ABI-encoded `StepProof` (too short or a head offset
///         other than 0x20).
error MalformedStepProof();

/// @notice The opened `MachineState` does not hash to the committed pre-state.
/// @param preState The committed pre-state.
/// @param opened The hash of the opened record.
error PreStateMismatch(bytes32 preState, bytes32 opened);

/// @notice The machine is in a phase whose steps are not covered yet (TX_START, TX_END).
/// @param phase The opened phase.
error PhaseNotSupported(uint256 phase);

/// @notice The opened `Frame` does not hash to `MachineState.frameHash`.
error FrameMismatch();

/// @notice The step (an opcode, or `0x100 + pendingKind` for a sub-step) has no on-chain
///         implementation yet; see the coverage table in `docs/one-step-prover.md`.
/// @param kind The opcode or `0x100 + pending kind`.
error StepClassNotSupported(uint256 kind);

/// @notice The instruction halts exceptionally here in a way whose post-state is not
///         covered: SSTORE running out of gas after the EIP-2200 sentry or writing in a
///         static frame (the interpreter has already warmed the slot and moved the refund
///         counter), or a stack overflow inside a sponge sub-step.
/// @param opcode The halting instruction.
error ExceptionalHaltNotSupported(uint256 opcode);

/// @notice Internal signal: the instruction halts exceptionally here, shown from opened
///         data (stack size, gas, verified operands). `CoreSteps` and `StorageSteps`
///         catch it and return the halt transition; it never escapes them.
/// @param opcode The halting instruction.
error ExceptionalHalt(uint256 opcode);

/// @notice A code chunk opening has the wrong index or the step got the wrong number of
///         chunk openings.
/// @param expectedIndex The chunk index the step needs.
/// @param givenIndex The index the proof gave (or its chunk count when a chunk is missing
///        or superfluous).
error BadChunkOpening(uint256 expectedIndex, uint256 givenIndex);

/// @notice The proof opens a different number of stack items than the step needs.
/// @param expected The number of items the step opens.
/// @param given The number of items in the proof.
error BadStackItemCount(uint256 expected, uint256 given);

/// @notice A record preimage (`FrameContext`, `TxContext`, `TxEnv`, pending operation,
///         account record, sponge state) is missing, has the wrong length, or does not
///         hash to its committed value.
/// @param record 1 FrameContext, 2 TxContext, 3 TxEnv, 4 pending record, 5 account
///        record, 6 sponge state.
error RecordMismatch(uint256 record);

/// @notice A memory or calldata range opening is missing, superfluous, covers the wrong
///         words or does not fold to the committed root.
/// @param which 1 memory, 2 calldata.
error BadRangeOpening(uint256 which);

/// @notice An SMT opening is missing or does not prove its value against its root.
/// @param which 0 account, 1 storage slot, 2 warm slot, 3 transient slot.
error BadSmtOpening(uint256 which);

/// @notice The step needs state the trace never produces (a storage write to an absent
///         account, a negative refund counter): the proof is not of a valid trace.
error InconsistentState();

/// @notice The step class contract was routed a step of another class.
/// @param kind The opcode or `0x100 + pending kind` it received.
error WrongStepClass(uint256 kind);

/*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
/*                      SHARED STEP LOGIC                     */
/*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

/// @title StepLib
/// @notice What every step does before and after its class-specific work: decode the
///         proof, open `MachineState` and `Frame`, open the instruction's code chunk,
///         open the stack top, and rehash the post-state. Internal, so each step class
///         contract carries its own copy and checks everything itself.
library StepLib {
    /// @notice Head size of an encoded `StepProof` (29 words: 7 + 10 static record
    ///         words and 12 dynamic-member offsets), plus the leading tuple offset.
    uint256 internal constant MIN_PROOF_LENGTH = 0x20 + 29 * 0x20;

    /// @notice Stack limit of the EVM.
    uint256 internal constant STACK_LIMIT = 1024;

    /// @notice Sub-step kinds are reported as `SUB_STEP_BASE + pendingKind`.
    uint256 internal constant SUB_STEP_BASE = 0x100;

    /// @notice Record numbers for `RecordMismatch`.
    uint256 internal constant REC_FRAME_CONTEXT = 1;
    uint256 internal constant REC_TX_CONTEXT = 2;
    uint256 internal constant REC_TX_ENV = 3;
    uint256 internal constant REC_PENDING = 4;
    uint256 internal constant REC_ACCOUNT = 5;
    uint256 internal constant REC_SPONGE = 6;

    /// @notice Interpret `proof` as an ABI-encoded `StepProof` in place (no copy).
    function decode(bytes calldata proof) internal pure returns (StepProof calldata p) {
        // INVARIANT: the static head is present and the tuple starts right after its offset.
        if (proof.length < MIN_PROOF_LENGTH || uint256(bytes32(proof[:32])) != 0x20) revert MalformedStepProof();
        /// @solidity memory-safe-assembly
        assembly {
            p := add(proof.offset, 0x20)
        }
    }

    /// @notice Open the pre-state: `MachineState` (must hash to `preState`, phase RUNNING)
    ///         and `Frame` (must hash to `frameHash`), copied to memory.
    function open(StepProof calldata p, bytes32 preState)
        internal
        pure
        returns (MachineHash.MachineState memory m, MachineHash.Frame memory f)
    {
        m = p.machine;
        bytes32 opened = MachineHash.hash(m);
        // INVARIANT: the step starts from the committed pre-state, nothing else.
        if (opened != preState) revert PreStateMismatch(preState, opened);
        // INVARIANT: only RUNNING states execute instructions or sub-steps here.
        if (m.phase != MachineHash.PHASE_RUNNING) revert PhaseNotSupported(m.phase);
        f = p.frame;
        // INVARIANT: the frame is the committed current frame.
        if (MachineHash.hash(f) != m.frameHash) revert FrameMismatch();
    }

    /// @notice The opcode at `f.pc` and its chunk, from `p.chunks[0]`; `f` must have no
    ///         pending operation.
    function opcode(StepProof calldata p, MachineHash.Frame memory f) internal pure returns (uint256 op, bytes32 chunk) {
        // INVARIANT: a frame with a pending operation runs a sub-step, not an instruction.
        if (f.pendingOp != 0) revert WrongStepClass(SUB_STEP_BASE);
        if (f.pc >= f.codeSize) {
            // INVARIANT: past the end of the code the instruction is STOP, proven by nothing.
            if (p.chunks.length != 0) revert BadChunkOpening(f.pc / CodeChunks.CHUNK_DATA, p.chunks.length);
            return (0, 0);
        }
        chunk = openChunkAt(p, f, 0, f.pc / CodeChunks.CHUNK_DATA);
        op = CodeChunks.opcodeAt(chunk, f.pc);
    }

    /// @notice Open `p.chunks[position]`, which must be chunk `index` of the frame's code.
    function openChunkAt(StepProof calldata p, MachineHash.Frame memory f, uint256 position, uint256 index)
        internal
        pure
        returns (bytes32)
    {
        if (position >= p.chunks.length) revert BadChunkOpening(index, p.chunks.length);
        ChunkOpening calldata c = p.chunks[position];
        // INVARIANT: the opened chunk is the one the step reads.
        if (c.index != index) revert BadChunkOpening(index, c.index);
        CodeChunks.openChunk(f.codeRoot, f.codeSize, index, c.chunk, c.proof);
        return c.chunk;
    }

    /// @notice Check the `n` opened stack items (top first) against `f.stackHash` and
    ///         return the hash below them. The frame must hold at least `n` items.
    function openStack(StepProof calldata p, MachineHash.Frame memory f, uint256 n, uint256 op)
        internal
        pure
        returns (bytes32 below)
    {
        // INVARIANT: a stack underflow is an exceptional halt (not covered).
        if (f.stackSize < n) revert ExceptionalHalt(op);
        // INVARIANT: exactly the needed items are opened.
        if (p.stack.length != n) revert BadStackItemCount(n, p.stack.length);
        below = StackHash.pop(f.stackHash, p.stackBelow, p.stack);
    }

    /// @notice Charge `cost` gas, or revert for the out-of-gas halt.
    function charge(MachineHash.Frame memory f, uint256 cost, uint256 op) internal pure {
        // INVARIANT: running out of gas is an exceptional halt (not covered).
        if (cost > f.gas) revert ExceptionalHalt(op);
        unchecked {
            f.gas -= cost;
        }
    }

    /// @notice Memory expansion cost from `oldWords` to `newWords` (0 if not growing):
    ///         `3·w + w²/512` difference (Cancun).
    function expansionCost(uint256 oldWords, uint256 newWords) internal pure returns (uint256) {
        if (newWords <= oldWords) return 0;
        return _memoryCost(newWords) - _memoryCost(oldWords);
    }

    function _memoryCost(uint256 words) private pure returns (uint256) {
        return 3 * words + (words * words) / 512;
    }

    /// @notice Words of memory needed to touch `[offset, offset + size)` (`oldWords` if
    ///         `size` is 0), or `type(uint256).max` when the region is absurdly large
    ///         (an out-of-gas halt: bounded by 2^32 bytes here).
    function wordsFor(uint256 oldWords, uint256 offset, uint256 size) internal pure returns (uint256) {
        if (size == 0) return oldWords;
        if (offset > type(uint32).max || size > type(uint32).max) return type(uint256).max;
        uint256 words = (offset + size + 31) / 32;
        return words > oldWords ? words : oldWords;
    }

    /// @notice Grow the frame's memory to `newWords` (no proof: new words are zero).
    function grow(MachineHash.Frame memory f, uint256 newWords) internal pure {
        if (newWords > f.memoryWords) {
            f.memoryRoot = WordTree.rootAfterGrowth(f.memoryRoot, f.memoryWords, newWords);
            f.memoryWords = newWords;
        }
    }

    /// @notice The leaves of the single memory range opening, checked against the frame's
    ///         (grown) memory: words `[first, last]` exactly.
    function openMemory(StepProof calldata p, MachineHash.Frame memory f, uint256 first, uint256 last)
        internal
        pure
        returns (bytes32[] memory words)
    {
        // INVARIANT: exactly one memory opening, of exactly the words the step touches.
        if (p.mem.length != 1) revert BadRangeOpening(1);
        RangeOpening calldata r = p.mem[0];
        if (r.first != first || r.words.length != last - first + 1) revert BadRangeOpening(1);
        words = r.words;
        // INVARIANT: the words are the frame's memory words at `first`.
        if (!WordTree.verifyRange(f.memoryRoot, f.memoryWords, first, words, r.proof)) revert BadRangeOpening(1);
    }

    /// @notice The memory root after replacing the opened range's words by `words`.
    function rewriteMemory(StepProof calldata p, MachineHash.Frame memory f, bytes32[] memory words) internal pure {
        RangeOpening calldata r = p.mem[0];
        (bool ok, bytes32 root) = WordTree.rootFromRange(f.memoryWords, r.first, words, r.proof);
        if (!ok) revert BadRangeOpening(1);
        f.memoryRoot = root;
    }

    /// @notice Open the `FrameContext` preimage (18 words) against `f.contextHash`.
    function frameContext(StepProof calldata p, MachineHash.Frame memory f)
        internal
        pure
        returns (MachineHash.FrameContext memory c)
    {
        bytes32[] calldata words = p.frameContext;
        // INVARIANT: the context is the frame's committed context.
        if (words.length != 18 || hashWords(words) != f.contextHash) revert RecordMismatch(REC_FRAME_CONTEXT);
        // The words hash to the committed record, so they are the clean words Python wrote.
        c = abi.decode(abi.encodePacked(words), (MachineHash.FrameContext));
    }

    /// @notice Open the `TxContext` preimage (12 words) against `m.txContextHash`.
    function txContext(StepProof calldata p, MachineHash.MachineState memory m)
        internal
        pure
        returns (MachineHash.TxContext memory c)
    {
        bytes32[] calldata words = p.txContext;
        // INVARIANT: the transaction context is the committed one.
        if (words.length != 12 || hashWords(words) != m.txContextHash) revert RecordMismatch(REC_TX_CONTEXT);
        c = abi.decode(abi.encodePacked(words), (MachineHash.TxContext));
    }

    /// @notice Open the `TxEnv` preimage (17 words) against `m.txEnvHash`.
    function txEnv(StepProof calldata p, MachineHash.MachineState memory m)
        internal
        pure
        returns (MachineHash.TxEnv memory e)
    {
        bytes32[] calldata words = p.txEnv;
        // INVARIANT: the environment is the committed one.
        if (words.length != 17 || hashWords(words) != m.txEnvHash) revert RecordMismatch(REC_TX_ENV);
        e = abi.decode(abi.encodePacked(words), (MachineHash.TxEnv));
    }

    /// @notice The post-state: rehash `f` into `m.frameHash`, then hash `m`.
    function commit(MachineHash.MachineState memory m, MachineHash.Frame memory f) internal pure returns (bytes32) {
        m.frameHash = MachineHash.hash(f);
        return MachineHash.hash(m);
    }

    /// @notice `keccak256` of a calldata word array's contents.
    function hashWords(bytes32[] calldata words) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            let n := shl(5, words.length)
            calldatacopy(m, words.offset, n)
            h := keccak256(m, n)
        }
    }
}
