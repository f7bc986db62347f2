// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {SequencerRegistry} from "../../contracts/SequencerRegistry.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {SafeTransferLib} from "../../contracts/lib/SafeTransferLib.sol";
import {MockERC20} from "./tokens/MockERC20.sol";
import {NoReturnERC20} from "./tokens/NoReturnERC20.sol";
import {ReturnsFalseERC20} from "./tokens/ReturnsFalseERC20.sol";
import {FeeOnTransferERC20} from "./tokens/FeeOnTransferERC20.sol";
import {ReentrantERC20} from "./tokens/ReentrantERC20.sol";
import {EthRejecter} from "./tokens/EthRejecter.sol";

/// @title SafeTransferLibHarness
/// @notice Exposes SafeTransferLib's internal functions for direct tests.
contract SafeTransferLibHarness {
    function transfer(address token, address to, uint256 amount) external {
        SafeTransferLib.safeTransfer(token, to, amount);
    }

    function transferFrom(address token, address from, address to, uint256 amount) external {
        SafeTransferLib.safeTransferFrom(token, from, to, amount);
    }

    function balanceOf(address token, address account) external view returns (uint256) {
        return SafeTransferLib.balanceOf(token, account);
    }
}

/// @title SequencerRegistryFixture
/// @notice Shared setup: a registry with ETH and a standard token allowed, a slasher, and
///         helpers to build valid secp256k1 signing keys from private keys.
abstract contract SequencerRegistryFixture is TestBase {
    uint256 internal constant DELAY = 7 days;
    address internal constant ETH = address(0);

    SequencerRegistry internal registry;
    MockERC20 internal token;

    address internal gov = address(0x6001);
    address internal slasher = address(0x51A5);
    address internal op1 = address(0x0A1);
    address internal op2 = address(0x0A2);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal sink = address(0x5111C);

    function setUp() public virtual {
        registry = new SequencerRegistry(gov, DELAY);
        token = new MockERC20("Stake", "STK");
        vm.startPrank(gov);
        registry.allowToken(ETH);
        registry.allowToken(address(token));
        registry.authorizeSlasher(slasher);
        vm.stopPrank();
        _register(op1, 1);
        _register(op2, 2);
    }

    /// @dev 64-byte raw uncompressed public key of private key `pk`.
    function _key64(uint256 pk) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(pk);
        return abi.encodePacked(w.publicKeyX, w.publicKeyY);
    }

    /// @dev 65-byte SEC1 uncompressed public key of `pk`.
    function _key65(uint256 pk) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(pk);
        return abi.encodePacked(uint8(4), w.publicKeyX, w.publicKeyY);
    }

    /// @dev 33-byte compressed public key of `pk`.
    function _key33(uint256 pk) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(pk);
        return abi.encodePacked(uint8(2 + (w.publicKeyY & 1)), w.publicKeyX);
    }

    function _register(address op, uint256 pk) internal {
        vm.prank(op);
        registry.register("tcp://127.0.0.1:30303", _key64(pk));
    }

    function _stakeEth(address who, address op, uint256 amount) internal returns (uint256 shares) {
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        shares = registry.delegate{value: amount}(op, ETH, amount);
    }

    function _stakeToken(address who, address op, uint256 amount) internal returns (uint256 shares) {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(registry), amount);
        shares = registry.delegate(op, address(token), amount);
        vm.stopPrank();
    }

    function _slash(address op, address tkn, uint256 amount) internal returns (uint256) {
        vm.prank(slasher);
        return registry.slash(op, tkn, amount, sink);
    }
}

/// @title SequencerRegistryTest
/// @notice Unit and fuzz tests: every function, every custom error, every event.
contract SequencerRegistryTest is SequencerRegistryFixture {
    ////////////////////////////////////////////////////////////////
    //                 CONSTRUCTOR AND OWNERSHIP                  //
    ////////////////////////////////////////////////////////////////

    function test_constructor_setsConfig() public view {
        vm.assertEq(registry.owner(), gov);
        vm.assertEq(registry.pendingOwner(), address(0));
        vm.assertEq(registry.unbondingDelay(), DELAY);
        vm.assertEq(registry.VIRTUAL_SHARES(), 1e6);
        vm.assertEq(registry.VIRTUAL_ASSETS(), 1);
        vm.assertEq(registry.MAX_ENDPOINT_LENGTH(), 256);
    }

    function test_constructor_emitsOwnershipTransferred() public {
        vm.expectEmit();
        emit SequencerRegistry.OwnershipTransferred(address(0), gov);
        new SequencerRegistry(gov, 1);
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(SequencerRegistry.ZeroAddress.selector);
        new SequencerRegistry(address(0), DELAY);
    }

    function test_constructor_revertsOnBadDelay() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InvalidUnbondingDelay.selector, 0));
        new SequencerRegistry(gov, 0);
        uint256 tooLong = 365 days + 1;
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InvalidUnbondingDelay.selector, tooLong));
        new SequencerRegistry(gov, tooLong);
        new SequencerRegistry(gov, 365 days);
    }

    function test_transferOwnership_twoStep() public {
        vm.expectEmit(address(registry));
        emit SequencerRegistry.OwnershipTransferStarted(gov, alice);
        vm.prank(gov);
        registry.transferOwnership(alice);
        vm.assertEq(registry.pendingOwner(), alice);
        vm.assertEq(registry.owner(), gov);

        vm.expectEmit(address(registry));
        emit SequencerRegistry.OwnershipTransferred(gov, alice);
        vm.prank(alice);
        registry.acceptOwnership();
        vm.assertEq(registry.owner(), alice);
        vm.assertEq(registry.pendingOwner(), address(0));

        // The old owner lost its powers.
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, gov));
        vm.prank(gov);
        registry.authorizeSlasher(bob);
    }

    function test_transferOwnership_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, alice));
        vm.prank(alice);
        registry.transferOwnership(alice);

        vm.expectRevert(SequencerRegistry.ZeroAddress.selector);
        vm.prank(gov);
        registry.transferOwnership(address(0));
    }

    function test_acceptOwnership_revertsForOthers() public {
        vm.prank(gov);
        registry.transferOwnership(alice);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotPendingOwner.selector, bob));
        vm.prank(bob);
        registry.acceptOwnership();
    }

    ////////////////////////////////////////////////////////////////
    //                      TOKENS, SLASHERS                      //
    ////////////////////////////////////////////////////////////////

    function test_allowToken_addsAndEmits() public {
        MockERC20 t = new MockERC20("T", "T");
        vm.expectEmit(address(registry));
        emit SequencerRegistry.TokenAllowed(address(t));
        vm.prank(gov);
        registry.allowToken(address(t));
        vm.assertTrue(registry.isTokenAllowed(address(t)));
        address[] memory expected = new address[](3);
        expected[0] = ETH;
        expected[1] = address(token);
        expected[2] = address(t);
        vm.assertEq(registry.allowedTokens(), expected);
    }

    function test_allowToken_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, alice));
        vm.prank(alice);
        registry.allowToken(address(0x1234));

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.TokenAlreadyAllowed.selector, address(token)));
        vm.prank(gov);
        registry.allowToken(address(token));

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.TokenNotContract.selector, address(0x1234)));
        vm.prank(gov);
        registry.allowToken(address(0x1234));
    }

    function test_disallowToken_swapPopAndEmits() public {
        MockERC20 t = new MockERC20("T", "T");
        vm.prank(gov);
        registry.allowToken(address(t));

        vm.expectEmit(address(registry));
        emit SequencerRegistry.TokenDisallowed(ETH);
        vm.prank(gov);
        registry.disallowToken(ETH);
        vm.assertFalse(registry.isTokenAllowed(ETH));
        address[] memory expected = new address[](2);
        expected[0] = address(t);
        expected[1] = address(token);
        vm.assertEq(registry.allowedTokens(), expected);

        vm.prank(gov);
        registry.disallowToken(address(token));
        vm.prank(gov);
        registry.disallowToken(address(t));
        vm.assertEq(registry.allowedTokens().length, 0);

        // Re-allowing works after removal.
        vm.prank(gov);
        registry.allowToken(ETH);
        vm.assertEq(registry.allowedTokens().length, 1);
    }

    function test_disallowToken_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, alice));
        vm.prank(alice);
        registry.disallowToken(ETH);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.TokenNotAllowed.selector, address(0xDEAD)));
        vm.prank(gov);
        registry.disallowToken(address(0xDEAD));
    }

    function test_disallowedToken_blocksNewStakeButNotExit() public {
        _stakeEth(alice, op1, 1 ether);
        vm.prank(gov);
        registry.disallowToken(ETH);

        vm.deal(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.TokenNotAllowed.selector, ETH));
        vm.prank(alice);
        registry.delegate{value: 1 ether}(op1, ETH, 1 ether);

        // Existing stake is still slashable and withdrawable.
        vm.assertEq(_slash(op1, ETH, 0.1 ether), 0.1 ether);
        vm.prank(alice);
        (uint256 id, uint256 amount) = registry.requestWithdrawal(op1, ETH, type(uint256).max);
        vm.assertEq(amount, 0.9 ether);
        vm.warp(block.timestamp + DELAY);
        vm.prank(alice);
        vm.assertEq(registry.claimWithdrawal(id), 0.9 ether);
    }

    function test_authorizeAndRevokeSlasher() public {
        vm.expectEmit(address(registry));
        emit SequencerRegistry.SlasherAuthorized(alice);
        vm.prank(gov);
        registry.authorizeSlasher(alice);
        vm.assertTrue(registry.isSlasher(alice));

        vm.expectEmit(address(registry));
        emit SequencerRegistry.SlasherRevoked(alice);
        vm.prank(gov);
        registry.revokeSlasher(alice);
        vm.assertFalse(registry.isSlasher(alice));
    }

    function test_slasherAdmin_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, alice));
        vm.prank(alice);
        registry.authorizeSlasher(alice);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotOwner.selector, alice));
        vm.prank(alice);
        registry.revokeSlasher(slasher);

        vm.expectRevert(SequencerRegistry.ZeroAddress.selector);
        vm.prank(gov);
        registry.authorizeSlasher(address(0));

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SlasherAlreadyAuthorized.selector, slasher));
        vm.prank(gov);
        registry.authorizeSlasher(slasher);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SlasherNotAuthorized.selector, alice));
        vm.prank(gov);
        registry.revokeSlasher(alice);
    }

    ////////////////////////////////////////////////////////////////
    //                         OPERATORS                          //
    ////////////////////////////////////////////////////////////////

    function test_register_recordsAndEmits() public {
        bytes memory key = _key33(3);
        vm.warp(1000);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.OperatorRegistered(alice, "https://seq.example:8545", key);
        vm.prank(alice);
        registry.register("https://seq.example:8545", key);

        vm.assertEq(registry.operatorCount(), 3);
        vm.assertEq(registry.operatorAt(0), op1);
        vm.assertEq(registry.operatorAt(1), op2);
        vm.assertEq(registry.operatorAt(2), alice);
        vm.assertTrue(registry.isActiveOperator(alice));
        vm.assertFalse(registry.isActiveOperator(bob));
        SequencerRegistry.Operator memory info = registry.operatorInfo(alice);
        vm.assertTrue(info.registered);
        vm.assertTrue(info.active);
        vm.assertEq(uint256(info.registeredAt), 1000);
        vm.assertEq(info.endpoint, "https://seq.example:8545");
        vm.assertEq(info.signingKey, key);
        // All three encodings of the key resolve to the operator.
        vm.assertEq(registry.operatorForKey(_key33(3)), alice);
        vm.assertEq(registry.operatorForKey(_key64(3)), alice);
        vm.assertEq(registry.operatorForKey(_key65(3)), alice);
        vm.assertEq(registry.operatorForKey(_key64(4)), address(0));
        vm.assertEq(registry.operatorForKey(hex"01"), address(0));
    }

    function test_register_acceptsAllEncodings() public {
        vm.prank(alice);
        registry.register("a", _key65(10));
        vm.prank(bob);
        registry.register("b", _key33(11));
        // Odd-y and even-y compressed keys both validate: try several.
        for (uint256 pk = 20; pk < 30; ++pk) {
            address who = address(uint160(0x1000 + pk));
            vm.prank(who);
            registry.register("x", _key33(pk));
            vm.assertTrue(registry.isActiveOperator(who));
        }
    }

    function test_register_revertsAlreadyRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.AlreadyRegistered.selector, op1));
        vm.prank(op1);
        registry.register("x", _key64(1));
    }

    function test_register_revertsInvalidEndpoint() public {
        bytes memory key = _key64(5);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InvalidEndpoint.selector, 0));
        vm.prank(alice);
        registry.register("", key);

        bytes memory long = new bytes(257);
        for (uint256 i; i < long.length; ++i) long[i] = "a";
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InvalidEndpoint.selector, 257));
        vm.prank(alice);
        registry.register(string(long), key);

        // Exactly the limit is fine.
        bytes memory limit = new bytes(256);
        for (uint256 i; i < limit.length; ++i) limit[i] = "b";
        vm.prank(alice);
        registry.register(string(limit), key);
    }

    function test_register_revertsInvalidSigningKey() public {
        uint256 p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
        Vm.Wallet memory w = vm.createWallet(7);
        bytes[] memory bad = new bytes[](10);
        bad[0] = "";
        bad[1] = new bytes(20); // an address is not a public key
        bad[2] = abi.encodePacked(w.publicKeyX, w.publicKeyY + 1); // off the curve
        bad[3] = abi.encodePacked(uint8(5), w.publicKeyX, w.publicKeyY); // bad 65-byte prefix
        bad[4] = abi.encodePacked(uint8(4), w.publicKeyX); // bad 33-byte prefix
        bad[5] = abi.encodePacked(uint8(2), p); // x not a field element
        bad[6] = abi.encodePacked(p, w.publicKeyY); // x >= p (raw)
        bad[7] = abi.encodePacked(w.publicKeyX, p); // y >= p (raw)
        bad[8] = new bytes(64); // (0,0) is not on the curve
        bad[9] = abi.encodePacked(uint8(2), uint256(5)); // 5^3 + 7 = 132 is not a square mod p
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(SequencerRegistry.InvalidSigningKey.selector);
            vm.prank(alice);
            registry.register("x", bad[i]);
        }
    }

    function test_register_revertsSigningKeyTaken() public {
        // op1 registered with key of pk 1 (64-byte); the compressed form is the same key.
        bytes memory key = _key33(1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SigningKeyTaken.selector, op1));
        vm.prank(alice);
        registry.register("x", key);
    }

    function test_updateMetadata_updatesAndEmits() public {
        bytes memory key = _key33(9);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.OperatorMetadataUpdated(op1, "udp://new:1", key);
        vm.prank(op1);
        registry.updateMetadata("udp://new:1", key);
        SequencerRegistry.Operator memory info = registry.operatorInfo(op1);
        vm.assertEq(info.endpoint, "udp://new:1");
        vm.assertEq(info.signingKey, key);
        // The old key stays bound to op1 (keys are never recycled to other operators).
        vm.assertEq(registry.operatorForKey(_key64(1)), op1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SigningKeyTaken.selector, op1));
        vm.prank(alice);
        registry.register("x", _key64(1));
        // op1 may switch back to its own old key.
        vm.prank(op1);
        registry.updateMetadata("udp://new:2", _key65(1));
    }

    function test_updateMetadata_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorNotActive.selector, alice));
        vm.prank(alice);
        registry.updateMetadata("x", _key64(5));

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InvalidEndpoint.selector, 0));
        vm.prank(op1);
        registry.updateMetadata("", _key64(5));

        vm.expectRevert(SequencerRegistry.InvalidSigningKey.selector);
        vm.prank(op1);
        registry.updateMetadata("x", hex"0203");

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SigningKeyTaken.selector, op2));
        vm.prank(op1);
        registry.updateMetadata("x", _key64(2));
    }

    function test_deregister_emitsAndReregisterKeepsList() public {
        vm.expectEmit(address(registry));
        emit SequencerRegistry.OperatorDeregistered(op1);
        vm.prank(op1);
        registry.deregister();
        vm.assertFalse(registry.isActiveOperator(op1));
        vm.assertEq(registry.operatorCount(), 2);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorNotActive.selector, op1));
        vm.prank(op1);
        registry.deregister();

        vm.prank(op1);
        registry.register("again", _key64(1));
        vm.assertTrue(registry.isActiveOperator(op1));
        vm.assertEq(registry.operatorCount(), 2);
    }

    function test_deregister_revertsWithSelfStakeThenSucceedsAfterRequest() public {
        _stakeToken(op1, op1, 5 ether);
        _stakeEth(alice, op1, 1 ether); // delegated stake does not block
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.SelfStakeOutstanding.selector, address(token), 5 ether));
        vm.prank(op1);
        registry.deregister();

        vm.prank(op1);
        registry.requestWithdrawal(op1, address(token), type(uint256).max);
        vm.prank(op1);
        registry.deregister();
        vm.assertFalse(registry.isActiveOperator(op1));

        // The deregistered operator accepts no new stake...
        vm.deal(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorNotActive.selector, op1));
        vm.prank(bob);
        registry.delegate{value: 1 ether}(op1, ETH, 1 ether);
        // ...but its unbonding and delegated stake remain slashable: active first.
        vm.assertEq(_slash(op1, ETH, 2 ether), 1 ether);
        vm.assertEq(_slash(op1, address(token), 2 ether), 2 ether);
        vm.assertEq(registry.unbondingStake(op1, address(token)), 3 ether);
    }

    function test_deregister_worthlessSharesDoNotBlock() public {
        _stakeEth(op1, op1, 1 ether);
        _stakeEth(alice, op1, 1 ether);
        _slash(op1, ETH, 2 ether - 1); // 1 wei left for 2e24 shares
        vm.assertEq(registry.sharesOf(op1, ETH, op1), 1e24);
        vm.assertEq(registry.stakeOf(op1, ETH, op1), 0); // worth nothing (capped at exact share)
        vm.prank(op1);
        registry.deregister();
        vm.assertFalse(registry.isActiveOperator(op1));
    }

    function test_operatorAt_revertsOutOfBounds() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorIndexOutOfBounds.selector, 2, 2));
        registry.operatorAt(2);
    }

    ////////////////////////////////////////////////////////////////
    //                          STAKING                           //
    ////////////////////////////////////////////////////////////////

    function test_stake_eth() public {
        vm.deal(op1, 3 ether);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Staked(op1, ETH, 3 ether, 3 ether * 1e6);
        vm.prank(op1);
        uint256 shares = registry.stake{value: 3 ether}(ETH, 3 ether);
        vm.assertEq(shares, 3e24);
        vm.assertEq(registry.activeStake(op1, ETH), 3 ether);
        vm.assertEq(registry.sharesOf(op1, ETH, op1), 3e24);
        vm.assertEq(registry.stakeOf(op1, ETH, op1), 3 ether);
        vm.assertEq(address(registry).balance, 3 ether);
        address[] memory expected = new address[](1);
        expected[0] = ETH;
        vm.assertEq(registry.selfStakedTokens(op1), expected);
        SequencerRegistry.Pool memory pool = registry.activePool(op1, ETH);
        vm.assertEq(pool.assets, 3 ether);
        vm.assertEq(pool.shares, 3e24);
        vm.assertEq(uint256(pool.generation), 0);
    }

    function test_stake_erc20() public {
        token.mint(op1, 10 ether);
        vm.startPrank(op1);
        token.approve(address(registry), 10 ether);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Staked(op1, address(token), 10 ether, 10e24);
        registry.stake(address(token), 10 ether);
        vm.stopPrank();
        vm.assertEq(token.balanceOf(address(registry)), 10 ether);
        vm.assertEq(registry.activeStake(op1, address(token)), 10 ether);
    }

    function test_delegate_emitsDelegatedAndSharesAccrue() public {
        _stakeEth(op1, op1, 1 ether);
        vm.deal(alice, 2 ether);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Delegated(alice, op1, ETH, 2 ether, 2e24);
        vm.prank(alice);
        registry.delegate{value: 2 ether}(op1, ETH, 2 ether);
        vm.assertEq(registry.activeStake(op1, ETH), 3 ether);
        vm.assertEq(registry.activePool(op1, ETH).shares, 3e24);
        vm.assertEq(registry.stakeOf(op1, ETH, alice), 2 ether);
        vm.assertEq(registry.previewDeposit(op1, ETH, 1 ether), 1e24 - 0); // 1e18*(3e24+1e6)/(3e18+1)
        vm.assertEq(registry.previewWithdrawal(op1, ETH, 1e24), 1 ether);
        // Delegation does not count as the operator's self stake.
        vm.assertEq(registry.selfStakedTokens(alice).length, 0);
    }

    function test_deposit_reverts() public {
        vm.deal(alice, 10 ether);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorNotActive.selector, bob));
        registry.delegate{value: 1}(bob, ETH, 1);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.OperatorNotActive.selector, alice));
        registry.stake{value: 1}(ETH, 1);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.TokenNotAllowed.selector, address(0xBEEF)));
        registry.delegate(op1, address(0xBEEF), 1);

        vm.expectRevert(SequencerRegistry.ZeroAmount.selector);
        registry.delegate(op1, ETH, 0);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.EthAmountMismatch.selector, 2, 1));
        registry.delegate{value: 1}(op1, ETH, 2);

        vm.expectRevert(SequencerRegistry.UnexpectedEth.selector);
        registry.delegate{value: 1}(op1, address(token), 1);
        vm.stopPrank();
    }

    function test_deposit_revertsZeroSharesMinted() public {
        // Unreachable through the public API (assets/share only falls); forced with vm.store
        // to exercise the guard: a pool with huge assets and no shares mints 0 for 1 wei.
        bytes32 inner = keccak256(abi.encode(op1, uint256(9)));
        bytes32 slot = keccak256(abi.encode(ETH, inner));
        vm.store(address(registry), slot, bytes32(uint256(1e30)));
        vm.deal(address(registry), 1e30);
        vm.deal(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.ZeroSharesMinted.selector, 1));
        vm.prank(alice);
        registry.delegate{value: 1}(op1, ETH, 1);
    }

    function test_requestWithdrawal_revertsZeroUnbondingShares() public {
        // Also unreachable through the API; forced: an unbonding pool with huge dust assets
        // and no shares would mint 0 unbonding shares for a 1-wei withdrawal.
        _stakeEth(alice, op1, 1);
        bytes32 inner = keccak256(abi.encode(op1, uint256(10)));
        bytes32 slot = keccak256(abi.encode(ETH, inner));
        vm.store(address(registry), slot, bytes32(uint256(1e30)));
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.ZeroSharesMinted.selector, 1));
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, type(uint256).max);
    }

    function test_noReturnToken_stakeAndClaim() public {
        NoReturnERC20 usdt = new NoReturnERC20();
        vm.prank(gov);
        registry.allowToken(address(usdt));
        usdt.mint(alice, 100e6);
        vm.startPrank(alice);
        usdt.approve(address(registry), 100e6);
        registry.delegate(op1, address(usdt), 100e6);
        (uint256 id,) = registry.requestWithdrawal(op1, address(usdt), type(uint256).max);
        vm.warp(block.timestamp + DELAY);
        registry.claimWithdrawal(id);
        vm.stopPrank();
        vm.assertEq(usdt.balanceOf(alice), 100e6);
        vm.assertEq(usdt.balanceOf(address(registry)), 0);

        // A failing transferFrom of a no-return token (it reverts) is reported by name.
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFromFailed.selector, address(usdt)));
        vm.prank(alice);
        registry.delegate(op1, address(usdt), 1);
    }

    function test_returnsFalseToken_rejected() public {
        ReturnsFalseERC20 t = new ReturnsFalseERC20();
        vm.prank(gov);
        registry.allowToken(address(t));
        t.mint(alice, 100);
        vm.prank(alice);
        t.approve(address(registry), 100);
        // Insufficient allowance: returns false, not a revert.
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFromFailed.selector, address(t)));
        vm.prank(alice);
        registry.delegate(op1, address(t), 101);

        vm.prank(alice);
        registry.delegate(op1, address(t), 100);
        vm.assertEq(registry.activeStake(op1, address(t)), 100);

        // Outgoing transfers that return false make the slash revert (nothing is lost).
        t.setFailAll(true);
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFailed.selector, address(t)));
        _slash(op1, address(t), 10);
        vm.assertEq(registry.activeStake(op1, address(t)), 100);
    }

    function test_feeOnTransfer_creditsReceived() public {
        FeeOnTransferERC20 fot = new FeeOnTransferERC20(100); // 1%
        vm.prank(gov);
        registry.allowToken(address(fot));
        fot.mint(alice, 1000 ether);
        vm.startPrank(alice);
        fot.approve(address(registry), type(uint256).max);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Delegated(alice, op1, address(fot), 990 ether, 990e24);
        registry.delegate(op1, address(fot), 1000 ether);
        vm.stopPrank();
        vm.assertEq(registry.activeStake(op1, address(fot)), 990 ether);
        vm.assertEq(fot.balanceOf(address(registry)), 990 ether);
        vm.assertEq(registry.stakeOf(op1, address(fot), alice), 990 ether);
    }

    function test_feeOnTransfer_fullFeeRevertsZeroAmount() public {
        FeeOnTransferERC20 fot = new FeeOnTransferERC20(10_000);
        vm.prank(gov);
        registry.allowToken(address(fot));
        fot.mint(alice, 1 ether);
        vm.startPrank(alice);
        fot.approve(address(registry), type(uint256).max);
        vm.expectRevert(SequencerRegistry.ZeroAmount.selector);
        registry.delegate(op1, address(fot), 1 ether);
        vm.stopPrank();
    }

    function test_tokenWithoutBalanceOf_revertsBalanceQueryFailed() public {
        EthRejecter notAToken = new EthRejecter();
        vm.prank(gov);
        registry.allowToken(address(notAToken));
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.BalanceQueryFailed.selector, address(notAToken)));
        vm.prank(alice);
        registry.delegate(op1, address(notAToken), 1);
    }

    function test_reentrancy_blockedDuringTokenPull() public {
        ReentrantERC20 re = new ReentrantERC20();
        vm.prank(gov);
        registry.allowToken(address(re));
        re.mint(alice, 10 ether);
        vm.prank(alice);
        re.approve(address(registry), type(uint256).max);
        // During the pull of alice's deposit, the token calls back into the registry.
        re.arm(address(registry), abi.encodeCall(SequencerRegistry.delegate, (op1, address(re), 1 ether)));
        vm.prank(alice);
        registry.delegate(op1, address(re), 1 ether);
        vm.assertFalse(re.lastCallSucceeded());
        vm.assertEq(re.lastReturnData(), abi.encodeWithSelector(SequencerRegistry.Reentrancy.selector));
        vm.assertEq(registry.activeStake(op1, address(re)), 1 ether);

        // Reentering claim and slash through the token hook is blocked as well.
        re.arm(address(registry), abi.encodeCall(SequencerRegistry.claimWithdrawal, (0)));
        vm.prank(alice);
        registry.delegate(op1, address(re), 1 ether);
        vm.assertEq(re.lastReturnData(), abi.encodeWithSelector(SequencerRegistry.Reentrancy.selector));
    }

    function test_reentrancy_blockedDuringSlashAndClaimTransfers() public {
        ReentrantERC20 re = new ReentrantERC20();
        vm.prank(gov);
        registry.allowToken(address(re));
        re.mint(alice, 10 ether);
        vm.startPrank(alice);
        re.approve(address(registry), type(uint256).max);
        registry.delegate(op1, address(re), 4 ether);
        (uint256 id,) = registry.requestWithdrawal(op1, address(re), 1e24);
        vm.stopPrank();

        // During the slash payout, the token tries to re-enter `slash`.
        re.arm(address(registry), abi.encodeCall(SequencerRegistry.slash, (op1, address(re), 1, sink)));
        vm.assertEq(_slash(op1, address(re), 1 ether), 1 ether);
        vm.assertEq(re.lastReturnData(), abi.encodeWithSelector(SequencerRegistry.Reentrancy.selector));

        // During the claim payout, it tries to re-enter `claimWithdrawal` (double claim).
        vm.warp(block.timestamp + DELAY);
        re.arm(address(registry), abi.encodeCall(SequencerRegistry.claimWithdrawal, (id)));
        vm.prank(alice);
        vm.assertEq(registry.claimWithdrawal(id), 1 ether);
        vm.assertEq(re.lastReturnData(), abi.encodeWithSelector(SequencerRegistry.Reentrancy.selector));
        vm.assertEq(re.balanceOf(address(registry)), 2 ether);
        vm.assertEq(registry.activeStake(op1, address(re)), 2 ether);
    }

    ////////////////////////////////////////////////////////////////
    //                        WITHDRAWALS                         //
    ////////////////////////////////////////////////////////////////

    function test_requestWithdrawal_movesToUnbondingAndEmits() public {
        _stakeEth(alice, op1, 4 ether);
        vm.warp(500);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.WithdrawalRequested(0, alice, op1, ETH, 1e24, 1 ether, 500 + DELAY);
        vm.prank(alice);
        (uint256 id, uint256 amount) = registry.requestWithdrawal(op1, ETH, 1e24);
        vm.assertEq(id, 0);
        vm.assertEq(amount, 1 ether);
        vm.assertEq(registry.activeStake(op1, ETH), 3 ether);
        vm.assertEq(registry.unbondingStake(op1, ETH), 1 ether);
        vm.assertEq(registry.slashableStake(op1, ETH), 4 ether);
        vm.assertEq(registry.sharesOf(op1, ETH, alice), 3e24);
        vm.assertEq(registry.withdrawalCount(), 1);
        vm.assertEq(registry.withdrawalValue(0), 1 ether);

        SequencerRegistry.Withdrawal memory w = registry.getWithdrawal(0);
        vm.assertEq(w.account, alice);
        vm.assertEq(w.operator, op1);
        vm.assertEq(w.token, ETH);
        vm.assertEq(uint256(w.claimableAt), 500 + DELAY);
        vm.assertFalse(w.claimed);
        vm.assertEq(w.requestedAmount, 1 ether);
        vm.assertEq(w.shares, 1e24);
        vm.assertEq(registry.unbondingPool(op1, ETH).shares, 1e24);

        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, type(uint256).max);
        uint256[] memory ids = registry.withdrawalIdsOf(alice);
        vm.assertEq(ids.length, 2);
        vm.assertEq(ids[1], 1);
        SequencerRegistry.Withdrawal[] memory all = registry.withdrawalsOf(alice);
        vm.assertEq(all.length, 2);
        vm.assertEq(all[1].requestedAmount, 3 ether);
        vm.assertEq(registry.activeStake(op1, ETH), 0);
        vm.assertEq(registry.unbondingStake(op1, ETH), 4 ether);
        vm.assertEq(registry.withdrawalsOf(bob).length, 0);
    }

    function test_requestWithdrawal_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.UnknownOperator.selector, bob));
        vm.prank(alice);
        registry.requestWithdrawal(bob, ETH, 1);

        vm.expectRevert(SequencerRegistry.ZeroAmount.selector);
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, type(uint256).max); // holds none

        vm.expectRevert(SequencerRegistry.ZeroAmount.selector);
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, 0);

        _stakeEth(alice, op1, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.InsufficientShares.selector, 1e24 + 1, 1e24));
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, 1e24 + 1);

        // After a near-total slash, a tiny share amount is worth zero.
        _slash(op1, ETH, 1 ether - 1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.ZeroWithdrawalAmount.selector, 1));
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, 1);
    }

    function test_claimWithdrawal_paysAfterDelay() public {
        _stakeToken(alice, op1, 2 ether);
        vm.prank(alice);
        (uint256 id,) = registry.requestWithdrawal(op1, address(token), type(uint256).max);
        SequencerRegistry.Withdrawal memory w = registry.getWithdrawal(id);

        vm.warp(uint256(w.claimableAt) - 1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.WithdrawalNotClaimable.selector, id, w.claimableAt));
        vm.prank(alice);
        registry.claimWithdrawal(id);

        vm.warp(w.claimableAt);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.WithdrawalClaimed(id, alice, address(token), 2 ether);
        vm.prank(alice);
        vm.assertEq(registry.claimWithdrawal(id), 2 ether);
        vm.assertEq(token.balanceOf(alice), 2 ether);
        vm.assertEq(registry.unbondingStake(op1, address(token)), 0);
        vm.assertTrue(registry.getWithdrawal(id).claimed);
        vm.assertEq(registry.withdrawalValue(id), 0);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.WithdrawalAlreadyClaimed.selector, id));
        vm.prank(alice);
        registry.claimWithdrawal(id);
    }

    function test_claimWithdrawal_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.UnknownWithdrawal.selector, 0));
        vm.prank(alice);
        registry.claimWithdrawal(0);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.UnknownWithdrawal.selector, 0));
        registry.getWithdrawal(0);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.UnknownWithdrawal.selector, 0));
        registry.withdrawalValue(0);

        _stakeEth(alice, op1, 1 ether);
        vm.prank(alice);
        (uint256 id,) = registry.requestWithdrawal(op1, ETH, type(uint256).max);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotWithdrawalAccount.selector, id, bob));
        vm.prank(bob);
        registry.claimWithdrawal(id);
    }

    function test_claimWithdrawal_ethToRejecterReverts() public {
        EthRejecter rej = new EthRejecter();
        vm.deal(address(this), 1 ether);
        rej.exec{value: 1 ether}(address(registry), abi.encodeCall(SequencerRegistry.delegate, (op1, ETH, 1 ether)));
        rej.exec(
            address(registry), abi.encodeCall(SequencerRegistry.requestWithdrawal, (op1, ETH, type(uint256).max))
        );
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.EthTransferFailed.selector, address(rej)));
        rej.exec(address(registry), abi.encodeCall(SequencerRegistry.claimWithdrawal, (0)));
        // Nothing moved: the entry is still claimable (e.g. after the account can receive).
        vm.assertEq(registry.withdrawalValue(0), 1 ether);
        vm.assertEq(address(registry).balance, 1 ether);
    }

    ////////////////////////////////////////////////////////////////
    //                          SLASHING                          //
    ////////////////////////////////////////////////////////////////

    function test_slash_activeProportionalAndEmits() public {
        _stakeEth(op1, op1, 1 ether);
        _stakeEth(alice, op1, 3 ether);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Slashed(op1, ETH, sink, 2 ether, 0);
        uint256 slashed = _slash(op1, ETH, 2 ether);
        vm.assertEq(slashed, 2 ether);
        vm.assertEq(sink.balance, 2 ether);
        vm.assertEq(registry.activeStake(op1, ETH), 2 ether);
        // Both lost half.
        vm.assertApproxEqAbs(registry.stakeOf(op1, ETH, op1), 0.5 ether, 1);
        vm.assertApproxEqAbs(registry.stakeOf(op1, ETH, alice), 1.5 ether, 1);
        vm.assertLe(registry.stakeOf(op1, ETH, op1) + registry.stakeOf(op1, ETH, alice), 2 ether);
    }

    function test_slash_activeFirstThenUnbonding() public {
        _stakeToken(alice, op1, 6 ether);
        _stakeToken(bob, op1, 4 ether);
        vm.prank(bob);
        (uint256 bobId,) = registry.requestWithdrawal(op1, address(token), type(uint256).max);
        vm.prank(alice);
        (uint256 aliceId,) = registry.requestWithdrawal(op1, address(token), 2e24);
        // active 4, unbonding 6 (bob 4, alice 2)
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Slashed(op1, address(token), sink, 4 ether, 3 ether);
        vm.assertEq(_slash(op1, address(token), 7 ether), 7 ether);
        vm.assertEq(registry.activeStake(op1, address(token)), 0);
        vm.assertEq(registry.unbondingStake(op1, address(token)), 3 ether);
        vm.assertEq(token.balanceOf(sink), 7 ether);
        // Unbonding loss is pro-rata: each entry lost half.
        vm.assertApproxEqAbs(registry.withdrawalValue(bobId), 2 ether, 1);
        vm.assertApproxEqAbs(registry.withdrawalValue(aliceId), 1 ether, 1);

        vm.warp(block.timestamp + DELAY);
        vm.prank(bob);
        uint256 bobGot = registry.claimWithdrawal(bobId);
        vm.prank(alice);
        uint256 aliceGot = registry.claimWithdrawal(aliceId);
        vm.assertLe(bobGot + aliceGot, 3 ether);
        vm.assertApproxEqAbs(bobGot, 2 ether, 1);
        vm.assertApproxEqAbs(aliceGot, 1 ether, 1);
    }

    function test_slash_capsAtTotalAndDepletesPools() public {
        _stakeEth(alice, op1, 1 ether);
        vm.prank(alice);
        (uint256 id,) = registry.requestWithdrawal(op1, ETH, 4e23); // 0.4 unbonding
        vm.expectEmit(address(registry));
        emit SequencerRegistry.PoolDepleted(op1, ETH, false, 1);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.PoolDepleted(op1, ETH, true, 1);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Slashed(op1, ETH, sink, 0.6 ether, 0.4 ether);
        vm.assertEq(_slash(op1, ETH, type(uint256).max), 1 ether);
        vm.assertEq(registry.slashableStake(op1, ETH), 0);
        vm.assertEq(address(registry).balance, 0);
        vm.assertEq(registry.sharesOf(op1, ETH, alice), 0);
        vm.assertEq(registry.stakeOf(op1, ETH, alice), 0);
        vm.assertEq(registry.withdrawalValue(id), 0);
        vm.assertEq(uint256(registry.activePool(op1, ETH).generation), 1);
        vm.assertEq(uint256(registry.unbondingPool(op1, ETH).generation), 1);

        // Nothing left: a further slash takes 0 and emits nothing (no revert).
        vm.assertEq(_slash(op1, ETH, 1), 0);

        // The wiped-out entry claims 0; the old generation position is gone.
        vm.warp(block.timestamp + DELAY);
        vm.prank(alice);
        vm.assertEq(registry.claimWithdrawal(id), 0);

        // Fresh deposits start at the initial rate again.
        vm.assertEq(_stakeEth(bob, op1, 1 ether), 1e24);
        vm.assertEq(registry.stakeOf(op1, ETH, bob), 1 ether);
        vm.assertEq(_stakeEth(alice, op1, 1 ether), 1e24);
        vm.assertEq(registry.sharesOf(op1, ETH, alice), 1e24); // stale shares were reset
    }

    function test_slash_doesNotTouchOtherOperatorsOrTokens() public {
        _stakeEth(alice, op1, 1 ether);
        _stakeEth(alice, op2, 1 ether);
        _stakeToken(alice, op1, 1 ether);
        _slash(op1, ETH, 1 ether);
        vm.assertEq(registry.activeStake(op2, ETH), 1 ether);
        vm.assertEq(registry.activeStake(op1, address(token)), 1 ether);
    }

    function test_slash_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotSlasher.selector, alice));
        vm.prank(alice);
        registry.slash(op1, ETH, 1, sink);

        vm.expectRevert(SequencerRegistry.ZeroAddress.selector);
        vm.prank(slasher);
        registry.slash(op1, ETH, 1, address(0));

        vm.expectRevert(SequencerRegistry.ZeroAmount.selector);
        vm.prank(slasher);
        registry.slash(op1, ETH, 0, sink);

        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.UnknownOperator.selector, bob));
        vm.prank(slasher);
        registry.slash(bob, ETH, 1, sink);

        // A revoked slasher can no longer slash.
        vm.prank(gov);
        registry.revokeSlasher(slasher);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.NotSlasher.selector, slasher));
        vm.prank(slasher);
        registry.slash(op1, ETH, 1, sink);
    }

    function test_slash_ethRecipientRejecting() public {
        _stakeEth(alice, op1, 1 ether);
        EthRejecter rej = new EthRejecter();
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.EthTransferFailed.selector, address(rej)));
        vm.prank(slasher);
        registry.slash(op1, ETH, 1, address(rej));
    }

    function test_slash_unbondingCannotEscapeByClaimingEarly() public {
        _stakeEth(alice, op1, 1 ether);
        vm.prank(alice);
        (uint256 id,) = registry.requestWithdrawal(op1, ETH, type(uint256).max);
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectPartialRevert(SequencerRegistry.WithdrawalNotClaimable.selector);
        vm.prank(alice);
        registry.claimWithdrawal(id);
        vm.assertEq(_slash(op1, ETH, 0.25 ether), 0.25 ether);
        vm.warp(block.timestamp + 1);
        vm.prank(alice);
        vm.assertEq(registry.claimWithdrawal(id), 0.75 ether);
        vm.assertEq(alice.balance, 0.75 ether);
    }

    function test_slash_viaInterface() public {
        _stakeEth(alice, op1, 1 ether);
        ISequencerRegistry i = ISequencerRegistry(address(registry));
        vm.assertEq(i.activeStake(op1, ETH), 1 ether);
        vm.prank(slasher);
        vm.assertEq(i.slash(op1, ETH, 5 ether, sink), 1 ether);
    }

    ////////////////////////////////////////////////////////////////
    //                         SHARE MATH                         //
    ////////////////////////////////////////////////////////////////

    function test_redeem_cappedAtExactProportion() public {
        // alice 2 wei -> 2e6 shares, bob 1 wei -> 1e6 shares; slash 2 of 3 wei.
        vm.assertEq(_stakeEth(alice, op1, 2), 2e6);
        vm.assertEq(_stakeEth(bob, op1, 1), 1e6);
        _slash(op1, ETH, 2);
        // The virtual-offset formula alone would give alice floor(2e6 * 2 / 4e6) = 1 wei,
        // the whole pool; her exact proportion is floor(2e6 * 1 / 3e6) = 0.
        vm.assertEq(registry.stakeOf(op1, ETH, alice), 0);
        vm.assertEq(registry.previewWithdrawal(op1, ETH, 2e6), 0);
        vm.assertEq(registry.previewWithdrawal(op1, ETH, 3e6), 1);
        vm.expectRevert(abi.encodeWithSelector(SequencerRegistry.ZeroWithdrawalAmount.selector, 2e6));
        vm.prank(alice);
        registry.requestWithdrawal(op1, ETH, 2e6);
    }

    function test_donation_doesNotMoveExchangeRate() public {
        _stakeToken(alice, op1, 1);
        // A first-depositor "inflation" donation straight to the contract changes nothing.
        token.mint(address(registry), 1_000 ether);
        vm.assertEq(registry.activeStake(op1, address(token)), 1);
        vm.assertEq(registry.previewDeposit(op1, address(token), 1 ether), 1 ether * (1e6 + 1e6) / 2);
        _stakeToken(bob, op1, 1 ether);
        vm.assertEq(registry.stakeOf(op1, address(token), bob), 1 ether);
        vm.assertEq(registry.stakeOf(op1, address(token), alice), 1);
        // Donated ETH likewise.
        vm.deal(address(registry), 5 ether);
        vm.assertEq(registry.activeStake(op1, ETH), 0);
        vm.assertEq(registry.previewDeposit(op1, ETH, 1), 1e6);
    }

    function test_delegateToSelf_isStake() public {
        vm.deal(op1, 1 ether);
        vm.expectEmit(address(registry));
        emit SequencerRegistry.Staked(op1, ETH, 1 ether, 1e24);
        vm.prank(op1);
        registry.delegate{value: 1 ether}(op1, ETH, 1 ether);
        vm.assertEq(registry.selfStakedTokens(op1).length, 1);
        // A second self-stake in the same token does not duplicate the token entry.
        _stakeEth(op1, op1, 1 ether);
        vm.assertEq(registry.selfStakedTokens(op1).length, 1);
    }

    ////////////////////////////////////////////////////////////////
    //                            FUZZ                            //
    ////////////////////////////////////////////////////////////////

    /// @dev Deposit then withdraw everything: get back the deposit, to within 1 wei, never more.
    function testFuzz_depositWithdrawRoundTrip(uint256 opAmount, uint256 aliceAmount, uint256 bobAmount) public {
        opAmount = bound(opAmount, 1, 1e30);
        aliceAmount = bound(aliceAmount, 1, 1e30);
        bobAmount = bound(bobAmount, 1, 1e30);
        _stakeToken(op1, op1, opAmount);
        _stakeToken(alice, op1, aliceAmount);
        _stakeToken(bob, op1, bobAmount);
        address[3] memory who = [op1, alice, bob];
        uint256[3] memory put = [opAmount, aliceAmount, bobAmount];
        for (uint256 i; i < 3; ++i) {
            uint256 v = registry.stakeOf(op1, address(token), who[i]);
            vm.assertLe(v, put[i]);
            vm.assertGe(v + 1, put[i]);
        }
        vm.warp(block.timestamp + DELAY);
        for (uint256 i; i < 3; ++i) {
            vm.prank(who[i]);
            (uint256 id, uint256 amount) = registry.requestWithdrawal(op1, address(token), type(uint256).max);
            vm.assertLe(amount, put[i]);
            vm.warp(block.timestamp + DELAY);
            vm.prank(who[i]);
            uint256 got = registry.claimWithdrawal(id);
            vm.assertLe(got, amount);
            vm.assertGe(got + 2, put[i]);
        }
        vm.assertEq(
            token.balanceOf(address(registry)),
            registry.activeStake(op1, address(token)) + registry.unbondingStake(op1, address(token))
        );
    }

    /// @dev Locals of `testFuzz_slashOrderAndProportion` (stack depth).
    struct SlashCase {
        uint256 id;
        uint256 unbondAmt;
        uint256 active;
        uint256 unbonding;
        uint256 aliceBefore;
        uint256 expectActive;
        uint256 expectUnbond;
        uint256 slashed;
    }

    /// @dev A slash takes min(amount, active + unbonding), active first, and every holder's
    ///      value drops proportionally.
    function testFuzz_slashOrderAndProportion(uint256 a, uint256 b, uint256 unbondBps, uint256 slashAmt) public {
        a = bound(a, 1e6, 1e27);
        b = bound(b, 1e6, 1e27);
        unbondBps = bound(unbondBps, 0, 10_000);
        slashAmt = bound(slashAmt, 1, 3e27);
        _stakeEth(alice, op1, a);
        _stakeEth(bob, op1, b);
        SlashCase memory c;
        c.id = type(uint256).max;
        uint256 unbondShares = registry.sharesOf(op1, ETH, bob) * unbondBps / 10_000;
        if (unbondShares != 0 && registry.previewWithdrawal(op1, ETH, unbondShares) != 0) {
            vm.prank(bob);
            (c.id, c.unbondAmt) = registry.requestWithdrawal(op1, ETH, unbondShares);
        }
        c.active = registry.activeStake(op1, ETH);
        c.unbonding = registry.unbondingStake(op1, ETH);
        vm.assertEq(c.active + c.unbonding, a + b);
        c.aliceBefore = registry.stakeOf(op1, ETH, alice);

        c.slashed = _slash(op1, ETH, slashAmt);
        c.expectActive = slashAmt < c.active ? slashAmt : c.active;
        uint256 rest = slashAmt - c.expectActive;
        c.expectUnbond = rest < c.unbonding ? rest : c.unbonding;
        vm.assertEq(c.slashed, c.expectActive + c.expectUnbond);
        vm.assertLe(c.slashed, a + b);
        vm.assertEq(registry.activeStake(op1, ETH), c.active - c.expectActive);
        vm.assertEq(registry.unbondingStake(op1, ETH), c.unbonding - c.expectUnbond);
        vm.assertEq(sink.balance, c.slashed);
        vm.assertEq(address(registry).balance, a + b - c.slashed);

        // Proportional loss (alice's value scales with the active pool, to rounding).
        uint256 aliceAfter = registry.stakeOf(op1, ETH, alice);
        uint256 expected = c.aliceBefore * (c.active - c.expectActive) / c.active;
        vm.assertLe(aliceAfter, expected + 1);
        vm.assertGe(aliceAfter + 2, expected);
        // The unbonding entry never pays more than what remains.
        if (c.id != type(uint256).max) {
            vm.warp(block.timestamp + DELAY);
            vm.prank(bob);
            uint256 got = registry.claimWithdrawal(c.id);
            vm.assertLe(got, c.unbonding - c.expectUnbond);
            vm.assertLe(got, c.unbondAmt);
        }
    }

    /// @dev Fee-on-transfer: the credited amount is exactly what arrived.
    function testFuzz_feeOnTransferCreditsDelta(uint256 feeBps, uint256 amount) public {
        feeBps = bound(feeBps, 0, 9_999);
        amount = bound(amount, 10_000, 1e30);
        FeeOnTransferERC20 fot = new FeeOnTransferERC20(feeBps);
        vm.prank(gov);
        registry.allowToken(address(fot));
        fot.mint(alice, amount);
        vm.startPrank(alice);
        fot.approve(address(registry), amount);
        registry.delegate(op1, address(fot), amount);
        vm.stopPrank();
        uint256 received = amount - amount * feeBps / 10_000;
        vm.assertEq(fot.balanceOf(address(registry)), received);
        vm.assertEq(registry.activeStake(op1, address(fot)), received);
        vm.assertLe(registry.stakeOf(op1, address(fot), alice), received);
    }

    /// @dev Interleaved deposits after slashes never let a newcomer take value from others.
    function testFuzz_noValueTransferOnDeposit(uint256 a, uint256 slashAmt, uint256 b) public {
        a = bound(a, 1, 1e30);
        slashAmt = bound(slashAmt, 1, a);
        b = bound(b, 1, 1e30);
        _stakeEth(alice, op1, a);
        _slash(op1, ETH, slashAmt);
        uint256 aliceBefore = registry.stakeOf(op1, ETH, alice);
        _stakeEth(bob, op1, b);
        vm.assertLe(registry.stakeOf(op1, ETH, bob), b);
        vm.assertGe(registry.stakeOf(op1, ETH, alice) + 1, aliceBefore);
        vm.assertLe(
            registry.stakeOf(op1, ETH, alice) + registry.stakeOf(op1, ETH, bob), registry.activeStake(op1, ETH)
        );
    }

    ////////////////////////////////////////////////////////////////
    //                      SAFE TRANSFER LIB                     //
    ////////////////////////////////////////////////////////////////

    function test_safeTransferLib_tokenKinds() public {
        SafeTransferLibHarness h = new SafeTransferLibHarness();
        // A "token" without code: the call succeeds with no data, but must not count.
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFailed.selector, address(0xE0A)));
        h.transfer(address(0xE0A), alice, 1);
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFromFailed.selector, address(0xE0A)));
        h.transferFrom(address(0xE0A), alice, bob, 1);
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.BalanceQueryFailed.selector, address(0xE0A)));
        h.balanceOf(address(0xE0A), alice);

        // Standard token: true.
        token.mint(address(h), 5);
        h.transfer(address(token), alice, 2);
        vm.assertEq(token.balanceOf(alice), 2);
        vm.assertEq(h.balanceOf(address(token), alice), 2);
        // Standard token reverting (insufficient balance) is reported by name.
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFailed.selector, address(token)));
        h.transfer(address(token), alice, 100);

        // No-return token: succeeds silently.
        NoReturnERC20 usdt = new NoReturnERC20();
        usdt.mint(address(h), 5);
        h.transfer(address(usdt), alice, 5);
        vm.assertEq(usdt.balanceOf(alice), 5);

        // Returns-false token: rejected.
        ReturnsFalseERC20 f = new ReturnsFalseERC20();
        f.mint(address(h), 5);
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.TransferFailed.selector, address(f)));
        h.transfer(address(f), alice, 6);
        h.transfer(address(f), alice, 5);
        vm.assertEq(f.balanceOf(alice), 5);
    }
}
