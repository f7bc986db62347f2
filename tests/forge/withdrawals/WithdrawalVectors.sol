// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {WithdrawalPortal} from "../../../contracts/WithdrawalPortal.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";
import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";

/// @notice Decoding of `tests/vectors/withdrawals.json` (written by
///         `tests/vectors/generate_withdrawals.py` from a real MerkleStore after running
///         the L2Withdrawals predeploy in the Python EVM).
library WithdrawalVectors {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @dev Number of withdrawals in the file.
    uint256 internal constant COUNT = 3;

    function load() internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/withdrawals.json"));
    }

    function _at(uint256 i) private pure returns (string memory) {
        return string.concat(".withdrawals[", vm.toString(i), "]");
    }

    function withdrawal(string memory json, uint256 i) internal pure returns (WithdrawalPortal.Withdrawal memory w) {
        string memory k = _at(i);
        w.nonce = vm.parseJsonUint(json, string.concat(k, ".nonce"));
        w.l2Sender = vm.parseJsonAddress(json, string.concat(k, ".l2Sender"));
        w.l1Recipient = vm.parseJsonAddress(json, string.concat(k, ".l1Recipient"));
        w.amount = vm.parseJsonUint(json, string.concat(k, ".amount"));
    }

    /// @dev The withdrawal in the state with 20,000 more accounts (account proof depth 13).
    function deepWithdrawal(string memory json) internal pure returns (WithdrawalPortal.Withdrawal memory w) {
        w.nonce = vm.parseJsonUint(json, ".deep.nonce");
        w.l2Sender = vm.parseJsonAddress(json, ".deep.l2Sender");
        w.l1Recipient = vm.parseJsonAddress(json, ".deep.l1Recipient");
        w.amount = vm.parseJsonUint(json, ".deep.amount");
    }

    function deepProof(string memory json) internal pure returns (WithdrawalPortal.WithdrawalProof memory) {
        return proofAt(json, ".deep.proof");
    }

    function deepRoot(string memory json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(json, ".deep.stateRoot");
    }

    function hashOf(string memory json, uint256 i) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(json, string.concat(_at(i), ".hash"));
    }

    function slotOf(string memory json, uint256 i) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(json, string.concat(_at(i), ".slot"));
    }

    function proof(string memory json, uint256 i) internal pure returns (WithdrawalPortal.WithdrawalProof memory) {
        return proofAt(json, string.concat(_at(i), ".proof"));
    }

    function earlyProof(string memory json) internal pure returns (WithdrawalPortal.WithdrawalProof memory) {
        return proofAt(json, ".earlyProofOfWithdrawal0");
    }

    function proofAt(string memory json, string memory k)
        internal
        pure
        returns (WithdrawalPortal.WithdrawalProof memory p)
    {
        p.account = MachineHash.AccountRecord({
            nonce: vm.parseJsonUint(json, string.concat(k, ".account.nonce")),
            balance: vm.parseJsonUint(json, string.concat(k, ".account.balance")),
            storageRoot: vm.parseJsonBytes32(json, string.concat(k, ".account.storageRoot")),
            codeHash: vm.parseJsonBytes32(json, string.concat(k, ".account.codeHash")),
            codeRoot: vm.parseJsonBytes32(json, string.concat(k, ".account.codeRoot")),
            codeSize: vm.parseJsonUint(json, string.concat(k, ".account.codeSize"))
        });
        p.accountProof = smtProof(json, string.concat(k, ".accountProof"));
        p.storageProof = smtProof(json, string.concat(k, ".storageProof"));
    }

    function smtProof(string memory json, string memory k) internal pure returns (SparseMerkle.Proof memory p) {
        p.depth = vm.parseJsonUint(json, string.concat(k, ".depth"));
        p.siblingBitmap = uint256(vm.parseJsonBytes32(json, string.concat(k, ".siblingBitmap")));
        p.siblings = vm.parseJsonBytes32Array(json, string.concat(k, ".siblings"));
        p.deepestSiblingPreimage = vm.parseJsonBytes(json, string.concat(k, ".deepestSiblingPreimage"));
    }

    function stateRoot(string memory json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(json, ".stateRoot");
    }

    function firstRoot(string memory json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(json, ".firstRoot");
    }

    function predeploy(string memory json) internal pure returns (address) {
        return vm.parseJsonAddress(json, ".predeploy");
    }
}
