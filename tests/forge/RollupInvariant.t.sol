// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupBase} from "./rollup/RollupBase.sol";
import {RollupHandler} from "./rollup/RollupHandler.sol";
import {Tier, Pack} from "../../contracts/interfaces/IRollup.sol";

/// @notice Invariants of the valid chain under random posts, votes, warps, games,
///         finalizations and invalidations (driven by `RollupHandler`).
contract RollupInvariantTest is RollupBase {
    RollupHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory vs = new address[](4);
        (vs[0], vs[1], vs[2], vs[3]) = (v1, v2, v3, v4);
        handler = new RollupHandler(rollup, outcomes, vs);
        targetContract(address(handler));
    }

    /// @notice The head is always valid, and so is every pack on the way to it.
    function invariant_headAndItsAncestorsAreValid() public view {
        uint256 id = rollup.head();
        while (true) {
            vm.assertTrue(rollup.isValid(id), "valid chain");
            vm.assertTrue(rollup.tierOf(id) != Tier.Invalid, "not Invalid");
            if (id == 0) break;
            id = rollup.getPack(id).parentId;
        }
    }

    /// @notice Final packs form a prefix of the valid chain; the rest is not final.
    function invariant_finalizedPrefix() public view {
        uint256 finalized = rollup.finalizedHeight();
        uint256 top = rollup.headHeight();
        vm.assertLe(finalized, top, "finalized height <= head height");
        for (uint256 h; h <= top; ++h) {
            Tier t = rollup.tierOf(rollup.packAtHeight(h));
            if (h <= finalized) vm.assertEq(uint256(t), uint256(Tier.RollupFinal), "final prefix");
            else vm.assertTrue(t == Tier.Posted || t == Tier.VerificationFinal, "pending suffix");
        }
    }

    /// @notice No pack whose ancestor is invalid is valid; finality is never lost.
    function invariant_noValidPackAfterAnInvalidOne() public view {
        uint256 count = rollup.packCount();
        for (uint256 id = 1; id <= count; ++id) {
            Tier t = rollup.tierOf(id);
            if (handler.everFinal(id)) vm.assertEq(uint256(t), uint256(Tier.RollupFinal), "finality is irreversible");
            if (t == Tier.Invalid) continue;
            uint256 parent = rollup.getPack(id).parentId;
            vm.assertTrue(rollup.tierOf(parent) != Tier.Invalid, "valid pack with an invalid parent");
        }
    }

    /// @notice Block ranges along the valid chain are contiguous from block 0.
    function invariant_contiguousBlocks() public view {
        uint256 top = rollup.headHeight();
        uint256 expectedFirst = 1;
        for (uint256 h = 1; h <= top; ++h) {
            Pack memory p = rollup.getPack(rollup.packAtHeight(h));
            vm.assertEq(uint256(p.firstBlock), expectedFirst, "contiguous");
            vm.assertGe(uint256(p.lastBlock), uint256(p.firstBlock), "non-empty range");
            expectedFirst = uint256(p.lastBlock) + 1;
        }
    }

    /// @notice The contract agrees with the handler's reference model.
    function invariant_matchesModel() public view {
        handler.checkModel();
    }
}
