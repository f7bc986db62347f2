// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {RockPaperScissors} from "../../../contracts/workloads/RockPaperScissors.sol";

contract RockPaperScissorsTest is TestBase {
    RockPaperScissors internal game;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA401);
    bytes32 internal constant MATCH = keccak256("match 1");
    bytes32 internal constant SALT_A = keccak256("salt a");
    bytes32 internal constant SALT_B = keccak256("salt b");
    uint64 internal constant WINDOW = 600;

    function setUp() public {
        game = new RockPaperScissors(WINDOW);
        vm.deal(alice, 10 ether);
        vm.deal(bob, 10 ether);
        vm.deal(carol, 10 ether);
    }

    function _commit(address player, RockPaperScissors.Move move, bytes32 salt, uint256 stake) internal {
        bytes32 c = game.commitmentOf(MATCH, player, move, salt);
        vm.prank(player);
        game.commit{value: stake}(MATCH, c);
    }

    function _play(RockPaperScissors.Move a, RockPaperScissors.Move b) internal {
        _commit(alice, a, SALT_A, 1 ether);
        _commit(bob, b, SALT_B, 1 ether);
        vm.prank(alice);
        game.reveal(MATCH, a, SALT_A);
        vm.prank(bob);
        game.reveal(MATCH, b, SALT_B);
    }

    function test_zeroWindowRejected() public {
        vm.expectRevert(RockPaperScissors.ZeroRevealWindow.selector);
        new RockPaperScissors(0);
    }

    function test_paperBeatsRock() public {
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 1 ether);
        _commit(bob, RockPaperScissors.Move.Paper, SALT_B, 1 ether);
        vm.prank(alice);
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_A);
        vm.expectEmit();
        emit RockPaperScissors.MoveRevealed(MATCH, bob, RockPaperScissors.Move.Paper);
        vm.expectEmit();
        emit RockPaperScissors.MatchSettled(MATCH, RockPaperScissors.Outcome.SecondWon, bob, 2 ether);
        vm.prank(bob);
        game.reveal(MATCH, RockPaperScissors.Move.Paper, SALT_B);
        vm.assertEq(game.credit(bob), 2 ether);
        vm.assertEq(game.credit(alice), 0);
        vm.assertEq(game.wins(bob), 1);
        vm.assertEq(game.matchesSettled(), 1);
        RockPaperScissors.Match memory m = game.getMatch(MATCH);
        vm.assertEq(uint256(m.phase), uint256(RockPaperScissors.Phase.Settled));
    }

    function test_everyPairIsJudged() public {
        // outcome[a][b] for moves 1..3 (Rock, Paper, Scissors): 1 first wins, 2 second, 3 draw.
        uint8[3][3] memory expected = [[3, 2, 1], [1, 3, 2], [2, 1, 3]];
        for (uint8 a = 1; a <= 3; ++a) {
            for (uint8 b = 1; b <= 3; ++b) {
                game = new RockPaperScissors(WINDOW);
                _play(RockPaperScissors.Move(a), RockPaperScissors.Move(b));
                vm.assertEq(uint256(game.getMatch(MATCH).outcome), uint256(expected[a - 1][b - 1]));
            }
        }
    }

    function test_drawRefundsBoth() public {
        _play(RockPaperScissors.Move.Scissors, RockPaperScissors.Move.Scissors);
        vm.assertEq(game.credit(alice), 1 ether);
        vm.assertEq(game.credit(bob), 1 ether);
        vm.prank(alice);
        game.withdraw();
        vm.assertEq(alice.balance, 10 ether);
    }

    function test_commitErrors() public {
        vm.prank(alice);
        vm.expectRevert(RockPaperScissors.ZeroCommitment.selector);
        game.commit(MATCH, bytes32(0));
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.AlreadyCommitted.selector, MATCH));
        game.commit{value: 1 ether}(MATCH, bytes32(uint256(1)));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.StakeMismatch.selector, 1 ether, 0.5 ether));
        game.commit{value: 0.5 ether}(MATCH, bytes32(uint256(1)));
        _commit(bob, RockPaperScissors.Move.Rock, SALT_B, 1 ether);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.MatchFull.selector, MATCH));
        game.commit{value: 1 ether}(MATCH, bytes32(uint256(1)));
    }

    function test_revealErrors() public {
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 0);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                RockPaperScissors.WrongPhase.selector, MATCH, RockPaperScissors.Phase.WaitingForOpponent
            )
        );
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_A);
        _commit(bob, RockPaperScissors.Move.Paper, SALT_B, 0);
        vm.startPrank(alice);
        vm.expectRevert(RockPaperScissors.InvalidMove.selector);
        game.reveal(MATCH, RockPaperScissors.Move.None, SALT_A);
        // Changing the move after seeing nothing still fails: the commitment binds it.
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.CommitmentMismatch.selector, MATCH));
        game.reveal(MATCH, RockPaperScissors.Move.Scissors, SALT_A);
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_A);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.AlreadyRevealed.selector, MATCH));
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_A);
        vm.stopPrank();
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.NotAPlayer.selector, MATCH, carol));
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_B);
        // Bob's commitment is bound to Bob: Carol cannot replay it, and Bob is late.
        uint64 deadline = game.getMatch(MATCH).revealDeadline;
        vm.warp(uint256(deadline) + 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.RevealWindow.selector, deadline));
        game.reveal(MATCH, RockPaperScissors.Move.Paper, SALT_B);
    }

    function test_timeoutAwardsTheOnlyRevealer() public {
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 1 ether);
        _commit(bob, RockPaperScissors.Move.Paper, SALT_B, 1 ether);
        vm.prank(alice);
        game.reveal(MATCH, RockPaperScissors.Move.Rock, SALT_A);
        uint64 deadline = game.getMatch(MATCH).revealDeadline;
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.RevealWindow.selector, deadline));
        game.claimTimeout(MATCH);
        vm.warp(uint256(deadline) + 1);
        vm.prank(carol);
        game.claimTimeout(MATCH);
        vm.assertEq(game.credit(alice), 2 ether, "bob never revealed his winning move");
        vm.assertEq(uint256(game.getMatch(MATCH).outcome), uint256(RockPaperScissors.Outcome.FirstWon));
    }

    function test_timeoutWithoutRevealsRefunds() public {
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 1 ether);
        _commit(bob, RockPaperScissors.Move.Paper, SALT_B, 1 ether);
        vm.warp(block.timestamp + WINDOW + 1);
        game.claimTimeout(MATCH);
        vm.assertEq(game.credit(alice), 1 ether);
        vm.assertEq(game.credit(bob), 1 ether);
    }

    function test_cancelAndWithdraw() public {
        _commit(alice, RockPaperScissors.Move.Rock, SALT_A, 1 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(RockPaperScissors.NotAPlayer.selector, MATCH, bob));
        game.cancel(MATCH);
        vm.prank(alice);
        game.cancel(MATCH);
        vm.assertEq(uint256(game.getMatch(MATCH).outcome), uint256(RockPaperScissors.Outcome.Cancelled));
        vm.expectEmit();
        emit RockPaperScissors.CreditWithdrawn(alice, 1 ether);
        vm.prank(alice);
        game.withdraw();
        vm.assertEq(alice.balance, 10 ether);
        vm.prank(alice);
        vm.expectRevert(RockPaperScissors.NothingToWithdraw.selector);
        game.withdraw();
    }

    /// The contract always holds exactly what it owes: stakes of open matches plus credits.
    function testFuzz_balanceCoversCredits(uint8 a, uint8 b, uint96 stake) public {
        RockPaperScissors.Move ma = RockPaperScissors.Move(1 + a % 3);
        RockPaperScissors.Move mb = RockPaperScissors.Move(1 + b % 3);
        uint256 s = bound(stake, 0, 5 ether);
        _commit(alice, ma, SALT_A, s);
        _commit(bob, mb, SALT_B, s);
        vm.assertEq(address(game).balance, 2 * s);
        vm.prank(alice);
        game.reveal(MATCH, ma, SALT_A);
        vm.prank(bob);
        game.reveal(MATCH, mb, SALT_B);
        vm.assertEq(game.credit(alice) + game.credit(bob), 2 * s);
    }
}
