// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupBase} from "./rollup/RollupBase.sol";
import {DisputeOutcomesMock} from "./rollup/RollupMocks.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {ExecutionLayerRegistry} from "../../contracts/ExecutionLayerRegistry.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {
    Tier,
    DaKind,
    Vote,
    PackHeader,
    Pack,
    PackInfo,
    IDisputeOutcomes,
    IRollupDirectory,
    RollupConfig
} from "../../contracts/interfaces/IRollup.sol";
import {DisputedClaim} from "../../contracts/dispute/IDisputeClaims.sol";
import {TxRootsMerkle} from "../../contracts/dispute/lib/TxRootsMerkle.sol";

/// @notice Unit tests of the Rollup: every error and every transition.
contract RollupTest is RollupBase {
    // =========================================================================
    // constructor
    // =========================================================================

    function test_constructor_setsImmutablesAndGenesis() public view {
        vm.assertEq(address(rollup.EXECUTION_LAYER_REGISTRY()), address(directory));
        vm.assertEq(rollup.ROLLUP_ID(), ROLLUP_ID);
        vm.assertEq(rollup.L2_CHAIN_ID(), CHAIN_ID);
        vm.assertEq(address(rollup.SEQUENCER_REGISTRY()), address(registry));
        vm.assertEq(address(rollup.DISPUTE_GAME()), address(outcomes));
        vm.assertEq(uint256(rollup.CHALLENGE_WINDOW()), WINDOW);
        vm.assertEq(uint256(rollup.AFFIRMATION_QUORUM()), QUORUM);
        vm.assertFalse(rollup.FINALITY_REQUIRES_QUORUM());
        vm.assertEq(rollup.STAKE_TOKEN(), ETH);
        vm.assertEq(rollup.MIN_VERIFIER_STAKE(), MIN_STAKE);
        vm.assertEq(rollup.GENESIS_STATE_ROOT(), GENESIS);
        vm.assertEq(rollup.head(), 0);
        vm.assertEq(rollup.lastFinalized(), 0);
        vm.assertEq(uint256(rollup.packCount()), 0);
        vm.assertEq(rollup.stateRootAt(0), GENESIS);
        _assertTier(0, Tier.RollupFinal, "genesis is final");
        (Tier tier, uint256 packId) = rollup.tierOfBlock(0);
        vm.assertEq(uint256(tier), uint256(Tier.RollupFinal));
        vm.assertEq(packId, 0);
        vm.assertEq(rollup.packAtHeight(0), 0);
    }

    function _expectDeployRevert(RollupConfig memory config, bytes memory err) internal {
        vm.expectRevert(err);
        new Rollup(config);
    }

    function test_constructor_rejectsZeroAddresses() public {
        RollupConfig memory c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.executionLayerRegistry = IRollupDirectory(address(0));
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroAddress.selector));
        c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.sequencerRegistry = ISequencerRegistry(address(0));
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroAddress.selector));
        c = _config(IDisputeOutcomes(address(0)), QUORUM, false);
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroAddress.selector));
    }

    function test_constructor_rejectsBadConfiguration() public {
        RollupConfig memory c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.challengeWindow = 0;
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroChallengeWindow.selector));
        c.challengeWindow = 365 days + 1;
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ChallengeWindowTooLong.selector, 365 days + 1));
        c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.minVerifierStake = 0;
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroMinVerifierStake.selector));
        c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.genesisStateRoot = bytes32(0);
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.ZeroGenesisStateRoot.selector));
        c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        c.rollupId = 99;
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.UnknownRollup.selector, 99));
    }

    function test_constructor_rejectsGameOfAnotherClaimSource() public {
        // `outcomes` names the already deployed `rollup` as its claim source.
        RollupConfig memory c = _config(IDisputeOutcomes(address(outcomes)), QUORUM, false);
        _expectDeployRevert(c, abi.encodeWithSelector(Rollup.DisputeGameMismatch.selector, address(rollup)));
    }

    // =========================================================================
    // posting
    // =========================================================================

    function test_postPack_calldata_storesPackAndMovesHead() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(5, 3, 1);
        bytes memory data = _data(1);
        uint64 deadline = uint64(block.timestamp) + WINDOW;
        vm.expectEmit(address(rollup));
        emit Rollup.PackPosted(1, 0, v1, header, DaKind.Calldata, keccak256(data), deadline);
        vm.prank(v1);
        uint256 id = rollup.postPack(header, proof, data);

        vm.assertEq(id, 1);
        vm.assertEq(rollup.head(), 1);
        vm.assertEq(uint256(rollup.packCount()), 1);
        vm.assertEq(uint256(rollup.headHeight()), 1);
        Pack memory p = rollup.getPack(1);
        vm.assertEq(uint256(p.parentId), 0);
        vm.assertEq(uint256(p.height), 1);
        vm.assertEq(uint256(p.firstBlock), 1);
        vm.assertEq(uint256(p.lastBlock), 3);
        vm.assertEq(uint256(p.txCount), 5);
        vm.assertEq(uint256(p.postedAt), block.timestamp);
        vm.assertEq(uint256(p.challengeDeadline), deadline);
        vm.assertEq(p.poster, v1);
        vm.assertEq(uint256(p.daKind), uint256(DaKind.Calldata));
        vm.assertEq(p.stateRoot, header.stateRoot);
        vm.assertEq(p.txRootsCommitment, header.txRootsCommitment);
        vm.assertEq(p.daCommitment, keccak256(data));
        _assertTier(1, Tier.Posted, "posted");
        vm.assertTrue(rollup.isValid(1));
    }

    function test_postPackWithBlobs_commitsToVersionedHashes() public {
        bytes32[] memory hashes = new bytes32[](3);
        hashes[0] = bytes32(uint256(0x01) << 248 | 1);
        hashes[1] = bytes32(uint256(0x01) << 248 | 2);
        hashes[2] = bytes32(uint256(0x01) << 248 | 3);
        vmr.blobhashes(hashes);
        (PackHeader memory header, bytes32[] memory proof) = _header(4, 1, 2);
        bytes32 commitment = keccak256(abi.encodePacked(hashes));
        vm.expectEmit(address(rollup));
        emit Rollup.PackPosted(1, 0, v2, header, DaKind.Blobs, commitment, uint64(block.timestamp) + WINDOW);
        vm.expectEmit(address(rollup));
        emit Rollup.PackBlobsReferenced(1, hashes);
        vm.prank(v2);
        uint256 id = rollup.postPackWithBlobs(header, proof);
        Pack memory p = rollup.getPack(id);
        vm.assertEq(uint256(p.daKind), uint256(DaKind.Blobs));
        vm.assertEq(p.daCommitment, commitment);
        vm.assertEq(
            rollup.traceContextOf(id),
            keccak256(abi.encode(CHAIN_ID, uint64(1), uint64(1), DaKind.Blobs, commitment)),
            "trace context binds the blobs"
        );
    }

    function test_postPackWithBlobs_revertsWithoutBlobs() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(4, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NoBlobs.selector));
        vm.prank(v2);
        rollup.postPackWithBlobs(header, proof);
    }

    function test_postPack_revertsWithoutData() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(4, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.EmptyData.selector));
        vm.prank(v1);
        rollup.postPack(header, proof, "");
    }

    function test_postPack_chainExtendsHead() public {
        uint256 a = _post(v1, 3, 1);
        uint256 b = _post(v2, 1, 2);
        uint256 c = _post(v1, 8, 3);
        vm.assertEq(rollup.head(), c);
        vm.assertEq(uint256(rollup.getPack(b).parentId), a);
        vm.assertEq(uint256(rollup.getPack(c).parentId), b);
        vm.assertEq(uint256(rollup.getPack(c).height), 3);
        vm.assertEq(uint256(rollup.getPack(c).firstBlock), 5);
        vm.assertEq(rollup.packAtHeight(2), b);
        DisputedClaim memory claim = rollup.disputedClaim(bytes32(c));
        vm.assertEq(claim.preStateRoot, rollup.stateRootAt(b), "pre-state is the parent's root");
    }

    function test_postPack_revertsWhenParentIsNotHead() public {
        _post(v1, 3, 1);
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        header.parentId = 0;
        vm.expectRevert(abi.encodeWithSelector(Rollup.ParentNotHead.selector, 0, 1));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
        header.parentId = 5;
        vm.expectRevert(abi.encodeWithSelector(Rollup.ParentNotHead.selector, 5, 1));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsOnNonContiguousBlocks() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        header.firstBlock = 2;
        header.lastBlock = 3;
        vm.expectRevert(abi.encodeWithSelector(Rollup.NonContiguousBlocks.selector, 1, 2));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
        header.firstBlock = 0;
        vm.expectRevert(abi.encodeWithSelector(Rollup.NonContiguousBlocks.selector, 1, 0));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsOnEmptyBlockRange() public {
        _post(v1, 1, 1); // blocks 1..2
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        header.lastBlock = 2;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidBlockRange.selector, 3, 2));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsOnTooManyTransactions() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        header.txCount = uint64(TxRootsMerkle.MAX_LEAVES + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.TooManyTransactions.selector, TxRootsMerkle.MAX_LEAVES + 1));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsOnZeroRoots() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        PackHeader memory bad = header;
        bad.stateRoot = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ZeroRoot.selector));
        vm.prank(v1);
        rollup.postPack(bad, proof, _data(2));
        (header, proof) = _header(2, 1, 2);
        header.txRootsCommitment = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ZeroRoot.selector));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsWhenStateRootIsNotLastLeaf() public {
        bytes32[] memory roots = _roots(6, 9);
        (PackHeader memory header,) = _header(6, 1, 9);
        // The proof of another leaf.
        bytes32[] memory proof = _proof(roots, 4);
        header.stateRoot = roots[4];
        vm.expectRevert(abi.encodeWithSelector(Rollup.StateRootNotLastLeaf.selector, roots[4]));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(9));
        // A made-up final root with the right proof.
        proof = _proof(roots, 5);
        header.stateRoot = keccak256("made up");
        vm.expectRevert(abi.encodeWithSelector(Rollup.StateRootNotLastLeaf.selector, header.stateRoot));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(9));
        // A truncated proof.
        header.stateRoot = roots[5];
        bytes32[] memory short = new bytes32[](2);
        short[0] = proof[0];
        short[1] = proof[1];
        vm.expectRevert(abi.encodeWithSelector(Rollup.StateRootNotLastLeaf.selector, roots[5]));
        vm.prank(v1);
        rollup.postPack(header, short, _data(9));
        // A count that does not match the commitment.
        header.txCount = 5;
        vm.expectRevert(abi.encodeWithSelector(Rollup.StateRootNotLastLeaf.selector, roots[5]));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(9));
    }

    function test_postPack_singleTransactionNeedsNoProof() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(1, 1, 4);
        vm.assertEq(proof.length, 0);
        vm.prank(v1);
        rollup.postPack(header, proof, _data(4));
        vm.assertEq(rollup.stateRootAt(1), header.stateRoot);
    }

    function test_postPack_emptyPackKeepsState() public {
        _post(v1, 2, 1);
        bytes32 root = rollup.stateRootAt(1);
        (PackHeader memory header, bytes32[] memory proof) = _header(0, 5, 0);
        vm.prank(v2);
        uint256 id = rollup.postPack(header, proof, "");
        vm.assertEq(rollup.stateRootAt(id), root);
        vm.assertEq(uint256(rollup.getPack(id).lastBlock), 7);
        DisputedClaim memory claim = rollup.disputedClaim(bytes32(id));
        vm.assertEq(uint256(claim.txCount), 0, "empty packs are not disputable");
    }

    function test_postPack_revertsOnInvalidEmptyPack() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(0, 1, 0);
        header.stateRoot = keccak256("changed");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidEmptyPack.selector));
        vm.prank(v1);
        rollup.postPack(header, proof, "");
        (header, proof) = _header(0, 1, 0);
        header.txRootsCommitment = keccak256("roots");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidEmptyPack.selector));
        vm.prank(v1);
        rollup.postPack(header, proof, "");
        (header,) = _header(0, 1, 0);
        proof = new bytes32[](1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidEmptyPack.selector));
        vm.prank(v1);
        rollup.postPack(header, proof, "");
    }

    function test_postPack_revertsForIneligibleVerifiers() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, stranger, 0, MIN_STAKE));
        vm.prank(stranger);
        rollup.postPack(header, proof, _data(2));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, poor, MIN_STAKE - 1, MIN_STAKE));
        vm.prank(poor);
        rollup.postPack(header, proof, _data(2));
        // Unbonding stake does not count.
        uint256 shares = registry.sharesOf(v4, ETH, v4);
        vm.prank(v4);
        registry.requestWithdrawal(v4, ETH, shares / 2);
        uint256 left = registry.activeStake(v4, ETH);
        vm.assertLt(left, MIN_STAKE);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, v4, left, MIN_STAKE));
        vm.prank(v4);
        rollup.postPack(header, proof, _data(2));
        // A deregistered operator is not active.
        vm.prank(v4);
        registry.requestWithdrawal(v4, ETH, shares - shares / 2);
        vm.prank(v4);
        registry.deregister();
        vm.assertFalse(registry.isActiveOperator(v4));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, v4, 0, MIN_STAKE));
        vm.prank(v4);
        rollup.postPack(header, proof, _data(2));
        vm.assertFalse(rollup.isEligibleVerifier(v4));
        vm.assertFalse(rollup.isEligibleVerifier(poor));
        vm.assertTrue(rollup.isEligibleVerifier(v3));
    }

    function test_postPack_requiresLiveRollup() public {
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        ExecutionLayerRegistry.Status[3] memory dead = [
            ExecutionLayerRegistry.Status.Requested,
            ExecutionLayerRegistry.Status.Settled,
            ExecutionLayerRegistry.Status.None
        ];
        for (uint256 i; i < dead.length; ++i) {
            directory.set(ROLLUP_ID, dead[i], CHAIN_ID);
            vm.expectRevert(abi.encodeWithSelector(Rollup.RollupNotLive.selector, ROLLUP_ID, dead[i]));
            vm.prank(v1);
            rollup.postPack(header, proof, _data(2));
        }
        // An ending (flash) rollup still settles its last packs.
        directory.set(ROLLUP_ID, ExecutionLayerRegistry.Status.Ending, CHAIN_ID);
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
    }

    function test_postPack_revertsOnDefeatedHead() public {
        _post(v1, 2, 1);
        outcomes.setDefeated(bytes32(uint256(1)), true);
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ParentDefeated.selector, 1));
        vm.prank(v2);
        rollup.postPack(header, proof, _data(2));
    }

    // =========================================================================
    // affirm / reject
    // =========================================================================

    function test_affirm_quorumMakesTier2() public {
        uint256 id = _post(v1, 3, 1);
        vm.expectEmit(address(rollup));
        emit Rollup.PackAffirmed(id, v2, 1);
        _affirm(id, v2);
        _assertTier(id, Tier.Posted, "one affirmation is not a quorum");
        vm.expectEmit(address(rollup));
        emit Rollup.PackAffirmed(id, v3, 2);
        vm.expectEmit(address(rollup));
        emit Rollup.PackVerified(id, 2);
        _affirm(id, v3);
        _assertTier(id, Tier.VerificationFinal, "quorum");
        // More affirmations are welcome and keep the tier.
        _affirm(id, v4);
        (uint256 affirmations, uint256 rejections) = rollup.votesOf(id);
        vm.assertEq(affirmations, 3);
        vm.assertEq(rejections, 0);
        vm.assertEq(uint256(rollup.voteOf(id, v2)), uint256(Vote.Affirmed));
        vm.assertEq(uint256(rollup.voteOf(id, v1)), uint256(Vote.None));
        _assertTier(id, Tier.VerificationFinal, "still tier 2");
    }

    function test_reject_isASignalOnly() public {
        uint256 id = _post(v1, 3, 1);
        vm.expectEmit(address(rollup));
        emit Rollup.PackRejected(id, v2, 1);
        vm.prank(v2);
        rollup.reject(id);
        vm.prank(v3);
        rollup.reject(id);
        (uint256 affirmations, uint256 rejections) = rollup.votesOf(id);
        vm.assertEq(affirmations, 0);
        vm.assertEq(rejections, 2);
        vm.assertEq(uint256(rollup.voteOf(id, v3)), uint256(Vote.Rejected));
        _assertTier(id, Tier.Posted, "rejections change no tier");
        _affirm(id, v4);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "rejected pack finalizes without a dispute");
    }

    function test_vote_revertsForPoster() public {
        uint256 id = _post(v1, 3, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PosterCannotVote.selector, id));
        _affirm(id, v1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PosterCannotVote.selector, id));
        vm.prank(v1);
        rollup.reject(id);
    }

    function test_vote_onceEach() public {
        uint256 id = _post(v1, 3, 1);
        _affirm(id, v2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyVoted.selector, id, v2, Vote.Affirmed));
        _affirm(id, v2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyVoted.selector, id, v2, Vote.Affirmed));
        vm.prank(v2);
        rollup.reject(id);
        vm.prank(v3);
        rollup.reject(id);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyVoted.selector, id, v3, Vote.Rejected));
        _affirm(id, v3);
    }

    function test_vote_revertsForIneligible() public {
        uint256 id = _post(v1, 3, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, stranger, 0, MIN_STAKE));
        _affirm(id, stranger);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotEligibleVerifier.selector, poor, MIN_STAKE - 1, MIN_STAKE));
        vm.prank(poor);
        rollup.reject(id);
    }

    function test_vote_revertsOnUnknownInvalidOrFinalPacks() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 1));
        _affirm(1, v2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, 0));
        _affirm(0, v2);
        uint256 a = _post(v1, 3, 1);
        uint256 b = _post(v1, 3, 2);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(a);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, a));
        _affirm(a, v2);
        outcomes.setDefeated(bytes32(b), true);
        rollup.invalidate(b);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackInvalid.selector, b));
        vm.prank(v2);
        rollup.reject(b);
    }

    function test_quorumZero_everyPackIsTier2AtOnce() public {
        rollup = _deploy(0, false);
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 2);
        vm.expectEmit(address(rollup));
        emit Rollup.PackVerified(1, 0);
        vm.prank(v1);
        rollup.postPack(header, proof, _data(2));
        _assertTier(1, Tier.VerificationFinal, "quorum 0");
    }

    // =========================================================================
    // finalization (tier 3)
    // =========================================================================

    function test_finalize_afterWindow() public {
        uint256 id = _post(v1, 3, 1);
        uint256 deadline = block.timestamp + WINDOW;
        vm.warp(deadline - 1);
        vm.assertFalse(rollup.canFinalize(id));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeWindowOpen.selector, id, deadline));
        rollup.finalize(id);
        vm.warp(deadline);
        vm.assertTrue(rollup.canFinalize(id));
        Pack memory p = rollup.getPack(id);
        vm.expectEmit(address(rollup));
        emit Rollup.PackFinalized(id, p.stateRoot, p.lastBlock);
        vm.prank(stranger);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "final");
        vm.assertEq(rollup.lastFinalized(), id);
        vm.assertEq(uint256(rollup.finalizedHeight()), 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, id));
        rollup.finalize(id);
        vm.assertFalse(rollup.canFinalize(id));
    }

    function test_finalize_tier2ThenTier3() public {
        uint256 id = _post(v1, 3, 1);
        _affirm(id, v2);
        _affirm(id, v3);
        _assertTier(id, Tier.VerificationFinal, "tier 2");
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "tier 3");
    }

    function test_finalize_requiresFinalParent() public {
        uint256 a = _post(v1, 3, 1);
        uint256 b = _post(v1, 3, 2);
        vm.warp(block.timestamp + WINDOW);
        vm.assertFalse(rollup.canFinalize(b));
        vm.expectRevert(abi.encodeWithSelector(Rollup.ParentNotFinal.selector, b, a));
        rollup.finalize(b);
        rollup.finalize(a);
        rollup.finalize(b);
        vm.assertEq(rollup.lastFinalized(), b);
    }

    function test_finalize_blockedByOpenGame() public {
        uint256 id = _post(v1, 3, 1);
        outcomes.setOpen(bytes32(id), true);
        vm.warp(block.timestamp + 10 * WINDOW);
        vm.assertFalse(rollup.canFinalize(id));
        vm.expectRevert(abi.encodeWithSelector(Rollup.DisputeInProgress.selector, id));
        rollup.finalize(id);
        // The defender won: the pack finalizes.
        outcomes.setOpen(bytes32(id), false);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "every dispute won by the defender");
    }

    function test_finalize_blockedByLostGame() public {
        uint256 id = _post(v1, 3, 1);
        outcomes.setDefeated(bytes32(id), true);
        vm.warp(block.timestamp + WINDOW);
        vm.assertFalse(rollup.canFinalize(id));
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackDefeated.selector, id));
        rollup.finalize(id);
    }

    function test_finalize_quorumRequiredWhenConfigured() public {
        rollup = _deploy(QUORUM, true);
        uint256 id = _post(v1, 3, 1);
        _affirm(id, v2);
        vm.warp(block.timestamp + WINDOW);
        vm.assertFalse(rollup.canFinalize(id));
        vm.expectRevert(abi.encodeWithSelector(Rollup.QuorumNotReached.selector, id, 1, QUORUM));
        rollup.finalize(id);
        _affirm(id, v3);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "tier 3 after tier 2");
    }

    function test_finalize_withoutQuorumWhenNotRequired() public {
        uint256 id = _post(v1, 3, 1);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(id);
        _assertTier(id, Tier.RollupFinal, "unchallenged through the window");
    }

    function test_finalize_revertsOnUnknownGenesisAndInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 3));
        rollup.finalize(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, 0));
        rollup.finalize(0);
        uint256 id = _post(v1, 3, 1);
        outcomes.setDefeated(bytes32(id), true);
        rollup.invalidate(id);
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackInvalid.selector, id));
        rollup.finalize(id);
        vm.assertFalse(rollup.canFinalize(id));
        vm.assertFalse(rollup.canFinalize(77));
    }

    // =========================================================================
    // invalidation
    // =========================================================================

    function test_invalidate_cascadesAndRevertsHead() public {
        uint256 a = _post(v1, 3, 1);
        uint256 b = _post(v2, 4, 2);
        uint256 c = _post(v1, 5, 3);
        uint256 d = _post(v3, 6, 4);
        _affirm(b, v3);
        _affirm(b, v4);
        _assertTier(b, Tier.VerificationFinal, "tier 2 before the dispute");
        outcomes.setDefeated(bytes32(b), true);
        Pack memory pa = rollup.getPack(a);
        vm.expectEmit(address(rollup));
        emit Rollup.PacksInvalidated(b, d, 3);
        vm.expectEmit(address(rollup));
        emit Rollup.HeadReverted(d, a, pa.stateRoot, pa.lastBlock);
        vm.prank(stranger);
        rollup.invalidate(b);

        vm.assertEq(rollup.head(), a);
        vm.assertEq(uint256(rollup.headHeight()), 1);
        _assertTier(a, Tier.Posted, "the parent stays valid");
        _assertTier(b, Tier.Invalid, "defeated");
        _assertTier(c, Tier.Invalid, "after the defeated pack");
        _assertTier(d, Tier.Invalid, "after the defeated pack");
        vm.assertFalse(rollup.isValid(c));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlockNotPosted.selector, pa.lastBlock + 1, pa.lastBlock));
        rollup.tierOfBlock(pa.lastBlock + 1);
        // Already invalid: no second invalidation.
        outcomes.setDefeated(bytes32(c), true);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackInvalid.selector, c));
        rollup.invalidate(c);

        // The chain continues from the last valid pack; stale packs stay invalid.
        uint256 e = _post(v4, 2, 5);
        vm.assertEq(uint256(rollup.getPack(e).parentId), a);
        vm.assertEq(uint256(rollup.getPack(e).height), 2);
        vm.assertEq(uint256(rollup.getPack(e).firstBlock), uint256(pa.lastBlock) + 1);
        uint256 f = _post(v1, 2, 6);
        vm.assertEq(uint256(rollup.getPack(f).height), 3);
        _assertTier(b, Tier.Invalid, "b");
        _assertTier(c, Tier.Invalid, "c stays invalid at a reused height");
        _assertTier(d, Tier.Invalid, "d");
        _assertTier(e, Tier.Posted, "e");
        vm.assertEq(rollup.packAtHeight(2), e);
        vm.expectRevert(abi.encodeWithSelector(Rollup.HeightAboveHead.selector, 4, 3));
        rollup.packAtHeight(4);
        // Invalid packs extend nothing.
        (PackHeader memory header, bytes32[] memory proof) = _header(2, 1, 7);
        header.parentId = uint64(d);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ParentNotHead.selector, d, f));
        vm.prank(v1);
        rollup.postPack(header, proof, _data(7));
    }

    function test_invalidate_toGenesis() public {
        uint256 a = _post(v1, 3, 1);
        _post(v2, 3, 2);
        outcomes.setDefeated(bytes32(a), true);
        vm.expectEmit(address(rollup));
        emit Rollup.HeadReverted(2, 0, GENESIS, 0);
        rollup.invalidate(a);
        vm.assertEq(rollup.head(), 0);
        (PackHeader memory header, bytes32[] memory proof) = _header(1, 1, 3);
        vm.assertEq(uint256(header.firstBlock), 1);
        vm.prank(v1);
        uint256 c = rollup.postPack(header, proof, _data(3));
        vm.assertEq(rollup.disputedClaim(bytes32(c)).preStateRoot, GENESIS);
    }

    function test_invalidate_keepsFinalizedPrefix() public {
        uint256 a = _post(v1, 3, 1);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(a);
        uint256 b = _post(v2, 3, 2);
        outcomes.setDefeated(bytes32(b), true);
        rollup.invalidate(b);
        vm.assertEq(rollup.head(), a);
        vm.assertEq(rollup.lastFinalized(), a);
        _assertTier(a, Tier.RollupFinal, "final packs never revert");
    }

    function test_invalidate_revertsUnlessDefeated() public {
        uint256 a = _post(v1, 3, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackNotDefeated.selector, a));
        rollup.invalidate(a);
        outcomes.setOpen(bytes32(a), true);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackNotDefeated.selector, a));
        rollup.invalidate(a);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 9));
        rollup.invalidate(9);
    }

    function test_invalidate_neverTouchesFinalPacks() public {
        uint256 a = _post(v1, 3, 1);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(a);
        // A (misbehaving) game reporting a defeat after finality changes nothing.
        outcomes.setDefeated(bytes32(a), true);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, a));
        rollup.invalidate(a);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackAlreadyFinal.selector, 0));
        rollup.invalidate(0);
    }

    // =========================================================================
    // views
    // =========================================================================

    function test_tierOfBlock_findsCoveringPack() public {
        uint256 a = _post(v1, 3, 1); // blocks 1..2
        (PackHeader memory header, bytes32[] memory proof) = _header(4, 10, 2); // blocks 3..12
        vm.prank(v2);
        uint256 b = rollup.postPack(header, proof, _data(2));
        uint256 c = _post(v1, 1, 3); // 13..14
        _affirm(b, v3);
        _affirm(b, v4);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(a);
        uint256[7] memory blocks = [uint256(0), 1, 2, 3, 12, 13, 14];
        uint256[7] memory packs = [uint256(0), a, a, b, b, c, c];
        Tier[7] memory tiers = [
            Tier.RollupFinal,
            Tier.RollupFinal,
            Tier.RollupFinal,
            Tier.VerificationFinal,
            Tier.VerificationFinal,
            Tier.Posted,
            Tier.Posted
        ];
        for (uint256 i; i < blocks.length; ++i) {
            (Tier tier, uint256 packId) = rollup.tierOfBlock(blocks[i]);
            vm.assertEq(packId, packs[i], "covering pack");
            vm.assertEq(uint256(tier), uint256(tiers[i]), "tier");
        }
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlockNotPosted.selector, 15, 14));
        rollup.tierOfBlock(15);
    }

    function test_packInfo_andClaim() public {
        uint256 a = _post(v1, 3, 1);
        uint256 b = _post(v2, 7, 2);
        _affirm(b, v1);
        PackInfo memory info = rollup.packInfo(b);
        vm.assertEq(uint256(info.tier), uint256(Tier.Posted));
        vm.assertEq(info.preStateRoot, rollup.stateRootAt(a));
        vm.assertEq(info.claimId, bytes32(b));
        vm.assertEq(info.claimId, rollup.claimIdOf(b));
        vm.assertEq(uint256(info.pack.affirmations), 1);
        vm.assertEq(
            info.traceContext,
            keccak256(
                abi.encode(CHAIN_ID, info.pack.firstBlock, info.pack.lastBlock, DaKind.Calldata, keccak256(_data(2)))
            )
        );
        DisputedClaim memory claim = rollup.disputedClaim(bytes32(b));
        vm.assertEq(claim.defender, v2);
        vm.assertEq(claim.preStateRoot, info.preStateRoot);
        vm.assertEq(claim.txRootsCommitment, info.pack.txRootsCommitment);
        vm.assertEq(uint256(claim.txCount), 7);
        vm.assertEq(uint256(claim.challengeDeadline), uint256(info.pack.challengeDeadline));
        vm.assertEq(claim.traceContext, info.traceContext);
        PackInfo memory g = rollup.packInfo(0);
        vm.assertEq(uint256(g.tier), uint256(Tier.RollupFinal));
        vm.assertEq(g.pack.stateRoot, GENESIS);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 3));
        rollup.packInfo(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 3));
        rollup.tierOf(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 3));
        rollup.stateRootAt(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownPack.selector, 3));
        rollup.traceContextOf(3);
    }

    function test_disputedClaim_emptyForUnknownAndGenesis() public {
        _post(v1, 3, 1);
        vm.assertEq(rollup.disputedClaim(bytes32(0)).defender, address(0));
        vm.assertEq(rollup.disputedClaim(bytes32(uint256(2))).defender, address(0));
        vm.assertEq(rollup.disputedClaim(keccak256("not a pack id")).defender, address(0));
        vm.assertEq(rollup.disputedClaim(bytes32(uint256(1))).defender, v1);
    }
}
