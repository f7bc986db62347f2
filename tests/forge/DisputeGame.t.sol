// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeGameBase} from "./dispute/DisputeGameBase.sol";
import {AlphabetTrace} from "./dispute/AlphabetTrace.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {AlphabetVM} from "../../contracts/dispute/AlphabetVM.sol";
import {IDisputeClaims} from "../../contracts/dispute/IDisputeClaims.sol";
import {IStepVerifier} from "../../contracts/dispute/IStepVerifier.sol";
import {ITraceBinding} from "../../contracts/dispute/ITraceBinding.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {
    Player, Level, GameStatus, Resolution, Game, ClaimRecord, DisputeGameConfig
} from "../../contracts/dispute/lib/DisputeTypes.sol";

/// @notice A challenger contract that refuses ETH (to test a failing credit withdrawal).
contract RejectingChallenger {
    function open(DisputeGame game, bytes32 claimId, bytes32 root, bytes32[] calldata proof, bytes32 mid)
        external
        payable
        returns (uint256)
    {
        return game.createGame{value: msg.value}(claimId, 1, root, proof, mid);
    }

    function withdraw(DisputeGame game) external {
        game.claimCredit();
    }

    receive() external payable {
        revert("no thanks");
    }
}

/// @notice Unit tests of DisputeGame: every error, every transition, clocks, bonds,
///         slashing, concurrent games.
contract DisputeGameTest is DisputeGameBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    bytes32 internal constant CLAIM = keccak256("claim-1");
    uint256 internal constant TXS = 6;

    AlphabetTrace.Trace internal honestTrace;
    AlphabetTrace.Trace internal lyingTrace;

    function setUp() public override {
        super.setUp();
        honestTrace = _honest(TXS);
        // Lies from step 37 on: transaction 3 (steps 32..47) is the first wrong one.
        lyingTrace = _liar(TXS, 37);
    }

    // -- constructor -------------------------------------------------------------

    function test_constructor_setsImmutables() public view {
        vm.assertEq(address(game.CLAIMS()), address(board));
        vm.assertEq(address(game.STEP_VERIFIER()), address(alphabet));
        vm.assertEq(address(game.TRACE_BINDING()), address(alphabet));
        vm.assertEq(address(game.REGISTRY()), address(registry));
        vm.assertEq(game.STEP_DEPTH(), STEP_DEPTH);
        vm.assertEq(game.CHALLENGER_CLOCK(), CHALLENGER_CLOCK);
        vm.assertEq(game.DEFENDER_CLOCK(), DEFENDER_CLOCK);
        vm.assertEq(game.CHALLENGER_BOND(), BOND);
        vm.assertEq(game.SLASH_TOKEN(), address(0));
        vm.assertEq(game.SLASH_AMOUNT(), SLASH);
    }

    function test_constructor_rejectsZeroAddresses() public {
        DisputeGameConfig memory config = _config(STEP_DEPTH);
        config.claims = IDisputeClaims(address(0));
        vm.expectRevert(DisputeGame.ZeroAddress.selector);
        new DisputeGame(config);
        config = _config(STEP_DEPTH);
        config.stepVerifier = IStepVerifier(address(0));
        vm.expectRevert(DisputeGame.ZeroAddress.selector);
        new DisputeGame(config);
        config = _config(STEP_DEPTH);
        config.traceBinding = ITraceBinding(address(0));
        vm.expectRevert(DisputeGame.ZeroAddress.selector);
        new DisputeGame(config);
        config = _config(STEP_DEPTH);
        config.registry = ISequencerRegistry(address(0));
        vm.expectRevert(DisputeGame.ZeroAddress.selector);
        new DisputeGame(config);
    }

    function test_constructor_rejectsDeepTraces() public {
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidStepDepth.selector, 65));
        new DisputeGame(_config(65));
    }

    function test_constructor_rejectsZeroClocks() public {
        DisputeGameConfig memory config = _config(STEP_DEPTH);
        config.defenderClock = 0;
        vm.expectRevert(DisputeGame.ZeroClock.selector);
        new DisputeGame(config);
        config = _config(STEP_DEPTH);
        config.challengerClock = 0;
        vm.expectRevert(DisputeGame.ZeroClock.selector);
        new DisputeGame(config);
    }

    function test_constructor_rejectsZeroBond() public {
        DisputeGameConfig memory config = _config(STEP_DEPTH);
        config.challengerBond = 0;
        vm.expectRevert(DisputeGame.ZeroBond.selector);
        new DisputeGame(config);
    }

    // -- createGame ----------------------------------------------------------------

    function test_createGame_opensAtTransactionLevel() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32 root = lyingTrace.txRoot(TXS);
        bytes32 mid = honestTrace.txRoot(TXS / 2);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        vm.expectEmit();
        emit DisputeGame.GameCreated(1, CLAIM, challenger, defender, TXS, root, BOND);
        vm.expectEmit();
        emit DisputeGame.MidpointClaimed(1, challenger, Level.Transactions, TXS / 2, mid);
        vm.prank(challenger);
        uint256 gameId = game.createGame{value: BOND}(CLAIM, TXS, root, proof, mid);

        vm.assertEq(gameId, 1);
        vm.assertEq(game.gameCount(), 1);
        Game memory g = game.getGame(gameId);
        vm.assertEq(g.claimId, CLAIM);
        vm.assertEq(g.challenger, challenger);
        vm.assertEq(g.defender, defender);
        vm.assertEq(uint256(g.status), uint256(GameStatus.InProgress));
        vm.assertEq(uint256(g.level), uint256(Level.Transactions));
        vm.assertEq(uint256(g.turn), uint256(Player.Defender));
        vm.assertEq(uint256(g.hiClaimant), uint256(Player.Defender));
        vm.assertTrue(g.midPending);
        vm.assertEq(g.lo, 0);
        vm.assertEq(g.hi, TXS);
        vm.assertEq(g.loHash, honestTrace.txRoot(0));
        vm.assertEq(g.hiHash, root);
        vm.assertEq(g.midHash, mid);
        vm.assertEq(g.moves, 1);
        vm.assertEq(g.lastMoveAt, block.timestamp);
        vm.assertEq(game.midPosition(gameId), TXS / 2);
        vm.assertTrue(game.hasOpenGame(CLAIM));
        vm.assertFalse(game.isUndisputed(CLAIM));
        vm.assertFalse(game.isDefeated(CLAIM));
        ClaimRecord memory record = game.claimRecord(CLAIM);
        vm.assertEq(record.openGames, 1);
        vm.assertEq(record.totalGames, 1);
        vm.assertEq(game.gamesOf(CLAIM).length, 1);
        vm.assertEq(game.escrowedBonds(), BOND);
        _assertBalanced();
    }

    function test_createGame_firstTransactionGoesStraightToSteps() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32 mid = honestTrace.stepState(1, 8);
        bytes32[] memory proof = lyingTrace.rootProof(1);
        vm.expectEmit();
        emit DisputeGame.TransactionIsolated(
            1, 1, honestTrace.txRoot(0), lyingTrace.txRoot(1), honestTrace.txRoot(0), lyingTrace.txRoot(1)
        );
        vm.prank(challenger);
        uint256 gameId = game.createGame{value: BOND}(CLAIM, 1, lyingTrace.txRoot(1), proof, mid);
        Game memory g = game.getGame(gameId);
        vm.assertEq(uint256(g.level), uint256(Level.Steps));
        vm.assertEq(g.txIndex, 1);
        vm.assertEq(g.lo, 0);
        vm.assertEq(g.hi, 16);
        vm.assertEq(g.midHash, mid);
    }

    function test_createGame_revertsOnUnknownClaim() public {
        bytes32[] memory proof;
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.UnknownClaim.selector, CLAIM));
        game.createGame{value: BOND}(CLAIM, 1, bytes32(0), proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsOnZeroTxCount() public {
        vm.prank(defender);
        board.postClaim(CLAIM, bytes32(uint256(1)), bytes32(uint256(2)), 0, uint64(block.timestamp + 1), bytes32(0));
        bytes32[] memory proof;
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidClaimTxCount.selector, CLAIM, 0));
        game.createGame{value: BOND}(CLAIM, 1, bytes32(0), proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsAfterChallengeWindow() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 deadline = game.CLAIMS().disputedClaim(CLAIM).challengeDeadline;
        vm.warp(deadline);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 root = lyingTrace.txRoot(TXS);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ChallengeWindowClosed.selector, CLAIM, deadline));
        game.createGame{value: BOND}(CLAIM, TXS, root, proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsForDefender() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 root = lyingTrace.txRoot(TXS);
        vm.deal(defender, 1 ether);
        vm.prank(defender);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.DefenderCannotChallenge.selector, defender));
        game.createGame{value: BOND}(CLAIM, TXS, root, proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsOnWrongBond() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 root = lyingTrace.txRoot(TXS);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.IncorrectBond.selector, BOND, BOND - 1));
        game.createGame{value: BOND - 1}(CLAIM, TXS, root, proof, bytes32(uint256(1)));
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.IncorrectBond.selector, BOND, BOND + 1));
        game.createGame{value: BOND + 1}(CLAIM, TXS, root, proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsOnDisputedTxOutOfRange() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.DisputedTxOutOfRange.selector, 0, TXS));
        game.createGame{value: BOND}(CLAIM, 0, bytes32(0), proof, bytes32(uint256(1)));
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.DisputedTxOutOfRange.selector, TXS + 1, TXS));
        game.createGame{value: BOND}(CLAIM, TXS + 1, bytes32(0), proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsOnBadRootProof() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 honestRoot = honestTrace.txRoot(TXS);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidTxRootProof.selector, TXS, honestRoot));
        game.createGame{value: BOND}(CLAIM, TXS, honestRoot, proof, bytes32(uint256(1)));
        // A proof for another index does not open this one.
        bytes32 root2 = lyingTrace.txRoot(2);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidTxRootProof.selector, 2, root2));
        game.createGame{value: BOND}(CLAIM, 2, root2, proof, bytes32(uint256(1)));
    }

    function test_createGame_revertsOnZeroMidpoint() public {
        _postClaim(CLAIM, lyingTrace);
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 root = lyingTrace.txRoot(TXS);
        vm.prank(challenger);
        vm.expectRevert(DisputeGame.ZeroStateHash.selector);
        game.createGame{value: BOND}(CLAIM, TXS, root, proof, bytes32(0));
    }

    function test_createGame_revertsOnDefeatedClaim() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        _playOut(gameId, lyingTrace, honestTrace, challenger);
        vm.assertTrue(game.isDefeated(CLAIM));
        bytes32[] memory proof = lyingTrace.rootProof(TXS);
        bytes32 root = lyingTrace.txRoot(TXS);
        vm.prank(challenger2);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ClaimAlreadyDefeated.selector, CLAIM));
        game.createGame{value: BOND}(CLAIM, TXS, root, proof, bytes32(uint256(1)));
    }

    // -- move ----------------------------------------------------------------------

    function test_move_agreeAndDisagreeNarrowTheSegment() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        // Defender (liar) agrees with r_3? Its r_3 differs (lie from step 37 < 48): disagrees.
        (bool agree, bytes32 next, bytes32[] memory proof) = _moveFor(gameId, lyingTrace, true);
        vm.assertFalse(agree);
        vm.expectEmit();
        emit DisputeGame.Bisected(gameId, defender, Level.Transactions, false, 0, 3);
        vm.expectEmit();
        emit DisputeGame.MidpointClaimed(gameId, defender, Level.Transactions, 1, next);
        vm.prank(defender);
        game.move(gameId, agree, next, proof);
        Game memory g = game.getGame(gameId);
        vm.assertEq(g.lo, 0);
        vm.assertEq(g.hi, 3);
        vm.assertEq(uint256(g.hiClaimant), uint256(Player.Challenger));
        vm.assertEq(g.hiHash, honestTrace.txRoot(3));
        vm.assertEq(uint256(g.turn), uint256(Player.Challenger));
        vm.assertEq(g.moves, 2);

        // Challenger agrees with r_1 (true in both traces).
        (agree, next, proof) = _moveFor(gameId, honestTrace, false);
        vm.assertTrue(agree);
        vm.prank(challenger);
        game.move(gameId, agree, next, proof);
        g = game.getGame(gameId);
        vm.assertEq(g.lo, 1);
        vm.assertEq(g.hi, 3);
        vm.assertEq(g.loHash, honestTrace.txRoot(1));
    }

    function test_move_isolatesTransactionWithBinding() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        _answer(gameId, lyingTrace, defender); // [0,3], defender claims r_1
        _answer(gameId, honestTrace, challenger); // agree r_1 -> [1,3], challenger claims r_2
        // Defender agrees r_2 (true) -> [2,3]: transaction 3 isolated.
        (bool agree, bytes32 next, bytes32[] memory proof) = _moveFor(gameId, lyingTrace, true);
        vm.assertTrue(agree);
        vm.expectEmit();
        emit DisputeGame.TransactionIsolated(
            gameId, 3, honestTrace.txRoot(2), honestTrace.txRoot(3), honestTrace.txRoot(2), honestTrace.txRoot(3)
        );
        vm.prank(defender);
        game.move(gameId, agree, next, proof);
        Game memory g = game.getGame(gameId);
        vm.assertEq(uint256(g.level), uint256(Level.Steps));
        vm.assertEq(g.txIndex, 3);
        vm.assertEq(g.lo, 0);
        vm.assertEq(g.hi, 16);
        // The defender's step-level claim carries no Merkle proof.
        vm.assertEq(proof.length, 0);
        vm.assertEq(g.midHash, lyingTrace.stepState(3, 8));
    }

    function test_move_revertsOnUnknownGame() public {
        bytes32[] memory proof;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.UnknownGame.selector, 7));
        game.move(7, true, bytes32(uint256(1)), proof);
    }

    function test_move_revertsWhenNotYourTurn() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        bytes32[] memory proof;
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotYourTurn.selector, challenger, defender));
        game.move(gameId, true, bytes32(uint256(1)), proof);
        vm.prank(challenger2);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotYourTurn.selector, challenger2, defender));
        game.move(gameId, true, bytes32(uint256(1)), proof);
    }

    function test_move_revertsOnDefenderRootNotInPack() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        // The defender tries to claim the honest r_1 with a proof of a different leaf.
        bytes32[] memory wrongProof = lyingTrace.rootProof(2);
        bytes32 claimed = lyingTrace.txRoot(2);
        vm.prank(defender);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidTxRootProof.selector, 1, claimed));
        game.move(gameId, false, claimed, wrongProof);
        // Without a proof at all.
        bytes32[] memory none;
        bytes32 r1 = lyingTrace.txRoot(1);
        vm.prank(defender);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidTxRootProof.selector, 1, r1));
        game.move(gameId, false, r1, none);
    }

    function test_move_revertsOnUnexpectedProof() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        _answer(gameId, lyingTrace, defender);
        bytes32[] memory proof = honestTrace.rootProof(2);
        bytes32 r2 = honestTrace.txRoot(2);
        vm.prank(challenger);
        vm.expectRevert(DisputeGame.UnexpectedRootProof.selector);
        game.move(gameId, true, r2, proof);
    }

    function test_move_revertsOnZeroMidpoint() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        _answer(gameId, lyingTrace, defender);
        bytes32[] memory none;
        vm.prank(challenger);
        vm.expectRevert(DisputeGame.ZeroStateHash.selector);
        game.move(gameId, true, bytes32(0), none);
    }

    function test_move_lastAnswerTakesNoMidpoint() public {
        uint256 gameId = _toLastAnswer();
        Game memory g = game.getGame(gameId);
        address mover = g.turn == Player.Defender ? defender : challenger;
        bytes32[] memory none;
        bytes32[] memory some = new bytes32[](1);
        vm.prank(mover);
        vm.expectRevert(DisputeGame.UnexpectedMidpointClaim.selector);
        game.move(gameId, true, bytes32(uint256(1)), none);
        vm.prank(mover);
        vm.expectRevert(DisputeGame.UnexpectedRootProof.selector);
        game.move(gameId, true, bytes32(0), some);
        vm.prank(mover);
        game.move(gameId, true, bytes32(0), none);
        g = game.getGame(gameId);
        vm.assertFalse(g.midPending);
        vm.assertEq(g.hi - g.lo, 1);
        // The bisection is over.
        address next = g.turn == Player.Defender ? defender : challenger;
        vm.prank(next);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BisectionFinished.selector, gameId));
        game.move(gameId, true, bytes32(0), none);
    }

    function test_move_revertsWhenClockExpired() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.warp(block.timestamp + DEFENDER_CLOCK + 1);
        (bool agree, bytes32 next, bytes32[] memory proof) = _moveFor(gameId, lyingTrace, true);
        vm.prank(defender);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeGame.ClockExpired.selector, defender, DEFENDER_CLOCK + 1, DEFENDER_CLOCK)
        );
        game.move(gameId, agree, next, proof);
    }

    function test_move_exactlyAtBudgetIsAllowed() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.warp(block.timestamp + DEFENDER_CLOCK);
        _answer(gameId, lyingTrace, defender);
        vm.assertEq(game.clockRemaining(gameId, Player.Defender), 0);
        vm.assertEq(game.getGame(gameId).defenderClockUsed, DEFENDER_CLOCK);
    }

    function test_clocks_accumulatePerPlayer() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.warp(block.timestamp + 100);
        vm.assertEq(game.clockRemaining(gameId, Player.Defender), DEFENDER_CLOCK - 100);
        vm.assertEq(game.clockRemaining(gameId, Player.Challenger), CHALLENGER_CLOCK);
        _answer(gameId, lyingTrace, defender);
        vm.warp(block.timestamp + 30);
        vm.assertEq(game.clockRemaining(gameId, Player.Challenger), CHALLENGER_CLOCK - 30);
        _answer(gameId, honestTrace, challenger);
        vm.warp(block.timestamp + 50);
        vm.assertEq(game.clockRemaining(gameId, Player.Defender), DEFENDER_CLOCK - 150);
        Game memory g = game.getGame(gameId);
        vm.assertEq(g.defenderClockUsed, 100);
        vm.assertEq(g.challengerClockUsed, 30);
    }

    function test_clockRemaining_revertsOnUnknownGame() public {
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.UnknownGame.selector, 3));
        game.clockRemaining(3, Player.Defender);
    }

    // -- step ----------------------------------------------------------------------

    function test_step_revertsBeforeTheEnd() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotAwaitingStep.selector, gameId));
        game.step(gameId, "");
    }

    function test_step_revertsOnBadProof() public {
        (uint256 gameId, Game memory g) = _toStep();
        vm.expectRevert(abi.encodeWithSelector(AlphabetVM.InvalidProofLength.selector, 3));
        game.step(gameId, hex"010203");
        bytes memory wrong = abi.encode(uint256(0), uint256(0));
        bytes32 opened = keccak256(wrong);
        vm.expectRevert(abi.encodeWithSelector(AlphabetVM.PreStateMismatch.selector, g.loHash, opened));
        game.step(gameId, wrong);
    }

    function test_step_honestChallengerWinsAndDefenderIsSlashed() public {
        (uint256 gameId, Game memory g) = _toStep();
        uint256 challengerBefore = challenger.balance;
        bytes memory proof = honestTrace.stepProof(g.txIndex, g.lo);
        vm.expectEmit();
        emit DisputeGame.GameResolved(gameId, CLAIM, GameStatus.ChallengerWon, Resolution.StepProof);
        vm.expectEmit();
        emit DisputeGame.BondPaid(gameId, challenger, BOND);
        vm.expectEmit();
        emit DisputeGame.ClaimDefeated(CLAIM, gameId);
        vm.expectEmit();
        emit DisputeGame.DefenderSlashed(gameId, defender, challenger, address(0), SLASH, SLASH);
        vm.prank(challenger2); // anyone may submit the step
        game.step(gameId, proof);
        Game memory done = game.getGame(gameId);
        vm.assertEq(uint256(done.status), uint256(GameStatus.ChallengerWon));
        vm.assertEq(uint256(done.resolution), uint256(Resolution.StepProof));
        vm.assertEq(challenger.balance, challengerBefore + SLASH);
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH);
        vm.assertEq(game.credit(challenger), BOND);
        vm.assertTrue(game.isDefeated(CLAIM));
        vm.assertFalse(game.hasOpenGame(CLAIM));
        vm.assertFalse(game.isUndisputed(CLAIM));
        _assertBalanced();

        vm.expectEmit();
        emit DisputeGame.CreditClaimed(challenger, BOND);
        vm.prank(challenger);
        game.claimCredit();
        vm.assertEq(challenger.balance, challengerBefore + SLASH + BOND);
        vm.assertEq(game.credit(challenger), 0);
        vm.assertEq(address(game).balance, 0);
        _assertBalanced();

        vm.expectRevert(abi.encodeWithSelector(DisputeGame.GameNotInProgress.selector, gameId, GameStatus.ChallengerWon));
        game.step(gameId, proof);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.GameNotInProgress.selector, gameId, GameStatus.ChallengerWon));
        game.resolveTimeout(gameId);
    }

    function test_step_emitsStepProven() public {
        (uint256 gameId, Game memory g) = _toStep();
        bytes memory proof = honestTrace.stepProof(g.txIndex, g.lo);
        vm.expectEmit();
        emit DisputeGame.StepProven(gameId, challenger, g.lo, g.loHash, honestTrace.stepState(g.txIndex, g.lo + 1), g.hiHash);
        vm.prank(challenger);
        game.step(gameId, proof);
        vm.assertEq(game.getGame(gameId).moves, g.moves + 1);
        vm.assertFalse(game.getGame(gameId).midPending);
    }

    function test_lastMove_emitsBisectedWithoutMidpoint() public {
        uint256 gameId = _toLastAnswer();
        Game memory g = game.getGame(gameId);
        address mover = g.turn == Player.Defender ? defender : challenger;
        AlphabetTrace.Trace memory own = g.turn == Player.Defender ? lyingTrace : honestTrace;
        (bool agree, bytes32 next, bytes32[] memory proof) = _moveFor(gameId, own, g.turn == Player.Defender);
        vm.assertEq(next, bytes32(0));
        uint256 mid = g.lo + 1;
        vm.expectEmit();
        emit DisputeGame.Bisected(gameId, mover, Level.Steps, agree, agree ? mid : g.lo, agree ? g.hi : mid);
        vm.prank(mover);
        game.move(gameId, agree, next, proof);
    }

    function test_step_lyingChallengerLosesBond() public {
        _postClaim(CLAIM, honestTrace);
        uint256 gameId = _open(CLAIM, challenger, lyingTrace, honestTrace, TXS);
        GameStatus status = _playOut(gameId, honestTrace, lyingTrace, challenger);
        vm.assertEq(uint256(status), uint256(GameStatus.DefenderWon));
        vm.assertEq(game.credit(defender), BOND);
        vm.assertEq(registry.stakeOf(defender), STAKE);
        vm.assertFalse(game.isDefeated(CLAIM));
        vm.assertTrue(game.isUndisputed(CLAIM));
        vm.prank(defender);
        game.claimCredit();
        vm.assertEq(defender.balance, BOND);
        _assertBalanced();
    }

    function test_step_revertsWhenPlayerToMoveTimedOut() public {
        (uint256 gameId, Game memory g) = _toStep();
        uint256 budget = g.turn == Player.Defender ? DEFENDER_CLOCK : CHALLENGER_CLOCK;
        vm.warp(block.timestamp + budget + 1);
        bytes memory proof = honestTrace.stepProof(g.txIndex, g.lo);
        vm.expectRevert();
        game.step(gameId, proof);
    }

    // -- timeouts ------------------------------------------------------------------

    function test_resolveTimeout_revertsWhileClockRuns() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.warp(block.timestamp + DEFENDER_CLOCK);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeGame.ClockNotExpired.selector, defender, DEFENDER_CLOCK, DEFENDER_CLOCK)
        );
        game.resolveTimeout(gameId);
    }

    function test_resolveTimeout_stallingDefenderLoses() public {
        _postClaim(CLAIM, honestTrace); // even an honest defender loses by stalling
        uint256 gameId = _open(CLAIM, challenger, lyingTrace, honestTrace, TXS);
        vm.warp(block.timestamp + DEFENDER_CLOCK + 1);
        vm.expectEmit();
        emit DisputeGame.GameResolved(gameId, CLAIM, GameStatus.ChallengerWon, Resolution.Timeout);
        game.resolveTimeout(gameId);
        Game memory g = game.getGame(gameId);
        vm.assertEq(uint256(g.resolution), uint256(Resolution.Timeout));
        vm.assertEq(g.defenderClockUsed, DEFENDER_CLOCK);
        vm.assertEq(game.clockRemaining(gameId, Player.Defender), 0);
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH);
        vm.assertEq(game.credit(challenger), BOND);
        _assertBalanced();
    }

    function test_resolveTimeout_stallingChallengerLoses() public {
        _postClaim(CLAIM, honestTrace);
        uint256 gameId = _open(CLAIM, challenger, lyingTrace, honestTrace, TXS);
        _answer(gameId, honestTrace, defender);
        vm.warp(block.timestamp + CHALLENGER_CLOCK + 1);
        game.resolveTimeout(gameId);
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.DefenderWon));
        vm.assertEq(game.credit(defender), BOND);
        vm.assertEq(registry.stakeOf(defender), STAKE);
    }

    function test_resolveTimeout_atTheStep() public {
        (uint256 gameId, Game memory g) = _toStep();
        uint256 budget = g.turn == Player.Defender ? DEFENDER_CLOCK : CHALLENGER_CLOCK;
        vm.warp(block.timestamp + budget + 1);
        game.resolveTimeout(gameId);
        GameStatus expected = g.turn == Player.Defender ? GameStatus.ChallengerWon : GameStatus.DefenderWon;
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(expected));
    }

    function test_resolveTimeout_revertsOnUnknownGame() public {
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.UnknownGame.selector, 1));
        game.resolveTimeout(1);
    }

    // -- credit ----------------------------------------------------------------------

    function test_claimCredit_revertsWithoutCredit() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NoCredit.selector, challenger));
        game.claimCredit();
    }

    function test_claimCredit_revertsWhenRecipientRejects() public {
        _postClaim(CLAIM, lyingTrace);
        RejectingChallenger rejecting = new RejectingChallenger();
        bytes32[] memory proof = lyingTrace.rootProof(1);
        uint256 gameId =
            rejecting.open{value: BOND}(game, CLAIM, lyingTrace.txRoot(1), proof, honestTrace.stepState(1, 8));
        vm.warp(block.timestamp + DEFENDER_CLOCK + 1);
        registry.setRefuse(true); // the slash would pay the rejecting contract too
        game.resolveTimeout(gameId);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeGame.CreditTransferFailed.selector, address(rejecting), uint256(BOND))
        );
        rejecting.withdraw(game);
        vm.assertEq(game.credit(address(rejecting)), BOND);
        _assertBalanced();
    }

    // -- slashing --------------------------------------------------------------------

    function test_slash_refusedByRegistryStillDefeatsClaim() public {
        registry.setRefuse(true);
        (uint256 gameId, Game memory g) = _toStep();
        bytes memory proof = honestTrace.stepProof(g.txIndex, g.lo);
        vm.expectEmit();
        emit DisputeGame.DefenderSlashed(gameId, defender, challenger, address(0), SLASH, 0);
        game.step(gameId, proof);
        vm.assertTrue(game.isDefeated(CLAIM));
        vm.assertEq(registry.stakeOf(defender), STAKE);
    }

    function test_slash_cappedByStake() public {
        // Another defender with less stake than SLASH.
        address poor = address(0xB00);
        registry.stake{value: 1 ether}(poor);
        vm.prank(poor);
        board.postClaim(
            CLAIM, lyingTrace.txRoot(0), lyingTrace.commitment(), uint64(TXS), uint64(block.timestamp + 1 days), 0
        );
        uint256 gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.warp(block.timestamp + DEFENDER_CLOCK + 1);
        vm.expectEmit(true, true, true, false);
        emit DisputeGame.DefenderSlashed(gameId, poor, challenger, address(0), SLASH, 1 ether);
        game.resolveTimeout(gameId);
        vm.assertEq(registry.stakeOf(poor), 0);
    }

    // -- concurrent games ------------------------------------------------------------

    function test_concurrentGames_onOneClaim() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 first = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        // A second (lying) challenger disputes an earlier root, r_2, which is correct.
        AlphabetTrace.Trace memory otherLie = _liar(TXS, 5);
        uint256 second = _open(CLAIM, challenger2, otherLie, lyingTrace, 2);
        vm.assertEq(second, first + 1);
        ClaimRecord memory record = game.claimRecord(CLAIM);
        vm.assertEq(record.openGames, 2);
        vm.assertEq(record.totalGames, 2);
        vm.assertEq(game.gamesOf(CLAIM)[1], second);
        vm.assertEq(game.escrowedBonds(), 2 * BOND);

        // The lying challenger loses its game: the claim is still open (game 1 runs).
        vm.assertEq(uint256(_playOut(second, lyingTrace, otherLie, challenger2)), uint256(GameStatus.DefenderWon));
        vm.assertTrue(game.hasOpenGame(CLAIM));
        vm.assertFalse(game.isDefeated(CLAIM));
        vm.assertEq(game.credit(defender), BOND);

        // The honest challenger wins: the claim is defeated and the defender slashed once.
        vm.assertEq(uint256(_playOut(first, lyingTrace, honestTrace, challenger)), uint256(GameStatus.ChallengerWon));
        vm.assertFalse(game.hasOpenGame(CLAIM));
        vm.assertTrue(game.isDefeated(CLAIM));
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH);
        _assertBalanced();
    }

    function test_concurrentGames_slashOncePerClaim() public {
        _postClaim(CLAIM, lyingTrace);
        uint256 first = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        uint256 second = _open(CLAIM, challenger2, honestTrace, lyingTrace, TXS - 1);
        vm.warp(block.timestamp + DEFENDER_CLOCK + 1);
        game.resolveTimeout(first);
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH);
        game.resolveTimeout(second);
        vm.assertEq(uint256(game.getGame(second).status), uint256(GameStatus.ChallengerWon));
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH, "second win does not slash again");
        vm.assertEq(game.credit(challenger2), BOND, "second winner gets its bond back");
        _assertBalanced();
    }

    function test_claimsAreIndependent() public {
        bytes32 other = keccak256("claim-2");
        _postClaim(CLAIM, lyingTrace);
        _postClaim(other, honestTrace);
        _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        vm.assertTrue(game.hasOpenGame(CLAIM));
        vm.assertFalse(game.hasOpenGame(other));
        vm.assertTrue(game.isUndisputed(other));
    }

    // -- depth 0 ---------------------------------------------------------------------

    function test_depthZero_singleStepPerTransaction() public {
        game = _deployGame(0);
        registry.setSlasher(address(game));
        AlphabetTrace.Trace memory truth = _honest(3);
        AlphabetTrace.Trace memory lie = _liar(3, 2);
        _postClaim(CLAIM, lie);
        uint256 gameId = _open(CLAIM, challenger, truth, lie, 3);
        vm.assertEq(uint256(_playOut(gameId, lie, truth, challenger)), uint256(GameStatus.ChallengerWon));
        vm.assertEq(game.getGame(gameId).txIndex, 2);
    }

    // -- helpers -----------------------------------------------------------------------

    /// @dev Honest challenger vs lying defender, played until one answer is left.
    function _toLastAnswer() internal returns (uint256 gameId) {
        _postClaim(CLAIM, lyingTrace);
        gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        for (uint256 guard; guard < 100; ++guard) {
            Game memory g = game.getGame(gameId);
            if (g.level == Level.Steps && g.hi - g.lo == 2) return gameId;
            if (g.turn == Player.Defender) _answer(gameId, lyingTrace, defender);
            else _answer(gameId, honestTrace, challenger);
        }
        revert("no last answer");
    }

    /// @dev Honest challenger vs lying defender, played to the single step.
    function _toStep() internal returns (uint256 gameId, Game memory g) {
        _postClaim(CLAIM, lyingTrace);
        gameId = _open(CLAIM, challenger, honestTrace, lyingTrace, TXS);
        for (uint256 guard; guard < 100; ++guard) {
            g = game.getGame(gameId);
            if (!g.midPending) break;
            if (g.turn == Player.Defender) _answer(gameId, lyingTrace, defender);
            else _answer(gameId, honestTrace, challenger);
        }
        g = game.getGame(gameId);
        // Lie from global step 37: transaction 3, step 5 (4 -> 5) is the disputed one.
        vm.assertEq(g.txIndex, 3);
        vm.assertEq(g.lo, 4);
    }
}

