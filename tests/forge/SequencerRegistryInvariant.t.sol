// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {SequencerRegistry} from "../../contracts/SequencerRegistry.sol";
import {MockERC20} from "./tokens/MockERC20.sol";
import {SequencerRegistryHandler} from "./handlers/SequencerRegistryHandler.sol";

/// @title SequencerRegistryInvariantTest
/// @notice Stateful invariants of the registry under random action sequences from
///         `SequencerRegistryHandler` (see `[invariant]` in foundry.toml for runs/depth).
contract SequencerRegistryInvariantTest is TestBase {
    /// @dev Forge's target-selector record (matches forge-std's `FuzzSelector`).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    SequencerRegistry internal registry;
    MockERC20 internal token;
    SequencerRegistryHandler internal handler;

    function setUp() public {
        registry = new SequencerRegistry(address(this), 3 days);
        token = new MockERC20("Stake", "STK");
        registry.allowToken(address(0));
        registry.allowToken(address(token));
        handler = new SequencerRegistryHandler(registry, token);
        registry.authorizeSlasher(handler.SLASHER());
        targetContract(address(handler));
    }

    /// @notice Fuzz only the handler's actions (not its getters).
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = SequencerRegistryHandler.deposit.selector;
        selectors[1] = SequencerRegistryHandler.requestWithdrawal.selector;
        selectors[2] = SequencerRegistryHandler.claim.selector;
        selectors[3] = SequencerRegistryHandler.slash.selector;
        selectors[4] = SequencerRegistryHandler.warp.selector;
        selectors[5] = SequencerRegistryHandler.toggleOperator.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice Funds held == sum of all active pools + all unclaimed unbonding (ETH and the
    ///         standard token), and the sink received exactly what was slashed.
    function invariant_solvency() public view {
        address[] memory ops = handler.operators();
        address[] memory tkns = handler.tokens();
        for (uint256 t; t < tkns.length; ++t) {
            uint256 sum;
            for (uint256 o; o < ops.length; ++o) {
                sum += registry.activeStake(ops[o], tkns[t]) + registry.unbondingStake(ops[o], tkns[t]);
            }
            uint256 held = tkns[t] == address(0) ? address(registry).balance : token.balanceOf(address(registry));
            vm.assertEq(held, sum, "held != active + unbonding");
            address sink = handler.SINK();
            uint256 sunk = tkns[t] == address(0) ? sink.balance : token.balanceOf(sink);
            vm.assertEq(sunk, handler.slashedTotal(tkns[t]), "sink != slashed total");
        }
    }

    /// @notice Holders' active shares sum to each pool's total shares, and holders' values
    ///         never exceed the pool's assets.
    function invariant_activeSharesSum() public view {
        address[] memory ops = handler.operators();
        address[] memory tkns = handler.tokens();
        address[] memory actors = handler.actors();
        for (uint256 o; o < ops.length; ++o) {
            for (uint256 t; t < tkns.length; ++t) {
                uint256 shares;
                uint256 value;
                for (uint256 a; a < actors.length; ++a) {
                    shares += registry.sharesOf(ops[o], tkns[t], actors[a]);
                    value += registry.stakeOf(ops[o], tkns[t], actors[a]);
                }
                SequencerRegistry.Pool memory pool = registry.activePool(ops[o], tkns[t]);
                vm.assertEq(shares, pool.shares, "active shares sum");
                vm.assertLe(value, pool.assets, "active values exceed assets");
            }
        }
    }

    /// @notice Unclaimed current-generation withdrawal entries' shares sum to each unbonding
    ///         pool's shares, and their values never exceed the pool's assets.
    function invariant_unbondingSharesSum() public view {
        address[] memory ops = handler.operators();
        address[] memory tkns = handler.tokens();
        uint256 n = registry.withdrawalCount();
        for (uint256 o; o < ops.length; ++o) {
            for (uint256 t; t < tkns.length; ++t) {
                SequencerRegistry.Pool memory pool = registry.unbondingPool(ops[o], tkns[t]);
                uint256 shares;
                uint256 value;
                for (uint256 i; i < n; ++i) {
                    SequencerRegistry.Withdrawal memory w = registry.getWithdrawal(i);
                    if (w.operator != ops[o] || w.token != tkns[t] || w.claimed) continue;
                    if (w.generation == pool.generation) shares += w.shares;
                    value += registry.withdrawalValue(i);
                }
                vm.assertEq(shares, pool.shares, "unbonding shares sum");
                vm.assertLe(value, pool.assets, "unbonding values exceed assets");
            }
        }
    }

    /// @notice No slash took more than the stake, took in the wrong order, or skipped
    ///         slashable unbonding stake; no request or claim paid above its proportion.
    function invariant_noViolations() public view {
        vm.assertEq(handler.slashViolations(), 0, "slash violations");
        vm.assertEq(handler.overpayViolations(), 0, "overpay violations");
    }
}
