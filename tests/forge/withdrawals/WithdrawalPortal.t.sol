// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupBase} from "../rollup/RollupBase.sol";
import {WithdrawalVectors} from "./WithdrawalVectors.sol";
import {WithdrawalPortal} from "../../../contracts/WithdrawalPortal.sol";
import {IRollup, PackHeader, Tier} from "../../../contracts/interfaces/IRollup.sol";
import {TxRootsMerkle} from "../../../contracts/dispute/lib/TxRootsMerkle.sol";
import {SafeTransferLib} from "../../../contracts/lib/SafeTransferLib.sol";

/// @notice Refuses ETH (to test a failing payout).
contract RefusesEth {
    receive() external payable {
        revert("no");
    }
}

/// @notice WithdrawalPortal against a real Rollup (dispute outcomes mocked) and the golden
///         proofs of `tests/vectors/withdrawals.json`: the proofs pay out against a tier-3
///         pack; tampered proofs, wrong slots, non-final or invalid packs and double claims
///         fail with the portal's named errors.
contract WithdrawalPortalTest is RollupBase {
    event log_named_uint(string key, uint256 val);

    string internal json;
    WithdrawalPortal internal portal;
    address internal predeploy;

    function setUp() public override {
        super.setUp();
        json = WithdrawalVectors.load();
        predeploy = WithdrawalVectors.predeploy(json);
        portal = new WithdrawalPortal(IRollup(address(rollup)), predeploy);
        vm.deal(address(this), 100 ether);
        portal.fund{value: 10 ether}();
    }

    // -- helpers -------------------------------------------------------------------

    /// @dev Post a one-transaction pack whose state root is `root`; returns its id.
    function _postRoot(bytes32 root) internal returns (uint256 packId) {
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = root;
        PackHeader memory header;
        uint256 headId = rollup.head();
        header.parentId = uint64(headId);
        header.firstBlock = rollup.getPack(headId).lastBlock + 1;
        header.lastBlock = header.firstBlock;
        header.txCount = 1;
        header.txRootsCommitment = TxRootsMerkle.commit(roots);
        header.stateRoot = root;
        vm.prank(v1);
        packId = rollup.postPack(header, _proof(roots, 0), "withdrawal pack");
    }

    /// @dev Post a pack with `root` and make it tier 3.
    function _finalRoot(bytes32 root) internal returns (uint256 packId) {
        packId = _postRoot(root);
        vm.warp(block.timestamp + WINDOW);
        rollup.finalize(packId);
    }

    function _claim(uint256 packId, uint256 i) internal returns (bytes32) {
        return portal.proveAndFinalize(
            packId, WithdrawalVectors.withdrawal(json, i), WithdrawalVectors.proof(json, i)
        );
    }

    // -- construction and funding -----------------------------------------------------

    function test_constructor_rejectsZeroAddresses() public {
        vm.expectRevert(WithdrawalPortal.ZeroAddress.selector);
        new WithdrawalPortal(IRollup(address(0)), predeploy);
        vm.expectRevert(WithdrawalPortal.ZeroAddress.selector);
        new WithdrawalPortal(IRollup(address(rollup)), address(0));
        vm.assertEq(address(portal.ROLLUP()), address(rollup));
        vm.assertEq(portal.L2_WITHDRAWALS(), predeploy);
    }

    function test_fund_andReceive_emitEscrowFunded() public {
        vm.expectEmit(address(portal));
        emit WithdrawalPortal.EscrowFunded(address(this), 1 ether);
        portal.fund{value: 1 ether}();
        vm.expectEmit(address(portal));
        emit WithdrawalPortal.EscrowFunded(address(this), 2 ether);
        (bool ok,) = address(portal).call{value: 2 ether}("");
        vm.assertTrue(ok);
        vm.assertEq(address(portal).balance, 13 ether);
        vm.expectRevert(WithdrawalPortal.ZeroFunding.selector);
        portal.fund();
    }

    // -- the happy path -----------------------------------------------------------------

    function test_vectors_hashAndSlotMatchThePortal() public view {
        for (uint256 i; i < WithdrawalVectors.COUNT; ++i) {
            WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, i);
            vm.assertEq(w.nonce, i, "nonces are sequential");
            vm.assertEq(this.hashOf(w), WithdrawalVectors.hashOf(json, i), "withdrawal hash");
            vm.assertEq(portal.withdrawalSlot(i), WithdrawalVectors.slotOf(json, i), "slot");
        }
    }

    /// @dev Calldata copy for `hashWithdrawal` (it takes calldata).
    function hashOf(WithdrawalPortal.Withdrawal calldata w) external view returns (bytes32) {
        return portal.hashWithdrawal(w);
    }

    function test_proveAndFinalize_paysEveryWithdrawalOnce() public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        uint256 paid;
        for (uint256 i; i < WithdrawalVectors.COUNT; ++i) {
            WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, i);
            uint256 before = w.l1Recipient.balance;
            vm.expectEmit(address(portal));
            emit WithdrawalPortal.WithdrawalFinalized(
                w.nonce, w.l2Sender, w.l1Recipient, w.amount, packId, WithdrawalVectors.hashOf(json, i)
            );
            vm.prank(stranger); // anyone may relay
            bytes32 h = _claim(packId, i);
            vm.assertEq(h, WithdrawalVectors.hashOf(json, i));
            vm.assertEq(w.l1Recipient.balance, before + w.amount, "recipient paid");
            vm.assertTrue(portal.claimed(w.nonce));
            paid += w.amount;
        }
        vm.assertEq(address(portal).balance, 10 ether - paid);
    }

    function test_proveAndFinalize_gas() public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, 0);
        uint256 g = gasleft();
        portal.proveAndFinalize(packId, w, p);
        uint256 used = g - gasleft();
        // Includes the claimed flag (22.1k) and paying a recipient that did not exist
        // (9k value transfer + 25k new account): the two SMT proofs are ~20k of it.
        emit log_named_uint("proveAndFinalize execution gas (new recipient account)", used);
        vm.assertLe(used, 85_000, "proveAndFinalize stays cheap");
    }

    function test_proveAndFinalize_gas_deepAccountTree() public {
        uint256 packId = _finalRoot(WithdrawalVectors.deepRoot(json));
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.deepWithdrawal(json);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.deepProof(json);
        vm.assertEq(p.accountProof.depth, 13, "20,000 accounts: a depth-13 account proof");
        // The recipient exists here, so the payout costs no account creation.
        vm.deal(w.l1Recipient, 1);
        uint256 g = gasleft();
        portal.proveAndFinalize(packId, w, p);
        uint256 used = g - gasleft();
        emit log_named_uint("proveAndFinalize execution gas (depth 13, existing recipient)", used);
        vm.assertLe(used, 60_000, "deep proofs stay cheap");
        vm.assertEq(w.l1Recipient.balance, 1 + w.amount);
    }

    function test_earlierFinalPack_alsoProves() public {
        uint256 early = _finalRoot(WithdrawalVectors.firstRoot(json));
        uint256 late = _finalRoot(WithdrawalVectors.stateRoot(json));
        // The early proof is against the early pack's root only.
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.earlyProof(json);
        vm.expectRevert(
            abi.encodeWithSelector(
                WithdrawalPortal.InvalidAccountProof.selector, late, WithdrawalVectors.stateRoot(json)
            )
        );
        portal.proveAndFinalize(late, w, p);
        portal.proveAndFinalize(early, w, p);
        vm.assertTrue(portal.claimed(0));
        // Withdrawal 1 did not exist yet in the early state.
        vm.expectRevert(
            abi.encodeWithSelector(
                WithdrawalPortal.InvalidAccountProof.selector, early, WithdrawalVectors.firstRoot(json)
            )
        );
        _claim(early, 1);
        _claim(late, 1);
    }

    // -- rejections ---------------------------------------------------------------------

    function test_rejects_doubleClaim() public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        _claim(packId, 1);
        vm.expectRevert(abi.encodeWithSelector(WithdrawalPortal.AlreadyClaimed.selector, 1));
        _claim(packId, 1);
    }

    function test_rejects_packNotFinal() public {
        uint256 packId = _postRoot(WithdrawalVectors.stateRoot(json));
        vm.expectRevert(abi.encodeWithSelector(WithdrawalPortal.PackNotFinal.selector, packId, Tier.Posted));
        _claim(packId, 0);
        _affirm(packId, v2);
        _affirm(packId, v3);
        vm.expectRevert(
            abi.encodeWithSelector(WithdrawalPortal.PackNotFinal.selector, packId, Tier.VerificationFinal)
        );
        _claim(packId, 0);
    }

    function test_rejects_invalidatedPack() public {
        uint256 packId = _postRoot(WithdrawalVectors.stateRoot(json));
        outcomes.setDefeated(rollup.claimIdOf(packId), true);
        rollup.invalidate(packId);
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(WithdrawalPortal.PackNotFinal.selector, packId, Tier.Invalid));
        _claim(packId, 0);
    }

    function test_rejects_unknownPack() public {
        vm.expectRevert(abi.encodeWithSignature("UnknownPack(uint256)", 42));
        _claim(42, 0);
    }

    function test_rejects_proofAgainstAnotherRoot() public {
        uint256 packId = _finalRoot(keccak256("some other state"));
        vm.expectRevert(
            abi.encodeWithSelector(WithdrawalPortal.InvalidAccountProof.selector, packId, keccak256("some other state"))
        );
        _claim(packId, 0);
    }

    function test_rejects_tamperedAccountProof() public {
        bytes32 root = WithdrawalVectors.stateRoot(json);
        uint256 packId = _finalRoot(root);
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        bytes memory err = abi.encodeWithSelector(WithdrawalPortal.InvalidAccountProof.selector, packId, root);

        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, 0);
        p.accountProof.siblings[0] ^= bytes32(uint256(1));
        vm.expectRevert(err);
        portal.proveAndFinalize(packId, w, p);

        p = WithdrawalVectors.proof(json, 0);
        p.account.balance += 1; // a record that is not the committed one
        vm.expectRevert(err);
        portal.proveAndFinalize(packId, w, p);

        p = WithdrawalVectors.proof(json, 0);
        p.accountProof.depth += 1; // shape off
        vm.expectRevert(err);
        portal.proveAndFinalize(packId, w, p);

        // A forged storage root (one that would hold any hash) breaks the account proof.
        p = WithdrawalVectors.proof(json, 0);
        p.account.storageRoot = keccak256("forged storage");
        vm.expectRevert(err);
        portal.proveAndFinalize(packId, w, p);
    }

    function test_rejects_tamperedStorageProofAndFields() public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        bytes32 slot = WithdrawalVectors.slotOf(json, 0);

        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, 0);
        p.storageProof.siblings[p.storageProof.siblings.length - 1] ^= bytes32(uint256(1) << 255);
        vm.expectRevert(
            abi.encodeWithSelector(WithdrawalPortal.InvalidStorageProof.selector, 0, slot, WithdrawalVectors.hashOf(json, 0))
        );
        portal.proveAndFinalize(packId, w, p);

        // Claiming more than was withdrawn, or for someone else, changes the hash.
        p = WithdrawalVectors.proof(json, 0);
        w.amount += 1;
        vm.expectPartialRevert(WithdrawalPortal.InvalidStorageProof.selector);
        portal.proveAndFinalize(packId, w, p);
        w = WithdrawalVectors.withdrawal(json, 0);
        w.l1Recipient = stranger;
        vm.expectPartialRevert(WithdrawalPortal.InvalidStorageProof.selector);
        portal.proveAndFinalize(packId, w, p);
    }

    function test_rejects_wrongSlot() public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        // Withdrawal 0's fields with withdrawal 1's (valid) storage proof: slot 1's proof
        // does not open slot 0.
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                WithdrawalPortal.InvalidStorageProof.selector,
                0,
                WithdrawalVectors.slotOf(json, 0),
                WithdrawalVectors.hashOf(json, 0)
            )
        );
        portal.proveAndFinalize(packId, w, p);
        // Withdrawal 1's fields relabelled as nonce 0: the hash is not the one at slot 0.
        w = WithdrawalVectors.withdrawal(json, 1);
        w.nonce = 0;
        p = WithdrawalVectors.proof(json, 0);
        vm.expectPartialRevert(WithdrawalPortal.InvalidStorageProof.selector);
        portal.proveAndFinalize(packId, w, p);
    }

    /// @notice Flipping any bit of any sibling of either proof, or of any record word,
    ///         is caught by the proof checks (and nothing is paid).
    function testFuzz_anyTamperedProofWordIsRejected(uint256 which, uint8 bit, uint8 index) public {
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        uint256 i = index % WithdrawalVectors.COUNT;
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, i);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, i);
        uint256 nAccount = p.accountProof.siblings.length;
        uint256 nStorage = p.storageProof.siblings.length;
        which = which % (nAccount + nStorage + 6);
        bytes32 flip = bytes32(uint256(1) << bit);
        if (which < nAccount) {
            p.accountProof.siblings[which] ^= flip;
        } else if (which < nAccount + nStorage) {
            p.storageProof.siblings[which - nAccount] ^= flip;
        } else {
            uint256 field = which - nAccount - nStorage;
            if (field == 0) p.account.nonce ^= uint256(flip);
            else if (field == 1) p.account.balance ^= uint256(flip);
            else if (field == 2) p.account.storageRoot ^= flip;
            else if (field == 3) p.account.codeHash ^= flip;
            else if (field == 4) p.account.codeRoot ^= flip;
            else p.account.codeSize ^= uint256(flip);
        }
        uint256 before = w.l1Recipient.balance;
        (bool ok, bytes memory ret) =
            address(portal).call(abi.encodeCall(WithdrawalPortal.proveAndFinalize, (packId, w, p)));
        vm.assertFalse(ok, "a tampered proof never pays");
        bytes4 selector = bytes4(ret);
        vm.assertTrue(
            selector == WithdrawalPortal.InvalidAccountProof.selector
                || selector == WithdrawalPortal.InvalidStorageProof.selector,
            "rejected by a proof check"
        );
        vm.assertEq(w.l1Recipient.balance, before);
        vm.assertFalse(portal.claimed(w.nonce));
    }

    function test_rejects_insufficientEscrow_thenPaysOnceFunded() public {
        WithdrawalPortal empty = new WithdrawalPortal(IRollup(address(rollup)), predeploy);
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 0);
        WithdrawalPortal.WithdrawalProof memory p = WithdrawalVectors.proof(json, 0);
        vm.expectRevert(abi.encodeWithSelector(WithdrawalPortal.InsufficientEscrow.selector, w.amount, 0));
        empty.proveAndFinalize(packId, w, p);
        vm.assertFalse(empty.claimed(0), "nothing recorded");
        empty.fund{value: w.amount}();
        empty.proveAndFinalize(packId, w, p);
        vm.assertTrue(empty.claimed(0));
    }

    function test_failedPayout_revertsWholeClaim() public {
        // The predeploy's address and storage are fixed by the vectors, so a recipient that
        // refuses ETH is put at withdrawal 2's recipient address.
        WithdrawalPortal.Withdrawal memory w = WithdrawalVectors.withdrawal(json, 2);
        vm.etch(w.l1Recipient, type(RefusesEth).runtimeCode);
        uint256 packId = _finalRoot(WithdrawalVectors.stateRoot(json));
        vm.expectRevert(abi.encodeWithSelector(SafeTransferLib.EthTransferFailed.selector, w.l1Recipient));
        _claim(packId, 2);
        vm.assertFalse(portal.claimed(2), "a failed payout can be retried");
    }
}
