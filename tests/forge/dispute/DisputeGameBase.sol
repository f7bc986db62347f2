// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {DisputeGame} from "../../../contracts/dispute/DisputeGame.sol";
import {AlphabetVM} from "../../../contracts/dispute/AlphabetVM.sol";
import {IDisputeClaims} from "../../../contracts/dispute/IDisputeClaims.sol";
import {IStepVerifier} from "../../../contracts/dispute/IStepVerifier.sol";
import {ITraceBinding} from "../../../contracts/dispute/ITraceBinding.sol";
import {ISequencerRegistry} from "../../../contracts/interfaces/ISequencerRegistry.sol";
import {
    Player, Level, GameStatus, Resolution, Game, ClaimRecord, DisputeGameConfig
} from "../../../contracts/dispute/lib/DisputeTypes.sol";
import {ClaimBoardMock, SlashRegistryMock} from "./DisputeMocks.sol";
import {AlphabetTrace} from "./AlphabetTrace.sol";

/// @notice Shared fixture of the DisputeGame forge tests: an AlphabetVM game with
///         2^4 steps per transaction, a claim board, an ETH stake registry, and players
///         that answer according to an AlphabetTrace (honest or lying).
abstract contract DisputeGameBase is TestBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    event log_named_uint(string key, uint256 val);

    uint8 internal constant STEP_DEPTH = 4;
    uint64 internal constant CHALLENGER_CLOCK = 1 hours;
    uint64 internal constant DEFENDER_CLOCK = 2 hours;
    uint128 internal constant BOND = 1 ether;
    uint256 internal constant SLASH = 5 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant START_VALUE = 1000;

    address internal defender = address(0xDEF0);
    address internal challenger = address(0xC4A1);
    address internal challenger2 = address(0xC4A2);

    AlphabetVM internal alphabet;
    ClaimBoardMock internal board;
    SlashRegistryMock internal registry;
    DisputeGame internal game;

    function setUp() public virtual {
        vm.warp(1_000_000);
        alphabet = new AlphabetVM();
        board = new ClaimBoardMock();
        registry = new SlashRegistryMock();
        game = _deployGame(STEP_DEPTH);
        registry.setSlasher(address(game));
        vm.deal(address(this), 100 ether);
        registry.stake{value: STAKE}(defender);
        vm.deal(challenger, 10 ether);
        vm.deal(challenger2, 10 ether);
    }

    function _config(uint8 depth) internal view returns (DisputeGameConfig memory) {
        return DisputeGameConfig({
            claims: IDisputeClaims(address(board)),
            stepVerifier: IStepVerifier(address(alphabet)),
            traceBinding: ITraceBinding(address(alphabet)),
            registry: ISequencerRegistry(address(registry)),
            stepDepth: depth,
            challengerClock: CHALLENGER_CLOCK,
            defenderClock: DEFENDER_CLOCK,
            challengerBond: BOND,
            slashToken: address(0),
            slashAmount: SLASH
        });
    }

    function _deployGame(uint8 depth) internal returns (DisputeGame) {
        return new DisputeGame(_config(depth));
    }

    // -- traces ----------------------------------------------------------------

    function _honest(uint256 txCount) internal view returns (AlphabetTrace.Trace memory) {
        return AlphabetTrace.honest(txCount, game.STEP_DEPTH(), START_VALUE);
    }

    function _liar(uint256 txCount, uint256 lieFrom) internal view returns (AlphabetTrace.Trace memory) {
        return AlphabetTrace.liar(txCount, game.STEP_DEPTH(), START_VALUE, lieFrom);
    }

    /// @notice Post the claim `defenderTrace` describes, defended by `defender`.
    function _postClaim(bytes32 claimId, AlphabetTrace.Trace memory defenderTrace) internal {
        vm.prank(defender);
        board.postClaim(
            claimId,
            defenderTrace.txRoot(0),
            defenderTrace.commitment(),
            uint64(defenderTrace.txCount),
            uint64(block.timestamp + 1 days),
            keccak256(abi.encode("context", claimId))
        );
    }

    // -- players ---------------------------------------------------------------

    /// @notice `who` opens a game against r_`disputedTx` of the defender's pack, claiming
    ///         its own midpoint from `own`.
    function _open(
        bytes32 claimId,
        address who,
        AlphabetTrace.Trace memory own,
        AlphabetTrace.Trace memory defenderTrace,
        uint256 disputedTx
    ) internal returns (uint256 gameId) {
        bytes32 mid;
        uint256 depth = game.STEP_DEPTH();
        if (disputedTx == 1) {
            if (depth > 0) mid = own.stepState(1, (uint256(1) << depth) / 2);
        } else {
            mid = own.txRoot(disputedTx / 2);
        }
        bytes32[] memory proof = defenderTrace.rootProof(disputedTx);
        vm.prank(who);
        gameId = game.createGame{value: BOND}(claimId, disputedTx, defenderTrace.txRoot(disputedTx), proof, mid);
    }

    /// @notice The move a player following `own` makes now in game `gameId`.
    function _moveFor(uint256 gameId, AlphabetTrace.Trace memory own, bool isDefender)
        internal
        view
        returns (bool agree, bytes32 next, bytes32[] memory proof)
    {
        Game memory g = game.getGame(gameId);
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        bytes32 mine = g.level == Level.Transactions ? own.txRoot(mid) : own.stepState(g.txIndex, mid);
        agree = mine == g.midHash;
        uint256 lo = agree ? mid : g.lo;
        uint256 hi = agree ? g.hi : mid;
        Level level = g.level;
        uint256 txIndex = g.txIndex;
        if (level == Level.Transactions && hi - lo == 1) {
            level = Level.Steps;
            txIndex = hi;
            lo = 0;
            hi = uint256(1) << game.STEP_DEPTH();
        }
        if (hi - lo > 1) {
            uint256 nextMid = lo + (hi - lo) / 2;
            if (level == Level.Transactions) {
                next = own.txRoot(nextMid);
                if (isDefender) proof = own.rootProof(nextMid);
            } else {
                next = own.stepState(txIndex, nextMid);
            }
        }
    }

    function _answer(uint256 gameId, AlphabetTrace.Trace memory own, address who) internal {
        (bool agree, bytes32 next, bytes32[] memory proof) = _moveFor(gameId, own, who == defender);
        vm.prank(who);
        game.move(gameId, agree, next, proof);
    }

    /// @notice Play game `gameId` to its single step with both players following their
    ///         traces, then submit the step with the (agreed) pre-state's proof.
    function _playOut(
        uint256 gameId,
        AlphabetTrace.Trace memory defenderTrace,
        AlphabetTrace.Trace memory challengerTrace,
        address challengerAddress
    ) internal returns (GameStatus) {
        for (uint256 guard; guard < 200; ++guard) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            if (g.turn == Player.Defender) _answer(gameId, defenderTrace, defender);
            else _answer(gameId, challengerTrace, challengerAddress);
        }
        Game memory last = game.getGame(gameId);
        game.step(gameId, defenderTrace.stepProof(last.txIndex, last.lo));
        return game.getGame(gameId).status;
    }

    function _ceilLog2(uint256 x) internal pure returns (uint256 r) {
        while ((uint256(1) << r) < x) ++r;
    }

    /// @notice The game's ETH equals its escrowed bonds plus unclaimed credit.
    function _assertBalanced() internal view {
        vm.assertEq(address(game).balance, game.escrowedBonds() + game.outstandingCredit(), "bond accounting");
    }
}
