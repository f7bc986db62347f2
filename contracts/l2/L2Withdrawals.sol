// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L2Withdrawals
/// @notice The rollup's L2 -> L1 withdrawal predeploy. It is placed in the rollup's
///         genesis at `0x4200000000000000000000000000000000000016` (see
///         `agents/l2/predeploys.py`) and never deployed by a transaction.
///
///         `withdraw(l1Recipient)` takes the ETH sent with the call and records the
///         withdrawal under the next sequential nonce. The L1 `WithdrawalPortal` of the
///         rollup pays the same amount out of its escrow once it is shown, with a Merkle
///         proof against a tier-3 (rollup-level final) state root, that this contract's
///         storage holds the withdrawal's hash.
/// @dev Storage layout (normative: the L1 portal and `agents/l1/withdrawals.py` read it):
///
///      | slot | variable | content |
///      |------|----------|---------|
///      | 0 | `withdrawalHashes` | `mapping(uint256 nonce => bytes32)`: the hash of
///      |   |                    | withdrawal `nonce` lives at `keccak256(abi.encode(nonce, 0))` |
///      | 1 | `withdrawalCount`  | number of withdrawals, i.e. the next nonce |
///      | 2 | `totalWithdrawn`   | wei locked here by all withdrawals |
///
///      Withdrawal hash: `keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))`
///      (four 32-byte words). A recorded hash is never changed or deleted.
///
///      The withdrawn ETH stays locked in this contract for ever: no function sends ETH
///      out and the contract has no SELFDESTRUCT, so `address(this).balance` is at least
///      `totalWithdrawn` (plus any ETH forced in by a SELFDESTRUCT elsewhere or by the
///      genesis allocation). Locking rather than burning keeps the L2's ETH supply
///      auditable: L2 supply in circulation = genesis allocations + deposits - this
///      contract's balance.
contract L2Withdrawals {
    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice The hash of every withdrawal by nonce (slot 0; see the layout above).
    mapping(uint256 nonce => bytes32 withdrawalHash) public withdrawalHashes;

    /// @notice Number of withdrawals so far; the next withdrawal's nonce (slot 1).
    uint256 public withdrawalCount;

    /// @notice Total wei withdrawn (locked here) so far (slot 2).
    uint256 public totalWithdrawn;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice `l2Sender` withdrew `amount` wei to `l1Recipient` on L1.
    /// @param nonce The withdrawal's sequential nonce (0, 1, 2, ...).
    /// @param l2Sender The L2 account that called `withdraw`.
    /// @param l1Recipient The L1 account the portal pays.
    /// @param amount Wei withdrawn.
    /// @param withdrawalHash `keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))`.
    event WithdrawalInitiated(
        uint256 indexed nonce,
        address indexed l2Sender,
        address indexed l1Recipient,
        uint256 amount,
        bytes32 withdrawalHash
    );

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice A withdrawal of zero wei.
    error ZeroAmount();

    /// @notice The L1 recipient is the zero address (the ETH would be lost).
    error ZeroRecipient();

    /// @notice ETH sent without calling `withdraw` (it would be locked with no record).
    error UseWithdraw();

    ////////////////////////////////////////////////////////////////
    //                           ACTIONS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Withdraw the ETH sent with this call to `l1Recipient` on L1.
    /// @param l1Recipient Who the L1 portal pays.
    /// @return nonce The withdrawal's nonce.
    /// @return withdrawalHash The hash recorded at `withdrawalSlot(nonce)`.
    function withdraw(address l1Recipient) external payable returns (uint256 nonce, bytes32 withdrawalHash) {
        // INVARIANT: every recorded withdrawal moves value to a real recipient.
        if (msg.value == 0) revert ZeroAmount();
        if (l1Recipient == address(0)) revert ZeroRecipient();

        nonce = withdrawalCount;
        withdrawalHash = hashWithdrawal(nonce, msg.sender, l1Recipient, msg.value);
        withdrawalHashes[nonce] = withdrawalHash;
        withdrawalCount = nonce + 1;
        totalWithdrawn += msg.value;
        emit WithdrawalInitiated(nonce, msg.sender, l1Recipient, msg.value, withdrawalHash);
    }

    /// @notice Plain ETH transfers are refused: use `withdraw`.
    receive() external payable {
        revert UseWithdraw();
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The withdrawal hash: `keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))`.
    function hashWithdrawal(uint256 nonce, address l2Sender, address l1Recipient, uint256 amount)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount));
    }

    /// @notice The storage slot holding withdrawal `nonce`'s hash: `keccak256(abi.encode(nonce, 0))`.
    function withdrawalSlot(uint256 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(nonce, uint256(0)));
    }
}
