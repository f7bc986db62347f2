// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupBase} from "./rollup/RollupBase.sol";
import {RollupHandler} from "./rollup/RollupHandler.sol";
import {Tier, PackHeader, Pack} from "../../contracts/interfaces/IRollup.sol";

/// @notice Fuzz tests: random sequences of post / affirm / reject / warp / game / finalize
///         / invalidate agree with a reference model after every step.
contract RollupFuzzTest is RollupBase {
    RollupHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory vs = new address[](4);
        (vs[0], vs[1], vs[2], vs[3]) = (v1, v2, v3, v4);
        handler = new RollupHandler(rollup, outcomes, vs);
    }

    function _run(uint256 seed, uint256 steps) internal {
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 op = r % 16;
            uint256 a = r >> 8;
            uint256 b = r >> 80;
            if (op < 4) handler.post(a, b, a >> 100, b >> 100);
            else if (op < 7) handler.affirm(a, b);
            else if (op < 8) handler.reject(a, b);
            else if (op < 10) handler.warp(a);
            else if (op < 11) handler.openGame(a);
            else if (op < 12) handler.closeGame(a, b % 2 == 0);
            else if (op < 15) handler.finalizeNext();
            else handler.invalidateDefeated(a);
            handler.checkModel();
        }
    }

    function testFuzz_sequencesMatchModel(uint256 seed) public {
        _run(seed, 40);
    }

    /// @notice The random sequences reach every transition (guards against a handler
    ///         that silently does nothing).
    function test_sequencesCoverEveryTransition() public {
        for (uint256 seed; seed < 8; ++seed) {
            _run(seed, 60);
        }
        vm.assertGt(handler.posts(), 20);
        vm.assertGt(handler.finalizations(), 5);
        vm.assertGt(handler.invalidations(), 0);
        vm.assertGt(handler.invalidated(), handler.invalidations());
    }

    function testFuzz_postAffirmFinalize(uint8 txCount, uint8 affirmers, uint32 wait) public {
        uint256 id = _post(v1, bound(txCount, 1, 64), txCount);
        uint256 n = bound(affirmers, 0, 3);
        address[3] memory others = [v2, v3, v4];
        for (uint256 i; i < n; ++i) {
            _affirm(id, others[i]);
        }
        _assertTier(id, n >= QUORUM ? Tier.VerificationFinal : Tier.Posted, "tier 2 iff quorum");
        vm.warp(block.timestamp + wait);
        bool open = wait < WINDOW;
        vm.assertTrue(rollup.canFinalize(id) == !open, "final iff the window is over");
        if (!open) {
            rollup.finalize(id);
            _assertTier(id, Tier.RollupFinal, "tier 3");
            (Tier tier, uint256 packId) = rollup.tierOfBlock(rollup.getPack(id).lastBlock);
            vm.assertEq(packId, id);
            vm.assertEq(uint256(tier), uint256(Tier.RollupFinal));
        }
    }

    function testFuzz_invalidateCascade(uint8 length, uint8 defeatedAt, uint8 finalized) public {
        uint256 n = bound(length, 1, 12);
        uint256[] memory ids = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = _post(i % 2 == 0 ? v1 : v2, 1 + i % 5, i);
        }
        vm.warp(block.timestamp + WINDOW);
        uint256 f = bound(finalized, 0, n - 1);
        for (uint256 i; i < f; ++i) {
            rollup.finalize(ids[i]);
        }
        uint256 k = bound(defeatedAt, f, n - 1);
        outcomes.setDefeated(bytes32(ids[k]), true);
        rollup.invalidate(ids[k]);
        vm.assertEq(rollup.head(), k == 0 ? 0 : ids[k - 1], "head is the defeated pack's parent");
        for (uint256 i; i < n; ++i) {
            Tier t = rollup.tierOf(ids[i]);
            if (i < f) vm.assertEq(uint256(t), uint256(Tier.RollupFinal), "finalized prefix kept");
            else if (i < k) vm.assertEq(uint256(t), uint256(Tier.Posted), "valid before the defeat");
            else vm.assertEq(uint256(t), uint256(Tier.Invalid), "invalid from the defeat on");
        }
    }
}
