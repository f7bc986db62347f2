// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Bits} from "./Bits.sol";

/// @title SparseMerkle
/// @notice Proofs over the keccak sparse binary Merkle tree with single-leaf subtree
///         compression that commits every key/value map of the rollup (accounts, storage,
///         access sets, transient storage). Byte-for-byte the tree of
///         `agents/evm/smt.py`; normative text in `docs/commitment.md`, section 2.1.
/// @dev Tree layout:
///      - key `k` lives at `path = keccak256(k)`; bit `d` of the path (most significant
///        bit first) picks the child at depth `d` (0 left, 1 right);
///      - the empty subtree is `bytes32(0)`;
///      - a subtree holding exactly one key is that key's leaf, whatever its depth:
///        `keccak256(0x00 ‖ path ‖ value)` (65-byte preimage);
///      - any other subtree is `keccak256(left ‖ right)` (64-byte preimage);
///      - the tree is canonical, so no internal node has children `(leaf, 0)` / `(0, leaf)`.
///
///      A proof walks from the root along the path to the terminal (the key's own leaf,
///      an empty subtree, or another leaf) and carries only the non-empty siblings plus a
///      bitmap. Every function takes the 256-bit path, not the key, because keys have
///      several lengths (20-byte addresses, 32-byte slots, 52-byte address‖slot); use the
///      `pathOf*` helpers.
///
///      Values are words, and the absence of a key is distinct from a zero value, so
///      every value argument comes with a `present` flag.
library SparseMerkle {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STRUCTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice A proof for one key (the Solidity form of `smt.SmtProof`).
    /// @custom:field depth Depth of the terminal node (0 = the root itself), at most 256.
    /// @custom:field siblingBitmap Bit `d` (least significant = depth 0) is set iff the
    ///               sibling at depth `d` is non-empty. No bit at or above `depth`.
    /// @custom:field siblings The non-empty siblings, by increasing depth.
    /// @custom:field hasTerminalLeaf Non-inclusion ending at another leaf.
    /// @custom:field terminalPath That other leaf's path (when `hasTerminalLeaf`).
    /// @custom:field terminalValue That other leaf's value (when `hasTerminalLeaf`).
    /// @custom:field deepestSiblingPreimage Inclusion proofs: the 64- or 65-byte preimage
    ///               of the sibling at depth `depth - 1`; empty when absent. Only a
    ///               deletion reads it.
    struct Proof {
        uint256 depth;
        uint256 siblingBitmap;
        bytes32[] siblings;
        bool hasTerminalLeaf;
        bytes32 terminalPath;
        bytes32 terminalValue;
        bytes deepestSiblingPreimage;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The proof's shape is off: depth above 256, bitmap bits at or above the
    ///         depth, sibling count different from the bitmap's popcount, a zero sibling,
    ///         an empty deepest sibling, or an inconsistent terminal leaf.
    error MalformedProof();

    /// @notice The proof is well formed but does not fold to the committed root.
    error RootMismatch();

    /// @notice A deletion lacks the preimage of the deepest sibling, or it does not hash
    ///         to that sibling, or its length is neither 64 nor 65 bytes.
    error BadSiblingOpening();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           PATHS                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The path of an arbitrary byte-string key.
    function pathOf(bytes memory key) internal pure returns (bytes32 path) {
        path = keccak256(key);
    }

    /// @notice The path of a 20-byte address key (account tree, address sets).
    function pathOfAddress(address account) internal pure returns (bytes32 path) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, shl(96, account))
            path := keccak256(0x00, 0x14)
        }
    }

    /// @notice The path of a 32-byte word key (storage slots).
    function pathOfWord(bytes32 key) internal pure returns (bytes32 path) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, key)
            path := keccak256(0x00, 0x20)
        }
    }

    /// @notice The path of a 52-byte `address ‖ w(slot)` key (warm slots, transient storage).
    function pathOfAddressSlot(address account, bytes32 slot) internal pure returns (bytes32 path) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, shl(96, account))
            mstore(0x14, slot)
            path := keccak256(0x00, 0x34)
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          HASHING                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice `keccak256(0x00 ‖ path ‖ value)`: the leaf holding `value` at `path`.
    function leafHash(bytes32 path, bytes32 value) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Scratch above the free memory pointer; nothing is allocated.
            let m := mload(0x40)
            mstore(m, 0)
            mstore(add(m, 0x01), path)
            mstore(add(m, 0x21), value)
            h := keccak256(m, 0x41)
        }
    }

    /// @notice `keccak256(left ‖ right)`: an internal node.
    function internalHash(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        VERIFICATION                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice True iff `proof` shows that `path` maps to `value` (when `present`) or is
    ///         absent (when not) in the tree `root`. Malformed proofs return false.
    /// @dev Same acceptance as `smt.verify_proof`.
    function verify(bytes32 root, bytes32 path, bool present, bytes32 value, Proof calldata proof)
        internal
        pure
        returns (bool)
    {
        (bool ok, bytes32 terminal) = _terminal(path, present, value, proof);
        if (!ok) return false;
        (bool shapeOk, bytes32 folded) = _fold(terminal, path, proof);
        return shapeOk && folded == root;
    }

    /// @notice True iff `proof` shows that `path` maps to `value` in `root`.
    function verifyInclusion(bytes32 root, bytes32 path, bytes32 value, Proof calldata proof)
        internal
        pure
        returns (bool)
    {
        return verify(root, path, true, value, proof);
    }

    /// @notice True iff `proof` shows that `path` is absent from `root`.
    function verifyExclusion(bytes32 root, bytes32 path, Proof calldata proof) internal pure returns (bool) {
        return verify(root, path, false, bytes32(0), proof);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          UPDATES                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The root after setting `path` from `oldValue` to `newValue` (absent when
    ///         the `*Present` flag is false), using only the proof of the old value.
    /// @dev `smt.root_after_update_from_proof`: verifies the proof against `root` (the old
    ///      and the new root are folded in one pass over the siblings), then
    ///      - update / insert into an empty terminal: fold the new leaf from `depth`;
    ///      - insert next to another leaf: push both leaves down to where the paths split;
    ///      - delete: `ZERO` at depth 0; otherwise the deepest sibling's opening decides
    ///        whether it stays (internal, fold `ZERO`) or rises (lone leaf, fold it from
    ///        just below the next non-empty sibling).
    ///      Reverts with `MalformedProof`, `RootMismatch` or `BadSiblingOpening`.
    function rootAfterUpdate(
        bytes32 root,
        bytes32 path,
        bool oldPresent,
        bytes32 oldValue,
        bool newPresent,
        bytes32 newValue,
        Proof calldata proof
    ) internal pure returns (bytes32) {
        (bytes32 terminal, bytes32 newNode, uint256 newStart) =
            _plan(path, oldPresent, oldValue, newPresent, newValue, proof);
        return _apply(root, path, terminal, newNode, newStart, proof);
    }

    /// @notice `rootAfterUpdate` for an included key getting a new value (or deleted when
    ///         `newPresent` is false). Convenience for SSTORE and account updates.
    function rootAfterSet(bytes32 root, bytes32 path, bytes32 oldValue, bytes32 newValue, Proof calldata proof)
        internal
        pure
        returns (bytes32)
    {
        return rootAfterUpdate(root, path, true, oldValue, true, newValue, proof);
    }

    /// @notice `rootAfterUpdate` inserting an absent key (set insertions).
    function rootAfterInsert(bytes32 root, bytes32 path, bytes32 value, Proof calldata proof)
        internal
        pure
        returns (bytes32)
    {
        return rootAfterUpdate(root, path, false, bytes32(0), true, value, proof);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                     PRIVATE HELPERS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev `newStart` value marking a no-op update (the root stays once verified).
    uint256 private constant _NO_CHANGE = type(uint256).max;

    /// @dev What replaces the terminal and from which depth it is folded, for an update
    ///      from the old to the new value (`_NO_CHANGE` when the value stays).
    function _plan(
        bytes32 path,
        bool oldPresent,
        bytes32 oldValue,
        bool newPresent,
        bytes32 newValue,
        Proof calldata proof
    ) private pure returns (bytes32 terminal, bytes32 newNode, uint256 newStart) {
        bool ok;
        (ok, terminal) = _terminal(path, oldPresent, oldValue, proof);
        // INVARIANT: never hash a made-up state: the old value's proof must be well formed.
        if (!ok) revert MalformedProof();
        newStart = proof.depth;
        if (newPresent) {
            if (oldPresent && oldValue == newValue) return (terminal, 0, _NO_CHANGE);
            newNode = leafHash(path, newValue);
            // Insertion next to another leaf: both leaves go down to where paths split.
            if (!oldPresent && proof.hasTerminalLeaf) newNode = _split(path, terminal, newNode, proof);
        } else {
            if (!oldPresent) return (terminal, 0, _NO_CHANGE);
            if (newStart != 0) (newNode, newStart) = _afterDelete(newStart, proof);
            // else: the tree held only this leaf and becomes empty (newNode = 0 at 0).
        }
    }

    /// @dev Fold the old terminal and the new node through the proof's siblings; check
    ///      the old root; return the new one.
    function _apply(
        bytes32 root,
        bytes32 path,
        bytes32 terminal,
        bytes32 newNode,
        uint256 newStart,
        Proof calldata proof
    ) private pure returns (bytes32 newRoot) {
        if (newStart == _NO_CHANGE) return _checkedFold(root, terminal, path, proof);
        (bool ok, bytes32 oldRoot, bytes32 r) = _fold2(terminal, newNode, newStart, path, proof);
        // INVARIANT: siblings shaped as the bitmap says (count, no zero sibling).
        if (!ok) revert MalformedProof();
        // INVARIANT: the proof opens the committed root.
        if (oldRoot != root) revert RootMismatch();
        newRoot = r;
    }

    /// @dev `smt._terminal_hash` minus the sibling checks (done while folding): the hash of
    ///      the terminal node the proof claims, `ok = false` if the claim is malformed.
    function _terminal(bytes32 path, bool present, bytes32 value, Proof calldata proof)
        private
        pure
        returns (bool ok, bytes32 terminal)
    {
        uint256 depth = proof.depth;
        uint256 bitmap = proof.siblingBitmap;
        // INVARIANT: depth <= 256 and no bitmap bit at or above it.
        if (depth > 256 || (depth < 256 && bitmap >> depth != 0)) return (false, 0);
        // INVARIANT: a canonical walk never ends next to an empty sibling.
        if (depth != 0 && (bitmap >> (depth - 1)) & 1 == 0) return (false, 0);
        if (present) {
            // INVARIANT: inclusion proofs carry no terminal leaf.
            if (proof.hasTerminalLeaf) return (false, 0);
            return (true, leafHash(path, value));
        }
        if (!proof.hasTerminalLeaf) return (true, 0);
        bytes32 other = proof.terminalPath;
        // INVARIANT: the other leaf is a different key sharing the first `depth` bits.
        if (other == path) return (false, 0);
        if (depth != 0 && uint256(other ^ path) >> (256 - depth) != 0) return (false, 0);
        return (true, leafHash(other, proof.terminalValue));
    }

    /// @dev Fold `node` from `proof.depth` to the root; `ok = false` if the siblings do
    ///      not match the bitmap (count) or one of them is zero. Callers have checked
    ///      `depth <= 256` (`_terminal`).
    ///      Branch-free levels: the sibling cursor `p` walks the siblings backwards (the
    ///      deepest first) and moves only on set bitmap bits; a zero sibling poisons it
    ///      with bit 255, which the at most 256 later moves cannot undo, so one final
    ///      `p == siblings.offset` checks the count and the non-zero rule together.
    function _fold(bytes32 node, bytes32 path, Proof calldata proof) private pure returns (bool ok, bytes32 root) {
        bytes32[] calldata siblings = proof.siblings;
        /// @solidity memory-safe-assembly
        assembly {
            let depth := calldataload(proof)
            let bitmap := calldataload(add(proof, 0x20))
            let p := add(siblings.offset, shl(5, siblings.length))
            // The path's first `depth` bits, the deepest lowest (shr by 256 gives 0).
            let bits := shr(sub(256, depth), path)
            for { let d := depth } d {} {
                d := sub(d, 1)
                let has := and(shr(d, bitmap), 1)
                p := sub(p, shl(5, has))
                let s := mul(has, calldataload(p))
                p := or(p, shl(255, and(has, iszero(s))))
                // The path bit puts `node` right (1) or left (0).
                let o := shl(5, and(bits, 1))
                bits := shr(1, bits)
                mstore(o, node)
                mstore(xor(o, 0x20), s)
                node := keccak256(0x00, 0x40)
            }
            ok := eq(p, siblings.offset)
            root := node
        }
    }

    /// @dev Fold `oldNode` from `proof.depth` and, through the same siblings, `newNode`
    ///      from `newStart <= proof.depth` (levels at or below `newStart` are skipped for
    ///      it): one pass for the old and the new root. Same cursor scheme as `_fold`.
    function _fold2(bytes32 oldNode, bytes32 newNode, uint256 newStart, bytes32 path, Proof calldata proof)
        private
        pure
        returns (bool ok, bytes32 oldRoot, bytes32 newRoot)
    {
        bytes32[] calldata siblings = proof.siblings;
        /// @solidity memory-safe-assembly
        assembly {
            let p := add(siblings.offset, shl(5, siblings.length))
            let d := calldataload(proof)
            // `path` becomes the path's first `depth` bits, the deepest lowest.
            path := shr(sub(256, d), path)
            for {} d {} {
                d := sub(d, 1)
                // proof + 0x20: the sibling bitmap (re-read: few stack slots here).
                let has := and(shr(d, calldataload(add(proof, 0x20))), 1)
                p := sub(p, shl(5, has))
                let s := mul(has, calldataload(p))
                p := or(p, shl(255, and(has, iszero(s))))
                let o := shl(5, and(path, 1))
                path := shr(1, path)
                mstore(o, oldNode)
                mstore(xor(o, 0x20), s)
                oldNode := keccak256(0x00, 0x40)
                if lt(d, newStart) {
                    mstore(o, newNode)
                    mstore(xor(o, 0x20), s)
                    newNode := keccak256(0x00, 0x40)
                }
            }
            ok := eq(p, siblings.offset)
            oldRoot := oldNode
            newRoot := newNode
        }
    }

    /// @dev Verify and return `root` unchanged (no-op updates).
    function _checkedFold(bytes32 root, bytes32 terminal, bytes32 path, Proof calldata proof)
        private
        pure
        returns (bytes32)
    {
        (bool ok, bytes32 folded) = _fold(terminal, path, proof);
        if (!ok) revert MalformedProof();
        if (folded != root) revert RootMismatch();
        return root;
    }

    /// @dev Insertion next to the leaf `other` (hash `otherLeaf`) at `depth`: the subtree
    ///      that replaces it, with both leaves at the depth `j + 1` where the paths split.
    function _split(bytes32 path, bytes32 otherLeaf, bytes32 myLeaf, Proof calldata proof)
        private
        pure
        returns (bytes32 node)
    {
        uint256 depth = proof.depth;
        // `_terminal` guarantees terminalPath != path and a common prefix of >= depth bits.
        uint256 j = 255 - Bits.log2(uint256(path ^ proof.terminalPath));
        /// @solidity memory-safe-assembly
        assembly {
            let o := shl(5, and(shr(sub(255, j), path), 1))
            mstore(o, myLeaf)
            mstore(xor(o, 0x20), otherLeaf)
            node := keccak256(0x00, 0x40)
            for { let d := j } gt(d, depth) {} {
                d := sub(d, 1)
                o := shl(5, and(shr(sub(255, d), path), 1))
                mstore(o, node)
                mstore(xor(o, 0x20), 0)
                node := keccak256(0x00, 0x40)
            }
        }
    }

    /// @dev Deletion at `depth > 0`: what replaces the deleted leaf, and from which depth
    ///      it is folded. Checks the deepest sibling's opening.
    function _afterDelete(uint256 depth, Proof calldata proof) private pure returns (bytes32 node, uint256 start) {
        bytes32[] calldata siblings = proof.siblings;
        // INVARIANT: `_terminal` checked that bit depth-1 is set; at least one sibling.
        if (siblings.length == 0) revert MalformedProof();
        bytes32 deepest = siblings[siblings.length - 1];
        bytes calldata opening = proof.deepestSiblingPreimage;
        // INVARIANT: the opening hashes to the sibling at depth-1 (what makes deletion
        // deterministic: collapsed vs uncollapsed root).
        if (keccak256(opening) != deepest) revert BadSiblingOpening();
        if (opening.length == 64) return (bytes32(0), depth);
        if (opening.length != 65) revert BadSiblingOpening();
        // A lone leaf rises past every empty sibling above it: to just below the deepest
        // non-empty sibling shallower than depth-1 (bit length of the lower bitmap bits).
        uint256 lower = proof.siblingBitmap & ((uint256(1) << (depth - 1)) - 1);
        return (deepest, lower == 0 ? 0 : Bits.log2(lower) + 1);
    }
}
