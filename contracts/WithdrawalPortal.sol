// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRollup, Tier} from "./interfaces/IRollup.sol";
import {SafeTransferLib} from "./lib/SafeTransferLib.sol";
import {MachineHash} from "./prover/lib/MachineHash.sol";
import {SparseMerkle} from "./prover/lib/SparseMerkle.sol";

/// @title WithdrawalPortal
/// @notice The L1 side of one rollup's L2 -> L1 withdrawals and the ETH escrow of its
///         bridge. A withdrawal recorded by the L2 predeploy (`contracts/l2/L2Withdrawals.sol`)
///         is paid here once it is proven against the state root of a tier-3
///         (rollup-level final) pack of the rollup's `Rollup` contract.
///
///         Funding: ETH deposited through the rollup's L1 bridge must end up here (the
///         bridge forwards it with `fund`, or by a plain transfer). The portal accepts ETH
///         from anyone and emits `EscrowFunded` for every receipt: extra ETH only makes
///         the escrow larger, and an allow-list would couple this contract's deployment
///         to the bridge's.
///
///         Proof. The state root commits the account tree (`docs/commitment.md` 2.2):
///         1. the account proof shows that the predeploy's leaf holds
///            `keccak256(record)`, `record` the six-word `AccountRecord`;
///         2. the storage proof shows that `record.storageRoot` maps slot
///            `keccak256(abi.encode(nonce, 0))` to the withdrawal hash
///            `keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))`.
///         Both are inclusion proofs of the keccak sparse Merkle tree (`SparseMerkle`).
///
///         Any tier-3 pack will do: final packs never change, and the predeploy never
///         deletes a hash, so a withdrawal is provable against every final pack after the
///         one that includes it. After the rollup's end-of-life settlement no pack is
///         posted any more and the last finalized pack stays final, so withdrawals keep
///         working against it for ever.
/// @dev Claims are keyed by nonce: the predeploy assigns each nonce once, and the hash
///      stored under a nonce in a final state is final, so one nonce is one payment.
contract WithdrawalPortal {
    ////////////////////////////////////////////////////////////////
    //                            TYPES                           //
    ////////////////////////////////////////////////////////////////

    /// @notice A withdrawal as recorded on L2.
    /// @custom:field nonce The predeploy's sequential nonce.
    /// @custom:field l2Sender Who called `withdraw` on L2.
    /// @custom:field l1Recipient Who is paid on L1.
    /// @custom:field amount Wei.
    struct Withdrawal {
        uint256 nonce;
        address l2Sender;
        address l1Recipient;
        uint256 amount;
    }

    /// @notice The proof that the predeploy's storage holds a withdrawal's hash.
    /// @custom:field account The predeploy's account record in the proven state.
    /// @custom:field accountProof SMT inclusion proof of `keccak256(account)` under the
    ///               predeploy's address in the state root.
    /// @custom:field storageProof SMT inclusion proof of the withdrawal hash under its
    ///               slot in `account.storageRoot`.
    struct WithdrawalProof {
        MachineHash.AccountRecord account;
        SparseMerkle.Proof accountProof;
        SparseMerkle.Proof storageProof;
    }

    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice The rollup's settlement contract: packs, tiers, state roots.
    IRollup public immutable ROLLUP;

    /// @notice The L2 address of the `L2Withdrawals` predeploy.
    address public immutable L2_WITHDRAWALS;

    /// @notice The predeploy's storage slot of the `nonce => hash` mapping.
    uint256 public constant WITHDRAWAL_HASHES_SLOT = 0;

    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Whether withdrawal `nonce` was paid. (No running total is kept: it would
    ///         cost every claim an extra storage write; sum `WithdrawalFinalized` instead.)
    mapping(uint256 nonce => bool) public claimed;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice `from` added `amount` wei to the escrow.
    /// @param from The sender (the bridge, or anyone).
    /// @param amount Wei received.
    event EscrowFunded(address indexed from, uint256 amount);

    /// @notice Withdrawal `nonce` was proven against pack `packId` and paid.
    /// @param nonce The withdrawal's nonce.
    /// @param l2Sender Who withdrew on L2.
    /// @param l1Recipient Who was paid.
    /// @param amount Wei paid.
    /// @param packId The tier-3 pack whose state root the proof was checked against.
    /// @param withdrawalHash The proven hash.
    event WithdrawalFinalized(
        uint256 indexed nonce,
        address indexed l2Sender,
        address indexed l1Recipient,
        uint256 amount,
        uint256 packId,
        bytes32 withdrawalHash
    );

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice A constructor argument is the zero address.
    error ZeroAddress();

    /// @notice `fund` was called without ETH.
    error ZeroFunding();

    /// @notice The pack is not rollup-level final (tier 3); its disputes may still change it.
    /// @param packId The pack.
    /// @param tier Its current tier.
    error PackNotFinal(uint256 packId, Tier tier);

    /// @notice The account proof does not show the given predeploy record in the pack's state.
    /// @param packId The pack.
    /// @param stateRoot Its state root.
    error InvalidAccountProof(uint256 packId, bytes32 stateRoot);

    /// @notice The storage proof does not show the withdrawal's hash at its slot.
    /// @param nonce The withdrawal's nonce.
    /// @param slot The slot that was checked.
    /// @param withdrawalHash The hash that was expected there.
    error InvalidStorageProof(uint256 nonce, bytes32 slot, bytes32 withdrawalHash);

    /// @notice Withdrawal `nonce` was already paid.
    /// @param nonce The withdrawal's nonce.
    error AlreadyClaimed(uint256 nonce);

    /// @notice The escrow holds less than the withdrawal's amount.
    /// @param amount Wei needed.
    /// @param available Wei held.
    error InsufficientEscrow(uint256 amount, uint256 available);

    ////////////////////////////////////////////////////////////////
    //                         CONSTRUCTOR                        //
    ////////////////////////////////////////////////////////////////

    /// @param rollup The rollup's `Rollup` contract.
    /// @param l2Withdrawals The predeploy's L2 address.
    constructor(IRollup rollup, address l2Withdrawals) {
        // INVARIANT: proofs are checked against a real rollup, for a real predeploy.
        if (address(rollup) == address(0) || l2Withdrawals == address(0)) revert ZeroAddress();
        ROLLUP = rollup;
        L2_WITHDRAWALS = l2Withdrawals;
    }

    ////////////////////////////////////////////////////////////////
    //                           ESCROW                           //
    ////////////////////////////////////////////////////////////////

    /// @notice Add the ETH sent to the escrow (what the bridge calls to forward deposits).
    function fund() external payable {
        // INVARIANT: every funding event moves value.
        if (msg.value == 0) revert ZeroFunding();
        emit EscrowFunded(msg.sender, msg.value);
    }

    /// @notice Plain transfers fund the escrow too.
    receive() external payable {
        emit EscrowFunded(msg.sender, msg.value);
    }

    ////////////////////////////////////////////////////////////////
    //                         WITHDRAWALS                        //
    ////////////////////////////////////////////////////////////////

    /// @notice Prove `withdrawal` against the state root of tier-3 pack `packId` and pay
    ///         `withdrawal.amount` to `withdrawal.l1Recipient`. Anyone may call (a relayer
    ///         may finalize for the recipient).
    /// @param packId A rollup-level final pack at or after the one including the withdrawal.
    /// @param withdrawal The withdrawal as recorded on L2.
    /// @param proof The account and storage proofs (see `WithdrawalProof`).
    /// @return withdrawalHash The proven hash.
    function proveAndFinalize(uint256 packId, Withdrawal calldata withdrawal, WithdrawalProof calldata proof)
        external
        returns (bytes32 withdrawalHash)
    {
        uint256 nonce = withdrawal.nonce;
        // INVARIANT: one payment per withdrawal.
        if (claimed[nonce]) revert AlreadyClaimed(nonce);

        Tier tier = ROLLUP.tierOf(packId);
        // INVARIANT: only a rollup-level final (hence valid, undisputable) state pays out.
        if (tier != Tier.RollupFinal) revert PackNotFinal(packId, tier);
        bytes32 stateRoot = ROLLUP.stateRootAt(packId);

        MachineHash.AccountRecord memory account = proof.account;
        // INVARIANT: the record is the predeploy's record in that state.
        if (
            !SparseMerkle.verifyInclusion(
                stateRoot, SparseMerkle.pathOfAddress(L2_WITHDRAWALS), MachineHash.hash(account), proof.accountProof
            )
        ) revert InvalidAccountProof(packId, stateRoot);

        withdrawalHash = hashWithdrawal(withdrawal);
        bytes32 slot = withdrawalSlot(nonce);
        // INVARIANT: the predeploy recorded exactly this withdrawal under this nonce.
        if (!SparseMerkle.verifyInclusion(account.storageRoot, SparseMerkle.pathOfWord(slot), withdrawalHash, proof.storageProof))
        {
            revert InvalidStorageProof(nonce, slot, withdrawalHash);
        }

        uint256 amount = withdrawal.amount;
        // INVARIANT: the escrow covers the payment (bridge deposits fund it).
        if (address(this).balance < amount) revert InsufficientEscrow(amount, address(this).balance);

        claimed[nonce] = true;
        emit WithdrawalFinalized(nonce, withdrawal.l2Sender, withdrawal.l1Recipient, amount, packId, withdrawalHash);

        SafeTransferLib.safeTransferETH(withdrawal.l1Recipient, amount);
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice `keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))`, as the predeploy hashes it.
    function hashWithdrawal(Withdrawal calldata withdrawal) public pure returns (bytes32) {
        return keccak256(
            abi.encode(withdrawal.nonce, withdrawal.l2Sender, withdrawal.l1Recipient, withdrawal.amount)
        );
    }

    /// @notice The predeploy's storage slot of withdrawal `nonce`: `keccak256(abi.encode(nonce, 0))`.
    function withdrawalSlot(uint256 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(nonce, WITHDRAWAL_HASHES_SLOT));
    }
}
