// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {Vm, VmRollup} from "../utils/Vm.sol";
import {DisputeOutcomesMock} from "../rollup/RollupMocks.sol";
import {WithdrawalVectors} from "./WithdrawalVectors.sol";
import {ExecutionLayerRegistry} from "../../../contracts/ExecutionLayerRegistry.sol";
import {SequencerRegistry} from "../../../contracts/SequencerRegistry.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {RollupSettlement, ISettledRollup} from "../../../contracts/RollupSettlement.sol";
import {WithdrawalPortal} from "../../../contracts/WithdrawalPortal.sol";
import {ISequencerRegistry} from "../../../contracts/interfaces/ISequencerRegistry.sol";
import {
    IDisputeOutcomes,
    IRollup,
    IRollupDirectory,
    PackHeader,
    RollupConfig,
    Tier
} from "../../../contracts/interfaces/IRollup.sol";
import {TxRootsMerkle} from "../../../contracts/dispute/lib/TxRootsMerkle.sol";

/// @notice The registry with its selection step fed an arbitrary VRF output (the ECVRF
///         itself is tested in ExecutionLayerRegistry.t.sol).
contract SettlementRegistryHarness is ExecutionLayerRegistry {
    constructor(address owner_, ISequencerRegistry registry_, Config memory config_)
        ExecutionLayerRegistry(owner_, registry_, config_)
    {}

    function exposedSelect(uint256 rollupId, bytes32 beta) external returns (address[] memory) {
        return _selectAndStore(rollupId, _rollups[rollupId], beta);
    }
}

/// @notice End-of-life settlement with the real registries and a real Rollup (dispute
///         outcomes mocked): binding rules, every settlement precondition, the Settled
///         rollup refusing packs, withdrawals still paid against the final pack, and
///         sequencer stake free to leave.
contract RollupSettlementTest is TestBase {
    VmRollup internal constant vmr = VmRollup(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    address internal constant ETH = address(0);
    uint64 internal constant WINDOW = 1 hours;

    address internal gov = address(0x6001);
    address internal requester = address(0xD0D0);
    address internal v1 = address(0x1001);
    address internal v2 = address(0x1002);
    address internal stranger = address(0x5757);

    SequencerRegistry internal sr;
    SettlementRegistryHarness internal elr;
    RollupSettlement internal settlement;
    Rollup internal rollup;
    DisputeOutcomesMock internal outcomes;
    WithdrawalPortal internal portal;
    uint256 internal rollupId;
    string internal json;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        json = WithdrawalVectors.load();
        sr = new SequencerRegistry(gov, 1 days);
        vm.prank(gov);
        sr.allowToken(ETH);
        elr = new SettlementRegistryHarness(
            gov,
            ISequencerRegistry(address(sr)),
            ExecutionLayerRegistry.Config({
                chainIdBase: 900_000,
                supportedSettlement: 1,
                supportedDa: 3,
                supportedVms: 1,
                supportedTypes: 1,
                maxSequencersCap: 8,
                selectionGraceBlocks: 10
            })
        );
        _operator(v1, 21, 10 ether);
        _operator(v2, 22, 12 ether);
        rollupId = _request();
        elr.exposedSelect(rollupId, keccak256("beta"));
        rollup = _deployRollup(rollupId);
        settlement = new RollupSettlement(elr);
        vm.prank(gov);
        elr.setSettler(address(settlement));
        portal = new WithdrawalPortal(IRollup(address(rollup)), WithdrawalVectors.predeploy(json));
        vm.deal(address(portal), 10 ether);
    }

    // -- helpers -------------------------------------------------------------------

    function _operator(address who, uint256 pk, uint256 amount) internal {
        Vm.Wallet memory w = vm.createWallet(pk);
        vm.prank(who);
        sr.register("http://127.0.0.1:9000", abi.encodePacked(w.publicKeyX, w.publicKeyY));
        vm.deal(who, amount);
        vm.prank(who);
        sr.stake{value: amount}(ETH, amount);
    }

    function _request() internal returns (uint256 id) {
        address[] memory tokens = new address[](1);
        tokens[0] = ETH;
        uint256[] memory mins = new uint256[](1);
        mins[0] = 10 ether;
        vm.prank(requester);
        (id,) = elr.requestExecutionLayer(
            ExecutionLayerRegistry.RequestParams({
                settlementLayer: ExecutionLayerRegistry.SettlementLayer.Ethereum,
                daLayer: ExecutionLayerRegistry.DaLayer.EthereumCalldata,
                vm: ExecutionLayerRegistry.VirtualMachine.EVM,
                rollupType: ExecutionLayerRegistry.RollupType.Optimistic,
                purpose: ExecutionLayerRegistry.Purpose.AppSpecific,
                kind: ExecutionLayerRegistry.Kind.Flash,
                minSequencers: 1,
                maxSequencers: 2,
                allowedTokens: tokens,
                minStakes: mins
            })
        );
    }

    function _deployRollup(uint256 id) internal returns (Rollup r) {
        address predicted = _createAddress(address(this), vmr.getNonce(address(this)) + 1);
        outcomes = new DisputeOutcomesMock(predicted);
        r = new Rollup(
            RollupConfig({
                executionLayerRegistry: IRollupDirectory(address(elr)),
                rollupId: id,
                sequencerRegistry: ISequencerRegistry(address(sr)),
                disputeGame: IDisputeOutcomes(address(outcomes)),
                challengeWindow: WINDOW,
                affirmationQuorum: 1,
                finalityRequiresQuorum: false,
                stakeToken: ETH,
                minVerifierStake: 10 ether,
                genesisStateRoot: vm.parseJsonBytes32(json, ".genesisRoot")
            })
        );
        vm.assertEq(address(r), predicted, "predicted address");
    }

    function _createAddress(address deployer, uint256 nonce) internal pure returns (address) {
        bytes memory rlp;
        if (nonce < 0x80) rlp = abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, uint8(nonce));
        else rlp = abi.encodePacked(bytes1(0xd7), bytes1(0x94), deployer, bytes1(0x81), uint8(nonce));
        return address(uint160(uint256(keccak256(rlp))));
    }

    /// @dev `v1` posts a one-transaction pack with state root `root` (txCount 0 keeps the
    ///      parent's root).
    function _post(bytes32 root, bool empty) internal returns (uint256 packId) {
        uint256 headId = rollup.head();
        PackHeader memory header;
        header.parentId = uint64(headId);
        header.firstBlock = rollup.getPack(headId).lastBlock + 1;
        header.lastBlock = header.firstBlock + 1;
        bytes32[] memory proof;
        if (empty) {
            header.stateRoot = rollup.stateRootAt(headId);
        } else {
            bytes32[] memory roots = new bytes32[](1);
            roots[0] = root;
            header.txCount = 1;
            header.txRootsCommitment = TxRootsMerkle.commit(roots);
            header.stateRoot = root;
        }
        vm.prank(v1);
        packId = rollup.postPack(header, proof, "pack");
    }

    function _finalize(uint256 packId) internal {
        vm.warp(rollup.getPack(packId).challengeDeadline);
        rollup.finalize(packId);
    }

    function _bind() internal {
        vm.prank(requester);
        settlement.bindRollup(rollupId, ISettledRollup(address(rollup)));
    }

    function _end() internal {
        vm.prank(requester);
        elr.endRollup(rollupId);
    }

    // -- binding -------------------------------------------------------------------

    function test_bind_rules() public {
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.UnknownRollup.selector, 99));
        settlement.bindRollup(99, ISettledRollup(address(rollup)));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.NotRequesterOrOwner.selector, stranger));
        settlement.bindRollup(rollupId, ISettledRollup(address(rollup)));
        vm.prank(requester);
        vm.expectRevert(RollupSettlement.ZeroAddress.selector);
        settlement.bindRollup(rollupId, ISettledRollup(address(0)));

        // A Rollup of rollup 1 cannot be bound to rollup 2.
        uint256 other = _request();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(RollupSettlement.RollupMismatch.selector, address(rollup), address(elr), rollupId)
        );
        settlement.bindRollup(other, ISettledRollup(address(rollup)));

        vm.expectEmit(address(settlement));
        emit RollupSettlement.RollupBound(rollupId, address(rollup), gov);
        vm.prank(gov); // governance may bind too
        settlement.bindRollup(rollupId, ISettledRollup(address(rollup)));
        vm.assertEq(address(settlement.rollupOf(rollupId)), address(rollup));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.RollupAlreadyBound.selector, rollupId, address(rollup)));
        settlement.bindRollup(rollupId, ISettledRollup(address(rollup)));
    }

    // -- settlement preconditions --------------------------------------------------------

    function test_settle_rejectsUnknownUnboundAndNotEnding() public {
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.UnknownRollup.selector, 99));
        settlement.settle(99);
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.RollupNotBound.selector, rollupId));
        settlement.settle(rollupId);
        _bind();
        vm.expectRevert(
            abi.encodeWithSelector(RollupSettlement.NotEnding.selector, rollupId, ExecutionLayerRegistry.Status.Active)
        );
        settlement.settle(rollupId);
        vm.assertFalse(settlement.canSettle(rollupId));
    }

    function test_endRollup_recordsEndedAt() public {
        vm.assertEq(elr.endedAtOf(rollupId), 0);
        vm.warp(1_700_000_123);
        _end();
        vm.assertEq(elr.endedAtOf(rollupId), 1_700_000_123);
    }

    function test_settle_needsAPackPostedAfterTheEnd() public {
        _bind();
        uint256 before = _post(WithdrawalVectors.firstRoot(json), false);
        _finalize(before);
        _end();
        vm.expectRevert(
            abi.encodeWithSelector(
                RollupSettlement.NoPackSinceEnd.selector, before, rollup.getPack(before).postedAt, block.timestamp
            )
        );
        settlement.settle(rollupId);
    }

    function test_settle_needsTheFinalPackFinal() public {
        _bind();
        _end();
        uint256 last = _post(WithdrawalVectors.stateRoot(json), false);
        vm.expectRevert(abi.encodeWithSelector(RollupSettlement.FinalPackNotFinal.selector, last, Tier.Posted));
        settlement.settle(rollupId);
        vm.assertFalse(settlement.canSettle(rollupId));
    }

    function test_settle_needsTheSettlerRole() public {
        _bind();
        _end();
        _finalize(_post(WithdrawalVectors.stateRoot(json), false));
        vm.prank(gov);
        elr.setSettler(stranger);
        vm.assertFalse(settlement.canSettle(rollupId));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotSettler.selector, address(settlement)));
        settlement.settle(rollupId);
    }

    // -- the whole end of life ------------------------------------------------------------

    function test_endOfLife_settlesAndWithdrawalsStillPay() public {
        _bind();
        uint256 early = _post(WithdrawalVectors.firstRoot(json), false);
        _finalize(early);
        _end();
        uint256 last = _post(WithdrawalVectors.stateRoot(json), false);
        _finalize(last);
        vm.assertTrue(settlement.canSettle(rollupId));

        address[] memory seqs = elr.sequencersOf(rollupId);
        vm.expectEmit(address(settlement));
        emit RollupSettlement.RollupSettlementRecorded(
            rollupId, last, rollup.getPack(last).lastBlock, WithdrawalVectors.stateRoot(json), stranger
        );
        vm.expectEmit(address(settlement));
        emit RollupSettlement.SequencersReleased(rollupId, seqs);
        vm.prank(stranger); // anyone
        vm.assertEq(settlement.settle(rollupId), last);

        vm.assertEq(uint256(elr.statusOf(rollupId)), uint256(ExecutionLayerRegistry.Status.Settled));
        RollupSettlement.Settlement memory s = settlement.settlementOf(rollupId);
        vm.assertEq(uint256(s.finalPackId), last);
        vm.assertEq(uint256(s.finalBlock), rollup.getPack(last).lastBlock);
        vm.assertEq(uint256(s.settledAt), block.timestamp);
        vm.assertEq(s.finalStateRoot, WithdrawalVectors.stateRoot(json));
        vm.assertTrue(settlement.isSettled(rollupId));
        vm.expectRevert(
            abi.encodeWithSelector(RollupSettlement.NotEnding.selector, rollupId, ExecutionLayerRegistry.Status.Settled)
        );
        settlement.settle(rollupId);

        // The rollup is frozen: no more packs.
        uint256 headId = rollup.head();
        PackHeader memory header;
        header.parentId = uint64(headId);
        header.firstBlock = rollup.getPack(headId).lastBlock + 1;
        header.lastBlock = header.firstBlock;
        header.stateRoot = rollup.stateRootAt(headId);
        vm.prank(v1);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.RollupNotLive.selector, rollupId, ExecutionLayerRegistry.Status.Settled)
        );
        rollup.postPack(header, new bytes32[](0), "");

        // Every withdrawal still pays against the final pack.
        for (uint256 i; i < WithdrawalVectors.COUNT; ++i) {
            WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, i);
            uint256 before = w.l1Recipient.balance;
            portal.proveAndFinalize(last, w, WithdrawalVectors.proof(json, i));
            vm.assertEq(w.l1Recipient.balance, before + w.amount);
        }

        // Sequencer stake was never locked per rollup: it leaves through normal unbonding.
        vm.prank(v1);
        (, uint256 amount) = sr.requestWithdrawal(v1, ETH, type(uint256).max);
        vm.assertEq(amount, 10 ether);
    }

    event log_named_uint(string key, uint256 val);

    function test_settle_gas() public {
        _bind();
        _end();
        _finalize(_post(WithdrawalVectors.stateRoot(json), false));
        uint256 g = gasleft();
        settlement.settle(rollupId);
        uint256 used = g - gasleft();
        emit log_named_uint("settle execution gas (2 sequencers)", used);
        vm.assertLe(used, 120_000, "settle stays cheap");
    }

    function test_endOfLife_emptyFinalPackWorks() public {
        _bind();
        uint256 first = _post(WithdrawalVectors.stateRoot(json), false);
        _finalize(first);
        _end();
        // Nothing happened on L2 since the last pack: the verifiers post an empty pack.
        uint256 last = _post(bytes32(0), true);
        _finalize(last);
        settlement.settle(rollupId);
        vm.assertEq(settlement.settlementOf(rollupId).finalStateRoot, WithdrawalVectors.stateRoot(json));
    }
}
