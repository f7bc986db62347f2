// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vm, VmRollup} from "./utils/Vm.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {SequencerRegistry} from "../../contracts/SequencerRegistry.sol";
import {ExecutionLayerRegistry} from "../../contracts/ExecutionLayerRegistry.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {
    Tier,
    PackHeader,
    Pack,
    IDisputeOutcomes,
    IRollupDirectory,
    RollupConfig
} from "../../contracts/interfaces/IRollup.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {AlphabetVM} from "../../contracts/dispute/AlphabetVM.sol";
import {IDisputeClaims} from "../../contracts/dispute/IDisputeClaims.sol";
import {IStepVerifier} from "../../contracts/dispute/IStepVerifier.sol";
import {ITraceBinding} from "../../contracts/dispute/ITraceBinding.sol";
import {TxRootsMerkle} from "../../contracts/dispute/lib/TxRootsMerkle.sol";
import {Player, Level, GameStatus, Game, DisputeGameConfig} from "../../contracts/dispute/lib/DisputeTypes.sol";
import {AlphabetTrace} from "./dispute/AlphabetTrace.sol";
import {DirectoryMock} from "./rollup/RollupMocks.sol";

/// @notice The Rollup with the real DisputeGame, AlphabetVM and SequencerRegistry: a
///         wrong pack is challenged, loses, its poster is slashed, it is invalidated with
///         every later pack and the head reverts; a wrong challenger loses against a
///         correct pack, which then finalizes; an open game blocks finality.
contract RollupDisputeTest is TestBase {
    using AlphabetTrace for AlphabetTrace.Trace;

    VmRollup internal constant vmr = VmRollup(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    uint8 internal constant DEPTH = 3;
    uint256 internal constant TXS = 4; // per pack
    uint64 internal constant WINDOW = 1 days;
    uint64 internal constant CLOCK = 3 days; // longer than the window: games outlive it
    uint128 internal constant BOND = 1 ether;
    uint256 internal constant SLASH = 5 ether;
    uint256 internal constant MIN_STAKE = 10 ether;
    uint256 internal constant START = 1000;

    address internal gov = address(0x6001);
    address internal honestV = address(0x1001);
    address internal liarV = address(0x1002);
    address internal thirdV = address(0x1003);
    address internal challenger = address(0xC4A1);

    SequencerRegistry internal registry;
    DirectoryMock internal directory;
    AlphabetVM internal alphabet;
    DisputeGame internal game;
    Rollup internal rollup;

    /// @dev The true execution of three packs' worth of transactions.
    AlphabetTrace.Trace internal truth;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new SequencerRegistry(gov, 1 days);
        vm.prank(gov);
        registry.allowToken(address(0));
        directory = new DirectoryMock();
        directory.set(1, ExecutionLayerRegistry.Status.Active, 900_001);
        alphabet = new AlphabetVM();
        truth = AlphabetTrace.honest(3 * TXS, DEPTH, START);

        // The game names the Rollup deployed right after it as its claim source.
        address predicted = _createAddress(address(this), vmr.getNonce(address(this)) + 1);
        game = new DisputeGame(
            DisputeGameConfig({
                claims: IDisputeClaims(predicted),
                stepVerifier: IStepVerifier(address(alphabet)),
                traceBinding: ITraceBinding(address(alphabet)),
                registry: ISequencerRegistry(address(registry)),
                stepDepth: DEPTH,
                challengerClock: CLOCK,
                defenderClock: CLOCK,
                challengerBond: BOND,
                slashToken: address(0),
                slashAmount: SLASH
            })
        );
        rollup = new Rollup(
            RollupConfig({
                executionLayerRegistry: IRollupDirectory(address(directory)),
                rollupId: 1,
                sequencerRegistry: ISequencerRegistry(address(registry)),
                disputeGame: IDisputeOutcomes(address(game)),
                challengeWindow: WINDOW,
                affirmationQuorum: 1,
                finalityRequiresQuorum: false,
                stakeToken: address(0),
                minVerifierStake: MIN_STAKE,
                genesisStateRoot: truth.txRoot(0)
            })
        );
        vm.assertEq(address(rollup), predicted);
        vm.prank(gov);
        registry.authorizeSlasher(address(game));
        _verifier(honestV, 21);
        _verifier(liarV, 22);
        _verifier(thirdV, 23);
        vm.deal(challenger, 10 ether);
    }

    // -- helpers -------------------------------------------------------------------

    function _createAddress(address deployer, uint256 nonce) internal pure returns (address) {
        require(nonce > 0 && nonce < 0x80, "nonce range");
        return
            address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, uint8(nonce))))));
    }

    function _verifier(address who, uint256 pk) internal {
        Vm.Wallet memory w = vm.createWallet(pk);
        vm.prank(who);
        registry.register("tcp://127.0.0.1:30303", abi.encodePacked(w.publicKeyX, w.publicKeyY));
        vm.deal(who, MIN_STAKE);
        vm.prank(who);
        registry.stake{value: MIN_STAKE}(address(0), MIN_STAKE);
    }

    /// @dev Roots r_1..r_TXS of the pack covering trace transactions offset+1 .. offset+TXS.
    function _packRoots(AlphabetTrace.Trace memory t, uint256 offset) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](TXS);
        for (uint256 i; i < TXS; ++i) {
            roots[i] = t.txRoot(offset + i + 1);
        }
    }

    function _merkleProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = TxRootsMerkle.depth(leaves.length);
        uint256 width = uint256(1) << depth;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) {
            layer[i] = TxRootsMerkle.leafHash(leaves[i]);
        }
        siblings = new bytes32[](depth);
        for (uint256 level; level < depth; ++level) {
            siblings[level] = layer[index ^ 1];
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = TxRootsMerkle.nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
            index >>= 1;
        }
    }

    /// @dev `who` posts the pack the trace `t` gives for transactions offset+1 .. offset+TXS.
    function _postFrom(address who, AlphabetTrace.Trace memory t, uint256 offset) internal returns (uint256 id) {
        bytes32[] memory roots = _packRoots(t, offset);
        uint256 headId = rollup.head();
        Pack memory parent = rollup.getPack(headId);
        PackHeader memory header = PackHeader({
            parentId: uint64(headId),
            firstBlock: parent.lastBlock + 1,
            lastBlock: parent.lastBlock + 1,
            txCount: uint64(TXS),
            txRootsCommitment: TxRootsMerkle.commit(roots),
            stateRoot: roots[TXS - 1]
        });
        vm.prank(who);
        id = rollup.postPack(header, _merkleProof(roots, TXS - 1), abi.encodePacked("txs", offset));
    }

    /// @dev State of trace `t` (pack at `offset`) at `position` of the game's level.
    function _state(AlphabetTrace.Trace memory t, uint256 offset, Level level, uint256 txIndex, uint256 position)
        internal
        pure
        returns (bytes32)
    {
        return level == Level.Transactions ? t.txRoot(offset + position) : t.stepState(offset + txIndex, position);
    }

    /// @dev The move of a player following `t` in game `gameId` over the pack at `offset`.
    function _answer(uint256 gameId, AlphabetTrace.Trace memory t, uint256 offset, address who, bool isDefender)
        internal
    {
        Game memory g = game.getGame(gameId);
        uint256 mid = g.lo + (g.hi - g.lo) / 2;
        bool agree = _state(t, offset, g.level, g.txIndex, mid) == g.midHash;
        uint256 lo = agree ? mid : g.lo;
        uint256 hi = agree ? g.hi : mid;
        Level level = g.level;
        uint256 txIndex = g.txIndex;
        if (level == Level.Transactions && hi - lo == 1) {
            (level, txIndex, lo, hi) = (Level.Steps, hi, 0, uint256(1) << DEPTH);
        }
        bytes32 next;
        bytes32[] memory proof;
        if (hi - lo > 1) {
            uint256 nextMid = lo + (hi - lo) / 2;
            next = _state(t, offset, level, txIndex, nextMid);
            if (level == Level.Transactions && isDefender) proof = _merkleProof(_packRoots(t, offset), nextMid - 1);
        }
        vm.prank(who);
        game.move(gameId, agree, next, proof);
    }

    /// @dev Open a game against the last root of the pack at `offset` and play it out.
    function _dispute(
        uint256 packId,
        uint256 offset,
        AlphabetTrace.Trace memory defenderTrace,
        AlphabetTrace.Trace memory challengerTrace
    ) internal returns (uint256 gameId) {
        gameId = _open(packId, offset, defenderTrace, challengerTrace);
        _playOut(gameId, offset, defenderTrace, challengerTrace);
    }

    function _open(
        uint256 packId,
        uint256 offset,
        AlphabetTrace.Trace memory defenderTrace,
        AlphabetTrace.Trace memory challengerTrace
    ) internal returns (uint256 gameId) {
        bytes32[] memory roots = _packRoots(defenderTrace, offset);
        bytes32 claimId = rollup.claimIdOf(packId);
        vm.prank(challenger);
        gameId = game.createGame{value: BOND}(
            claimId, TXS, roots[TXS - 1], _merkleProof(roots, TXS - 1), challengerTrace.txRoot(offset + TXS / 2)
        );
    }

    function _playOut(
        uint256 gameId,
        uint256 offset,
        AlphabetTrace.Trace memory defenderTrace,
        AlphabetTrace.Trace memory challengerTrace
    ) internal {
        address defender = game.getGame(gameId).defender;
        for (uint256 guard; guard < 64; ++guard) {
            Game memory g = game.getGame(gameId);
            if (!g.midPending) break;
            if (g.turn == Player.Defender) _answer(gameId, defenderTrace, offset, defender, true);
            else _answer(gameId, challengerTrace, offset, challenger, false);
        }
        Game memory last = game.getGame(gameId);
        game.step(gameId, truth.stepProof(offset + last.txIndex, last.lo));
    }

    // -- tests ---------------------------------------------------------------------

    function test_wrongPackLoses_isInvalidated_headReverts() public {
        uint256 p1 = _postFrom(honestV, truth, 0);
        // The liar's execution goes wrong at step 5 of its pack's third transaction.
        AlphabetTrace.Trace memory lie = AlphabetTrace.liar(3 * TXS, DEPTH, START, ((TXS + 2) << DEPTH) + 5);
        uint256 p2 = _postFrom(liarV, lie, TXS);
        uint256 p3 = _postFrom(thirdV, lie, 2 * TXS); // built on the wrong state
        vm.prank(thirdV);
        rollup.affirm(p2);
        assertTier(p2, Tier.VerificationFinal);

        uint256 gameId = _open(p2, TXS, lie, truth);
        vm.assertTrue(game.hasOpenGame(rollup.claimIdOf(p2)));
        // An open game blocks finality even after the window (and invalidation waits
        // for the outcome).
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(p1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DisputeInProgress.selector, p2));
        rollup.finalize(p2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackNotDefeated.selector, p2));
        rollup.invalidate(p2);

        uint256 stakeBefore = registry.activeStake(liarV, address(0));
        _playOut(gameId, TXS, lie, truth);
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.ChallengerWon));
        vm.assertTrue(game.isDefeated(rollup.claimIdOf(p2)));
        vm.assertEq(stakeBefore - registry.activeStake(liarV, address(0)), SLASH, "poster slashed");

        vm.expectRevert(abi.encodeWithSelector(Rollup.PackDefeated.selector, p2));
        rollup.finalize(p2);
        rollup.invalidate(p2);
        vm.assertEq(rollup.head(), p1);
        assertTier(p1, Tier.RollupFinal);
        assertTier(p2, Tier.Invalid);
        assertTier(p3, Tier.Invalid);
        vm.assertEq(rollup.stateRootAt(rollup.head()), truth.txRoot(TXS), "agents rebuild from the last valid root");

        // The honest verifier re-posts from the last valid pack; it finalizes.
        uint256 p4 = _postFrom(honestV, truth, TXS);
        vm.assertEq(uint256(rollup.getPack(p4).parentId), p1);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(p4);
        assertTier(p4, Tier.RollupFinal);
    }

    function test_wrongChallengerLoses_packFinalizes() public {
        uint256 p1 = _postFrom(honestV, truth, 0);
        AlphabetTrace.Trace memory confused = AlphabetTrace.liar(3 * TXS, DEPTH, START, 3);
        uint256 stakeBefore = registry.activeStake(honestV, address(0));
        uint256 gameId = _dispute(p1, 0, truth, confused);
        vm.assertEq(uint256(game.getGame(gameId).status), uint256(GameStatus.DefenderWon));
        vm.assertEq(game.credit(honestV), BOND, "defender receives the bond");
        vm.assertEq(registry.activeStake(honestV, address(0)), stakeBefore, "no slash");
        vm.expectRevert(abi.encodeWithSelector(Rollup.PackNotDefeated.selector, p1));
        rollup.invalidate(p1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.ChallengeWindowOpen.selector, p1, block.timestamp + WINDOW));
        rollup.finalize(p1);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(p1);
        assertTier(p1, Tier.RollupFinal);
    }

    function test_gamesOpenOnlyInsideTheWindow() public {
        uint256 p1 = _postFrom(honestV, truth, 0);
        vm.warp(block.timestamp + WINDOW);
        bytes32[] memory roots = _packRoots(truth, 0);
        bytes32[] memory proof = _merkleProof(roots, TXS - 1);
        bytes32 mid = truth.txRoot(TXS / 2);
        bytes32 claimId = rollup.claimIdOf(p1);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ChallengeWindowClosed.selector, claimId, block.timestamp));
        vm.prank(challenger);
        game.createGame{value: BOND}(claimId, TXS, roots[TXS - 1], proof, mid);
        rollup.finalize(p1);
    }

    function test_emptyPackIsNotDisputable() public {
        PackHeader memory header = PackHeader({
            parentId: 0,
            firstBlock: 1,
            lastBlock: 3,
            txCount: 0,
            txRootsCommitment: bytes32(0),
            stateRoot: truth.txRoot(0)
        });
        vm.prank(honestV);
        uint256 id = rollup.postPack(header, new bytes32[](0), "");
        bytes32 claimId = rollup.claimIdOf(id);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.InvalidClaimTxCount.selector, claimId, 0));
        vm.prank(challenger);
        game.createGame{value: BOND}(claimId, 1, bytes32(uint256(1)), new bytes32[](0), bytes32(0));
    }

    function assertTier(uint256 packId, Tier expected) internal view {
        vm.assertEq(uint256(rollup.tierOf(packId)), uint256(expected), "tier");
    }
}
