// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L1Bridge
/// @notice The L1 -> L2 inbox of one rollup: ETH deposits credited to an L2 recipient, and
///         a forced-inclusion queue where a user whose transaction is censored submits the
///         signed raw L2 transaction for the producers to include.
/// @dev The inclusion rules the producers follow and the verifiers check are defined by
///      the values emitted here (docs/verifier.md, "L1 -> L2"):
///      - deposit i (L1 timestamp t_i) is credited as a balance credit at the start of
///        the first L2 block whose timestamp is >= `t_i + DEPOSIT_CONFIRMATION_DELAY`
///        (`creditableAt`), in deposit-index order, before any transaction;
///      - forced transaction j (L1 timestamp s_j) must be included in an L2 block whose
///        timestamp is <= `s_j + FORCED_INCLUSION_DELAY` (`dueBy`); the first L2 block
///        with timestamp >= `dueBy` that does not contain it, nor follows a block that
///        did, is invalid unless the transaction cannot execute at that block's start.
///      Every item is also folded into an on-chain accumulator (`depositAccumulator`,
///      `forcedAccumulator`), so an off-chain reader can prove that the log it read is
///      complete and unmodified, and a dispute can open any single item by its index.
///      The contract holds the deposited ETH; L2 -> L1 withdrawals are not part of it.
contract L1Bridge {
    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice The L2 chain id deposits and forced transactions are meant for.
    uint256 public immutable L2_CHAIN_ID;
    /// @notice Seconds after its L1 timestamp before a deposit is credited on L2.
    uint64 public immutable DEPOSIT_CONFIRMATION_DELAY;
    /// @notice Seconds after its L1 timestamp within which a forced transaction must be
    ///         included on L2.
    uint64 public immutable FORCED_INCLUSION_DELAY;
    /// @notice Smallest deposit accepted (wei).
    uint256 public immutable MIN_DEPOSIT;
    /// @notice Largest raw forced transaction accepted (bytes).
    uint256 public immutable MAX_FORCED_TX_BYTES;

    /// @notice Longest delay the constructor accepts for either delay.
    uint64 public constant MAX_DELAY = 30 days;

    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Number of deposits made; the next deposit's index.
    uint256 public depositCount;
    /// @notice Number of forced transactions queued; the next one's index.
    uint256 public forcedCount;
    /// @notice Total wei deposited.
    uint256 public totalDeposited;
    /// @notice Accumulator after each deposit: acc_i = keccak256(acc_{i-1}, depositHash_i),
    ///         acc_{-1} = 0.
    mapping(uint256 index => bytes32) internal _depositAccumulator;
    /// @notice Accumulator after each forced transaction (same rule).
    mapping(uint256 index => bytes32) internal _forcedAccumulator;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice `from` deposited `amount` wei for `l2Recipient` on L2.
    /// @param depositIndex Sequential index (0, 1, 2, ...).
    /// @param from The L1 sender.
    /// @param l2Recipient The L2 account credited.
    /// @param amount Wei deposited.
    /// @param l1Timestamp The L1 block timestamp of the deposit.
    /// @param creditableAt `l1Timestamp + DEPOSIT_CONFIRMATION_DELAY`.
    /// @param accumulator The deposit accumulator after this deposit.
    event DepositInitiated(
        uint256 indexed depositIndex,
        address indexed from,
        address indexed l2Recipient,
        uint256 amount,
        uint64 l1Timestamp,
        uint64 creditableAt,
        bytes32 accumulator
    );

    /// @notice `submitter` queued the raw L2 transaction `rawTx` for forced inclusion.
    /// @param forcedIndex Sequential index (0, 1, 2, ...).
    /// @param submitter The L1 sender (not necessarily the L2 transaction's signer).
    /// @param txHash keccak256(rawTx), the L2 transaction hash.
    /// @param rawTx The signed L2 transaction (network encoding).
    /// @param l1Timestamp The L1 block timestamp of the submission.
    /// @param dueBy `l1Timestamp + FORCED_INCLUSION_DELAY`.
    /// @param accumulator The forced-transaction accumulator after this one.
    event ForcedTransactionQueued(
        uint256 indexed forcedIndex,
        address indexed submitter,
        bytes32 indexed txHash,
        bytes rawTx,
        uint64 l1Timestamp,
        uint64 dueBy,
        bytes32 accumulator
    );

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice The L2 chain id is zero.
    error ZeroChainId();

    /// @notice The forced-inclusion delay is zero (producers need some time).
    error ZeroForcedInclusionDelay();

    /// @notice A delay exceeds `MAX_DELAY`.
    /// @param delay The delay given.
    error DelayTooLong(uint256 delay);

    /// @notice The forced-transaction size limit is zero.
    error ZeroMaxForcedTxBytes();

    /// @notice The deposit names the zero address as its L2 recipient.
    error ZeroRecipient();

    /// @notice The deposit is below `MIN_DEPOSIT`.
    /// @param amount The wei sent.
    /// @param minimum `MIN_DEPOSIT`.
    error DepositTooSmall(uint256 amount, uint256 minimum);

    /// @notice A forced transaction with no bytes.
    error EmptyForcedTransaction();

    /// @notice A forced transaction above `MAX_FORCED_TX_BYTES`.
    /// @param size Its size in bytes.
    /// @param maximum `MAX_FORCED_TX_BYTES`.
    error ForcedTransactionTooLarge(uint256 size, uint256 maximum);

    /// @notice ETH sent without naming a recipient: call `deposit(l2Recipient)`.
    error UseDeposit();

    /// @notice No deposit has this index.
    /// @param index The index.
    error UnknownDeposit(uint256 index);

    /// @notice No forced transaction has this index.
    /// @param index The index.
    error UnknownForcedTransaction(uint256 index);

    ////////////////////////////////////////////////////////////////
    //                         CONSTRUCTOR                        //
    ////////////////////////////////////////////////////////////////

    /// @param l2ChainId The rollup's chain id.
    /// @param depositConfirmationDelay Seconds before a deposit is credited on L2.
    /// @param forcedInclusionDelay Seconds within which forced transactions must be included.
    /// @param minDeposit Smallest deposit in wei (a zero-value deposit is always refused).
    /// @param maxForcedTxBytes Largest raw forced transaction.
    constructor(
        uint256 l2ChainId,
        uint64 depositConfirmationDelay,
        uint64 forcedInclusionDelay,
        uint256 minDeposit,
        uint256 maxForcedTxBytes
    ) {
        // INVARIANT: the inbox serves one named L2 chain.
        if (l2ChainId == 0) revert ZeroChainId();
        // INVARIANT: producers get a non-zero, bounded time to include forced transactions.
        if (forcedInclusionDelay == 0) revert ZeroForcedInclusionDelay();
        if (forcedInclusionDelay > MAX_DELAY) revert DelayTooLong(forcedInclusionDelay);
        if (depositConfirmationDelay > MAX_DELAY) revert DelayTooLong(depositConfirmationDelay);
        if (maxForcedTxBytes == 0) revert ZeroMaxForcedTxBytes();
        L2_CHAIN_ID = l2ChainId;
        DEPOSIT_CONFIRMATION_DELAY = depositConfirmationDelay;
        FORCED_INCLUSION_DELAY = forcedInclusionDelay;
        MIN_DEPOSIT = minDeposit;
        MAX_FORCED_TX_BYTES = maxForcedTxBytes;
    }

    ////////////////////////////////////////////////////////////////
    //                           ACTIONS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Deposit `msg.value` wei, credited to `l2Recipient` on L2 after
    ///         `DEPOSIT_CONFIRMATION_DELAY`.
    /// @param l2Recipient The L2 account to credit.
    /// @return index The deposit's index.
    function deposit(address l2Recipient) external payable returns (uint256 index) {
        // INVARIANT: every credit has a recipient; dust deposits are refused.
        if (l2Recipient == address(0)) revert ZeroRecipient();
        if (msg.value == 0 || msg.value < MIN_DEPOSIT) revert DepositTooSmall(msg.value, MIN_DEPOSIT);
        index = depositCount;
        uint64 nowTs = uint64(block.timestamp);
        bytes32 item = depositHash(index, msg.sender, l2Recipient, msg.value, nowTs);
        bytes32 acc = keccak256(abi.encodePacked(index == 0 ? bytes32(0) : _depositAccumulator[index - 1], item));
        _depositAccumulator[index] = acc;
        depositCount = index + 1;
        totalDeposited += msg.value;
        emit DepositInitiated(
            index, msg.sender, l2Recipient, msg.value, nowTs, nowTs + DEPOSIT_CONFIRMATION_DELAY, acc
        );
    }

    /// @notice Queue the signed L2 transaction `rawTx` for forced inclusion within
    ///         `FORCED_INCLUSION_DELAY`.
    /// @dev The bytes are not decoded here: a transaction that turns out undecodable, wrongly
    ///      signed or for another chain is simply not includable, and the inclusion rule
    ///      exempts it (docs/verifier.md).
    /// @param rawTx The signed transaction in its network encoding.
    /// @return index The forced transaction's index.
    function submitForcedTransaction(bytes calldata rawTx) external returns (uint256 index) {
        // INVARIANT: the queue only holds non-empty transactions of bounded size.
        if (rawTx.length == 0) revert EmptyForcedTransaction();
        if (rawTx.length > MAX_FORCED_TX_BYTES) revert ForcedTransactionTooLarge(rawTx.length, MAX_FORCED_TX_BYTES);
        index = forcedCount;
        uint64 nowTs = uint64(block.timestamp);
        bytes32 txHash = keccak256(rawTx);
        bytes32 item = forcedHash(index, msg.sender, txHash, nowTs);
        bytes32 acc = keccak256(abi.encodePacked(index == 0 ? bytes32(0) : _forcedAccumulator[index - 1], item));
        _forcedAccumulator[index] = acc;
        forcedCount = index + 1;
        emit ForcedTransactionQueued(index, msg.sender, txHash, rawTx, nowTs, nowTs + FORCED_INCLUSION_DELAY, acc);
    }

    /// @notice Plain ETH transfers are refused: deposits must name their L2 recipient.
    receive() external payable {
        revert UseDeposit();
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The deposit accumulator after deposit `index`.
    /// @param index A deposit index below `depositCount`.
    /// @return The accumulator.
    function depositAccumulator(uint256 index) external view returns (bytes32) {
        if (index >= depositCount) revert UnknownDeposit(index);
        return _depositAccumulator[index];
    }

    /// @notice The forced-transaction accumulator after forced transaction `index`.
    /// @param index A forced-transaction index below `forcedCount`.
    /// @return The accumulator.
    function forcedAccumulator(uint256 index) external view returns (bytes32) {
        if (index >= forcedCount) revert UnknownForcedTransaction(index);
        return _forcedAccumulator[index];
    }

    /// @notice The hash of one deposit, as folded into the accumulator.
    /// @return keccak256(abi.encode(index, from, l2Recipient, amount, l1Timestamp)).
    function depositHash(uint256 index, address from, address l2Recipient, uint256 amount, uint64 l1Timestamp)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(index, from, l2Recipient, amount, l1Timestamp));
    }

    /// @notice The hash of one forced transaction, as folded into the accumulator.
    /// @return keccak256(abi.encode(index, submitter, txHash, l1Timestamp)).
    function forcedHash(uint256 index, address submitter, bytes32 txHash, uint64 l1Timestamp)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(index, submitter, txHash, l1Timestamp));
    }
}
