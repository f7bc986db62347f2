// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Bits} from "./Bits.sol";

/// @title WordTree
/// @notice The word Merkle tree that commits byte arrays (memory, calldata, return data,
///         transaction bytes, code chunks): `docs/commitment.md`, section 3, mirrored by
///         `agents/evm/commitment.py` (`merkle_root`, `verify_leaf`, `root_from_range`,
///         `root_after_growth`, `MerkleBuilder`).
/// @dev For `n` leaves the depth is `ceil(log2 n)` (0 for `n <= 1`); leaves are the raw
///      32-byte words (not hashed); missing leaves up to `2^depth` are zero; internal nodes
///      are `keccak256(left ‖ right)`; `n = 0` gives the zero word. The size is always
///      committed next to the root, which fixes the depth, so raw leaves are never
///      confused with nodes.
library WordTree {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice A leaf proof has the wrong length for the tree size, or the index is
    ///         outside the tree.
    error MalformedLeafProof();

    /// @notice A leaf or range proof does not lead to the committed root.
    error RootMismatch();

    /// @notice A builder frontier does not match the builder's commitment.
    error BuilderMismatch();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           SHAPE                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The depth of the tree over `leafCount` leaves: ceil(log2 n), 0 for n <= 1.
    function depthOf(uint256 leafCount) internal pure returns (uint256) {
        return leafCount <= 1 ? 0 : Bits.log2(leafCount - 1) + 1;
    }

    /// @notice `ZERO_TREE[k]`: the root of `2^k` zero leaves (k hashes).
    /// @dev Computed rather than tabled: growth and builders need consecutive entries,
    ///      which they derive incrementally at one hash each.
    function zeroTree(uint256 k) internal pure returns (bytes32 z) {
        /// @solidity memory-safe-assembly
        assembly {
            for {} k { k := sub(k, 1) } {
                mstore(0x00, z)
                mstore(0x20, z)
                z := keccak256(0x00, 0x40)
            }
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        LEAF PROOFS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Fold `leaf` at `index` up through the bottom-up `siblings`.
    function rootFromLeaf(uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        internal
        pure
        returns (bytes32 node)
    {
        /// @solidity memory-safe-assembly
        assembly {
            node := leaf
            let end := add(siblings.offset, shl(5, siblings.length))
            for { let p := siblings.offset } lt(p, end) { p := add(p, 0x20) } {
                let o := shl(5, and(index, 1))
                mstore(o, node)
                mstore(xor(o, 0x20), calldataload(p))
                node := keccak256(0x00, 0x40)
                index := shr(1, index)
            }
        }
    }

    /// @notice True iff `leaf` is leaf `index` of the tree of `leafCount` leaves at `root`.
    /// @dev `commitment.verify_leaf`: exactly `depthOf(leafCount)` siblings and
    ///      `index < max(leafCount, 1)`.
    function verifyLeaf(bytes32 root, uint256 leafCount, uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        if (siblings.length != depthOf(leafCount)) return false;
        if (index >= (leafCount == 0 ? 1 : leafCount)) return false;
        return rootFromLeaf(index, leaf, siblings) == root;
    }

    /// @notice The root after replacing leaf `index` (`oldLeaf` → `newLeaf`); checks the
    ///         old leaf against `root` in the same pass. Reverts on a bad proof.
    function rootAfterLeafWrite(
        bytes32 root,
        uint256 leafCount,
        uint256 index,
        bytes32 oldLeaf,
        bytes32 newLeaf,
        bytes32[] calldata siblings
    ) internal pure returns (bytes32 newRoot) {
        // INVARIANT: the proof length is the size-derived depth and the index is inside.
        if (siblings.length != depthOf(leafCount) || index >= (leafCount == 0 ? 1 : leafCount)) {
            revert MalformedLeafProof();
        }
        bytes32 oldRoot;
        /// @solidity memory-safe-assembly
        assembly {
            oldRoot := oldLeaf
            newRoot := newLeaf
            let end := add(siblings.offset, shl(5, siblings.length))
            for { let p := siblings.offset } lt(p, end) { p := add(p, 0x20) } {
                let s := calldataload(p)
                let o := shl(5, and(index, 1))
                let so := xor(o, 0x20)
                mstore(o, oldRoot)
                mstore(so, s)
                oldRoot := keccak256(0x00, 0x40)
                mstore(o, newRoot)
                mstore(so, s)
                newRoot := keccak256(0x00, 0x40)
                index := shr(1, index)
            }
        }
        // INVARIANT: the old leaf is really at `index` under `root`.
        if (oldRoot != root) revert RootMismatch();
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        RANGE PROOFS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The root implied by the contiguous `leaves` at `first` and a range proof
    ///         (`commitment.root_from_range`); `ok = false` if the shape is wrong (no
    ///         leaves, range past `2^depth`, proof too short or too long).
    /// @dev Per level, bottom-up: if the known range starts at an odd index prepend the
    ///      next proof item, then if it ends (exclusive) at an odd index append the next
    ///      one; hash pairs; halve. Works in place in one memory buffer with one spare
    ///      slot in front for the prepended neighbour.
    function rootFromRange(uint256 leafCount, uint256 first, bytes32[] memory leaves, bytes32[] calldata proof)
        internal
        pure
        returns (bool ok, bytes32 root)
    {
        uint256 depth = depthOf(leafCount);
        uint256 count = leaves.length;
        // INVARIANT: at least one leaf, and the range lies inside the 2^depth leaves.
        if (count == 0 || first >= (1 << depth) || count > (1 << depth) - first) return (false, 0);
        /// @solidity memory-safe-assembly
        assembly {
            // buf[0] is the spare slot; the range starts at buf + 0x20.
            let buf := mload(0x40)
            let n := add(count, 2)
            mstore(0x40, add(buf, shl(5, n)))
            let src := add(leaves, 0x20)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                mstore(add(buf, shl(5, add(i, 1))), mload(add(src, shl(5, i))))
            }
            let lo := first
            let hi := add(first, count)
            let p := proof.offset
            let pend := add(proof.offset, shl(5, proof.length))
            let bad := 0
            for { let level := 0 } lt(level, depth) { level := add(level, 1) } {
                let start := add(buf, 0x20)
                if and(lo, 1) {
                    bad := or(bad, iszero(lt(p, pend)))
                    start := buf
                    mstore(buf, calldataload(p))
                    p := add(p, 0x20)
                    lo := sub(lo, 1)
                }
                if and(hi, 1) {
                    bad := or(bad, iszero(lt(p, pend)))
                    // The known nodes occupy [start, start + (hi - lo) * 32) (lo already
                    // lowered if a left neighbour was prepended): append right after them.
                    mstore(add(start, shl(5, sub(hi, lo))), calldataload(p))
                    p := add(p, 0x20)
                    hi := add(hi, 1)
                }
                // Hash pairs into buf + 0x20 onwards (never overtakes unread inputs).
                let pairs := shr(1, sub(hi, lo))
                for { let i := 0 } lt(i, pairs) { i := add(i, 1) } {
                    let q := add(start, shl(6, i))
                    mstore(add(buf, shl(5, add(i, 1))), keccak256(q, 0x40))
                }
                lo := shr(1, lo)
                hi := shr(1, hi)
            }
            ok := iszero(or(bad, iszero(eq(p, pend))))
            root := mload(add(buf, 0x20))
        }
        if (!ok) root = 0;
    }

    /// @notice True iff `leaves` are the leaves `[first, first + leaves.length)` of the tree
    ///         of `leafCount` leaves at `root`.
    function verifyRange(
        bytes32 root,
        uint256 leafCount,
        uint256 first,
        bytes32[] memory leaves,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        (bool ok, bytes32 r) = rootFromRange(leafCount, first, leaves, proof);
        return ok && r == root;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           GROWTH                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The root after growing from `oldCount` to `newCount` leaves with zero
    ///         leaves (memory expansion): the old tree becomes the leftmost subtree.
    /// @dev `commitment.root_after_growth`: for k = depth(old) .. depth(new) - 1,
    ///      `root = H(root ‖ ZERO_TREE[k])`. No proof needed; unchanged if the depth does
    ///      not grow (also when `newCount < oldCount`, as in Python).
    function rootAfterGrowth(bytes32 root, uint256 oldCount, uint256 newCount) internal pure returns (bytes32) {
        uint256 k = depthOf(oldCount);
        uint256 target = depthOf(newCount);
        if (k >= target) return root;
        bytes32 z = zeroTree(k);
        /// @solidity memory-safe-assembly
        assembly {
            for {} lt(k, target) { k := add(k, 1) } {
                mstore(0x00, root)
                mstore(0x20, z)
                root := keccak256(0x00, 0x40)
                mstore(0x00, z)
                z := keccak256(0x00, 0x40)
            }
        }
        return root;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                     APPEND-ONLY BUILDER                    */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The commitment of a `MerkleBuilder`: `Hw(count, frontier entries for the set
    ///         bits of count, lowest first)`. `frontier` lists exactly those entries.
    function builderCommitment(uint256 count, bytes32[] memory frontier) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Hash `count ‖ frontier...` in place: the length slot temporarily holds count.
            let len := mload(frontier)
            mstore(frontier, count)
            h := keccak256(frontier, shl(5, add(len, 1)))
            mstore(frontier, len)
        }
    }

    /// @notice Append `leaf` to a builder holding `count` leaves with the compact frontier
    ///         `frontier` (entries for the set bits of `count`, lowest first). Returns the
    ///         new compact frontier (count + 1 leaves).
    /// @dev The trailing set bits of `count` are merged with the new leaf into one entry.
    function builderAppend(uint256 count, bytes32[] memory frontier, bytes32 leaf)
        internal
        pure
        returns (bytes32[] memory next)
    {
        // INVARIANT: one frontier entry per set bit of count.
        if (frontier.length != _popcount(count)) revert BuilderMismatch();
        uint256 k;
        bytes32 node = leaf;
        uint256 len = frontier.length;
        // The trailing ones of `count` are the lowest entries.
        while ((count >> k) & 1 == 1) {
            node = keccak256(abi.encodePacked(frontier[k], node));
            k++;
        }
        next = new bytes32[](len - k + 1);
        next[0] = node;
        for (uint256 i = k; i < len; ++i) {
            next[i - k + 1] = frontier[i];
        }
    }

    /// @notice The root of the word tree over the builder's leaves (`MerkleBuilder.root`),
    ///         padding with `ZERO_TREE`.
    function builderRoot(uint256 count, bytes32[] memory frontier) internal pure returns (bytes32 node) {
        // INVARIANT: one frontier entry per set bit of count.
        if (frontier.length != _popcount(count)) revert BuilderMismatch();
        if (count == 0) return 0;
        uint256 depth = depthOf(count);
        bool have;
        uint256 e;
        bytes32 z; // ZERO_TREE[k]
        for (uint256 k; k < depth; ++k) {
            if ((count >> k) & 1 == 1) {
                node = keccak256(abi.encodePacked(frontier[e++], have ? node : z));
                have = true;
            } else if (have) {
                node = keccak256(abi.encodePacked(node, z));
            }
            z = keccak256(abi.encodePacked(z, z));
        }
        // count == 2^depth exactly: a single complete entry at bit `depth`.
        if (!have) node = frontier[e];
    }

    function _popcount(uint256 x) private pure returns (uint256 c) {
        while (x != 0) {
            x &= x - 1;
            ++c;
        }
    }
}
