// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {L1Bridge} from "../../../contracts/L1Bridge.sol";

/// @notice Unit and fuzz tests of the L1 -> L2 inbox: deposits and forced inclusion.
contract L1BridgeTest is TestBase {
    uint256 internal constant CHAIN_ID = 900001;
    uint64 internal constant CONFIRM = 12;
    uint64 internal constant FORCED_DELAY = 600;
    uint256 internal constant MIN_DEPOSIT = 1 gwei;
    uint256 internal constant MAX_TX = 1024;

    L1Bridge internal bridge;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);

    event DepositInitiated(
        uint256 indexed depositIndex,
        address indexed from,
        address indexed l2Recipient,
        uint256 amount,
        uint64 l1Timestamp,
        uint64 creditableAt,
        bytes32 accumulator
    );
    event ForcedTransactionQueued(
        uint256 indexed forcedIndex,
        address indexed submitter,
        bytes32 indexed txHash,
        bytes rawTx,
        uint64 l1Timestamp,
        uint64 dueBy,
        bytes32 accumulator
    );

    function setUp() public {
        vm.warp(1_700_000_000);
        bridge = new L1Bridge(CHAIN_ID, CONFIRM, FORCED_DELAY, MIN_DEPOSIT, MAX_TX);
        vm.deal(alice, 100 ether);
    }

    // -- constructor --------------------------------------------------------------------

    function test_constructor_setsImmutables() public view {
        vm.assertEq(bridge.L2_CHAIN_ID(), CHAIN_ID);
        vm.assertEq(uint256(bridge.DEPOSIT_CONFIRMATION_DELAY()), CONFIRM);
        vm.assertEq(uint256(bridge.FORCED_INCLUSION_DELAY()), FORCED_DELAY);
        vm.assertEq(bridge.MIN_DEPOSIT(), MIN_DEPOSIT);
        vm.assertEq(bridge.MAX_FORCED_TX_BYTES(), MAX_TX);
        vm.assertEq(bridge.depositCount(), 0);
        vm.assertEq(bridge.forcedCount(), 0);
    }

    function test_constructor_rejectsBadConfig() public {
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroChainId.selector));
        new L1Bridge(0, CONFIRM, FORCED_DELAY, MIN_DEPOSIT, MAX_TX);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroForcedInclusionDelay.selector));
        new L1Bridge(CHAIN_ID, CONFIRM, 0, MIN_DEPOSIT, MAX_TX);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DelayTooLong.selector, uint256(31 days)));
        new L1Bridge(CHAIN_ID, CONFIRM, 31 days, MIN_DEPOSIT, MAX_TX);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DelayTooLong.selector, uint256(31 days)));
        new L1Bridge(CHAIN_ID, 31 days, FORCED_DELAY, MIN_DEPOSIT, MAX_TX);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroMaxForcedTxBytes.selector));
        new L1Bridge(CHAIN_ID, CONFIRM, FORCED_DELAY, MIN_DEPOSIT, 0);
    }

    // -- deposits -----------------------------------------------------------------------

    function test_deposit_emitsSequentialIndicesAndAccumulates() public {
        uint64 t0 = uint64(block.timestamp);
        bytes32 item0 = bridge.depositHash(0, alice, bob, 1 ether, t0);
        bytes32 acc0 = keccak256(abi.encodePacked(bytes32(0), item0));
        vm.expectEmit(address(bridge));
        emit DepositInitiated(0, alice, bob, 1 ether, t0, t0 + CONFIRM, acc0);
        vm.prank(alice);
        vm.assertEq(bridge.deposit{value: 1 ether}(bob), 0);

        vm.warp(block.timestamp + 5);
        uint64 t1 = uint64(block.timestamp);
        bytes32 acc1 = keccak256(abi.encodePacked(acc0, bridge.depositHash(1, alice, alice, 2 ether, t1)));
        vm.expectEmit(address(bridge));
        emit DepositInitiated(1, alice, alice, 2 ether, t1, t1 + CONFIRM, acc1);
        vm.prank(alice);
        vm.assertEq(bridge.deposit{value: 2 ether}(alice), 1);

        vm.assertEq(bridge.depositCount(), 2);
        vm.assertEq(bridge.totalDeposited(), 3 ether);
        vm.assertEq(address(bridge).balance, 3 ether);
        vm.assertEq(bridge.depositAccumulator(0), acc0);
        vm.assertEq(bridge.depositAccumulator(1), acc1);
    }

    function test_deposit_rejectsZeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroRecipient.selector));
        bridge.deposit{value: 1 ether}(address(0));
    }

    function test_deposit_rejectsDust() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DepositTooSmall.selector, uint256(1), MIN_DEPOSIT));
        bridge.deposit{value: 1}(bob);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DepositTooSmall.selector, uint256(0), MIN_DEPOSIT));
        bridge.deposit{value: 0}(bob);
    }

    function test_deposit_zeroMinimumStillRefusesZeroValue() public {
        L1Bridge open = new L1Bridge(CHAIN_ID, CONFIRM, FORCED_DELAY, 0, MAX_TX);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DepositTooSmall.selector, uint256(0), uint256(0)));
        open.deposit{value: 0}(bob);
        vm.prank(alice);
        vm.assertEq(open.deposit{value: 1}(bob), 0);
    }

    function test_plainTransfer_isRefused() public {
        vm.prank(alice);
        (bool ok, bytes memory ret) = address(bridge).call{value: 1 ether}("");
        vm.assertFalse(ok);
        vm.assertEq(bytes32(ret), bytes32(abi.encodeWithSelector(L1Bridge.UseDeposit.selector)));
        vm.assertEq(bridge.depositCount(), 0);
    }

    function test_depositAccumulator_unknownIndex() public {
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.UnknownDeposit.selector, uint256(0)));
        bridge.depositAccumulator(0);
    }

    function testFuzz_deposit_countsAndTotals(uint8 n, uint96 seed) public {
        uint256 count = bound(n, 1, 20);
        uint256 total;
        bytes32 acc;
        for (uint256 i = 0; i < count; i++) {
            uint256 amount = MIN_DEPOSIT + (uint256(keccak256(abi.encode(seed, i))) % 1 ether);
            address recipient = address(uint160(uint256(keccak256(abi.encode(i, seed))) | 1));
            vm.warp(block.timestamp + (i % 3));
            vm.prank(alice);
            vm.assertEq(bridge.deposit{value: amount}(recipient), i);
            acc = keccak256(
                abi.encodePacked(acc, bridge.depositHash(i, alice, recipient, amount, uint64(block.timestamp)))
            );
            vm.assertEq(bridge.depositAccumulator(i), acc);
            total += amount;
        }
        vm.assertEq(bridge.depositCount(), count);
        vm.assertEq(bridge.totalDeposited(), total);
        vm.assertEq(address(bridge).balance, total);
    }

    // -- forced inclusion ---------------------------------------------------------------

    function test_forced_emitsIndexTimestampAndDueBy() public {
        bytes memory raw = hex"02f86b8301234580843b9aca00";
        uint64 t0 = uint64(block.timestamp);
        bytes32 txHash = keccak256(raw);
        bytes32 acc0 = keccak256(abi.encodePacked(bytes32(0), bridge.forcedHash(0, bob, txHash, t0)));
        vm.expectEmit(address(bridge));
        emit ForcedTransactionQueued(0, bob, txHash, raw, t0, t0 + FORCED_DELAY, acc0);
        vm.prank(bob);
        vm.assertEq(bridge.submitForcedTransaction(raw), 0);

        vm.warp(block.timestamp + 100);
        bytes memory raw1 = hex"f86c";
        vm.prank(alice);
        vm.assertEq(bridge.submitForcedTransaction(raw1), 1);
        vm.assertEq(bridge.forcedCount(), 2);
        vm.assertEq(bridge.forcedAccumulator(0), acc0);
        bytes32 acc1 = keccak256(
            abi.encodePacked(acc0, bridge.forcedHash(1, alice, keccak256(raw1), uint64(block.timestamp)))
        );
        vm.assertEq(bridge.forcedAccumulator(1), acc1);
    }

    function test_forced_rejectsEmptyAndOversize() public {
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.EmptyForcedTransaction.selector));
        bridge.submitForcedTransaction("");
        bytes memory big = new bytes(MAX_TX + 1);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ForcedTransactionTooLarge.selector, MAX_TX + 1, MAX_TX));
        bridge.submitForcedTransaction(big);
        bytes memory edge = new bytes(MAX_TX);
        vm.assertEq(bridge.submitForcedTransaction(edge), 0);
    }

    function test_forcedAccumulator_unknownIndex() public {
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.UnknownForcedTransaction.selector, uint256(3)));
        bridge.forcedAccumulator(3);
    }

    function testFuzz_forced_dueByIsTimestampPlusDelay(uint32 warpBy, uint16 size) public {
        uint256 length = bound(size, 1, MAX_TX);
        vm.warp(block.timestamp + warpBy);
        bytes memory raw = new bytes(length);
        raw[0] = 0x02;
        uint64 t = uint64(block.timestamp);
        bytes32 acc = keccak256(abi.encodePacked(bytes32(0), bridge.forcedHash(0, address(this), keccak256(raw), t)));
        vm.expectEmit(address(bridge));
        emit ForcedTransactionQueued(0, address(this), keccak256(raw), raw, t, t + FORCED_DELAY, acc);
        bridge.submitForcedTransaction(raw);
    }
}
