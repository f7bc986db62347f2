// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {WordTree} from "./WordTree.sol";

/// @title CodeChunks
/// @notice Code committed as 31-byte chunks with a PUSH-data header byte
///         (`docs/commitment.md`, section 2.2; `commitment.code_chunks`,
///         `commitment.is_jumpdest_in_chunk`).
/// @dev Chunk `i` is the word `header_i ‖ code[31i : 31i + 31]` (zero-padded), where
///      `header_i` is the number of leading bytes of the piece that are PUSH data of an
///      instruction begun in an earlier piece (capped at 31). `codeRoot` is the word tree
///      over the `ceil(codeSize / 31)` chunks. Code byte `pc` is byte `1 + pc % 31` of
///      chunk `pc / 31`; bytes past the code read as zero (the last chunk is zero-padded
///      and chunks past the last one do not exist).
library CodeChunks {
    /// @notice Code bytes per chunk.
    uint256 internal constant CHUNK_DATA = 31;

    /// @notice The JUMPDEST opcode.
    uint256 internal constant JUMPDEST = 0x5b;

    /// @notice A chunk proof does not open `codeRoot` (wrong length, index past the last
    ///         chunk, or a root mismatch), or a chunk claimed past the code is non-zero.
    error BadChunkProof();

    /// @notice The number of chunks of `codeSize` bytes of code.
    function chunkCount(uint256 codeSize) internal pure returns (uint256) {
        unchecked {
            return (codeSize + (CHUNK_DATA - 1)) / CHUNK_DATA;
        }
    }

    /// @notice The index of the chunk holding code byte `pc`.
    function chunkIndex(uint256 pc) internal pure returns (uint256) {
        return pc / CHUNK_DATA;
    }

    /// @notice True iff `chunk` is chunk `index` of the code committed by
    ///         `(codeRoot, codeSize)`, with `siblings` its word-tree leaf proof.
    function verifyChunk(bytes32 codeRoot, uint256 codeSize, uint256 index, bytes32 chunk, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        uint256 count = chunkCount(codeSize);
        // INVARIANT: only existing chunks open (empty code has none).
        if (index >= count) return false;
        return WordTree.verifyLeaf(codeRoot, count, index, chunk, siblings);
    }

    /// @notice Reverting form of `verifyChunk`, also accepting a chunk past the end of the
    ///         code when it is the zero word and comes with no proof (PUSH data running
    ///         past the code reads zeros).
    function openChunk(bytes32 codeRoot, uint256 codeSize, uint256 index, bytes32 chunk, bytes32[] calldata siblings)
        internal
        pure
    {
        if (index >= chunkCount(codeSize)) {
            // INVARIANT: a chunk past the code is the zero word, proven by nothing.
            if (chunk != 0 || siblings.length != 0) revert BadChunkProof();
            return;
        }
        // INVARIANT: an existing chunk opens the code root.
        if (!WordTree.verifyLeaf(codeRoot, chunkCount(codeSize), index, chunk, siblings)) revert BadChunkProof();
    }

    /// @notice The header byte: leading PUSH-data bytes carried over from earlier chunks.
    function header(bytes32 chunk) internal pure returns (uint256 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := byte(0, chunk)
        }
    }

    /// @notice The code byte at `codeOffset` (a pc), from its chunk `chunk` (= chunk
    ///         `codeOffset / 31`).
    function opcodeAt(bytes32 chunk, uint256 codeOffset) internal pure returns (uint256 op) {
        /// @solidity memory-safe-assembly
        assembly {
            op := byte(add(1, mod(codeOffset, 31)), chunk)
        }
    }

    /// @notice `n <= 32` code bytes starting at body offset `start <= 30` of `chunkA`,
    ///         continuing into the next chunk `chunkB`, as a big-endian integer.
    /// @dev `start + n <= 62` always holds, so two chunks always suffice.
    function readBytes(bytes32 chunkA, bytes32 chunkB, uint256 start, uint256 n) internal pure returns (uint256 v) {
        /// @solidity memory-safe-assembly
        assembly {
            // Bodies without their header byte, then A's bytes from `start` followed by B's.
            let w := or(shl(shl(3, add(start, 1)), chunkA), shr(shl(3, sub(31, start)), shl(8, chunkB)))
            // Keep the top n bytes (n = 0 gives 0: shr by 256).
            v := shr(shl(3, sub(32, n)), w)
        }
    }

    /// @notice The PUSH size and value of the instruction at `pc`, from its chunk
    ///         `opChunk` and the next two chunks (zero words past the code).
    /// @dev PUSH data begins at `pc + 1`: in `opChunk` unless `pc` is the chunk's last
    ///      byte, in which case it lies in `next1` and may run into `next2`. A non-PUSH
    ///      opcode returns `(0, 0)`. PUSH0 returns `(0, 0)` as well.
    function pushData(bytes32 opChunk, bytes32 next1, bytes32 next2, uint256 pc)
        internal
        pure
        returns (uint256 n, uint256 value)
    {
        uint256 op = opcodeAt(opChunk, pc);
        if (op < 0x60 || op > 0x7f) return (0, 0);
        unchecked {
            n = op - 0x5f;
            uint256 s = pc % CHUNK_DATA + 1;
            value = s < CHUNK_DATA ? readBytes(opChunk, next1, s, n) : readBytes(next1, next2, 0, n);
        }
    }

    /// @notice True iff code byte `target` (which lies in `chunk`) is a JUMPDEST opcode,
    ///         not PUSH data: `commitment.is_jumpdest_in_chunk`. At most 31 iterations.
    /// @dev Does not check `target < codeSize`; see `isValidJumpTarget`.
    function isJumpdest(bytes32 chunk, uint256 target) internal pure returns (bool ok) {
        /// @solidity memory-safe-assembly
        assembly {
            let t := mod(target, 31)
            let i := byte(0, chunk)
            for {} lt(i, t) {} {
                let op := byte(add(1, i), chunk)
                // PUSH1..PUSH32 skip their data: 1 + (op - 0x5f).
                i := add(i, add(1, mul(and(gt(op, 0x5f), lt(op, 0x80)), sub(op, 0x5f))))
            }
            ok := and(eq(i, t), eq(byte(add(1, t), chunk), 0x5b))
        }
    }

    /// @notice JUMP/JUMPI validity: `target < codeSize` and `isJumpdest(chunk, target)`,
    ///         `chunk` being chunk `target / 31` (opened by the caller).
    function isValidJumpTarget(bytes32 chunk, uint256 target, uint256 codeSize) internal pure returns (bool) {
        return target < codeSize && isJumpdest(chunk, target);
    }
}
