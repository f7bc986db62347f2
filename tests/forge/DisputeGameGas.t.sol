// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeGameBase} from "./dispute/DisputeGameBase.sol";
import {AlphabetTrace} from "./dispute/AlphabetTrace.sol";
import {Player, Level, GameStatus, Game} from "../../contracts/dispute/lib/DisputeTypes.sol";

/// @notice Gas and move count of a full dispute over a pack of 1,000 transactions of
///         2^20 (~10^6) AlphabetVM steps each, lie at an arbitrary step. Gas is measured
///         around each external call (execution only: no 21k intrinsic, no calldata);
///         tests/dispute/test_gas.py measures whole transactions on anvil.
contract DisputeGameGasTest is DisputeGameBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    bytes32 internal constant CLAIM = keccak256("gas-claim");
    uint256 internal constant TXS = 1000;
    uint8 internal constant DEPTH = 20;

    function test_gas_thousandTxMillionSteps() public {
        game = _deployGame(DEPTH);
        registry.setSlasher(address(game));
        uint256 lieFrom = 613_000_123 % (TXS << DEPTH);
        AlphabetTrace.Trace memory truth = _honest(TXS);
        AlphabetTrace.Trace memory lie = _liar(TXS, lieFrom);
        uint256 firstWrong = (lieFrom + (uint256(1) << DEPTH) - 1) >> DEPTH;
        _postClaim(CLAIM, lie);

        Tally memory t;
        bytes32[] memory rootProof = lie.rootProof(firstWrong);
        bytes32 disputedRoot = lie.txRoot(firstWrong);
        bytes32 firstMid = truth.txRoot(firstWrong / 2);
        vm.prank(challenger);
        t.before = gasleft();
        uint256 gameId = game.createGame{value: BOND}(CLAIM, firstWrong, disputedRoot, rootProof, firstMid);
        t.createGas = t.before - gasleft();
        _bisect(gameId, truth, lie, t);
        Game memory last = game.getGame(gameId);
        bytes memory stepProof = truth.stepProof(last.txIndex, last.lo);
        t.before = gasleft();
        game.step(gameId, stepProof);
        t.stepGas = t.before - gasleft();

        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.ChallengerWon));
        uint256 moves = game.getGame(gameId).moves;
        vm.assertLe(moves, _ceilLog2(TXS) + DEPTH + 2);
        emit log_named_uint("disputed tx", firstWrong);
        emit log_named_uint("moves (create + answers + step)", moves);
        emit log_named_uint("createGame gas", t.createGas);
        emit log_named_uint("tx-level answers", t.txMoves);
        emit log_named_uint("tx-level answer gas (mean)", t.txMoves == 0 ? 0 : t.txMovesGas / t.txMoves);
        emit log_named_uint("step-level answers", t.stepMoves);
        emit log_named_uint("step-level answer gas (mean)", t.stepMovesGas / t.stepMoves);
        emit log_named_uint("max answer gas", t.maxMoveGas);
        emit log_named_uint("step + resolve + slash gas", t.stepGas);
        emit log_named_uint("total execution gas", t.createGas + t.txMovesGas + t.stepMovesGas + t.stepGas);
    }

    struct Tally {
        uint256 before;
        uint256 createGas;
        uint256 txMovesGas;
        uint256 txMoves;
        uint256 stepMovesGas;
        uint256 stepMoves;
        uint256 maxMoveGas;
        uint256 stepGas;
    }

    function _bisect(
        uint256 gameId,
        AlphabetTrace.Trace memory truth,
        AlphabetTrace.Trace memory lie,
        Tally memory t
    ) internal {
        for (uint256 guard; guard < 100; ++guard) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            bool defenderMoves = g.turn == Player.Defender;
            (bool agree, bytes32 next, bytes32[] memory proof) =
                _moveFor(gameId, defenderMoves ? lie : truth, defenderMoves);
            vm.prank(defenderMoves ? defender : challenger);
            t.before = gasleft();
            game.move(gameId, agree, next, proof);
            uint256 used = t.before - gasleft();
            if (g.level == Level.Transactions) {
                t.txMovesGas += used;
                ++t.txMoves;
            } else {
                t.stepMovesGas += used;
                ++t.stepMoves;
            }
            if (used > t.maxMoveGas) t.maxMoveGas = used;
        }
    }
}
