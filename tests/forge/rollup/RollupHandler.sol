// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {Tier, PackHeader, Pack} from "../../../contracts/interfaces/IRollup.sol";
import {TxRootsMerkle} from "../../../contracts/dispute/lib/TxRootsMerkle.sol";
import {DisputeOutcomesMock} from "./RollupMocks.sol";

/// @title RollupHandler
/// @notice Drives a Rollup (with a dispute-outcome mock) through random posts, votes,
///         time warps, games opening and closing, finalizations and invalidations, and
///         keeps a reference model of the valid chain and the tiers to compare against.
contract RollupHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    Rollup public immutable rollup;
    DisputeOutcomesMock public immutable outcomes;
    address[] internal verifiers;

    // -- reference model ---------------------------------------------------------
    /// @notice Valid chain by height (index 0 = genesis).
    uint256[] public chain;
    uint256 public modelFinalized;
    mapping(uint256 => uint256) public modelAffirmations;
    mapping(uint256 => bool) public modelInvalid;
    mapping(uint256 => uint256) public modelDeadline;
    mapping(uint256 => bool) public everFinal;
    uint256 public posts;
    uint256 public finalizations;
    uint256 public invalidations;
    uint256 public invalidated;

    constructor(Rollup rollup_, DisputeOutcomesMock outcomes_, address[] memory verifiers_) {
        rollup = rollup_;
        outcomes = outcomes_;
        verifiers = verifiers_;
        chain.push(0);
        everFinal[0] = true;
    }

    function chainLength() external view returns (uint256) {
        return chain.length;
    }

    // -- actions -------------------------------------------------------------------

    function post(uint256 poster, uint256 txCount, uint256 blocks, uint256 salt) external {
        txCount = txCount % 9; // 0 .. 8, 0 = empty pack
        blocks = 1 + blocks % 3;
        uint256 headId = chain[chain.length - 1];
        Pack memory parent = rollup.getPack(headId);
        PackHeader memory header;
        header.parentId = uint64(headId);
        header.firstBlock = parent.lastBlock + 1;
        header.lastBlock = uint64(parent.lastBlock + blocks);
        header.txCount = uint64(txCount);
        bytes32[] memory proof;
        if (txCount == 0) {
            header.stateRoot = parent.stateRoot;
        } else {
            bytes32[] memory roots = new bytes32[](txCount);
            for (uint256 i; i < txCount; ++i) {
                roots[i] = keccak256(abi.encode(salt, posts, i));
            }
            header.txRootsCommitment = TxRootsMerkle.commit(roots);
            header.stateRoot = roots[txCount - 1];
            proof = _lastLeafProof(roots);
        }
        if (headId != 0 && outcomes.defeated(bytes32(headId))) {
            // A defeated head must be invalidated before the chain grows.
            vm.expectRevert(abi.encodeWithSelector(Rollup.ParentDefeated.selector, headId));
            vm.prank(verifiers[poster % verifiers.length]);
            rollup.postPack(header, proof, abi.encode(salt));
            return;
        }
        vm.prank(verifiers[poster % verifiers.length]);
        uint256 id = rollup.postPack(header, proof, abi.encode(salt));
        posts += 1;
        chain.push(id);
        modelDeadline[id] = block.timestamp + rollup.CHALLENGE_WINDOW();
    }

    function affirm(uint256 packSeed, uint256 verifierSeed) external {
        (uint256 id, bool ok) = _pendingPack(packSeed);
        if (!ok) return;
        address who = verifiers[verifierSeed % verifiers.length];
        if (who == rollup.getPack(id).poster || uint256(rollup.voteOf(id, who)) != 0) return;
        vm.prank(who);
        rollup.affirm(id);
        modelAffirmations[id] += 1;
    }

    function reject(uint256 packSeed, uint256 verifierSeed) external {
        (uint256 id, bool ok) = _pendingPack(packSeed);
        if (!ok) return;
        address who = verifiers[verifierSeed % verifiers.length];
        if (who == rollup.getPack(id).poster || uint256(rollup.voteOf(id, who)) != 0) return;
        vm.prank(who);
        rollup.reject(id);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % (2 * uint256(rollup.CHALLENGE_WINDOW())));
    }

    function openGame(uint256 packSeed) external {
        (uint256 id, bool ok) = _pendingPack(packSeed);
        if (!ok || block.timestamp >= modelDeadline[id]) return; // games open only in the window
        outcomes.setOpen(bytes32(id), true);
    }

    /// @notice Close the game against a pending pack; `defenderWins` decides the outcome.
    function closeGame(uint256 packSeed, bool defenderWins) external {
        (uint256 id, bool ok) = _pendingPack(packSeed);
        if (!ok || !outcomes.open(bytes32(id))) return;
        outcomes.setOpen(bytes32(id), false);
        if (!defenderWins) outcomes.setDefeated(bytes32(id), true);
    }

    function finalizeNext() external {
        if (modelFinalized + 1 >= chain.length) return;
        uint256 id = chain[modelFinalized + 1];
        bool expected =
            block.timestamp >= modelDeadline[id] && !outcomes.open(bytes32(id)) && !outcomes.defeated(bytes32(id));
        vm.assertTrue(rollup.canFinalize(id) == expected, "canFinalize matches the model");
        if (!expected) return;
        rollup.finalize(id);
        modelFinalized += 1;
        everFinal[id] = true;
        finalizations += 1;
    }

    function invalidateDefeated(uint256 packSeed) external {
        (uint256 id, bool ok) = _pendingPack(packSeed);
        if (!ok || !outcomes.defeated(bytes32(id))) return;
        uint256 height = rollup.getPack(id).height;
        rollup.invalidate(id);
        invalidations += 1;
        while (chain.length > height) {
            modelInvalid[chain[chain.length - 1]] = true;
            chain.pop();
            invalidated += 1;
        }
    }

    // -- model checks ---------------------------------------------------------------

    /// @notice The contract agrees with the model on the head, the finalized pack and
    ///         the tier of every pack.
    function checkModel() external view {
        vm.assertEq(rollup.head(), chain[chain.length - 1], "head");
        vm.assertEq(uint256(rollup.headHeight()), chain.length - 1, "head height");
        vm.assertEq(rollup.lastFinalized(), chain[modelFinalized], "last finalized");
        uint256 count = rollup.packCount();
        uint256 quorum = rollup.AFFIRMATION_QUORUM();
        for (uint256 id; id <= count; ++id) {
            Tier tier = rollup.tierOf(id);
            Tier expected;
            if (modelInvalid[id]) expected = Tier.Invalid;
            else if (rollup.getPack(id).height <= modelFinalized) expected = Tier.RollupFinal;
            else if (modelAffirmations[id] >= quorum) expected = Tier.VerificationFinal;
            else expected = Tier.Posted;
            vm.assertEq(uint256(tier), uint256(expected), "tier matches the model");
        }
    }

    // -- internals ------------------------------------------------------------------

    /// @dev A valid, not yet final pack picked by `seed` (ok = false when none).
    function _pendingPack(uint256 seed) internal view returns (uint256 id, bool ok) {
        uint256 pending = chain.length - 1 - modelFinalized;
        if (pending == 0) return (0, false);
        return (chain[modelFinalized + 1 + seed % pending], true);
    }

    function _lastLeafProof(bytes32[] memory leaves) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = TxRootsMerkle.depth(leaves.length);
        uint256 width = uint256(1) << depth;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) {
            layer[i] = TxRootsMerkle.leafHash(leaves[i]);
        }
        siblings = new bytes32[](depth);
        uint256 index = leaves.length - 1;
        for (uint256 level; level < depth; ++level) {
            siblings[level] = layer[index ^ 1];
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = TxRootsMerkle.nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
            index >>= 1;
        }
    }
}
