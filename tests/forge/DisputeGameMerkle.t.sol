// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {TxRootsMerkle} from "../../contracts/dispute/lib/TxRootsMerkle.sol";

/// @notice External entry points over TxRootsMerkle (calldata proofs need an external call).
contract TxRootsMerkleHarness {
    function verify(bytes32 commitment, uint256 count, uint256 index, bytes32 root, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return TxRootsMerkle.verify(commitment, count, index, root, proof);
    }

    function commit(bytes32[] memory roots) external pure returns (bytes32) {
        return TxRootsMerkle.commit(roots);
    }

    function depth(uint256 count) external pure returns (uint256) {
        return TxRootsMerkle.depth(count);
    }

    function leafHash(bytes32 root) external pure returns (bytes32) {
        return TxRootsMerkle.leafHash(root);
    }

    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return TxRootsMerkle.nodeHash(left, right);
    }
}

/// @notice TxRootsMerkle against the golden vectors shared with agents/dispute/merkle.py
///         (tests/vectors/dispute_merkle.json), plus tamper and fuzz checks.
contract DisputeGameMerkleTest is TestBase {
    TxRootsMerkleHarness internal merkle;
    string internal json;

    function setUp() public {
        merkle = new TxRootsMerkleHarness();
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/dispute_merkle.json"));
    }

    function test_vectors_hashPrimitives() public view {
        bytes32 a = bytes32(0x1111111111111111111111111111111111111111111111111111111111111111);
        bytes32 b = bytes32(0x2222222222222222222222222222222222222222222222222222222222222222);
        vm.assertEq(merkle.leafHash(a), vm.parseJsonBytes32(json, ".leafHashOf0x11"));
        vm.assertEq(merkle.nodeHash(a, b), vm.parseJsonBytes32(json, ".nodeHashOf0x11And0x22"));
    }

    function test_vectors_rootsAndProofs() public view {
        uint256 count = vm.parseJsonUint(json, ".count");
        vm.assertGt(count, 5);
        for (uint256 v; v < count; ++v) {
            string memory p = string.concat(".vectors[", vm.toString(v), "]");
            uint256 leafCount = vm.parseJsonUint(json, string.concat(p, ".count"));
            bytes32[] memory leaves = vm.parseJsonBytes32Array(json, string.concat(p, ".leaves"));
            bytes32 root = vm.parseJsonBytes32(json, string.concat(p, ".root"));
            vm.assertEq(leaves.length, leafCount);
            vm.assertEq(merkle.depth(leafCount), vm.parseJsonUint(json, string.concat(p, ".depth")));
            vm.assertEq(merkle.commit(leaves), root, "root");
            for (uint256 k; k < 3; ++k) {
                string memory q = string.concat(p, ".proofs[", vm.toString(k), "]");
                // Vectors have up to three proofs; stop at the first missing one.
                if (k > 0 && leafCount < 2 + k) break;
                uint256 index = vm.parseJsonUint(json, string.concat(q, ".index"));
                bytes32 leaf = vm.parseJsonBytes32(json, string.concat(q, ".leaf"));
                bytes32[] memory siblings = _siblings(q);
                vm.assertTrue(merkle.verify(root, leafCount, index, leaf, siblings), "proof verifies");
                vm.assertFalse(merkle.verify(root, leafCount, index, bytes32(uint256(leaf) ^ 1), siblings));
                if (siblings.length > 0) {
                    siblings[0] = bytes32(uint256(siblings[0]) ^ 1);
                    vm.assertFalse(merkle.verify(root, leafCount, index, leaf, siblings), "tampered sibling");
                }
            }
        }
    }

    function _siblings(string memory q) internal view returns (bytes32[] memory) {
        bytes memory raw = vm.parseJson(json, string.concat(q, ".siblings"));
        // An empty JSON array decodes to empty bytes.
        if (raw.length == 0) return new bytes32[](0);
        return vm.parseJsonBytes32Array(json, string.concat(q, ".siblings"));
    }

    function test_verify_rejectsBadShapes() public view {
        bytes32[] memory roots = new bytes32[](3);
        roots[0] = keccak256("a");
        roots[1] = keccak256("b");
        roots[2] = keccak256("c");
        bytes32 root = merkle.commit(roots);
        bytes32[] memory empty;
        vm.assertFalse(merkle.verify(root, 0, 0, roots[0], empty), "zero count");
        vm.assertFalse(merkle.verify(root, 3, 3, roots[0], empty), "index out of range");
        vm.assertFalse(merkle.verify(root, 3, 0, roots[0], empty), "short proof");
        // The padding leaf (index 3) cannot be opened even with a right-looking proof.
        vm.assertFalse(merkle.verify(root, 3, 3, bytes32(0), new bytes32[](2)));
    }

    function test_commit_revertsOnNoLeaves() public {
        vm.expectRevert(abi.encodeWithSelector(TxRootsMerkle.InvalidLeafCount.selector, 0));
        merkle.commit(new bytes32[](0));
    }

    function testFuzz_everyLeafOpens(uint256 count, uint256 index, uint256 salt) public view {
        count = bound(count, 1, 70);
        index = bound(index, 0, count - 1);
        bytes32[] memory roots = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            roots[i] = keccak256(abi.encode(salt, i));
        }
        bytes32 root = merkle.commit(roots);
        bytes32[] memory proof = _proof(roots, index);
        vm.assertTrue(merkle.verify(root, count, index, roots[index], proof));
        if (count > 1) {
            uint256 other = (index + 1) % count;
            vm.assertFalse(merkle.verify(root, count, other, roots[index], proof));
        }
    }

    function _proof(bytes32[] memory roots, uint256 index) internal view returns (bytes32[] memory siblings) {
        uint256 depth = merkle.depth(roots.length);
        uint256 width = uint256(1) << depth;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < roots.length; ++i) {
            layer[i] = merkle.leafHash(roots[i]);
        }
        siblings = new bytes32[](depth);
        for (uint256 level; level < depth; ++level) {
            siblings[level] = layer[index ^ 1];
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = merkle.nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
            index >>= 1;
        }
    }
}
