// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {L2Withdrawals} from "../../../contracts/l2/L2Withdrawals.sol";

/// @notice The L2 predeploy: sequential nonces, the hash at the documented slot (read
///         back with `vm.load`, which is what the L1 proof opens), events, errors.
contract L2WithdrawalsTest is TestBase {
    L2Withdrawals internal l2;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);

    function setUp() public {
        l2 = new L2Withdrawals();
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
    }

    function _slot(uint256 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encode(nonce, uint256(0)));
    }

    function test_withdraw_recordsHashAtDocumentedSlot() public {
        bytes32 expected = keccak256(abi.encode(uint256(0), alice, bob, 1 ether));
        vm.expectEmit(address(l2));
        emit L2Withdrawals.WithdrawalInitiated(0, alice, bob, 1 ether, expected);
        vm.prank(alice);
        (uint256 nonce, bytes32 h) = l2.withdraw{value: 1 ether}(bob);
        vm.assertEq(nonce, 0);
        vm.assertEq(h, expected);
        vm.assertEq(vm.load(address(l2), _slot(0)), expected, "slot keccak(nonce, 0) holds the hash");
        vm.assertEq(uint256(vm.load(address(l2), bytes32(uint256(1)))), 1, "slot 1: count");
        vm.assertEq(uint256(vm.load(address(l2), bytes32(uint256(2)))), 1 ether, "slot 2: total");
        vm.assertEq(l2.withdrawalSlot(0), _slot(0));
        vm.assertEq(l2.hashWithdrawal(0, alice, bob, 1 ether), expected);
        vm.assertEq(address(l2).balance, 1 ether, "the ETH is locked in the predeploy");
    }

    function test_withdraw_sequentialNoncesNeverOverwrite() public {
        vm.prank(alice);
        l2.withdraw{value: 1}(bob);
        vm.prank(bob);
        (uint256 n1,) = l2.withdraw{value: 2}(alice);
        vm.prank(alice);
        (uint256 n2,) = l2.withdraw{value: 3}(alice);
        vm.assertEq(n1, 1);
        vm.assertEq(n2, 2);
        vm.assertEq(l2.withdrawalCount(), 3);
        vm.assertEq(l2.totalWithdrawn(), 6);
        vm.assertEq(l2.withdrawalHashes(0), keccak256(abi.encode(uint256(0), alice, bob, uint256(1))));
        vm.assertEq(l2.withdrawalHashes(1), keccak256(abi.encode(uint256(1), bob, alice, uint256(2))));
        vm.assertEq(vm.load(address(l2), _slot(2)), keccak256(abi.encode(uint256(2), alice, alice, uint256(3))));
    }

    function test_withdraw_rejectsZeroAmountAndRecipient() public {
        vm.prank(alice);
        vm.expectRevert(L2Withdrawals.ZeroAmount.selector);
        l2.withdraw(bob);
        vm.prank(alice);
        vm.expectRevert(L2Withdrawals.ZeroRecipient.selector);
        l2.withdraw{value: 1}(address(0));
        vm.assertEq(l2.withdrawalCount(), 0);
    }

    function test_plainTransfer_isRefused() public {
        vm.prank(alice);
        (bool ok, bytes memory ret) = address(l2).call{value: 1 ether}("");
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), L2Withdrawals.UseWithdraw.selector);
    }

    function testFuzz_withdraw_hashMatchesSlot(address sender, address recipient, uint96 amount, uint8 before) public {
        vm.assume(recipient != address(0) && amount != 0 && sender.code.length == 0);
        for (uint256 i; i < before % 4; ++i) {
            vm.prank(alice);
            l2.withdraw{value: 1}(bob);
        }
        vm.deal(sender, amount);
        vm.prank(sender);
        (uint256 nonce, bytes32 h) = l2.withdraw{value: amount}(recipient);
        vm.assertEq(nonce, before % 4);
        vm.assertEq(vm.load(address(l2), _slot(nonce)), keccak256(abi.encode(nonce, sender, recipient, uint256(amount))));
        vm.assertEq(h, vm.load(address(l2), _slot(nonce)));
    }
}
