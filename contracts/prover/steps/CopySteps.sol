// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepClass} from "./IStepClass.sol";
import {
    StepProof,
    StepLib,
    RangeOpening,
    ChunkOpening,
    BadChunkOpening,
    BadRangeOpening,
    RecordMismatch,
    WrongStepClass
} from "./StepProof.sol";
import {MachineHash} from "../lib/MachineHash.sol";
import {WordTree} from "../lib/WordTree.sol";
import {CodeChunks} from "../lib/CodeChunks.sol";

/// @title CopySteps
/// @notice The copy sub-steps (`docs/commitment.md` section 6.1) of CALLDATACOPY,
///         CODECOPY, RETURNDATACOPY and MCOPY: each writes the destination word holding
///         `destOffset` with the next `min(32 - destOffset % 32, remaining)` source bytes
///         and advances the frame's `PendingCopy`; the last one clears it.
/// @dev Proof fields used: `pending` (the 8-word `PendingCopy`), `cdata` (COPY_BYTES: the
///      1-2 words of the source view's tree holding the bytes inside the view; none when
///      they all lie past the view's length), `chunks` (COPY_CODE: the 1-2 code chunks
///      of the source code, verified against the view's root), `mem` (the destination
///      word against the frame's memory).
contract CopySteps is IStepClass {
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
        // INVARIANT: this contract runs copy sub-steps only.
        if (kind != MachineHash.PENDING_COPY_BYTES && kind != MachineHash.PENDING_COPY_CODE) {
            revert WrongStepClass(StepLib.SUB_STEP_BASE + kind);
        }
        if (words.length != 8) revert RecordMismatch(StepLib.REC_PENDING);
        MachineHash.PendingCopy memory c = abi.decode(abi.encodePacked(words), (MachineHash.PendingCopy));
        uint256 shift = c.destOffset % 32;
        uint256 count = 32 - shift < c.remaining ? 32 - shift : c.remaining;
        uint256 available = c.sourcePos < c.sourceLength ? c.sourceLength - c.sourcePos : 0;
        if (available > count) available = count;
        bytes32 data = kind == MachineHash.PENDING_COPY_BYTES ? _viewBytes(p, c, available) : _codeBytes(p, c, available);
        // Destination: the word holding destOffset, rewritten at [shift, shift + count).
        uint256 word = c.destOffset / 32;
        bytes32[] memory dest = StepLib.openMemory(p, f, word, word);
        uint256 keepMask = count == 32 ? 0 : ~((~uint256(0) >> (8 * shift)) & ~(~uint256(0) >> (8 * (shift + count))));
        dest[0] = bytes32((uint256(dest[0]) & keepMask) | (uint256(data) >> (8 * shift)));
        StepLib.rewriteMemory(p, f, dest);
        if (c.remaining == count) {
            f.pendingOp = 0;
        } else {
            unchecked {
                c.sourcePos += count;
            }
            c.destOffset += count;
            c.remaining -= count;
            f.pendingOp = MachineHash.hash(c);
        }
        return StepLib.commit(m, f);
    }

    /// @dev The first `available` source bytes at `sourcePos` of the view (left-aligned,
    ///      zero after them), from the `cdata` range opening of the view's tree.
    function _viewBytes(StepProof calldata p, MachineHash.PendingCopy memory c, uint256 available)
        private
        pure
        returns (bytes32 data)
    {
        if (available == 0) {
            // INVARIANT: bytes past the view's length read as zero and open nothing.
            if (p.cdata.length != 0) revert BadRangeOpening(2);
            return 0;
        }
        uint256 position = c.sourceOffset + c.sourcePos;
        uint256 first = position / 32;
        uint256 last = (position + available - 1) / 32;
        // INVARIANT: one opening of exactly the source words holding the bytes.
        if (p.cdata.length != 1) revert BadRangeOpening(2);
        RangeOpening calldata r = p.cdata[0];
        if (r.first != first || r.words.length != last - first + 1) revert BadRangeOpening(2);
        bytes32[] memory words = r.words;
        if (!WordTree.verifyRange(c.sourceRoot, c.sourceTreeWords, first, words, r.proof)) {
            revert BadRangeOpening(2);
        }
        /// @solidity memory-safe-assembly
        assembly {
            data := mload(add(add(words, 0x20), mod(position, 32)))
        }
        data = _keepTop(data, available);
    }

    /// @dev The first `available` code bytes at `sourcePos` of the view's code (chunks of
    ///      31 bytes under the view's root; `sourceTreeWords` chunks, `sourceLength` bytes).
    function _codeBytes(StepProof calldata p, MachineHash.PendingCopy memory c, uint256 available)
        private
        pure
        returns (bytes32 data)
    {
        if (available == 0) {
            // INVARIANT: bytes past the code read as zero and open nothing.
            if (p.chunks.length != 0) revert BadChunkOpening(0, p.chunks.length);
            return 0;
        }
        uint256 firstChunk = c.sourcePos / CodeChunks.CHUNK_DATA;
        uint256 lastChunk = (c.sourcePos + available - 1) / CodeChunks.CHUNK_DATA;
        // INVARIANT: exactly the chunks holding the bytes are opened.
        if (p.chunks.length != lastChunk - firstChunk + 1) revert BadChunkOpening(lastChunk, p.chunks.length);
        // INVARIANT: the view is a whole code: its tree has one leaf per 31-byte chunk.
        if (c.sourceOffset != 0 || c.sourceTreeWords != CodeChunks.chunkCount(c.sourceLength)) {
            revert RecordMismatch(StepLib.REC_PENDING);
        }
        bytes32 a = _chunk(p.chunks[0], c, firstChunk);
        bytes32 b = lastChunk > firstChunk ? _chunk(p.chunks[1], c, lastChunk) : bytes32(0);
        data = bytes32(CodeChunks.readBytes(a, b, c.sourcePos % CodeChunks.CHUNK_DATA, available) << (8 * (32 - available)));
    }

    function _chunk(ChunkOpening calldata o, MachineHash.PendingCopy memory c, uint256 index)
        private
        pure
        returns (bytes32)
    {
        if (o.index != index) revert BadChunkOpening(index, o.index);
        CodeChunks.openChunk(c.sourceRoot, c.sourceLength, index, o.chunk, o.proof);
        return o.chunk;
    }

    /// @dev `data` with only its first `n` bytes kept (n <= 32).
    function _keepTop(bytes32 data, uint256 n) private pure returns (bytes32) {
        if (n >= 32) return data;
        return bytes32(uint256(data) & ~(~uint256(0) >> (8 * n)));
    }
}
