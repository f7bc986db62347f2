// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {SequencerRegistry} from "../../contracts/SequencerRegistry.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {AlphabetVM} from "../../contracts/dispute/AlphabetVM.sol";
import {IDisputeClaims} from "../../contracts/dispute/IDisputeClaims.sol";
import {IStepVerifier} from "../../contracts/dispute/IStepVerifier.sol";
import {ITraceBinding} from "../../contracts/dispute/ITraceBinding.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {Player, Level, GameStatus, Game, DisputeGameConfig} from "../../contracts/dispute/lib/DisputeTypes.sol";
import {ClaimBoardMock} from "./dispute/DisputeMocks.sol";
import {AlphabetTrace} from "./dispute/AlphabetTrace.sol";

/// @notice DisputeGame against the real SequencerRegistry: a losing defender's ETH stake
///         is slashed to the challenger; an unauthorized game still defeats the claim.
contract DisputeGameRegistryTest is TestBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    uint256 internal constant STAKE = 8 ether;
    uint256 internal constant SLASH = 3 ether;
    uint128 internal constant BOND = 1 ether;
    uint8 internal constant DEPTH = 3;
    uint256 internal constant TXS = 6;
    bytes32 internal constant CLAIM = keccak256("registry-claim");

    address internal gov = address(0x60F);
    address internal defender = address(0xDEF1);
    address internal challenger = address(0xC0FFEE);

    SequencerRegistry internal registry;
    ClaimBoardMock internal board;
    AlphabetVM internal alphabet;
    DisputeGame internal game;

    function setUp() public {
        vm.warp(2_000_000);
        registry = new SequencerRegistry(gov, 3 days);
        vm.prank(gov);
        registry.allowToken(address(0));
        Vm.Wallet memory wallet = vm.createWallet(uint256(keccak256("defender key")));
        vm.prank(defender);
        registry.register("tcp://127.0.0.1:30303", abi.encodePacked(wallet.publicKeyX, wallet.publicKeyY));
        vm.deal(defender, STAKE);
        vm.prank(defender);
        registry.stake{value: STAKE}(address(0), STAKE);

        board = new ClaimBoardMock();
        alphabet = new AlphabetVM();
        game = new DisputeGame(
            DisputeGameConfig({
                claims: IDisputeClaims(address(board)),
                stepVerifier: IStepVerifier(address(alphabet)),
                traceBinding: ITraceBinding(address(alphabet)),
                registry: ISequencerRegistry(address(registry)),
                stepDepth: DEPTH,
                challengerClock: 1 hours,
                defenderClock: 1 hours,
                challengerBond: BOND,
                slashToken: address(0),
                slashAmount: SLASH
            })
        );
        vm.deal(challenger, 5 ether);
    }

    function test_losingDefenderIsSlashedThroughTheRegistry() public {
        vm.prank(gov);
        registry.authorizeSlasher(address(game));
        uint256 gameId = _lyingClaimDefeated();
        vm.assertEq(registry.activeStake(defender, address(0)), STAKE - SLASH);
        vm.assertEq(challenger.balance, 5 ether - BOND + SLASH);
        vm.assertEq(game.credit(challenger), BOND);
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.ChallengerWon));
    }

    function test_unauthorizedGameStillDefeatsTheClaim() public {
        uint256 gameId = _lyingClaimDefeated();
        vm.assertEq(registry.activeStake(defender, address(0)), STAKE);
        vm.assertTrue(game.isDefeated(CLAIM));
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.ChallengerWon));
    }

    /// @dev A lying pack, an honest challenger playing against a consistent liar.
    function _lyingClaimDefeated() internal returns (uint256 gameId) {
        AlphabetTrace.Trace memory truth = AlphabetTrace.honest(TXS, DEPTH, 5);
        AlphabetTrace.Trace memory lie = AlphabetTrace.liar(TXS, DEPTH, 5, 19);
        vm.prank(defender);
        board.postClaim(CLAIM, lie.txRoot(0), lie.commitment(), uint64(TXS), uint64(block.timestamp + 1 days), 0);
        bytes32[] memory proof = lie.rootProof(3); // r_3 = step 24 is the first wrong root
        vm.prank(challenger);
        gameId = game.createGame{value: BOND}(CLAIM, 3, lie.txRoot(3), proof, truth.txRoot(1));
        for (uint256 guard; guard < 40; ++guard) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            bool defenderMoves = g.turn == Player.Defender;
            (bool agree, bytes32 next, bytes32[] memory midProof) = _move(g, defenderMoves ? lie : truth, defenderMoves);
            vm.prank(defenderMoves ? defender : challenger);
            game.move(gameId, agree, next, midProof);
        }
        Game memory last = game.getGame(gameId);
        vm.expectEmit(true, true, true, false);
        emit DisputeGame.DefenderSlashed(gameId, defender, challenger, address(0), SLASH, 0);
        game.step(gameId, truth.stepProof(last.txIndex, last.lo));
    }

    function _move(Game memory g, AlphabetTrace.Trace memory own, bool isDefender)
        internal
        pure
        returns (bool agree, bytes32 next, bytes32[] memory proof)
    {
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        agree = (g.level == Level.Transactions ? own.txRoot(mid) : own.stepState(g.txIndex, mid)) == g.midHash;
        uint256 lo = agree ? mid : g.lo;
        uint256 hi = agree ? g.hi : mid;
        Level level = g.level;
        uint256 txIndex = g.txIndex;
        if (level == Level.Transactions && hi - lo == 1) (level, txIndex, lo, hi) = (Level.Steps, hi, 0, 1 << DEPTH);
        if (hi - lo <= 1) return (agree, bytes32(0), proof);
        uint256 nextMid = lo + (hi - lo) / 2;
        if (level == Level.Transactions) {
            next = own.txRoot(nextMid);
            if (isDefender) proof = own.rootProof(nextMid);
        } else {
            next = own.stepState(txIndex, nextMid);
        }
    }
}
