// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeGameBase} from "./dispute/DisputeGameBase.sol";
import {AlphabetTrace} from "./dispute/AlphabetTrace.sol";
import {Player, Level, GameStatus, Game} from "../../contracts/dispute/lib/DisputeTypes.sol";

/// @notice Fuzz tests with the AlphabetVM: whatever the pack size, divergence point and
///         dishonest strategy, the honest side wins within
///         ceil(log2 disputedTx) + STEP_DEPTH + 2 moves, and bond accounting balances.
contract DisputeGameFuzzTest is DisputeGameBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    bytes32 internal constant CLAIM = keccak256("fuzz-claim");
    uint256 internal constant MAX_TXS = 40;

    /// @dev How a dishonest player plays.
    enum Strategy {
        Consistent, // follows one wrong trace
        Chaos // random agree bits and random midpoints (its pack roots at the tx level)
    }

    struct Side {
        AlphabetTrace.Trace trace;
        Strategy strategy;
        uint256 seed;
    }

    function testFuzz_honestChallengerBeatsLyingDefender(
        uint256 txCount,
        uint256 lieFrom,
        uint256 lieLength,
        bool chaos,
        uint256 seed
    ) public {
        txCount = bound(txCount, 1, MAX_TXS);
        uint256 totalSteps = txCount << STEP_DEPTH;
        lieFrom = bound(lieFrom, 1, totalSteps);
        lieLength = bound(lieLength, 1, totalSteps);
        AlphabetTrace.Trace memory truth = _honest(txCount);
        AlphabetTrace.Trace memory lie = _liar(txCount, lieFrom);
        lie.lieTo = lieFrom + lieLength;
        // The pack must contain a wrong root for there to be anything to challenge.
        uint256 firstWrong = _firstWrongRoot(truth, lie);
        vm.assume(firstWrong != 0);

        _postClaim(CLAIM, lie);
        uint256 gameId = _open(CLAIM, challenger, truth, lie, firstWrong);
        Side memory liarSide = Side(lie, chaos ? Strategy.Chaos : Strategy.Consistent, seed);
        Side memory honestSide = Side(truth, Strategy.Consistent, 0);
        GameStatus status = _play(gameId, liarSide, honestSide, truth);

        vm.assertEq(uint256(status), uint256(GameStatus.ChallengerWon), "honest challenger wins");
        _assertMoveBound(gameId, firstWrong);
        vm.assertEq(registry.stakeOf(defender), STAKE - SLASH);
        vm.assertEq(game.credit(challenger), BOND);
        _assertBalanced();
    }

    function testFuzz_honestDefenderBeatsLyingChallenger(
        uint256 txCount,
        uint256 lieFrom,
        uint256 disputedTx,
        bool chaos,
        uint256 seed
    ) public {
        txCount = bound(txCount, 1, MAX_TXS);
        uint256 totalSteps = txCount << STEP_DEPTH;
        lieFrom = bound(lieFrom, 1, totalSteps);
        disputedTx = bound(disputedTx, 1, txCount);
        AlphabetTrace.Trace memory truth = _honest(txCount);
        AlphabetTrace.Trace memory lie = _liar(txCount, lieFrom);

        _postClaim(CLAIM, truth);
        uint256 gameId = _open(CLAIM, challenger, chaos ? _chaosOpening(truth, seed) : lie, truth, disputedTx);
        Side memory honestSide = Side(truth, Strategy.Consistent, 0);
        Side memory liarSide = Side(lie, chaos ? Strategy.Chaos : Strategy.Consistent, seed);
        GameStatus status = _play(gameId, honestSide, liarSide, truth);

        vm.assertEq(uint256(status), uint256(GameStatus.DefenderWon), "honest defender wins");
        _assertMoveBound(gameId, disputedTx);
        vm.assertEq(registry.stakeOf(defender), STAKE);
        vm.assertEq(game.credit(defender), BOND);
        vm.assertTrue(game.isUndisputed(CLAIM));
        _assertBalanced();
    }

    function testFuzz_stallingLiarLosesOnTime(uint256 txCount, uint256 lieFrom, uint256 stallAfter, bool liarDefends)
        public
    {
        txCount = bound(txCount, 2, MAX_TXS);
        lieFrom = bound(lieFrom, 1, txCount << STEP_DEPTH);
        AlphabetTrace.Trace memory truth = _honest(txCount);
        AlphabetTrace.Trace memory lie = _liar(txCount, lieFrom);
        uint256 gameId;
        if (liarDefends) {
            uint256 firstWrong = _firstWrongRoot(truth, lie);
            _postClaim(CLAIM, lie);
            gameId = _open(CLAIM, challenger, truth, lie, firstWrong);
        } else {
            _postClaim(CLAIM, truth);
            gameId = _open(CLAIM, challenger, lie, truth, txCount);
        }
        Player liar = liarDefends ? Player.Defender : Player.Challenger;
        stallAfter = bound(stallAfter, 0, 30);
        for (uint256 played; played < 64; ++played) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            if (g.turn == liar && played >= stallAfter) break;
            bool defenderMoves = g.turn == Player.Defender;
            _answer(gameId, defenderMoves == liarDefends ? lie : truth, defenderMoves ? defender : challenger);
        }
        Game memory last = game.getGame(gameId);
        if (last.turn != liar) {
            // The liar ran out of answers before stalling: the honest side steps.
            game.step(gameId, truth.stepProof(last.txIndex, last.lo));
        } else {
            vm.warp(block.timestamp + (liarDefends ? DEFENDER_CLOCK : CHALLENGER_CLOCK) + 1);
            game.resolveTimeout(gameId);
        }
        GameStatus expected = liarDefends ? GameStatus.ChallengerWon : GameStatus.DefenderWon;
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(expected));
        _assertBalanced();
    }

    // -- helpers -----------------------------------------------------------------------

    function _firstWrongRoot(AlphabetTrace.Trace memory truth, AlphabetTrace.Trace memory lie)
        internal
        pure
        returns (uint256)
    {
        for (uint256 i = 1; i <= truth.txCount; ++i) {
            if (truth.txRoot(i) != lie.txRoot(i)) return i;
        }
        return 0;
    }

    /// @dev A chaos challenger's opening midpoint comes from a trace lying from step 1.
    function _chaosOpening(AlphabetTrace.Trace memory truth, uint256 seed)
        internal
        view
        returns (AlphabetTrace.Trace memory)
    {
        return _liar(truth.txCount, 1 + (seed % (truth.txCount << STEP_DEPTH)));
    }

    /// @dev Play to the end; `defenderSide` and `challengerSide` choose the moves.
    function _play(
        uint256 gameId,
        Side memory defenderSide,
        Side memory challengerSide,
        AlphabetTrace.Trace memory truth
    ) internal returns (GameStatus) {
        for (uint256 guard; guard < 200; ++guard) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            bool defenderMoves = g.turn == Player.Defender;
            Side memory side = defenderMoves ? defenderSide : challengerSide;
            address who = defenderMoves ? defender : challenger;
            if (side.strategy == Strategy.Consistent) {
                _answer(gameId, side.trace, who);
            } else {
                _chaosAnswer(gameId, side, who, defenderMoves, guard);
            }
        }
        Game memory last = game.getGame(gameId);
        // The agreed pre-state is true whatever the liar did: the honest proof opens it.
        game.step(gameId, truth.stepProof(last.txIndex, last.lo));
        return game.getGame(gameId).status;
    }

    function _chaosAnswer(uint256 gameId, Side memory side, address who, bool isDefender, uint256 nonce) internal {
        // Start from the trace's move (to get the segment bookkeeping and proofs right),
        // then randomise the answer and, where the contract allows it, the claim.
        Game memory g = game.getGame(gameId);
        uint256 random = uint256(keccak256(abi.encode(side.seed, nonce)));
        bool agree = random & 1 == 1;
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        uint256 lo = agree ? mid : g.lo;
        uint256 hi = agree ? g.hi : mid;
        Level level = g.level;
        if (level == Level.Transactions && hi - lo == 1) {
            level = Level.Steps;
            lo = 0;
            hi = uint256(1) << STEP_DEPTH;
        }
        bytes32 next;
        bytes32[] memory proof;
        if (hi - lo > 1) {
            uint256 nextMid = lo + (hi - lo) / 2;
            if (level == Level.Transactions && isDefender) {
                next = side.trace.txRoot(nextMid);
                proof = side.trace.rootProof(nextMid);
            } else {
                next = keccak256(abi.encode("chaos", random));
            }
        }
        vm.prank(who);
        game.move(gameId, agree, next, proof);
    }

    function _assertMoveBound(uint256 gameId, uint256 disputedTx) internal view {
        uint256 bound_ = _ceilLog2(disputedTx) + STEP_DEPTH + 2;
        vm.assertLe(game.getGame(gameId).moves, bound_, "move bound");
    }
}
