// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TxRootsMerkle
/// @notice The commitment a pack posts to its per-transaction state roots: a binary
///         Merkle tree over `r_1 .. r_n` (the state root after each transaction).
/// @dev Layout (mirrored byte for byte by `agents/dispute/merkle.py`, pinned by the
///      golden vectors in `tests/vectors/dispute_merkle.json`):
///        - leaf hash  = keccak256(0x00 ‖ root)            (33 bytes hashed)
///        - node hash  = keccak256(0x01 ‖ left ‖ right)     (65 bytes hashed)
///        - the tree has depth ceil(log2 n) (0 for n = 1); missing leaves on the right are
///          the empty hash bytes32(0), which no leaf hash equals in practice;
///        - a proof is the list of siblings from the leaf up, exactly `depth(n)` long.
///      The domain bytes keep a leaf from being passed off as an inner node (and back).
///      The count `n` is not part of the root: whoever stores the root stores `n` next
///      to it and passes it in, and `verify` rejects indices >= n.
library TxRootsMerkle {
    /// @notice Domain byte of a leaf hash.
    bytes1 internal constant LEAF_DOMAIN = 0x00;
    /// @notice Domain byte of an inner-node hash.
    bytes1 internal constant NODE_DOMAIN = 0x01;
    /// @notice The largest supported leaf count (2^32 transactions in one pack).
    uint256 internal constant MAX_LEAVES = 1 << 32;

    /// @notice A commitment was requested over zero leaves or more than `MAX_LEAVES`.
    /// @param count The number of leaves given.
    error InvalidLeafCount(uint256 count);

    /// @notice The hash of leaf `root`.
    /// @param root A per-transaction state root.
    /// @return h keccak256(0x00 ‖ root).
    function leafHash(bytes32 root) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, 0)
            mstore(0x01, root)
            h := keccak256(0x00, 0x21)
        }
    }

    /// @notice The hash of an inner node.
    /// @param left The left child's hash.
    /// @param right The right child's hash.
    /// @return h keccak256(0x01 ‖ left ‖ right).
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 0x01), left)
            mstore(add(ptr, 0x21), right)
            h := keccak256(ptr, 0x41)
        }
    }

    /// @notice Depth of the tree over `count` leaves: ceil(log2 count), 0 for one leaf.
    /// @param count Number of leaves (>= 1).
    /// @return levels The number of siblings in every proof.
    function depth(uint256 count) internal pure returns (uint256 levels) {
        uint256 width = 1;
        while (width < count) {
            width <<= 1;
            ++levels;
        }
    }

    /// @notice Whether `root` is leaf `index` (0-based: index 0 is r_1) of the tree with
    ///         `count` leaves committed to by `commitment`.
    /// @param commitment The Merkle root posted with the pack.
    /// @param count The number of leaves (transactions in the pack).
    /// @param index The 0-based leaf index.
    /// @param root The claimed leaf value.
    /// @param proof Siblings from the leaf up.
    /// @return True when the proof opens `commitment` at `index` to `root`.
    function verify(bytes32 commitment, uint256 count, uint256 index, bytes32 root, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        if (count == 0 || count > MAX_LEAVES || index >= count) return false;
        if (proof.length != depth(count)) return false;
        bytes32 h = leafHash(root);
        for (uint256 level; level < proof.length; ++level) {
            h = (index >> level) & 1 == 0 ? nodeHash(h, proof[level]) : nodeHash(proof[level], h);
        }
        return h == commitment;
    }

    /// @notice The commitment to `roots` (for tests, tooling and on-chain packers).
    /// @param roots The per-transaction state roots r_1 .. r_n (n >= 1).
    /// @return The Merkle root.
    function commit(bytes32[] memory roots) internal pure returns (bytes32) {
        uint256 count = roots.length;
        // INVARIANT: a commitment covers at least one and at most MAX_LEAVES roots.
        if (count == 0 || count > MAX_LEAVES) revert InvalidLeafCount(count);
        uint256 width = 1 << depth(count);
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < count; ++i) {
            layer[i] = leafHash(roots[i]);
        }
        while (width > 1) {
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
        }
        return layer[0];
    }
}
