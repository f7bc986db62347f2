// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {EventTickets} from "../../../contracts/workloads/EventTickets.sol";

contract EventTicketsTest is TestBase {
    EventTickets internal tickets;
    address internal organizer = address(0x0E);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    uint64 internal start;
    uint64 internal end;

    function setUp() public {
        vm.warp(1_000_000);
        start = uint64(block.timestamp + 1 days);
        end = start + 4 hours;
        uint128[] memory prices = new uint128[](2);
        prices[0] = 0.1 ether; // floor
        prices[1] = 0.02 ether; // balcony
        uint32[] memory capacities = new uint32[](2);
        capacities[0] = 2;
        capacities[1] = 100;
        tickets = new EventTickets("Flash Fest", "FEST", organizer, start, end, 3, prices, capacities);
        vm.deal(alice, 10 ether);
        vm.deal(bob, 10 ether);
    }

    function _config(uint256 n) internal pure returns (uint128[] memory prices, uint32[] memory capacities) {
        prices = new uint128[](n);
        capacities = new uint32[](n);
        for (uint256 i = 0; i < n; ++i) capacities[i] = 1;
    }

    function test_constructorRejectsBadConfig() public {
        (uint128[] memory p, uint32[] memory c) = _config(1);
        vm.expectRevert(EventTickets.ZeroOrganizer.selector);
        new EventTickets("x", "X", address(0), 1, 2, 1, p, c);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.InvalidSchedule.selector, 2, 2));
        new EventTickets("x", "X", organizer, 2, 2, 1, p, c);
        (uint128[] memory p0, uint32[] memory c0) = _config(0);
        vm.expectRevert(EventTickets.InvalidConfiguration.selector);
        new EventTickets("x", "X", organizer, 1, 2, 1, p0, c0);
        vm.expectRevert(EventTickets.InvalidConfiguration.selector);
        new EventTickets("x", "X", organizer, 1, 2, 0, p, c);
        c[0] = 0;
        vm.expectRevert(EventTickets.InvalidConfiguration.selector);
        new EventTickets("x", "X", organizer, 1, 2, 1, p, c);
    }

    function test_buyAssignsSeatsPerTier() public {
        vm.expectEmit();
        emit EventTickets.TicketPurchased(alice, 1, 0, 1, 0.1 ether);
        vm.prank(alice);
        vm.assertEq(tickets.buy{value: 0.1 ether}(0), 1);
        vm.prank(bob);
        vm.assertEq(tickets.buy{value: 0.02 ether}(1), 2);
        vm.prank(bob);
        vm.assertEq(tickets.buy{value: 0.1 ether}(0), 3);
        EventTickets.Ticket memory t = tickets.ticketInfo(3);
        vm.assertEq(uint256(t.tier), 0);
        vm.assertEq(uint256(t.seat), 2);
        vm.assertFalse(t.checkedIn);
        vm.assertEq(uint256(tickets.ticketInfo(2).seat), 1);
        vm.assertEq(uint256(tickets.tierInfo(0).sold), 2);
        vm.assertEq(tickets.tierCount(), 2);
        vm.assertEq(tickets.ownerOf(3), bob);
        vm.assertEq(address(tickets).balance, 0.22 ether);
    }

    function test_buyErrors() public {
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.UnknownTier.selector, 2));
        tickets.buy(2);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.WrongPayment.selector, 0.1 ether, 0.2 ether));
        tickets.buy{value: 0.2 ether}(0);
        tickets.buy{value: 0.1 ether}(0);
        tickets.buy{value: 0.1 ether}(0);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.TierSoldOut.selector, 0));
        tickets.buy{value: 0.1 ether}(0);
        tickets.buy{value: 0.02 ether}(1);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.WalletLimitReached.selector, alice, 3));
        tickets.buy{value: 0.02 ether}(1);
        vm.stopPrank();
        vm.warp(start);
        vm.prank(bob);
        vm.expectRevert(EventTickets.SalesClosed.selector);
        tickets.buy{value: 0.02 ether}(1);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.UnknownTier.selector, 5));
        tickets.tierInfo(5);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.UnknownTicket.selector, 9));
        tickets.ticketInfo(9);
    }

    function test_checkInByOrganizerOnly() public {
        vm.prank(alice);
        tickets.buy{value: 0.02 ether}(1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.NotOrganizer.selector, alice));
        tickets.checkIn(1);
        vm.startPrank(organizer);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.UnknownTicket.selector, 2));
        tickets.checkIn(2);
        vm.warp(start + 1);
        vm.expectEmit();
        emit EventTickets.TicketCheckedIn(1, alice);
        tickets.checkIn(1);
        vm.assertTrue(tickets.ticketInfo(1).checkedIn);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.AlreadyCheckedIn.selector, 1));
        tickets.checkIn(1);
        vm.stopPrank();
    }

    function test_checkInClosesAtEnd() public {
        vm.prank(alice);
        tickets.buy{value: 0.02 ether}(1);
        vm.warp(end);
        vm.prank(organizer);
        vm.expectRevert(EventTickets.CheckInClosed.selector);
        tickets.checkIn(1);
    }

    function test_transferRestrictions() public {
        vm.prank(alice);
        tickets.buy{value: 0.02 ether}(1);
        vm.prank(alice);
        tickets.buy{value: 0.02 ether}(1);
        // Resale before the event is allowed.
        vm.prank(alice);
        tickets.transferFrom(alice, bob, 1);
        vm.assertEq(tickets.ownerOf(1), bob);
        // A checked-in ticket never moves again.
        vm.prank(organizer);
        tickets.checkIn(1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.TicketLocked.selector, 1));
        tickets.transferFrom(bob, alice, 1);
        // From the start on, no ticket moves.
        vm.warp(start);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.TransfersClosed.selector, 2));
        tickets.transferFrom(alice, bob, 2);
        vm.assertEq(tickets.ownerOf(2), alice);
    }

    function test_withdrawProceeds() public {
        vm.prank(alice);
        tickets.buy{value: 0.1 ether}(0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(EventTickets.NotOrganizer.selector, alice));
        tickets.withdrawProceeds();
        vm.expectEmit();
        emit EventTickets.ProceedsWithdrawn(organizer, 0.1 ether);
        vm.prank(organizer);
        tickets.withdrawProceeds();
        vm.assertEq(organizer.balance, 0.1 ether);
        vm.prank(organizer);
        vm.expectRevert(EventTickets.NothingToWithdraw.selector);
        tickets.withdrawProceeds();
    }

    /// Seats within a tier are 1..sold, never above capacity, whatever the buyers do.
    function testFuzz_seatsAreDense(uint8[24] calldata tiers) public {
        for (uint256 i = 0; i < 24; ++i) {
            uint256 tier = tiers[i] % 2;
            address buyer = address(uint160(0x100 + i));
            vm.deal(buyer, 1 ether);
            uint256 price = tier == 0 ? 0.1 ether : 0.02 ether;
            uint256 soldBefore = tickets.tierInfo(tier).sold;
            vm.prank(buyer);
            try tickets.buy{value: price}(tier) returns (uint256 id) {
                vm.assertEq(uint256(tickets.ticketInfo(id).seat), soldBefore + 1);
            } catch {
                vm.assertEq(soldBefore, uint256(tickets.tierInfo(tier).capacity));
            }
            vm.assertLe(tickets.tierInfo(tier).sold, tickets.tierInfo(tier).capacity);
        }
    }
}
