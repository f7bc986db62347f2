// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {ExecutionLayerRegistry} from "../../contracts/ExecutionLayerRegistry.sol";
import {SequencerRegistry} from "../../contracts/SequencerRegistry.sol";
import {ISequencerRegistry} from "../../contracts/interfaces/ISequencerRegistry.sol";
import {DevnetToken} from "../../contracts/tokens/DevnetToken.sol";
import {ECVRF} from "../../contracts/lib/ECVRF.sol";

/// @notice Exposes the selection step with an arbitrary VRF output, for fuzzing the
///         eligibility and sampling rules without a prover in Solidity.
contract ELRHarness is ExecutionLayerRegistry {
    constructor(address owner_, ISequencerRegistry registry_, Config memory config_)
        ExecutionLayerRegistry(owner_, registry_, config_)
    {}

    function exposedSelect(uint256 rollupId, bytes32 beta) external returns (address[] memory) {
        return _selectAndStore(rollupId, _rollups[rollupId], beta);
    }
}

/// @notice Unit, fuzz and gas tests of ExecutionLayerRegistry against the real
///         SequencerRegistry, with ECVRF proofs from tests/vectors/vrf.json.
contract ExecutionLayerRegistryTest is TestBase {
    event log_named_uint(string key, uint256 val);

    uint64 internal constant CHAIN_BASE = 900_000;
    uint64 internal constant GRACE = 50;
    uint256 internal constant REQUEST_BLOCK = 100;
    bytes32 internal constant SEED = bytes32(0x1111111111111111111111111111111111111111111111111111111111111111);

    SequencerRegistry internal sr;
    ELRHarness internal elr;
    DevnetToken internal alt;
    DevnetToken internal stSol;
    DevnetToken internal rogue; // not allowed by the SequencerRegistry

    string internal json;
    address internal requester = address(0xD0D0);
    address internal settlerAddr = address(0x5E77);
    address internal validator0 = address(0xA110);
    address internal validator1 = address(0xA111);
    uint256 internal operatorNonce;

    function setUp() public {
        // Creation order matters: the vectors' alpha uses the registry's CREATE address
        // (this contract's 2nd creation, after the SequencerRegistry).
        sr = new SequencerRegistry(address(this), 7 days);
        elr = new ELRHarness(address(this), ISequencerRegistry(address(sr)), _config());
        alt = new DevnetToken("AltLayer", "ALT");
        stSol = new DevnetToken("Staked SOL", "stSOL");
        rogue = new DevnetToken("Rogue", "RGE");
        sr.allowToken(address(0));
        sr.allowToken(address(alt));
        sr.allowToken(address(stSol));
        elr.setSettler(settlerAddr);
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/vrf.json"));
        vm.roll(REQUEST_BLOCK);
        vm.setBlockhash(REQUEST_BLOCK - 1, SEED);
    }

    // ---------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------

    function _config() internal pure returns (ExecutionLayerRegistry.Config memory) {
        return ExecutionLayerRegistry.Config({
            chainIdBase: CHAIN_BASE,
            supportedSettlement: 0x01, // Ethereum
            supportedDa: 0x03, // calldata, blobs
            supportedVms: 0x01, // EVM
            supportedTypes: 0x01, // optimistic
            maxSequencersCap: 32,
            selectionGraceBlocks: GRACE
        });
    }

    function _params(uint16 minSeq, uint16 maxSeq) internal view returns (ExecutionLayerRegistry.RequestParams memory p) {
        address[] memory tokens = new address[](2);
        tokens[0] = address(alt);
        tokens[1] = address(stSol);
        uint256[] memory mins = new uint256[](2);
        mins[0] = 100 ether;
        mins[1] = 1000 ether;
        p = ExecutionLayerRegistry.RequestParams({
            settlementLayer: ExecutionLayerRegistry.SettlementLayer.Ethereum,
            daLayer: ExecutionLayerRegistry.DaLayer.EthereumBlobs,
            vm: ExecutionLayerRegistry.VirtualMachine.EVM,
            rollupType: ExecutionLayerRegistry.RollupType.Optimistic,
            purpose: ExecutionLayerRegistry.Purpose.AppSpecific,
            kind: ExecutionLayerRegistry.Kind.Flash,
            minSequencers: minSeq,
            maxSequencers: maxSeq,
            allowedTokens: tokens,
            minStakes: mins
        });
    }

    function _request(uint16 minSeq, uint16 maxSeq) internal returns (uint256 id) {
        vm.prank(requester);
        (id,) = elr.requestExecutionLayer(_params(minSeq, maxSeq));
    }

    /// @dev Register a fresh operator and stake `altAmt` ALT, `solAmt` stSOL, `ethAmt` ETH.
    function _operator(uint256 altAmt, uint256 solAmt, uint256 ethAmt) internal returns (address op) {
        uint256 key = 0xC0FFEE + (++operatorNonce);
        Vm.Wallet memory w = vm.createWallet(key);
        op = w.addr;
        vm.prank(op);
        sr.register("http://sequencer.invalid:8545", abi.encodePacked(w.publicKeyX, w.publicKeyY));
        if (altAmt != 0) _stakeToken(op, alt, altAmt);
        if (solAmt != 0) _stakeToken(op, stSol, solAmt);
        if (ethAmt != 0) {
            vm.deal(op, ethAmt);
            vm.prank(op);
            sr.stake{value: ethAmt}(address(0), ethAmt);
        }
    }

    function _stakeToken(address op, DevnetToken token, uint256 amount) internal {
        token.mint(op, amount);
        vm.prank(op);
        token.approve(address(sr), amount);
        vm.prank(op);
        sr.stake(address(token), amount);
    }

    function _pt(string memory key) internal view returns (uint256[2] memory out) {
        uint256[] memory a = vm.parseJsonUintArray(json, key);
        out[0] = a[0];
        out[1] = a[1];
    }

    function _validatorKey(uint256 v) internal view returns (uint256[2] memory) {
        return _pt(string.concat(".selection.validators[", vm.toString(v), "].pk"));
    }

    /// @dev Golden proof of validator `v` for rollup `rollupId` (1-based).
    function _proof(uint256 v, uint256 rollupId)
        internal
        view
        returns (uint256[4] memory proof, ECVRF.Witness memory w, bytes32 beta)
    {
        string memory p =
            string.concat(".selection.validators[", vm.toString(v), "].proofs[", vm.toString(rollupId - 1), "]");
        uint256[] memory pr = vm.parseJsonUintArray(json, string.concat(p, ".proof"));
        for (uint256 k; k < 4; ++k) proof[k] = pr[k];
        w.u = _pt(string.concat(p, ".witness.u"));
        w.sH = _pt(string.concat(p, ".witness.sH"));
        w.cGamma = _pt(string.concat(p, ".witness.cGamma"));
        w.v = _pt(string.concat(p, ".witness.v"));
        beta = vm.parseJsonBytes32(json, string.concat(p, ".beta"));
    }

    function _registerValidator0() internal {
        elr.registerValidator(validator0, _validatorKey(0));
    }

    function _select(address validator, uint256 vectorValidator, uint256 rollupId) internal returns (address[] memory) {
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(vectorValidator, rollupId);
        vm.prank(validator);
        return elr.selectSequencers(rollupId, proof, w);
    }

    function _assertValidSelection(uint256 rollupId, address[] memory sel) internal view {
        for (uint256 i; i < sel.length; ++i) {
            vm.assertTrue(sel[i] != address(0), "empty slot");
            vm.assertTrue(sr.isActiveOperator(sel[i]), "inactive operator selected");
            vm.assertGt(elr.weightOf(rollupId, sel[i]), 0);
            vm.assertTrue(elr.isSequencer(rollupId, sel[i]));
            for (uint256 j; j < i; ++j) {
                vm.assertTrue(sel[i] != sel[j], "selected twice");
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // construction and governance
    // ---------------------------------------------------------------------------------

    function test_constructor_rejectsZeroAddresses() public {
        vm.expectRevert(ExecutionLayerRegistry.ZeroAddress.selector);
        new ExecutionLayerRegistry(address(0), ISequencerRegistry(address(sr)), _config());
        vm.expectRevert(ExecutionLayerRegistry.ZeroAddress.selector);
        new ExecutionLayerRegistry(address(this), ISequencerRegistry(address(0)), _config());
    }

    function test_constructor_rejectsEmptyConfig() public {
        ExecutionLayerRegistry.Config memory c = _config();
        c.maxSequencersCap = 0;
        vm.expectRevert(ExecutionLayerRegistry.InvalidConfig.selector);
        new ExecutionLayerRegistry(address(this), ISequencerRegistry(address(sr)), c);
        c = _config();
        c.supportedVms = 0;
        vm.expectRevert(ExecutionLayerRegistry.InvalidConfig.selector);
        new ExecutionLayerRegistry(address(this), ISequencerRegistry(address(sr)), c);
    }

    function test_immutables() public view {
        vm.assertEq(address(elr.SEQUENCER_REGISTRY()), address(sr));
        vm.assertEq(elr.CHAIN_ID_BASE(), CHAIN_BASE);
        vm.assertEq(elr.MAX_SEQUENCERS_CAP(), 32);
        vm.assertEq(elr.SELECTION_GRACE_BLOCKS(), GRACE);
        vm.assertEq(elr.owner(), address(this));
    }

    function test_ownership_twoStep() public {
        address next = address(0xBEEF);
        elr.transferOwnership(next);
        vm.assertEq(elr.owner(), address(this));
        vm.assertEq(elr.pendingOwner(), next);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotPendingOwner.selector, address(0xBAD)));
        elr.acceptOwnership();
        vm.prank(next);
        elr.acceptOwnership();
        vm.assertEq(elr.owner(), next);
        vm.assertEq(elr.pendingOwner(), address(0));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotOwner.selector, address(this)));
        elr.setSettler(address(1));
    }

    function test_onlyOwner_guards() public {
        vm.startPrank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotOwner.selector, address(0xBAD)));
        elr.transferOwnership(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotOwner.selector, address(0xBAD)));
        elr.setSettler(address(0xBAD));
        uint256[2] memory key = _validatorKey(0);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotOwner.selector, address(0xBAD)));
        elr.registerValidator(address(0xBAD), key);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotOwner.selector, address(0xBAD)));
        elr.removeValidator(validator0);
        vm.stopPrank();
    }

    function test_validators_registerAndRemove() public {
        uint256[2] memory k0 = _validatorKey(0);
        uint256[2] memory k1 = _validatorKey(1);
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.ValidatorRegistered(validator0, k0[0], k0[1]);
        elr.registerValidator(validator0, k0);
        elr.registerValidator(validator1, k1);
        vm.assertTrue(elr.isValidator(validator0));
        vm.assertEq(elr.validators().length, 2);
        vm.assertEq(elr.vrfPublicKey(validator1)[0], k1[0]);

        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.ValidatorAlreadyRegistered.selector, validator0));
        elr.registerValidator(validator0, k0);

        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.ValidatorRemoved(validator0);
        elr.removeValidator(validator0);
        vm.assertFalse(elr.isValidator(validator0));
        vm.assertTrue(elr.isValidator(validator1));
        vm.assertEq(elr.validators().length, 1);
        vm.assertEq(elr.validators()[0], validator1);
        vm.assertEq(elr.vrfPublicKey(validator0)[0], 0);

        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.ValidatorNotRegistered.selector, validator0));
        elr.removeValidator(validator0);
    }

    function test_validators_rejectBadInput() public {
        uint256[2] memory k = _validatorKey(0);
        vm.expectRevert(ExecutionLayerRegistry.ZeroAddress.selector);
        elr.registerValidator(address(0), k);
        k[1] ^= 1;
        vm.expectRevert(ExecutionLayerRegistry.InvalidVrfPublicKey.selector);
        elr.registerValidator(validator0, k);
        uint256[2] memory zero;
        vm.expectRevert(ExecutionLayerRegistry.InvalidVrfPublicKey.selector);
        elr.registerValidator(validator0, zero);
    }

    function test_setSettler_emits() public {
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.SettlerUpdated(settlerAddr, address(0x1234));
        elr.setSettler(address(0x1234));
        vm.assertEq(elr.settler(), address(0x1234));
    }

    // ---------------------------------------------------------------------------------
    // requests
    // ---------------------------------------------------------------------------------

    function test_request_storesEverything() public {
        ExecutionLayerRegistry.RequestParams memory p = _params(2, 4);
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.ExecutionLayerRequested(1, requester, CHAIN_BASE + 1, p);
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupStatusChanged(
            1, ExecutionLayerRegistry.Status.None, ExecutionLayerRegistry.Status.Requested
        );
        vm.prank(requester);
        (uint256 id, uint256 chainId) = elr.requestExecutionLayer(p);
        vm.assertEq(id, 1);
        vm.assertEq(chainId, CHAIN_BASE + 1);
        vm.assertEq(elr.rollupCount(), 1);
        vm.assertEq(elr.chainIdOf(1), CHAIN_BASE + 1);
        vm.assertEq(elr.rollupIdOfChain(CHAIN_BASE + 1), 1);
        vm.assertEq(elr.rollupIdOfChain(CHAIN_BASE + 2), 0);
        vm.assertEq(uint256(elr.statusOf(1)), uint256(ExecutionLayerRegistry.Status.Requested));
        (ExecutionLayerRegistry.RequestParams memory got, address who) = elr.getRequest(1);
        vm.assertEq(who, requester);
        vm.assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(p)));
        (uint256 reqBlock, bytes32 seed, address designated, address selectedBy, bytes32 out) = elr.selectionInfo(1);
        vm.assertEq(reqBlock, REQUEST_BLOCK);
        vm.assertEq(seed, SEED);
        vm.assertEq(designated, address(0)); // no validator registered yet
        vm.assertEq(selectedBy, address(0));
        vm.assertEq(out, bytes32(0));
        vm.assertEq(elr.sequencersOf(1).length, 0);

        (uint256 id2, uint256 chain2) = elr.requestExecutionLayer(p);
        vm.assertEq(id2, 2);
        vm.assertEq(chain2, CHAIN_BASE + 2);
    }

    function test_request_ethToken() public {
        ExecutionLayerRegistry.RequestParams memory p = _params(1, 1);
        p.allowedTokens[1] = address(0);
        p.kind = ExecutionLayerRegistry.Kind.Persistent;
        p.daLayer = ExecutionLayerRegistry.DaLayer.EthereumCalldata;
        (uint256 id,) = elr.requestExecutionLayer(p);
        (ExecutionLayerRegistry.RequestParams memory got,) = elr.getRequest(id);
        vm.assertEq(got.allowedTokens[1], address(0));
        vm.assertEq(uint256(got.kind), uint256(ExecutionLayerRegistry.Kind.Persistent));
    }

    function test_request_selectionAlphaMatchesVectors() public {
        vm.assertEq(address(elr), vm.parseJsonAddress(json, ".selection.registry"), "registry address drifted");
        vm.assertEq(block.chainid, vm.parseJsonUint(json, ".selection.chain_id"));
        for (uint256 i = 1; i <= 4; ++i) {
            uint256 id = _request(1, 3);
            vm.assertEq(id, i);
            bytes32 expected = keccak256(abi.encode(block.chainid, address(elr), id, SEED));
            vm.assertEq(elr.selectionAlpha(id), expected);
            string memory key =
                string.concat(".selection.validators[0].proofs[", vm.toString(i - 1), "].alpha");
            vm.assertEq(elr.selectionAlpha(id), vm.parseJsonBytes32(json, key));
        }
    }

    function test_request_unsupportedStack() public {
        ExecutionLayerRegistry.RequestParams memory p = _params(1, 3);
        p.settlementLayer = ExecutionLayerRegistry.SettlementLayer.Arbitrum;
        vm.expectRevert(
            abi.encodeWithSelector(
                ExecutionLayerRegistry.UnsupportedSettlementLayer.selector, ExecutionLayerRegistry.SettlementLayer.Arbitrum
            )
        );
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.daLayer = ExecutionLayerRegistry.DaLayer.Celestia;
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.UnsupportedDaLayer.selector, ExecutionLayerRegistry.DaLayer.Celestia)
        );
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.vm = ExecutionLayerRegistry.VirtualMachine.WASM;
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.UnsupportedVm.selector, ExecutionLayerRegistry.VirtualMachine.WASM)
        );
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.rollupType = ExecutionLayerRegistry.RollupType.ZK;
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.UnsupportedRollupType.selector, ExecutionLayerRegistry.RollupType.ZK)
        );
        elr.requestExecutionLayer(p);
    }

    function test_request_outOfRangeEnumRejectedByDecoder() public {
        bytes memory data = abi.encodeCall(ExecutionLayerRegistry.requestExecutionLayer, (_params(1, 3)));
        // The `vm` field is the 3rd static word of the tuple (after the 4-byte selector and
        // the tuple offset): set it to 7, outside VirtualMachine.
        uint256 offset = 4 + 32 + 2 * 32;
        data[offset + 31] = bytes1(uint8(7));
        (bool ok,) = address(elr).call(data);
        vm.assertFalse(ok);
    }

    function test_request_sequencerBounds() public {
        vm.expectRevert(ExecutionLayerRegistry.ZeroMinSequencers.selector);
        elr.requestExecutionLayer(_params(0, 3));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.MinSequencersExceedMax.selector, 4, 3));
        elr.requestExecutionLayer(_params(4, 3));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.MaxSequencersAboveCap.selector, 33, 32));
        elr.requestExecutionLayer(_params(1, 33));
    }

    function test_request_tokenErrors() public {
        ExecutionLayerRegistry.RequestParams memory p = _params(1, 3);
        p.allowedTokens = new address[](0);
        p.minStakes = new uint256[](0);
        vm.expectRevert(ExecutionLayerRegistry.NoAllowedTokens.selector);
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.allowedTokens = new address[](9);
        p.minStakes = new uint256[](9);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.TooManyAllowedTokens.selector, 9, 8));
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.allowedTokens[1] = address(alt);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.DuplicateAllowedToken.selector, address(alt)));
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.allowedTokens[1] = address(rogue);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.TokenNotAllowed.selector, address(rogue)));
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.minStakes = new uint256[](1);
        p.minStakes[0] = 1;
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.MinStakeLengthMismatch.selector, 2, 1));
        elr.requestExecutionLayer(p);

        p = _params(1, 3);
        p.minStakes[1] = 0;
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.ZeroMinStake.selector, address(stSol)));
        elr.requestExecutionLayer(p);
    }

    function test_request_tokenDisallowedLater() public {
        sr.disallowToken(address(stSol));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.TokenNotAllowed.selector, address(stSol)));
        elr.requestExecutionLayer(_params(1, 3));
    }

    /// @notice Fuzz: any request passing validation respects every documented bound.
    function testFuzz_request(uint16 minSeq, uint16 maxSeq, uint256 min0, uint256 min1) public {
        ExecutionLayerRegistry.RequestParams memory p = _params(minSeq, maxSeq);
        p.minStakes[0] = min0;
        p.minStakes[1] = min1;
        vm.prank(requester);
        try elr.requestExecutionLayer(p) returns (uint256 id, uint256 chainId) {
            vm.assertTrue(minSeq > 0 && minSeq <= maxSeq && maxSeq <= 32 && min0 > 0 && min1 > 0);
            vm.assertEq(chainId, CHAIN_BASE + id);
            vm.assertEq(elr.rollupIdOfChain(chainId), id);
        } catch {
            vm.assertFalse(minSeq > 0 && minSeq <= maxSeq && maxSeq <= 32 && min0 > 0 && min1 > 0);
        }
    }

    // ---------------------------------------------------------------------------------
    // selection (real ECVRF proofs)
    // ---------------------------------------------------------------------------------

    function test_select_goldenProof() public {
        for (uint256 i; i < 5; ++i) {
            _operator(100 ether * (i + 1), 0, 0);
        }
        _registerValidator0();
        uint256 id = _request(2, 3);
        (uint256[4] memory proof, ECVRF.Witness memory w, bytes32 beta) = _proof(0, id);
        vm.prank(validator0);
        uint256 g = gasleft();
        address[] memory sel = elr.selectSequencers(id, proof, w);
        emit log_named_uint("selectSequencers gas (5 operators, pick 3)", g - gasleft());
        vm.assertEq(sel.length, 3);
        _assertValidSelection(id, sel);
        vm.assertEq(uint256(elr.statusOf(id)), uint256(ExecutionLayerRegistry.Status.Active));
        vm.assertEq(keccak256(abi.encode(elr.sequencersOf(id))), keccak256(abi.encode(sel)));
        (,,, address selectedBy, bytes32 out) = elr.selectionInfo(id);
        vm.assertEq(selectedBy, validator0);
        vm.assertEq(out, beta);
    }

    function test_select_emitsEvents() public {
        for (uint256 i; i < 3; ++i) {
            _operator(100 ether, 0, 0);
        }
        _registerValidator0();
        uint256 id = _request(1, 3);
        (uint256[4] memory proof, ECVRF.Witness memory w, bytes32 beta) = _proof(0, id);
        vm.expectEmit(true, true, true, false);
        emit ExecutionLayerRegistry.SequencersSelected(id, CHAIN_BASE + id, validator0, beta, new address[](0));
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupStatusChanged(
            id, ExecutionLayerRegistry.Status.Requested, ExecutionLayerRegistry.Status.Active
        );
        vm.prank(validator0);
        elr.selectSequencers(id, proof, w);
    }

    function test_select_excludesIneligible() public {
        address good1 = _operator(100 ether, 0, 0); // meets ALT
        address good2 = _operator(0, 1000 ether, 0); // meets stSOL
        address low = _operator(99 ether, 999 ether, 0); // below both minimums
        address ethOnly = _operator(0, 0, 1000 ether); // ETH not allowed by the request
        // Deregistered while still carrying 500 ALT of delegated stake.
        address gone = _operator(0, 0, 0);
        address delegator = address(0xDE1E);
        alt.mint(delegator, 500 ether);
        vm.prank(delegator);
        alt.approve(address(sr), 500 ether);
        vm.prank(delegator);
        sr.delegate(gone, address(alt), 500 ether);
        vm.prank(gone);
        sr.deregister();
        vm.assertEq(sr.activeStake(gone, address(alt)), 500 ether);
        _registerValidator0();
        uint256 id = _request(1, 10);
        vm.assertEq(elr.weightOf(id, low), 0);
        vm.assertEq(elr.weightOf(id, ethOnly), 0);
        vm.assertEq(elr.weightOf(id, gone), 0);
        vm.assertEq(elr.weightOf(id, good1), 1e18);
        vm.assertEq(elr.weightOf(id, good2), 1e18);
        (address[] memory ops, uint256[] memory ws) = elr.eligibleOperators(id);
        vm.assertEq(ops.length, 2);
        vm.assertEq(ws.length, 2);
        address[] memory sel = _select(validator0, 0, id);
        vm.assertEq(sel.length, 2); // min(max = 10, eligible = 2)
        _assertValidSelection(id, sel);
        vm.assertFalse(elr.isSequencer(id, low));
        vm.assertFalse(elr.isSequencer(id, ethOnly));
        vm.assertFalse(elr.isSequencer(id, gone));
    }

    function test_select_weightRule() public {
        address a = _operator(250 ether, 0, 0);
        address b = _operator(100 ether, 3000 ether, 0);
        address c = _operator(50 ether, 2000 ether, 0); // ALT below minimum: counts stSOL only
        uint256 id = _request(1, 3);
        vm.assertEq(elr.weightOf(id, a), 2.5e18);
        vm.assertEq(elr.weightOf(id, b), 1e18 + 3e18);
        vm.assertEq(elr.weightOf(id, c), 2e18);
    }

    function test_select_weightClampsHugeStakes() public {
        address whale = _operator(uint256(1) << 200, 0, 0);
        ExecutionLayerRegistry.RequestParams memory p = _params(1, 1);
        p.minStakes[0] = 1e30;
        (uint256 id,) = elr.requestExecutionLayer(p);
        // Stake clamped to 2^128 - 1 before scaling: (2^128 - 1) * 1e18 / 1e30.
        vm.assertEq(elr.weightOf(id, whale), (uint256(type(uint128).max) * 1e18) / 1e30);
        p.minStakes[0] = 1;
        (id,) = elr.requestExecutionLayer(p);
        vm.assertEq(elr.weightOf(id, whale), type(uint128).max); // per-token cap
    }

    function test_select_notEnoughEligible() public {
        _operator(100 ether, 0, 0);
        _operator(100 ether, 0, 0);
        _operator(1 ether, 0, 0);
        _registerValidator0();
        uint256 id = _request(3, 5);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        vm.prank(validator0);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotEnoughEligibleSequencers.selector, 2, 3));
        elr.selectSequencers(id, proof, w);
    }

    function test_select_invalidProofs() public {
        _operator(100 ether, 0, 0);
        _registerValidator0();
        uint256 id = _request(1, 1);
        _request(1, 1);
        // The proof for rollup 2 does not verify on rollup 1's alpha.
        (uint256[4] memory proof2, ECVRF.Witness memory w2,) = _proof(0, 2);
        vm.prank(validator0);
        vm.expectRevert(ExecutionLayerRegistry.InvalidVrfProof.selector);
        elr.selectSequencers(id, proof2, w2);
        // Tampered s.
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        proof[3] ^= 1;
        vm.prank(validator0);
        vm.expectRevert(ExecutionLayerRegistry.InvalidVrfProof.selector);
        elr.selectSequencers(id, proof, w);
        // Another validator's proof under validator0's key.
        (proof, w,) = _proof(1, id);
        vm.prank(validator0);
        vm.expectRevert(ExecutionLayerRegistry.InvalidVrfProof.selector);
        elr.selectSequencers(id, proof, w);
    }

    function test_select_accessControl() public {
        _operator(100 ether, 0, 0);
        uint256 id = _request(1, 1);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        vm.prank(validator0);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotValidator.selector, validator0));
        elr.selectSequencers(id, proof, w);
        vm.prank(validator0);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.UnknownRollup.selector, 99));
        elr.selectSequencers(99, proof, w);
    }

    function test_select_designatedValidatorThenGrace() public {
        _operator(100 ether, 0, 0);
        _operator(100 ether, 0, 0);
        elr.registerValidator(validator0, _validatorKey(0));
        elr.registerValidator(validator1, _validatorKey(1));
        uint256 id = _request(1, 2);
        (,, address designated,,) = elr.selectionInfo(id);
        vm.assertTrue(designated == validator0 || designated == validator1);
        (address other, uint256 otherVec) = designated == validator0 ? (validator1, 1) : (validator0, 0);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(otherVec, id);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotDesignatedValidator.selector, other, designated));
        elr.selectSequencers(id, proof, w);
        vm.roll(REQUEST_BLOCK + GRACE); // still inside the grace period
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotDesignatedValidator.selector, other, designated));
        elr.selectSequencers(id, proof, w);
        vm.roll(REQUEST_BLOCK + GRACE + 1);
        vm.prank(other);
        address[] memory sel = elr.selectSequencers(id, proof, w);
        vm.assertEq(sel.length, 2);
        (,,, address selectedBy,) = elr.selectionInfo(id);
        vm.assertEq(selectedBy, other);
    }

    function test_select_designatedRemovedFallsBack() public {
        _operator(100 ether, 0, 0);
        elr.registerValidator(validator0, _validatorKey(0));
        elr.registerValidator(validator1, _validatorKey(1));
        uint256 id = _request(1, 1);
        (,, address designated,,) = elr.selectionInfo(id);
        (address other, uint256 otherVec) = designated == validator0 ? (validator1, 1) : (validator0, 0);
        elr.removeValidator(designated);
        _select(other, otherVec, id);
        vm.assertEq(uint256(elr.statusOf(id)), uint256(ExecutionLayerRegistry.Status.Active));
    }

    function test_select_twiceRejected() public {
        _operator(100 ether, 0, 0);
        _registerValidator0();
        uint256 id = _request(1, 1);
        _select(validator0, 0, id);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        vm.prank(validator0);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Active)
        );
        elr.selectSequencers(id, proof, w);
    }

    function test_select_afterEndRejected() public {
        _operator(100 ether, 0, 0);
        _registerValidator0();
        uint256 id = _request(1, 1);
        vm.prank(requester);
        elr.endRollup(id);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        vm.prank(validator0);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Ending)
        );
        elr.selectSequencers(id, proof, w);
    }

    /// @notice Fuzz: over random stakes and VRF outputs, the selection never picks an
    ///         ineligible operator or the same one twice, and picks min(max, eligible).
    function testFuzz_selectionProperties(bytes32 beta, uint256 stakeSeed, uint8 nOps, uint16 maxSeq) public {
        uint256 n = bound(nOps, 1, 12);
        uint16 maxS = uint16(bound(maxSeq, 1, 12));
        uint256 eligible;
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(stakeSeed, i)));
            uint256 altAmt = (r % 4 == 0) ? 0 : ((r >> 8) % 400 ether) + 1;
            uint256 solAmt = (r % 3 == 0) ? 0 : ((r >> 80) % 4000 ether) + 1;
            _operator(altAmt, solAmt, 0);
            if (altAmt >= 100 ether || solAmt >= 1000 ether) ++eligible;
        }
        uint256 id = _request(1, maxS);
        if (eligible == 0) {
            vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotEnoughEligibleSequencers.selector, 0, 1));
            elr.exposedSelect(id, beta);
            return;
        }
        address[] memory sel = elr.exposedSelect(id, beta);
        vm.assertEq(sel.length, eligible < maxS ? eligible : maxS);
        _assertValidSelection(id, sel);
    }

    /// @notice Fuzz: a heavy operator is picked first far more often than a light one
    ///         (coarse; the statistical test lives in tests/l1/test_vrf.py).
    function test_selection_followsWeights() public {
        address heavy = _operator(0, 9000 ether, 0); // weight 9
        _operator(100 ether, 0, 0); // weight 1
        uint256 heavyFirst;
        uint256 rounds = 200;
        for (uint256 i; i < rounds; ++i) {
            uint256 id = _request(1, 1);
            address[] memory sel = elr.exposedSelect(id, keccak256(abi.encode("beta", i)));
            if (sel[0] == heavy) ++heavyFirst;
        }
        // Expected 180 of 200; 5 sigma ~ 21.
        vm.assertGe(heavyFirst, 159);
        vm.assertLe(heavyFirst, 200);
    }

    // ---------------------------------------------------------------------------------
    // lifecycle
    // ---------------------------------------------------------------------------------

    function test_lifecycle_fullPath() public {
        _operator(100 ether, 0, 0);
        _registerValidator0();
        uint256 id = _request(1, 1);
        _select(validator0, 0, id);

        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupEndInitiated(id, requester);
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupStatusChanged(
            id, ExecutionLayerRegistry.Status.Active, ExecutionLayerRegistry.Status.Ending
        );
        vm.prank(requester);
        elr.endRollup(id);
        vm.assertEq(uint256(elr.statusOf(id)), uint256(ExecutionLayerRegistry.Status.Ending));

        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupSettled(id, settlerAddr);
        vm.expectEmit(true, true, true, true);
        emit ExecutionLayerRegistry.RollupStatusChanged(
            id, ExecutionLayerRegistry.Status.Ending, ExecutionLayerRegistry.Status.Settled
        );
        vm.prank(settlerAddr);
        elr.settleRollup(id);
        vm.assertEq(uint256(elr.statusOf(id)), uint256(ExecutionLayerRegistry.Status.Settled));

        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Settled)
        );
        elr.endRollup(id);
        vm.prank(settlerAddr);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Settled)
        );
        elr.settleRollup(id);
    }

    function test_lifecycle_governanceMayEnd() public {
        uint256 id = _request(1, 1);
        elr.endRollup(id); // owner = this
        vm.assertEq(uint256(elr.statusOf(id)), uint256(ExecutionLayerRegistry.Status.Ending));
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Ending)
        );
        elr.endRollup(id);
    }

    function test_lifecycle_errors() public {
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.UnknownRollup.selector, 7));
        elr.endRollup(7);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.UnknownRollup.selector, 7));
        elr.settleRollup(7);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.UnknownRollup.selector, 7));
        elr.getRequest(7);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.UnknownRollup.selector, 7));
        elr.weightOf(7, address(1));

        uint256 id = _request(1, 1);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotRequesterOrOwner.selector, address(0xBAD)));
        elr.endRollup(id);

        // Settling needs Ending first, and the settler.
        vm.prank(settlerAddr);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionLayerRegistry.InvalidStatus.selector, id, ExecutionLayerRegistry.Status.Requested)
        );
        elr.settleRollup(id);
        vm.prank(requester);
        elr.endRollup(id);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotSettler.selector, requester));
        elr.settleRollup(id);

        // With no settler configured nobody can settle, not even address(0).
        elr.setSettler(address(0));
        vm.prank(address(0));
        vm.expectRevert(abi.encodeWithSelector(ExecutionLayerRegistry.NotSettler.selector, address(0)));
        elr.settleRollup(id);
    }

    // ---------------------------------------------------------------------------------
    // gas
    // ---------------------------------------------------------------------------------

    function _gasSelection(uint256 n, uint16 maxSeq) internal {
        for (uint256 i; i < n; ++i) {
            _operator(100 ether + i * 1 ether, (i % 2 == 0) ? 1000 ether : 0, 0);
        }
        _registerValidator0();
        uint256 id = _request(1, maxSeq);
        (uint256[4] memory proof, ECVRF.Witness memory w,) = _proof(0, id);
        vm.prank(validator0);
        uint256 g = gasleft();
        address[] memory sel = elr.selectSequencers(id, proof, w);
        uint256 used = g - gasleft();
        emit log_named_uint(
            string.concat("selectSequencers gas, ", vm.toString(n), " operators, pick ", vm.toString(sel.length)), used
        );
        _assertValidSelection(id, sel);
    }

    function test_gas_selection5() public {
        _gasSelection(5, 3);
    }

    function test_gas_selection20() public {
        _gasSelection(20, 5);
    }

    function test_gas_selection50() public {
        _gasSelection(50, 10);
    }
}
