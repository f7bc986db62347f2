// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {WordTree} from "../../../contracts/prover/lib/WordTree.sol";

/// @notice WordTree against `commitment.json` (zero trees, word trees with leaf and range
///         proofs, memory growth, Merkle builder) and `prover.json` (leaf writes, growth),
///         plus fuzzing against a reference tree built in this test.
contract WordTreeTest is ProverTestBase {
    // ------------------------------------------------------------------ reference

    /// @dev All levels of the word tree over `leaves`, padded to 2^depth, bottom first.
    function _levels(bytes32[] memory leaves) internal pure returns (bytes32[][] memory levels) {
        uint256 depth = leaves.length <= 1 ? 0 : _bitLength(leaves.length - 1);
        levels = new bytes32[][](depth + 1);
        bytes32[] memory level = new bytes32[](1 << depth);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
        levels[0] = level;
        for (uint256 k = 1; k <= depth; ++k) {
            bytes32[] memory up = new bytes32[](level.length / 2);
            for (uint256 i; i < up.length; ++i) {
                up[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
            levels[k] = up;
            level = up;
        }
    }

    function _bitLength(uint256 x) internal pure returns (uint256 n) {
        while (x != 0) {
            ++n;
            x >>= 1;
        }
    }

    function _refRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return 0;
        bytes32[][] memory levels = _levels(leaves);
        return levels[levels.length - 1][0];
    }

    function _refLeafProof(bytes32[][] memory levels, uint256 index) internal pure returns (bytes32[] memory p) {
        p = new bytes32[](levels.length - 1);
        for (uint256 k; k + 1 < levels.length; ++k) {
            p[k] = levels[k][index ^ 1];
            index >>= 1;
        }
    }

    /// @dev The range proof as `commitment.range_proof_from_levels` builds it.
    function _refRangeProof(bytes32[][] memory levels, uint256 first, uint256 count)
        internal
        pure
        returns (bytes32[] memory p)
    {
        bytes32[] memory buf = new bytes32[](2 * levels.length);
        uint256 n;
        uint256 lo = first;
        uint256 hi = first + count;
        for (uint256 k; k + 1 < levels.length; ++k) {
            if (lo & 1 == 1) {
                buf[n++] = levels[k][lo - 1];
                lo -= 1;
            }
            if (hi & 1 == 1) {
                buf[n++] = levels[k][hi];
                hi += 1;
            }
            lo >>= 1;
            hi >>= 1;
        }
        p = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            p[i] = buf[i];
        }
    }

    function _slice(bytes32[] memory a, uint256 first, uint256 count) internal pure returns (bytes32[] memory s) {
        s = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            s[i] = a[first + i];
        }
    }

    // ------------------------------------------------------------------ vectors

    function test_vectors_zeroTree() public view {
        string memory j = _vectors("commitment.json");
        bytes32[] memory z = vm.parseJsonBytes32Array(j, ".zeroTree");
        vm.assertEq(z.length, 33);
        for (uint256 k; k < z.length; ++k) {
            vm.assertEq(h.wtZeroTree(k), z[k], "ZERO_TREE[k]");
        }
    }

    /// @notice Depth, root, every leaf proof and range proof of every tree.
    function test_vectors_wordTrees() public view {
        string memory j = _vectors("commitment.json");
        uint256 trees = _count(j, ".wordTrees");
        vm.assertEq(trees, 7);
        uint256 leafProofs;
        uint256 rangeProofs;
        for (uint256 t; t < trees; ++t) {
            string memory tk = _at(".wordTrees", t);
            uint256 n = vm.parseJsonUint(j, string.concat(tk, ".leafCount"));
            bytes32[] memory leaves = vm.parseJsonBytes32Array(j, string.concat(tk, ".leaves"));
            vm.assertEq(h.wtDepthOf(n), vm.parseJsonUint(j, string.concat(tk, ".depth")), "depth");
            vm.assertEq(_refRoot(leaves), vm.parseJsonBytes32(j, string.concat(tk, ".root")), "reference root");
            leafProofs += _checkLeafProofs(j, tk, leaves);
            rangeProofs += _checkRangeProofs(j, tk, leaves);
        }
        vm.assertEq(leafProofs, 15, "leaf proofs");
        vm.assertEq(rangeProofs, 13, "range proofs");
    }

    function _checkLeafProofs(string memory j, string memory tk, bytes32[] memory leaves)
        internal
        view
        returns (uint256 np)
    {
        uint256 n = leaves.length;
        bytes32 root = vm.parseJsonBytes32(j, string.concat(tk, ".root"));
        np = _count(j, string.concat(tk, ".proofs"));
        for (uint256 i; i < np; ++i) {
            string memory pk = _at(string.concat(tk, ".proofs"), i);
            uint256 index = vm.parseJsonUint(j, string.concat(pk, ".index"));
            bytes32[] memory s = vm.parseJsonBytes32Array(j, string.concat(pk, ".siblings"));
            vm.assertTrue(h.wtVerifyLeaf(root, n, index, leaves[index], s), "leaf proof");
            vm.assertFalse(h.wtVerifyLeaf(root, n, index, leaves[index] ^ bytes32(uint256(1)), s), "other leaf");
            vm.assertFalse(h.wtVerifyLeaf(root, n, n, leaves[index], s), "index past the tree");
            vm.assertFalse(h.wtVerifyLeaf(root, 2 * n + 1, index, leaves[index], s), "size of another depth");
        }
    }

    function _checkRangeProofs(string memory j, string memory tk, bytes32[] memory leaves)
        internal
        view
        returns (uint256 nr)
    {
        bytes32 root = vm.parseJsonBytes32(j, string.concat(tk, ".root"));
        nr = _count(j, string.concat(tk, ".rangeProofs"));
        for (uint256 i; i < nr; ++i) {
            string memory rk = _at(string.concat(tk, ".rangeProofs"), i);
            uint256 first = vm.parseJsonUint(j, string.concat(rk, ".first"));
            bytes32[] memory part = _slice(leaves, first, vm.parseJsonUint(j, string.concat(rk, ".count")));
            bytes32[] memory s = vm.parseJsonBytes32Array(j, string.concat(rk, ".siblings"));
            (bool ok, bytes32 r) = h.wtRootFromRange(leaves.length, first, part, s);
            vm.assertTrue(ok, "range proof shape");
            vm.assertEq(r, root, "range proof root");
            _tamperRange(root, leaves.length, first, part, s);
        }
    }

    function _tamperRange(bytes32 root, uint256 n, uint256 first, bytes32[] memory part, bytes32[] memory s)
        internal
        view
    {
        part[0] ^= bytes32(uint256(1));
        (bool ok, bytes32 r) = h.wtRootFromRange(n, first, part, s);
        vm.assertFalse(ok && r == root, "changed leaf");
        part[0] ^= bytes32(uint256(1));
        bytes32[] memory longer = new bytes32[](s.length + 1);
        for (uint256 i; i < s.length; ++i) {
            longer[i] = s[i];
        }
        (ok,) = h.wtRootFromRange(n, first, part, longer);
        vm.assertFalse(ok, "extra proof item");
        if (s.length != 0) {
            (ok,) = h.wtRootFromRange(n, first, part, _slice(s, 0, s.length - 1));
            vm.assertFalse(ok, "missing proof item");
        }
        (ok,) = h.wtRootFromRange(n, first, new bytes32[](0), s);
        vm.assertFalse(ok, "no leaves");
    }

    function test_vectors_memoryGrowth() public view {
        string memory j = _vectors("commitment.json");
        vm.assertEq(
            h.wtRootAfterGrowth(
                vm.parseJsonBytes32(j, ".memoryGrowth.oldRoot"),
                vm.parseJsonUint(j, ".memoryGrowth.oldWords"),
                vm.parseJsonUint(j, ".memoryGrowth.newWords")
            ),
            vm.parseJsonBytes32(j, ".memoryGrowth.newRoot")
        );
        string memory pj = _vectors("prover.json");
        uint256 n = _count(pj, ".growth");
        vm.assertEq(n, 8);
        for (uint256 i; i < n; ++i) {
            string memory g = _at(".growth", i);
            vm.assertEq(
                h.wtRootAfterGrowth(
                    vm.parseJsonBytes32(pj, string.concat(g, ".oldRoot")),
                    vm.parseJsonUint(pj, string.concat(g, ".oldWords")),
                    vm.parseJsonUint(pj, string.concat(g, ".newWords"))
                ),
                vm.parseJsonBytes32(pj, string.concat(g, ".newRoot")),
                g
            );
        }
    }

    function test_vectors_leafWrites() public {
        string memory pj = _vectors("prover.json");
        uint256 n = _count(pj, ".wordTreeWrites");
        vm.assertEq(n, 15);
        for (uint256 i; i < n; ++i) {
            string memory w = _at(".wordTreeWrites", i);
            uint256 count = vm.parseJsonUint(pj, string.concat(w, ".leafCount"));
            bytes32 root = vm.parseJsonBytes32(pj, string.concat(w, ".root"));
            uint256 index = vm.parseJsonUint(pj, string.concat(w, ".index"));
            bytes32 oldLeaf = vm.parseJsonBytes32(pj, string.concat(w, ".oldLeaf"));
            bytes32 newLeaf = vm.parseJsonBytes32(pj, string.concat(w, ".newLeaf"));
            bytes32[] memory s = vm.parseJsonBytes32Array(pj, string.concat(w, ".siblings"));
            bytes32 newRoot = h.wtRootAfterLeafWrite(root, count, index, oldLeaf, newLeaf, s);
            vm.assertEq(newRoot, vm.parseJsonBytes32(pj, string.concat(w, ".newRoot")), w);
            vm.assertTrue(h.wtVerifyLeaf(newRoot, count, index, newLeaf, s), "written leaf verifies");
            vm.expectRevert(WordTree.RootMismatch.selector);
            h.wtRootAfterLeafWrite(root, count, index, newLeaf, oldLeaf, s);
            vm.expectRevert(WordTree.MalformedLeafProof.selector);
            h.wtRootAfterLeafWrite(root, count, count, oldLeaf, newLeaf, s);
        }
    }

    /// @notice Appending the vector's leaves one by one gives Python's commitment after
    ///         each append and its final root.
    function test_vectors_merkleBuilder() public view {
        string memory j = _vectors("commitment.json");
        bytes32[] memory leaves = vm.parseJsonBytes32Array(j, ".merkleBuilder.leaves");
        bytes32[] memory commitments = vm.parseJsonBytes32Array(j, ".merkleBuilder.commitmentsAfterEachAppend");
        bytes32[] memory frontier = new bytes32[](0);
        for (uint256 i; i < leaves.length; ++i) {
            frontier = h.wtBuilderAppend(i, frontier, leaves[i]);
            vm.assertEq(h.wtBuilderCommitment(i + 1, frontier), commitments[i], "commitment after append");
        }
        bytes32 root = h.wtBuilderRoot(leaves.length, frontier);
        vm.assertEq(root, vm.parseJsonBytes32(j, ".merkleBuilder.root"), "builder root");
        vm.assertEq(root, _refRoot(leaves), "builder root = word tree root");
    }

    // ------------------------------------------------------------------ fuzz

    function _randomLeaves(uint256 seed, uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = keccak256(abi.encode(seed, i));
        }
    }

    /// @notice A leaf write through its proof equals rebuilding the tree; the new leaf
    ///         then verifies with the same siblings.
    function testFuzz_leafWrite(uint256 seed, uint256 nSeed, uint256 indexSeed, bytes32 newLeaf) public view {
        uint256 n = bound(nSeed, 1, 70);
        uint256 index = bound(indexSeed, 0, n - 1);
        bytes32[] memory leaves = _randomLeaves(seed, n);
        bytes32[][] memory levels = _levels(leaves);
        bytes32 root = levels[levels.length - 1][0];
        bytes32[] memory s = _refLeafProof(levels, index);
        vm.assertTrue(h.wtVerifyLeaf(root, n, index, leaves[index], s));
        bytes32 newRoot = h.wtRootAfterLeafWrite(root, n, index, leaves[index], newLeaf, s);
        leaves[index] = newLeaf;
        vm.assertEq(newRoot, _refRoot(leaves), "rebuilt root");
        vm.assertTrue(h.wtVerifyLeaf(newRoot, n, index, newLeaf, s));
    }

    /// @notice Any contiguous range proves against the root; the wrong offset does not.
    function testFuzz_rangeProof(uint256 seed, uint256 nSeed, uint256 firstSeed, uint256 countSeed) public view {
        uint256 n = bound(nSeed, 1, 70);
        uint256 first = bound(firstSeed, 0, n - 1);
        uint256 count = bound(countSeed, 1, n - first);
        bytes32[] memory leaves = _randomLeaves(seed, n);
        bytes32[][] memory levels = _levels(leaves);
        bytes32[] memory p = _refRangeProof(levels, first, count);
        vm.assertLe(p.length, 2 * (levels.length - 1), "at most 2 depth items");
        (bool ok, bytes32 r) = h.wtRootFromRange(n, first, _slice(leaves, first, count), p);
        vm.assertTrue(ok);
        vm.assertEq(r, levels[levels.length - 1][0]);
        if (first + count < n) {
            (ok, r) = h.wtRootFromRange(n, first + 1, _slice(leaves, first, count), p);
            vm.assertFalse(ok && r == levels[levels.length - 1][0], "shifted range");
        }
    }

    /// @notice Growth equals rebuilding with zero leaves appended.
    function testFuzz_growth(uint256 seed, uint256 oldSeed, uint256 newSeed) public view {
        uint256 oldN = bound(oldSeed, 0, 40);
        uint256 newN = bound(newSeed, oldN, 130);
        bytes32[] memory leaves = _randomLeaves(seed, newN);
        for (uint256 i = oldN; i < newN; ++i) {
            leaves[i] = 0;
        }
        vm.assertEq(h.wtRootAfterGrowth(_refRoot(_slice(leaves, 0, oldN)), oldN, newN), _refRoot(leaves));
    }

    /// @notice The builder's root equals the word tree's for any leaf count.
    function testFuzz_builder(uint256 seed, uint256 nSeed) public view {
        uint256 n = bound(nSeed, 0, 40);
        bytes32[] memory leaves = _randomLeaves(seed, n);
        bytes32[] memory frontier = new bytes32[](0);
        for (uint256 i; i < n; ++i) {
            frontier = h.wtBuilderAppend(i, frontier, leaves[i]);
        }
        vm.assertEq(h.wtBuilderRoot(n, frontier), _refRoot(leaves));
    }
}
