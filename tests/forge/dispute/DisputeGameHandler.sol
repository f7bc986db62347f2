// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {DisputeGame} from "../../../contracts/dispute/DisputeGame.sol";
import {Player, Level, GameStatus, Resolution, Game} from "../../../contracts/dispute/lib/DisputeTypes.sol";
import {ClaimBoardMock, SlashRegistryMock} from "./DisputeMocks.sol";
import {AlphabetTrace} from "./AlphabetTrace.sol";

/// @title DisputeGameHandler
/// @notice Random action sequences for the DisputeGame invariant test: games opened on
///         four claims (two lying packs, two true ones), answered honestly or at random
///         by the dishonest side, stepped, timed out, credits claimed, time warped.
///         The honest side of a game always plays by the true trace; the dishonest side
///         plays by its own wrong trace or at random.
contract DisputeGameHandler {
    using AlphabetTrace for AlphabetTrace.Trace;

    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    uint256 public constant TXS = 5;
    uint256 public constant CLAIMS = 4;

    DisputeGame public immutable game;
    ClaimBoardMock public immutable board;
    address public immutable defender;
    uint256 internal immutable depth;

    bytes32[CLAIMS] public claimIds;
    address[3] public challengers;

    /// @notice Per game: the claim index it was opened on.
    mapping(uint256 => uint256) public claimIndexOf;
    /// @notice Ghost: wei deposited as bonds, and withdrawn as credit.
    uint256 public bondsDeposited;
    uint256 public creditWithdrawn;
    /// @notice Ghost: a game resolved by a step proof was won by the dishonest side.
    bool public dishonestStepWin;
    /// @notice Ghost: games resolved by a step proof and by a timeout.
    uint256 public stepResolutions;
    uint256 public timeoutResolutions;

    constructor(DisputeGame game_, ClaimBoardMock board_, address defender_) {
        game = game_;
        board = board_;
        defender = defender_;
        depth = game_.STEP_DEPTH();
        challengers = [address(0xA1), address(0xA2), address(0xA3)];
        for (uint256 c; c < CLAIMS; ++c) {
            claimIds[c] = keccak256(abi.encode("invariant-claim", c));
            AlphabetTrace.Trace memory pack = _packTrace(c);
            vm.prank(defender_);
            board_.postClaim(
                claimIds[c], pack.txRoot(0), pack.commitment(), uint64(TXS), uint64(block.timestamp + 3650 days), 0
            );
        }
    }

    // -- traces ------------------------------------------------------------------------

    /// @dev Claims 0 and 1 are lying packs; 2 and 3 are true.
    function _lies(uint256 c) internal pure returns (bool) {
        return c < 2;
    }

    function _truth() internal view returns (AlphabetTrace.Trace memory) {
        return AlphabetTrace.honest(TXS, depth, 7);
    }

    function _wrong(uint256 c) internal view returns (AlphabetTrace.Trace memory) {
        return AlphabetTrace.liar(TXS, depth, 7, 1 + (c * 13) % (TXS << depth));
    }

    function _packTrace(uint256 c) internal view returns (AlphabetTrace.Trace memory) {
        return _lies(c) ? _wrong(c) : _truth();
    }

    function _challengerTrace(uint256 c) internal view returns (AlphabetTrace.Trace memory) {
        return _lies(c) ? _truth() : _wrong(c + 7);
    }

    // -- actions -----------------------------------------------------------------------

    function open(uint256 claimSeed, uint256 challengerSeed, uint256 disputedSeed) external {
        uint256 c = claimSeed % CLAIMS;
        if (game.isDefeated(claimIds[c])) return;
        address who = challengers[challengerSeed % 3];
        AlphabetTrace.Trace memory pack = _packTrace(c);
        AlphabetTrace.Trace memory own = _challengerTrace(c);
        uint256 disputedTx = 1 + disputedSeed % TXS;
        if (_lies(c)) {
            // The honest challenger disputes a root that is really wrong.
            while (pack.txRoot(disputedTx) == own.txRoot(disputedTx)) disputedTx = disputedTx % TXS + 1;
        }
        bytes32 mid;
        if (disputedTx == 1) {
            if (depth > 0) mid = own.stepState(1, (uint256(1) << depth) / 2);
        } else {
            mid = own.txRoot(disputedTx / 2);
        }
        uint256 bond = game.CHALLENGER_BOND();
        vm.deal(who, who.balance + bond);
        bytes32[] memory proof = pack.rootProof(disputedTx);
        vm.prank(who);
        uint256 gameId = game.createGame{value: bond}(claimIds[c], disputedTx, pack.txRoot(disputedTx), proof, mid);
        claimIndexOf[gameId] = c;
        bondsDeposited += bond;
    }

    /// @notice Play up to `1 + rounds % 8` answers of one game (both sides in turn).
    function answer(uint256 gameSeed, bool chaos, uint256 noise, uint256 rounds) external {
        uint256 gameId = _pick(gameSeed);
        if (gameId == 0) return;
        rounds = 1 + rounds % 8;
        for (uint256 r; r < rounds; ++r) {
            if (!_answerOnce(gameId, chaos, uint256(keccak256(abi.encode(noise, r))))) return;
        }
    }

    function _answerOnce(uint256 gameId, bool chaos, uint256 noise) internal returns (bool) {
        Game memory g = game.getGame(gameId);
        if (g.status != GameStatus.InProgress || !g.midPending || _expired(g)) return false;
        uint256 c = claimIndexOf[gameId];
        bool defenderMoves = g.turn == Player.Defender;
        AlphabetTrace.Trace memory own = defenderMoves ? _packTrace(c) : _challengerTrace(c);
        bool dishonest = defenderMoves == _lies(c);
        (bool agree, bytes32 next, bytes32[] memory proof) = _honestMove(g, own, defenderMoves);
        if (chaos && dishonest) {
            agree = noise & 1 == 1;
            (next, proof) = _chaosClaim(g, agree, own, defenderMoves, noise);
        }
        vm.prank(defenderMoves ? g.defender : g.challenger);
        game.move(gameId, agree, next, proof);
        return true;
    }

    function step(uint256 gameId) external {
        gameId = _pick(gameId);
        if (gameId == 0) return;
        Game memory g = game.getGame(gameId);
        if (g.midPending || g.level != Level.Steps || _expired(g)) return;
        game.step(gameId, _truth().stepProof(g.txIndex, g.lo));
        ++stepResolutions;
        Game memory done = game.getGame(gameId);
        bool challengerHonest = _lies(claimIndexOf[gameId]);
        bool challengerWon = done.status == GameStatus.ChallengerWon;
        if (challengerWon != challengerHonest) dishonestStepWin = true;
    }

    function timeout(uint256 gameSeed) external {
        uint256 gameId = _pick(gameSeed);
        if (gameId == 0) return;
        if (!_expired(game.getGame(gameId))) return;
        game.resolveTimeout(gameId);
        ++timeoutResolutions;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 50 minutes);
    }

    function withdraw(uint256 actorSeed) external {
        address who = actorSeed % 4 == 3 ? defender : challengers[actorSeed % 3];
        uint256 amount = game.credit(who);
        if (amount == 0) return;
        vm.prank(who);
        game.claimCredit();
        creditWithdrawn += amount;
    }

    // -- helpers -----------------------------------------------------------------------

    /// @dev An in-progress game chosen by `seed` (0 when there is none).
    function _pick(uint256 seed) internal view returns (uint256) {
        uint256 count = game.gameCount();
        if (count == 0) return 0;
        uint256 start = seed % count;
        for (uint256 k; k < count; ++k) {
            uint256 id = 1 + (start + k) % count;
            if (game.getGame(id).status == GameStatus.InProgress) return id;
        }
        return 0;
    }

    function _expired(Game memory g) internal view returns (bool) {
        uint256 used = g.turn == Player.Defender ? g.defenderClockUsed : g.challengerClockUsed;
        uint256 budget = g.turn == Player.Defender ? game.DEFENDER_CLOCK() : game.CHALLENGER_CLOCK();
        return used + (block.timestamp - g.lastMoveAt) > budget;
    }

    function _segmentAfter(Game memory g, bool agree) internal view returns (Level level, uint256 txIndex, uint256 lo, uint256 hi) {
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        (lo, hi) = agree ? (mid, uint256(g.hi)) : (uint256(g.lo), mid);
        (level, txIndex) = (g.level, g.txIndex);
        if (level == Level.Transactions && hi - lo == 1) {
            (level, txIndex, lo, hi) = (Level.Steps, hi, 0, uint256(1) << depth);
        }
    }

    function _honestMove(Game memory g, AlphabetTrace.Trace memory own, bool isDefender)
        internal
        view
        returns (bool agree, bytes32 next, bytes32[] memory proof)
    {
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        bytes32 mine = g.level == Level.Transactions ? own.txRoot(mid) : own.stepState(g.txIndex, mid);
        agree = mine == g.midHash;
        (Level level, uint256 txIndex, uint256 lo, uint256 hi) = _segmentAfter(g, agree);
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

    function _chaosClaim(Game memory g, bool agree, AlphabetTrace.Trace memory own, bool isDefender, uint256 noise)
        internal
        view
        returns (bytes32 next, bytes32[] memory proof)
    {
        (Level level,, uint256 lo, uint256 hi) = _segmentAfter(g, agree);
        if (hi - lo <= 1) return (bytes32(0), proof);
        uint256 nextMid = lo + (hi - lo) / 2;
        if (level == Level.Transactions && isDefender) return (own.txRoot(nextMid), own.rootProof(nextMid));
        next = keccak256(abi.encode("chaos", noise));
    }
}
