// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";

/// @notice SparseMerkle against the golden vectors of `tests/vectors/smt.json` (generated
///         by the Python tree, `agents/evm/smt.py`), tampering, and fuzzed round trips
///         against an independent reference fold written in this test.
contract SparseMerkleTest is ProverTestBase {
    /// @dev The vectors, read once per test into memory (a storage copy would cost more
    ///      gas to read back than the whole test).
    function _json() internal view returns (string memory) {
        return _vectors("smt.json");
    }

    // ------------------------------------------------------------------ JSON decoding

    function _proof(string memory json, string memory key) internal pure returns (SparseMerkle.Proof memory p) {
        p.depth = vm.parseJsonUint(json, string.concat(key, ".depth"));
        p.siblingBitmap = uint256(vm.parseJsonBytes32(json, string.concat(key, ".siblingBitmap")));
        p.siblings = vm.parseJsonBytes32Array(json, string.concat(key, ".siblings"));
        if (!_isNull(json, string.concat(key, ".terminalLeaf"))) {
            p.hasTerminalLeaf = true;
            p.terminalPath = vm.parseJsonBytes32(json, string.concat(key, ".terminalLeaf.path"));
            p.terminalValue = vm.parseJsonBytes32(json, string.concat(key, ".terminalLeaf.value"));
        }
        if (!_isNull(json, string.concat(key, ".deepestSiblingPreimage"))) {
            p.deepestSiblingPreimage = vm.parseJsonBytes(json, string.concat(key, ".deepestSiblingPreimage"));
        }
    }

    /// @dev (present, value) of a nullable word.
    function _value(string memory json, string memory key) internal pure returns (bool, bytes32) {
        if (_isNull(json, key)) return (false, 0);
        return (true, vm.parseJsonBytes32(json, key));
    }

    // ------------------------------------------------------------------ hashing

    function test_vectors_leafAndInternalHashing() public view {
        string memory json = _json();
        bytes32 key = vm.parseJsonBytes32(json, ".leafHashing.key");
        bytes32 path = vm.parseJsonBytes32(json, ".leafHashing.path");
        bytes32 value = vm.parseJsonBytes32(json, ".leafHashing.value");
        vm.assertEq(h.smtPathOfWord(key), path, "path of a word key");
        vm.assertEq(h.smtLeafHash(path, value), vm.parseJsonBytes32(json, ".leafHashing.leafHash"), "leaf hash");
        vm.assertEq(
            keccak256(vm.parseJsonBytes(json, ".leafHashing.preimage")),
            h.smtLeafHash(path, value),
            "leaf preimage layout"
        );
        vm.assertEq(
            h.smtInternalHash(
                vm.parseJsonBytes32(json, ".internalHashing.left"), vm.parseJsonBytes32(json, ".internalHashing.right")
            ),
            vm.parseJsonBytes32(json, ".internalHashing.hash"),
            "internal hash"
        );
        vm.assertEq(vm.parseJsonBytes32(json, ".empty"), bytes32(0), "empty subtree is the zero word");
    }

    // ------------------------------------------------------------------ proofs

    /// @notice Every inclusion / non-inclusion proof of every tree verifies.
    function test_vectors_proofsVerify() public view {
        string memory json = _json();
        uint256 cases = _count(json, ".cases");
        vm.assertEq(cases, 5, "five trees");
        uint256 checked;
        for (uint256 c; c < cases; ++c) {
            string memory ck = _at(".cases", c);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(ck, ".root"));
            uint256 n = _count(json, string.concat(ck, ".proofs"));
            for (uint256 i; i < n; ++i) {
                string memory pk = _at(string.concat(ck, ".proofs"), i);
                bytes32 path = vm.parseJsonBytes32(json, string.concat(pk, ".path"));
                vm.assertEq(keccak256(vm.parseJsonBytes(json, string.concat(pk, ".key"))), path, "path = H(key)");
                (bool present, bytes32 value) = _value(json, string.concat(pk, ".value"));
                SparseMerkle.Proof memory p = _proof(json, string.concat(pk, ".proof"));
                vm.assertTrue(h.smtVerify(root, path, present, value, p), string.concat("proof ", pk));
                ++checked;
            }
        }
        vm.assertEq(checked, 2 + 3 + 5 + 18 + 18, "all proofs checked");
    }

    /// @notice Every tampered proof fails: value, root, presence, sibling, bitmap, count.
    function test_vectors_tamperedProofsFail() public view {
        string memory json = _json();
        uint256 cases = _count(json, ".cases");
        for (uint256 c; c < cases; ++c) {
            string memory ck = _at(".cases", c);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(ck, ".root"));
            uint256 n = _count(json, string.concat(ck, ".proofs"));
            for (uint256 i; i < n; ++i) {
                string memory pk = _at(string.concat(ck, ".proofs"), i);
                bytes32 path = vm.parseJsonBytes32(json, string.concat(pk, ".path"));
                (bool present, bytes32 value) = _value(json, string.concat(pk, ".value"));
                SparseMerkle.Proof memory p = _proof(json, string.concat(pk, ".proof"));
                _tamper(root, path, present, value, p);
            }
        }
    }

    function _tamper(bytes32 root, bytes32 path, bool present, bytes32 value, SparseMerkle.Proof memory p)
        internal
        view
    {
        // Another value, or the opposite claim.
        if (present) {
            vm.assertFalse(h.smtVerify(root, path, true, value ^ bytes32(uint256(1)), p), "other value");
        }
        if (present) vm.assertFalse(h.smtVerify(root, path, false, 0, p), "absent claimed for a present key");
        else vm.assertFalse(h.smtVerify(root, path, true, value, p), "present claimed for an absent key");
        // Another root, another path.
        vm.assertFalse(h.smtVerify(root ^ bytes32(uint256(1)), path, present, value, p), "other root");
        // A key with another path: any change breaks an inclusion (the leaf hashes the
        // path); an absence only covers the keys sharing the walked prefix, so flip its
        // first bit (when the walk has one).
        if (present) {
            vm.assertFalse(h.smtVerify(root, path ^ bytes32(uint256(1)), true, value, p), "other path");
        } else if (p.depth != 0) {
            vm.assertFalse(h.smtVerify(root, path ^ bytes32(uint256(1) << 255), false, 0, p), "other path");
        }
        // A bitmap bit at the depth (above the terminal).
        if (p.depth < 256) {
            p.siblingBitmap ^= 1 << p.depth;
            vm.assertFalse(h.smtVerify(root, path, present, value, p), "bitmap bit above depth");
            p.siblingBitmap ^= 1 << p.depth;
        }
        if (p.siblings.length != 0) {
            // A changed sibling.
            p.siblings[0] ^= bytes32(uint256(1) << 7);
            vm.assertFalse(h.smtVerify(root, path, present, value, p), "changed sibling");
            p.siblings[0] ^= bytes32(uint256(1) << 7);
            // A zero sibling.
            bytes32 saved = p.siblings[0];
            p.siblings[0] = 0;
            vm.assertFalse(h.smtVerify(root, path, present, value, p), "zero sibling");
            p.siblings[0] = saved;
            // One sibling too few.
            bytes32[] memory shorter = new bytes32[](p.siblings.length - 1);
            for (uint256 k; k < shorter.length; ++k) {
                shorter[k] = p.siblings[k + 1];
            }
            bytes32[] memory full = p.siblings;
            p.siblings = shorter;
            vm.assertFalse(h.smtVerify(root, path, present, value, p), "missing sibling");
            p.siblings = full;
        }
        // One sibling too many.
        bytes32[] memory longer = new bytes32[](p.siblings.length + 1);
        for (uint256 k; k < p.siblings.length; ++k) {
            longer[k] = p.siblings[k];
        }
        longer[p.siblings.length] = keccak256("extra");
        bytes32[] memory orig = p.siblings;
        p.siblings = longer;
        vm.assertFalse(h.smtVerify(root, path, present, value, p), "extra sibling");
        p.siblings = orig;
        // A terminal leaf on an inclusion proof, or a terminal leaf equal to the key.
        if (present) {
            p.hasTerminalLeaf = true;
            p.terminalPath = keccak256("other");
            vm.assertFalse(h.smtVerify(root, path, present, value, p), "inclusion with terminal leaf");
            p.hasTerminalLeaf = false;
        } else if (p.hasTerminalLeaf) {
            bytes32 q = p.terminalPath;
            p.terminalPath = path;
            vm.assertFalse(h.smtVerify(root, path, false, 0, p), "terminal leaf is the key itself");
            p.terminalPath = q;
        }
        // Still verifies after all the restorations.
        vm.assertTrue(h.smtVerify(root, path, present, value, p), "restored proof");
    }

    // ------------------------------------------------------------------ updates

    /// @notice `rootAfterUpdate` from each proof equals the Python root (insert next to a
    ///         leaf, insert into empty, update, delete with internal and leaf siblings).
    function test_vectors_rootAfterUpdate() public view {
        string memory json = _json();
        uint256 cases = _count(json, ".cases");
        uint256 checked;
        for (uint256 c; c < cases; ++c) {
            string memory ck = _at(".cases", c);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(ck, ".root"));
            uint256 n = _count(json, string.concat(ck, ".updates"));
            for (uint256 i; i < n; ++i) {
                _checkUpdate(json, _at(string.concat(ck, ".updates"), i), root);
                ++checked;
            }
        }
        vm.assertEq(checked, 2 + 4 + 7 + 12 + 12, "all updates checked");
    }

    /// @notice Updates from a proof against the wrong root, and deletions without a valid
    ///         sibling opening, revert.
    function test_vectors_rootAfterUpdate_rejects() public {
        string memory json = _json();
        uint256 cases = _count(json, ".cases");
        for (uint256 c; c < cases; ++c) {
            string memory ck = _at(".cases", c);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(ck, ".root"));
            uint256 n = _count(json, string.concat(ck, ".updates"));
            for (uint256 i; i < n; ++i) {
                _rejectUpdate(json, _at(string.concat(ck, ".updates"), i), root);
            }
        }
    }

    struct Update {
        bytes32 path;
        bool oldPresent;
        bytes32 oldValue;
        bool newPresent;
        bytes32 newValue;
    }

    function _update(string memory json, string memory uk) internal pure returns (Update memory u) {
        u.path = keccak256(vm.parseJsonBytes(json, string.concat(uk, ".key")));
        (u.oldPresent, u.oldValue) = _value(json, string.concat(uk, ".oldValue"));
        (u.newPresent, u.newValue) = _value(json, string.concat(uk, ".newValue"));
    }

    function _checkUpdate(string memory json, string memory uk, bytes32 root) internal view {
        Update memory u = _update(json, uk);
        SparseMerkle.Proof memory p = _proof(json, string.concat(uk, ".proof"));
        vm.assertEq(
            h.smtRootAfterUpdate(root, u.path, u.oldPresent, u.oldValue, u.newPresent, u.newValue, p),
            vm.parseJsonBytes32(json, string.concat(uk, ".newRoot")),
            string.concat("new root ", uk)
        );
    }

    function _rejectUpdate(string memory json, string memory uk, bytes32 root) internal {
        Update memory u = _update(json, uk);
        SparseMerkle.Proof memory p = _proof(json, string.concat(uk, ".proof"));
        vm.expectRevert(SparseMerkle.RootMismatch.selector);
        h.smtRootAfterUpdate(root ^ bytes32(uint256(1)), u.path, u.oldPresent, u.oldValue, u.newPresent, u.newValue, p);
        if (u.oldPresent && !u.newPresent && p.depth != 0) {
            bytes memory opening = p.deepestSiblingPreimage;
            p.deepestSiblingPreimage = "";
            vm.expectRevert(SparseMerkle.BadSiblingOpening.selector);
            h.smtRootAfterUpdate(root, u.path, u.oldPresent, u.oldValue, u.newPresent, u.newValue, p);
            // A 65-byte opening of an internal sibling cannot be forged: flip its length.
            p.deepestSiblingPreimage = bytes.concat(opening, bytes1(0));
            vm.expectRevert(SparseMerkle.BadSiblingOpening.selector);
            h.smtRootAfterUpdate(root, u.path, u.oldPresent, u.oldValue, u.newPresent, u.newValue, p);
        }
    }

    // ------------------------------------------------------------------ reference model

    /// @dev Independent fold: plain keccak, expanded siblings.
    function _refFold(bytes32 node, bytes32 path, bytes32[] memory expanded, uint256 fromDepth)
        internal
        pure
        returns (bytes32)
    {
        for (uint256 d = fromDepth; d > 0;) {
            --d;
            bool right = (uint256(path) >> (255 - d)) & 1 == 1;
            node =
                right ? keccak256(abi.encodePacked(expanded[d], node)) : keccak256(abi.encodePacked(node, expanded[d]));
        }
        return node;
    }

    function _leaf(bytes32 path, bytes32 value) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0), path, value));
    }

    /// @dev A random canonical-shaped proof of `depth` levels: the deepest sibling set,
    ///      the others set with probability 1/2. Returns the proof and the expanded list.
    function _randomProof(uint256 seed, uint256 depth)
        internal
        pure
        returns (SparseMerkle.Proof memory p, bytes32[] memory expanded)
    {
        expanded = new bytes32[](depth);
        uint256 bitmap;
        uint256 count;
        for (uint256 d; d < depth; ++d) {
            uint256 r = uint256(keccak256(abi.encode(seed, d)));
            if (d + 1 == depth || r & 1 == 1) {
                bitmap |= 1 << d;
                expanded[d] = keccak256(abi.encode(r));
                ++count;
            }
        }
        p.depth = depth;
        p.siblingBitmap = bitmap;
        p.siblings = new bytes32[](count);
        uint256 k;
        for (uint256 d; d < depth; ++d) {
            if (expanded[d] != 0) p.siblings[k++] = expanded[d];
        }
    }

    // ------------------------------------------------------------------ fuzz

    /// @notice Update an included key: the new root folds the new leaf, the same proof then
    ///         verifies the new value and rejects the old one.
    function testFuzz_updateThenVerify(bytes32 path, uint256 seed, uint8 depthSeed, bytes32 v1, bytes32 v2)
        public
        view
    {
        vm.assume(v1 != v2);
        uint256 depth = bound(depthSeed, 0, 64);
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _randomProof(seed, depth);
        bytes32 r0 = _refFold(_leaf(path, v1), path, ex, depth);
        vm.assertTrue(h.smtVerify(r0, path, true, v1, p), "old value verifies");
        bytes32 r1 = h.smtRootAfterUpdate(r0, path, true, v1, true, v2, p);
        vm.assertEq(r1, _refFold(_leaf(path, v2), path, ex, depth), "reference root");
        vm.assertTrue(h.smtVerify(r1, path, true, v2, p), "new value verifies");
        vm.assertFalse(h.smtVerify(r1, path, true, v1, p), "old value no longer verifies");
        // Unchanged value: same root.
        vm.assertEq(h.smtRootAfterUpdate(r0, path, true, v1, true, v1, p), r0, "no-op update");
    }

    /// @notice Insert next to another leaf, verify the new key with its inclusion proof,
    ///         then delete it again with that proof (the other leaf rises back): the
    ///         original root returns.
    function testFuzz_insertBesideLeafThenDelete(
        bytes32 path,
        uint256 seed,
        uint8 depthSeed,
        uint8 splitSeed,
        bytes32 lowBits,
        bytes32 u,
        bytes32 v
    ) public view {
        uint256 depth = bound(depthSeed, 0, 40);
        uint256 j = bound(splitSeed, depth, depth + 12);
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _randomProof(seed, depth);
        p.hasTerminalLeaf = true;
        p.terminalPath = _otherPath(path, j, lowBits);
        p.terminalValue = u;
        _insertThenDelete(path, p, ex, j, v);
    }

    function _insertThenDelete(bytes32 path, SparseMerkle.Proof memory p, bytes32[] memory ex, uint256 j, bytes32 v)
        internal
        view
    {
        bytes32 r0 = _refFold(_leaf(p.terminalPath, p.terminalValue), path, ex, p.depth);
        vm.assertTrue(h.smtVerify(r0, path, false, 0, p), "non-inclusion next to a leaf");

        bytes32 r1 = h.smtRootAfterUpdate(r0, path, false, 0, true, v, p);

        (SparseMerkle.Proof memory p2, bytes32[] memory ex2) = _proofAfterSplit(p, ex, j);
        vm.assertEq(r1, _refFold(_leaf(path, v), path, ex2, j + 1), "reference root after insert");
        vm.assertTrue(h.smtVerify(r1, path, true, v, p2), "inserted key verifies");

        vm.assertEq(h.smtRootAfterUpdate(r1, path, true, v, false, 0, p2), r0, "delete restores the root");
    }

    /// @dev A path sharing exactly the first `j` bits with `path`, random after bit j.
    function _otherPath(bytes32 path, uint256 j, bytes32 lowBits) internal pure returns (bytes32) {
        uint256 bit = uint256(1) << (255 - j);
        uint256 below = bit - 1;
        return bytes32(((uint256(path) & ~below) ^ bit) | (uint256(lowBits) & below));
    }

    /// @dev The inclusion proof of the key inserted next to `p`'s terminal leaf, which it
    ///      splits from at depth `j`: old siblings, empty levels, the other leaf at `j`.
    function _proofAfterSplit(SparseMerkle.Proof memory p, bytes32[] memory ex, uint256 j)
        internal
        pure
        returns (SparseMerkle.Proof memory p2, bytes32[] memory ex2)
    {
        bytes32 otherLeaf = _leaf(p.terminalPath, p.terminalValue);
        ex2 = new bytes32[](j + 1);
        for (uint256 d; d < p.depth; ++d) {
            ex2[d] = ex[d];
        }
        ex2[j] = otherLeaf;
        p2.depth = j + 1;
        p2.siblingBitmap = p.siblingBitmap | (1 << j);
        p2.siblings = new bytes32[](p.siblings.length + 1);
        for (uint256 k; k < p.siblings.length; ++k) {
            p2.siblings[k] = p.siblings[k];
        }
        p2.siblings[p.siblings.length] = otherLeaf;
        p2.deepestSiblingPreimage = abi.encodePacked(bytes1(0), p.terminalPath, p.terminalValue);
    }

    /// @notice Delete a key whose deepest sibling is internal: the sibling stays, an empty
    ///         subtree takes the key's place, and the key's absence then verifies.
    function testFuzz_deleteBesideInternal(bytes32 path, uint256 seed, uint8 depthSeed, bytes32 v, bytes32 l, bytes32 r)
        public
        view
    {
        uint256 depth = bound(depthSeed, 1, 48);
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _randomProof(seed, depth);
        p.deepestSiblingPreimage = abi.encodePacked(l, r);
        ex[depth - 1] = keccak256(p.deepestSiblingPreimage);
        p.siblings[p.siblings.length - 1] = ex[depth - 1];
        _deleteBesideInternal(path, p, ex, v);
    }

    function _deleteBesideInternal(bytes32 path, SparseMerkle.Proof memory p, bytes32[] memory ex, bytes32 v)
        internal
        view
    {
        bytes32 r0 = _refFold(_leaf(path, v), path, ex, p.depth);
        bytes32 r1 = h.smtRootAfterUpdate(r0, path, true, v, false, 0, p);
        vm.assertEq(r1, _refFold(bytes32(0), path, ex, p.depth), "reference root after delete");
        vm.assertTrue(h.smtVerify(r1, path, false, 0, p), "absence verifies");
    }

    /// @notice Random proofs never verify against a random root (no false positives from
    ///         malformed shapes), and `rootAfterUpdate` never returns for them.
    function testFuzz_randomProofRejected(bytes32 root, bytes32 path, uint256 seed, uint8 depthSeed, bytes32 v) public {
        uint256 depth = bound(depthSeed, 0, 30);
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _randomProof(seed, depth);
        vm.assume(root != _refFold(_leaf(path, v), path, ex, depth));
        vm.assertFalse(h.smtVerify(root, path, true, v, p));
        vm.expectRevert(SparseMerkle.RootMismatch.selector);
        h.smtRootAfterUpdate(root, path, true, v, true, v ^ bytes32(uint256(1)), p);
    }

    /// @notice Key paths: address, word, address ‖ slot (52 bytes).
    function testFuzz_paths(address a, bytes32 slot) public view {
        vm.assertEq(h.smtPathOfAddress(a), keccak256(abi.encodePacked(a)));
        vm.assertEq(h.smtPathOfWord(slot), keccak256(abi.encodePacked(slot)));
        vm.assertEq(h.smtPathOfAddressSlot(a, slot), keccak256(abi.encodePacked(a, slot)));
    }
}
