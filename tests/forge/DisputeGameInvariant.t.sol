// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {AlphabetVM} from "../../contracts/dispute/AlphabetVM.sol";
import {IDisputeClaims} from "../../contracts/dispute/IDisputeClaims.sol";
import {IStepVerifier} from "../../contracts/dispute/IStepVerifier.sol";
import {ITraceBinding} from "../../contracts/dispute/ITraceBinding.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {GameStatus, Game, ClaimRecord, DisputeGameConfig} from "../../contracts/dispute/lib/DisputeTypes.sol";
import {ClaimBoardMock, SlashRegistryMock} from "./dispute/DisputeMocks.sol";
import {DisputeGameHandler} from "./dispute/DisputeGameHandler.sol";

/// @title DisputeGameInvariantTest
/// @notice Stateful invariants of DisputeGame under random sequences of openings,
///         answers (honest, or random for the dishonest side), steps, timeouts, credit
///         withdrawals and time warps (see `[invariant]` in foundry.toml).
contract DisputeGameInvariantTest is TestBase {
    /// @dev Forge's target-selector record (matches forge-std's `FuzzSelector`).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant STAKE = 1000 ether;
    uint256 internal constant SLASH = 3 ether;
    uint128 internal constant BOND = 0.5 ether;

    DisputeGame internal game;
    SlashRegistryMock internal registry;
    DisputeGameHandler internal handler;
    address internal constant DEFENDER = address(0xDEF);

    function setUp() public {
        AlphabetVM alphabet = new AlphabetVM();
        ClaimBoardMock board = new ClaimBoardMock();
        registry = new SlashRegistryMock();
        game = new DisputeGame(
            DisputeGameConfig({
                claims: IDisputeClaims(address(board)),
                stepVerifier: IStepVerifier(address(alphabet)),
                traceBinding: ITraceBinding(address(alphabet)),
                registry: ISequencerRegistry(address(registry)),
                stepDepth: 3,
                challengerClock: 2 hours,
                defenderClock: 2 hours,
                challengerBond: BOND,
                slashToken: address(0),
                slashAmount: SLASH
            })
        );
        registry.setSlasher(address(game));
        vm.deal(address(this), STAKE);
        registry.stake{value: STAKE}(DEFENDER);
        handler = new DisputeGameHandler(game, board, DEFENDER);
        targetContract(address(handler));
    }

    /// @notice Fuzz only the handler's actions (not its getters).
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = DisputeGameHandler.open.selector;
        selectors[1] = DisputeGameHandler.answer.selector;
        selectors[2] = DisputeGameHandler.step.selector;
        selectors[3] = DisputeGameHandler.timeout.selector;
        selectors[4] = DisputeGameHandler.warp.selector;
        selectors[5] = DisputeGameHandler.withdraw.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice The game holds exactly the escrowed bonds plus the unclaimed credit, and
    ///         every wei deposited is in one of those or was withdrawn.
    function invariant_bondAccounting() public view {
        vm.assertEq(address(game).balance, game.escrowedBonds() + game.outstandingCredit());
        vm.assertEq(
            handler.bondsDeposited(), game.escrowedBonds() + game.outstandingCredit() + handler.creditWithdrawn()
        );
        uint256 open;
        for (uint256 id = 1; id <= game.gameCount(); ++id) {
            if (game.getGame(id).status == GameStatus.InProgress) ++open;
        }
        vm.assertEq(game.escrowedBonds(), open * BOND);
    }

    /// @notice Each claim's record matches its games, and the defender was slashed once
    ///         per defeated claim.
    function invariant_claimRecords() public view {
        uint256 defeatedClaims;
        for (uint256 c; c < handler.CLAIMS(); ++c) {
            bytes32 claimId = handler.claimIds(c);
            uint256[] memory ids = game.gamesOf(claimId);
            ClaimRecord memory record = game.claimRecord(claimId);
            uint256 open;
            bool lost;
            for (uint256 k; k < ids.length; ++k) {
                GameStatus status = game.getGame(ids[k]).status;
                if (status == GameStatus.InProgress) ++open;
                if (status == GameStatus.ChallengerWon) lost = true;
            }
            vm.assertEq(record.totalGames, ids.length);
            vm.assertEq(record.openGames, open);
            vm.assertEq(record.defeated, lost);
            vm.assertEq(game.hasOpenGame(claimId), open > 0);
            vm.assertEq(game.isUndisputed(claimId), open == 0 && !lost);
            if (lost) ++defeatedClaims;
        }
        vm.assertEq(registry.stakeOf(DEFENDER), STAKE - defeatedClaims * SLASH);
    }

    /// @notice A step proof never decides for the dishonest side.
    function invariant_stepsFavourTheTruth() public view {
        vm.assertFalse(handler.dishonestStepWin());
    }

    /// @notice Resolved games have a resolution, open ones none.
    function invariant_resolutionConsistent() public view {
        for (uint256 id = 1; id <= game.gameCount(); ++id) {
            Game memory g = game.getGame(id);
            vm.assertEq(g.status == GameStatus.InProgress, uint8(g.resolution) == 0);
        }
    }

}
