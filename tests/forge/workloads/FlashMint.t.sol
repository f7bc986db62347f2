// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {FlashMint} from "../../../contracts/workloads/FlashMint.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @notice Refuses ETH, to test a failing withdrawal.
contract Refuser {}

contract FlashMintTest is TestBase {
    FlashMint internal nft;
    address internal organizer = address(0x0E9A);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    uint256 internal constant PRICE = 0.01 ether;

    function setUp() public {
        nft = new FlashMint("Flash Mint", "FLASH", "ipfs://flash/", 5, 3, PRICE, organizer);
        vm.deal(alice, 10 ether);
        vm.deal(bob, 10 ether);
    }

    function test_constructorRejectsBadConfig() public {
        vm.expectRevert(FlashMint.InvalidConfiguration.selector);
        new FlashMint("x", "X", "", 0, 1, 0, organizer);
        vm.expectRevert(FlashMint.InvalidConfiguration.selector);
        new FlashMint("x", "X", "", 1, 0, 0, organizer);
        vm.expectRevert(FlashMint.ZeroOrganizer.selector);
        new FlashMint("x", "X", "", 1, 1, 0, address(0));
    }

    function test_mintAssignsSequentialIdsAndEmits() public {
        vm.expectEmit();
        emit FlashMint.Minted(alice, 1, 2, 2 * PRICE);
        vm.prank(alice);
        uint256 first = nft.mint{value: 2 * PRICE}(2);
        vm.assertEq(first, 1);
        vm.prank(bob);
        vm.assertEq(nft.mint{value: PRICE}(1), 3);
        vm.assertEq(nft.ownerOf(1), alice);
        vm.assertEq(nft.ownerOf(2), alice);
        vm.assertEq(nft.ownerOf(3), bob);
        vm.assertEq(nft.balanceOf(alice), 2);
        vm.assertEq(nft.totalMinted(), 3);
        vm.assertEq(nft.remaining(), 2);
        vm.assertEq(nft.mintedBy(alice), 2);
        vm.assertEq(nft.tokenURI(3), "ipfs://flash/3");
        vm.assertEq(address(nft).balance, 3 * PRICE);
    }

    function test_mintErrors() public {
        vm.startPrank(alice);
        vm.expectRevert(FlashMint.ZeroQuantity.selector);
        nft.mint(0);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.WrongPayment.selector, PRICE, PRICE - 1));
        nft.mint{value: PRICE - 1}(1);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.WrongPayment.selector, 2 * PRICE, 3 * PRICE));
        nft.mint{value: 3 * PRICE}(2);
        nft.mint{value: 2 * PRICE}(2);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.WalletLimitExceeded.selector, alice, 2, 2, 3));
        nft.mint{value: 2 * PRICE}(2);
        nft.mint{value: PRICE}(1);
        vm.stopPrank();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.SoldOut.selector, 3, 2));
        nft.mint{value: 3 * PRICE}(3);
        vm.prank(bob);
        nft.mint{value: 2 * PRICE}(2);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.SoldOut.selector, 1, 0));
        nft.mint{value: PRICE}(1);
    }

    function test_tokensAreOrdinaryErc721() public {
        vm.prank(alice);
        nft.mint{value: PRICE}(1);
        vm.prank(alice);
        nft.transferFrom(alice, bob, 1);
        vm.assertEq(nft.ownerOf(1), bob);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 2));
        nft.ownerOf(2);
    }

    function test_withdrawProceeds() public {
        vm.prank(alice);
        nft.mint{value: 3 * PRICE}(3);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(FlashMint.NotOrganizer.selector, alice));
        nft.withdrawProceeds();
        vm.expectEmit();
        emit FlashMint.ProceedsWithdrawn(organizer, 3 * PRICE);
        vm.prank(organizer);
        nft.withdrawProceeds();
        vm.assertEq(organizer.balance, 3 * PRICE);
        vm.assertEq(address(nft).balance, 0);
        vm.prank(organizer);
        vm.expectRevert(FlashMint.NothingToWithdraw.selector);
        nft.withdrawProceeds();
    }

    function test_withdrawToRefusingOrganizerFails() public {
        address refuser = address(new Refuser());
        FlashMint paid = new FlashMint("x", "X", "", 2, 2, PRICE, refuser);
        vm.prank(alice);
        paid.mint{value: PRICE}(1);
        vm.prank(refuser);
        vm.expectRevert(FlashMint.WithdrawFailed.selector);
        paid.withdrawProceeds();
    }

    function test_freeMint() public {
        FlashMint free = new FlashMint("Free", "FREE", "", 100, 10, 0, organizer);
        vm.prank(alice);
        vm.assertEq(free.mint(10), 1);
        vm.assertEq(free.balanceOf(alice), 10);
    }

    /// Supply and wallet limits hold for any sequence of mints.
    function testFuzz_limitsHold(uint8[16] calldata quantities, uint8[16] calldata who) public {
        FlashMint free = new FlashMint("Fuzz", "FZ", "", 40, 7, 0, organizer);
        for (uint256 i = 0; i < 16; ++i) {
            address minter = address(uint160(0x1000 + (who[i] % 4)));
            uint256 q = bound(quantities[i], 1, 9);
            uint256 before = free.totalMinted();
            vm.prank(minter);
            try free.mint(q) returns (uint256 first) {
                vm.assertEq(first, before + 1);
            } catch {}
            vm.assertLe(free.totalMinted(), 40);
            vm.assertLe(free.mintedBy(minter), 7);
            vm.assertEq(free.balanceOf(minter), free.mintedBy(minter));
        }
    }
}
