// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ISequencerRegistry} from "./interfaces/ISequencerRegistry.sol";
import {SafeTransferLib} from "./lib/SafeTransferLib.sol";
import {Secp256k1PublicKey} from "./lib/Secp256k1PublicKey.sol";

/// @title SequencerRegistry
/// @notice The Beacon layer's stake table on L1. Operators register as sequencers with an
///         endpoint and a secp256k1 signing key and stake the governance-allowed tokens
///         (ETH as `address(0)`, or ERC-20s). Token holders delegate to operators. Stake
///         leaves through an unbonding queue that stays slashable until claimed. Authorized
///         slashers (the dispute machinery) slash operators.
/// @dev Accounting model.
///
///      Every (operator, token) pair has two share pools:
///      - the ACTIVE pool: bonded stake. Depositors (the operator itself and its delegators
///        alike: self-stake is just shares held by the operator) own shares of it;
///      - the UNBONDING pool: stake of requested withdrawals. Each withdrawal entry owns
///        shares of it until claimed.
///      A slash lowers a pool's assets without touching shares, so every holder of the
///      pool loses the same fraction: slashing is O(1) however many delegators or queued
///      withdrawals there are.
///
///      Share math (rounds in the protocol's favour, immune to donation/inflation):
///      - pools are accounted internally (`assets`), never from `balanceOf`, so tokens sent
///        to the contract directly change no exchange rate;
///      - a virtual offset (`VIRTUAL_SHARES` shares backed by `VIRTUAL_ASSETS` asset) makes
///        the first deposit's rate 1 : 1e6 and keeps rounding losses negligible;
///      - minting rounds down: shares = floor(amount * (S + 1e6) / (A + 1));
///      - redeeming rounds down and never exceeds the exact proportion of real assets:
///        value = min(floor(s * (A + 1) / (S + 1e6)), floor(s * A / S)).
///      When a slash takes a pool's assets to zero while shares are outstanding, those
///      shares are worthless; the pool's `generation` is bumped and its share supply reset,
///      so later deposits start from a clean exchange rate (positions and withdrawal
///      entries of an older generation are worth zero).
///
///      Known limit: share supply is unbounded. Each slash that leaves a pool with dust
///      assets but many shares makes later deposits mint proportionally more shares; only
///      several successive near-total (but not total) slashes of one pool with fresh
///      deposits in between could push its share supply toward 2^256, at which point new
///      deposits to that pool revert (checked arithmetic; no funds at risk). A total slash
///      resets the pool (see `generation`).
///
///      Slashing order: the ACTIVE pool first, then the UNBONDING pool. Active stake is the
///      collateral the operator is currently bonded with (and what sequencer selection was
///      weighted on), so it answers first; stake that asked to leave during the unbonding
///      delay was still bonded when a fault under dispute may have happened, so it remains
///      liable, but only for what active stake cannot cover. Within the unbonding pool the
///      loss is pro-rata over all unclaimed entries (no queue position lets one escape).
///
///      Deregistration: an operator may deregister only when its own active stake is zero
///      in every token it ever staked. Delegated stake may remain: delegators can still
///      withdraw, and the remaining stake stays slashable; a deregistered operator accepts
///      no new stake. A deregistered operator may register again.
///
///      Tokens: transfers go through SafeTransferLib (USDT-style tokens returning nothing
///      work; tokens returning `false` are treated as failures). Deposits credit the
///      balance delta actually received, so fee-on-transfer tokens are accounted correctly
///      (payouts send the accounted amount; the recipient bears any outgoing fee).
///      Rebasing tokens, and tokens that debit the sender more than `amount`, are not
///      supported: governance must not allow them.
///
///      Reentrancy: every state-changing external function that moves funds is guarded by
///      a transient-storage lock; all other state changes happen before external calls,
///      except the pull of ERC-20 stake, whose received amount (balance delta, for
///      fee-on-transfer tokens) must be known before shares can be minted.
contract SequencerRegistry is ISequencerRegistry {
    ////////////////////////////////////////////////////////////////
    //                           TYPES                            //
    ////////////////////////////////////////////////////////////////

    /// @notice A share pool: `assets` backing `shares`; old generations are worthless.
    /// @custom:field assets Token units owned by the pool's shareholders.
    /// @custom:field shares Shares outstanding in the current generation.
    /// @custom:field generation Bumped each time a slash wipes the pool's assets out.
    struct Pool {
        uint256 assets;
        uint256 shares;
        uint64 generation;
    }

    /// @notice A holder's shares of an active pool.
    /// @custom:field shares Shares held (meaningful only if `generation` is the pool's).
    /// @custom:field generation The pool generation these shares belong to.
    struct Position {
        uint256 shares;
        uint64 generation;
    }

    /// @notice An operator's registration record.
    /// @custom:field registered Whether the operator ever registered (it is in the list).
    /// @custom:field active Whether it is currently registered (not deregistered).
    /// @custom:field registeredAt Timestamp of the latest registration.
    /// @custom:field endpoint RPC / p2p endpoint of the operator's node.
    /// @custom:field signingKey secp256k1 public key the operator signs with.
    struct Operator {
        bool registered;
        bool active;
        uint64 registeredAt;
        string endpoint;
        bytes signingKey;
    }

    /// @notice A queued withdrawal: shares of an unbonding pool, claimable after the delay.
    /// @dev Packed in five slots: (account, claimableAt), (operator, generation),
    ///      (token, claimed), shares, requestedAmount.
    /// @custom:field account Who requested it and will receive the funds.
    /// @custom:field claimableAt Earliest claim timestamp.
    /// @custom:field operator The operator whose pool the stake left.
    /// @custom:field generation The unbonding pool generation of `shares`.
    /// @custom:field token The staked token (`address(0)` for ETH).
    /// @custom:field claimed Whether it was claimed.
    /// @custom:field shares Shares of the unbonding pool (zero once claimed).
    /// @custom:field requestedAmount Value at request time (before any later slash).
    struct Withdrawal {
        address account;
        uint64 claimableAt;
        address operator;
        uint64 generation;
        address token;
        bool claimed;
        uint256 shares;
        uint256 requestedAmount;
    }

    ////////////////////////////////////////////////////////////////
    //                         CONSTANTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Virtual shares of every pool (the share side of the inflation offset).
    uint256 public constant VIRTUAL_SHARES = 1e6;

    /// @notice Virtual assets of every pool (the asset side of the inflation offset).
    uint256 public constant VIRTUAL_ASSETS = 1;

    /// @notice Maximum length in bytes of an operator endpoint.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    /// @notice Longest unbonding delay the constructor accepts.
    uint256 public constant MAX_UNBONDING_DELAY = 365 days;

    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice Seconds between a withdrawal request and its earliest claim.
    uint256 public immutable unbondingDelay;

    ////////////////////////////////////////////////////////////////
    //                           STATE                            //
    ////////////////////////////////////////////////////////////////

    /// @notice Governance: manages allowed tokens and slashers.
    address public owner;

    /// @notice Proposed next owner (two-step transfer), zero when none.
    address public pendingOwner;

    /// @notice Whether an address may call `slash`.
    mapping(address => bool) public isSlasher;

    /// @notice Whether a token may be staked (`address(0)` is ETH).
    mapping(address => bool) public isTokenAllowed;

    /// @dev The allowed tokens, in no particular order (swap-and-pop on removal).
    address[] internal _allowedTokens;

    /// @dev 1 + index of a token in `_allowedTokens`, 0 when absent.
    mapping(address => uint256) internal _allowedTokenSlot;

    /// @dev Operator records.
    mapping(address => Operator) internal _operators;

    /// @dev Every operator ever registered, in registration order.
    address[] internal _operatorList;

    /// @notice The operator a signing key (by canonical id) is bound to, forever.
    mapping(bytes32 => address) public signingKeyOwner;

    /// @dev Active pools by operator and token.
    mapping(address => mapping(address => Pool)) internal _activePools;

    /// @dev Unbonding pools by operator and token.
    mapping(address => mapping(address => Pool)) internal _unbondingPools;

    /// @dev Active positions by operator, token and holder.
    mapping(address => mapping(address => mapping(address => Position))) internal _positions;

    /// @dev Tokens an operator ever self-staked in (bounded by the governance token list).
    mapping(address => address[]) internal _selfStakedTokens;

    /// @dev Whether a token is in `_selfStakedTokens[operator]`.
    mapping(address => mapping(address => bool)) internal _hasSelfStaked;

    /// @dev All withdrawal entries; an entry's id is its index.
    Withdrawal[] internal _withdrawals;

    /// @dev Withdrawal ids by account, in request order.
    mapping(address => uint256[]) internal _withdrawalIds;

    /// @dev Reentrancy lock (transient storage: cleared at the end of every transaction).
    bool transient _locked;

    ////////////////////////////////////////////////////////////////
    //                           EVENTS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The owner proposed `newOwner`; it becomes owner when it accepts.
    /// @param previousOwner The current owner.
    /// @param newOwner The proposed owner.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    /// @param previousOwner The former owner (zero at construction).
    /// @param newOwner The new owner.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice `token` was added to the allowed stake tokens.
    /// @param token The token (`address(0)` for ETH).
    event TokenAllowed(address indexed token);

    /// @notice `token` was removed from the allowed stake tokens (existing stake stays).
    /// @param token The token (`address(0)` for ETH).
    event TokenDisallowed(address indexed token);

    /// @notice `slasher` was authorized to slash.
    /// @param slasher The authorized address.
    event SlasherAuthorized(address indexed slasher);

    /// @notice `slasher` lost the right to slash.
    /// @param slasher The revoked address.
    event SlasherRevoked(address indexed slasher);

    /// @notice `operator` registered (or registered again).
    /// @param operator The operator.
    /// @param endpoint Its endpoint.
    /// @param signingKey Its signing key.
    event OperatorRegistered(address indexed operator, string endpoint, bytes signingKey);

    /// @notice `operator` changed its metadata.
    /// @param operator The operator.
    /// @param endpoint Its new endpoint.
    /// @param signingKey Its new signing key.
    event OperatorMetadataUpdated(address indexed operator, string endpoint, bytes signingKey);

    /// @notice `operator` deregistered.
    /// @param operator The operator.
    event OperatorDeregistered(address indexed operator);

    /// @notice `operator` staked `amount` of `token` on itself for `shares`.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount Amount credited (received, after any transfer fee).
    /// @param shares Active-pool shares minted.
    event Staked(address indexed operator, address indexed token, uint256 amount, uint256 shares);

    /// @notice `delegator` delegated `amount` of `token` to `operator` for `shares`.
    /// @param delegator The delegator.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount Amount credited (received, after any transfer fee).
    /// @param shares Active-pool shares minted.
    event Delegated(
        address indexed delegator, address indexed operator, address indexed token, uint256 amount, uint256 shares
    );

    /// @notice `account` queued withdrawal `id` of `amount` (burning `shares`).
    /// @param id The withdrawal id.
    /// @param account The requester and future recipient.
    /// @param operator The operator whose pool the stake left.
    /// @param token The token (`address(0)` for ETH).
    /// @param shares Active-pool shares burnt.
    /// @param amount Amount moved to unbonding.
    /// @param claimableAt Earliest claim timestamp.
    event WithdrawalRequested(
        uint256 indexed id,
        address indexed account,
        address indexed operator,
        address token,
        uint256 shares,
        uint256 amount,
        uint256 claimableAt
    );

    /// @notice Withdrawal `id` was claimed and `amount` paid to `account`.
    /// @param id The withdrawal id.
    /// @param account The recipient.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount Amount paid (what remained after slashing).
    event WithdrawalClaimed(uint256 indexed id, address indexed account, address indexed token, uint256 amount);

    /// @notice `operator` was slashed in `token`; the funds went to `recipient`.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param recipient The receiver of the slashed funds.
    /// @param fromActive Amount taken from active stake.
    /// @param fromUnbonding Amount taken from unbonding withdrawals.
    event Slashed(
        address indexed operator,
        address indexed token,
        address indexed recipient,
        uint256 fromActive,
        uint256 fromUnbonding
    );

    /// @notice A slash wiped out a pool with shares outstanding; its shares were reset.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param unbonding True for the unbonding pool, false for the active pool.
    /// @param generation The pool's new generation.
    event PoolDepleted(address indexed operator, address indexed token, bool unbonding, uint64 generation);

    ////////////////////////////////////////////////////////////////
    //                           ERRORS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The caller is not the owner.
    /// @param caller The caller.
    error NotOwner(address caller);

    /// @notice The caller is not the pending owner.
    /// @param caller The caller.
    error NotPendingOwner(address caller);

    /// @notice The caller is not an authorized slasher.
    /// @param caller The caller.
    error NotSlasher(address caller);

    /// @notice A required address argument was zero.
    error ZeroAddress();

    /// @notice A required amount argument was zero.
    error ZeroAmount();

    /// @notice The unbonding delay is zero or above `MAX_UNBONDING_DELAY`.
    /// @param delay The rejected delay.
    error InvalidUnbondingDelay(uint256 delay);

    /// @notice A reentrant call into a guarded function.
    error Reentrancy();

    /// @notice The token is already allowed.
    /// @param token The token.
    error TokenAlreadyAllowed(address token);

    /// @notice The token is not allowed for staking.
    /// @param token The token.
    error TokenNotAllowed(address token);

    /// @notice An ERC-20 token address has no code.
    /// @param token The token.
    error TokenNotContract(address token);

    /// @notice The address is already an authorized slasher.
    /// @param slasher The address.
    error SlasherAlreadyAuthorized(address slasher);

    /// @notice The address is not an authorized slasher.
    /// @param slasher The address.
    error SlasherNotAuthorized(address slasher);

    /// @notice The caller is already an active operator.
    /// @param operator The operator.
    error AlreadyRegistered(address operator);

    /// @notice The address never registered as an operator.
    /// @param operator The address.
    error UnknownOperator(address operator);

    /// @notice `operatorAt` was asked for an index past the end of the operator list.
    /// @param index The requested index.
    /// @param count The number of operators.
    error OperatorIndexOutOfBounds(uint256 index, uint256 count);

    /// @notice The operator is not currently registered.
    /// @param operator The operator.
    error OperatorNotActive(address operator);

    /// @notice The endpoint is empty or longer than `MAX_ENDPOINT_LENGTH`.
    /// @param length The endpoint's length in bytes.
    error InvalidEndpoint(uint256 length);

    /// @notice The signing key is not a valid secp256k1 public key encoding.
    error InvalidSigningKey();

    /// @notice The signing key is bound to another operator.
    /// @param owner The operator the key belongs to.
    error SigningKeyTaken(address owner);

    /// @notice The operator still has own active stake in `token`.
    /// @param token The token.
    /// @param amount The operator's own active stake in it.
    error SelfStakeOutstanding(address token, uint256 amount);

    /// @notice ETH sent does not equal the declared amount.
    /// @param expected The declared amount.
    /// @param sent `msg.value`.
    error EthAmountMismatch(uint256 expected, uint256 sent);

    /// @notice ETH was sent with an ERC-20 deposit.
    error UnexpectedEth();

    /// @notice A deposit (active pool) or a queued withdrawal (unbonding pool) is too small
    ///         to mint a single share at the pool's rate.
    /// @param amount The amount that would have been credited.
    error ZeroSharesMinted(uint256 amount);

    /// @notice The holder has fewer shares than requested (or none).
    /// @param requested Shares requested.
    /// @param available Shares held.
    error InsufficientShares(uint256 requested, uint256 available);

    /// @notice The shares requested are worth nothing (rounded to zero).
    /// @param shares The shares requested.
    error ZeroWithdrawalAmount(uint256 shares);

    /// @notice No withdrawal has this id.
    /// @param id The id.
    error UnknownWithdrawal(uint256 id);

    /// @notice The caller is not the account of this withdrawal.
    /// @param id The id.
    /// @param caller The caller.
    error NotWithdrawalAccount(uint256 id, address caller);

    /// @notice The withdrawal was already claimed.
    /// @param id The id.
    error WithdrawalAlreadyClaimed(uint256 id);

    /// @notice The unbonding delay of this withdrawal has not elapsed.
    /// @param id The id.
    /// @param claimableAt Earliest claim timestamp.
    error WithdrawalNotClaimable(uint256 id, uint256 claimableAt);

    ////////////////////////////////////////////////////////////////
    //                         MODIFIERS                          //
    ////////////////////////////////////////////////////////////////

    /// @dev Only the owner.
    modifier onlyOwner() {
        // INVARIANT: governance actions come from the owner.
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @dev Transient-storage reentrancy lock.
    modifier nonReentrant() {
        // INVARIANT: no guarded function is re-entered within one call.
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    ////////////////////////////////////////////////////////////////
    //                        CONSTRUCTOR                         //
    ////////////////////////////////////////////////////////////////

    /// @notice Deploy the registry. No token is allowed initially, ETH included: the owner
    ///         enables stake tokens with `allowToken` (`address(0)` for ETH).
    /// @param owner_ Governance address.
    /// @param unbondingDelay_ Seconds a withdrawal waits before it can be claimed.
    constructor(address owner_, uint256 unbondingDelay_) {
        // INVARIANT: there is always a governance owner.
        if (owner_ == address(0)) revert ZeroAddress();
        // INVARIANT: withdrawals always wait, and for a representable, bounded time.
        if (unbondingDelay_ == 0 || unbondingDelay_ > MAX_UNBONDING_DELAY) {
            revert InvalidUnbondingDelay(unbondingDelay_);
        }
        owner = owner_;
        unbondingDelay = unbondingDelay_;
        emit OwnershipTransferred(address(0), owner_);
    }

    ////////////////////////////////////////////////////////////////
    //                         GOVERNANCE                         //
    ////////////////////////////////////////////////////////////////

    /// @notice Propose `newOwner`; ownership moves when it calls `acceptOwnership`.
    ///         Proposing again replaces the pending owner.
    /// @param newOwner The proposed owner.
    function transferOwnership(address newOwner) external onlyOwner {
        // INVARIANT: ownership can never be handed to the zero address.
        if (newOwner == address(0)) revert ZeroAddress();
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @notice Accept a pending ownership transfer.
    function acceptOwnership() external {
        // INVARIANT: only the proposed owner completes the transfer.
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        address previous = owner;
        owner = msg.sender;
        pendingOwner = address(0);
        emit OwnershipTransferred(previous, msg.sender);
    }

    /// @notice Allow `token` for staking (`address(0)` for ETH).
    /// @param token The token.
    function allowToken(address token) external onlyOwner {
        // INVARIANT: a token is in the allowed set at most once.
        if (isTokenAllowed[token]) revert TokenAlreadyAllowed(token);
        // INVARIANT: an ERC-20 stake token is a contract (calls to an EOA would "succeed").
        if (token != address(0) && token.code.length == 0) revert TokenNotContract(token);
        isTokenAllowed[token] = true;
        _allowedTokens.push(token);
        _allowedTokenSlot[token] = _allowedTokens.length;
        emit TokenAllowed(token);
    }

    /// @notice Disallow `token` for new stake. Existing stake can still be withdrawn and
    ///         slashed.
    /// @param token The token.
    function disallowToken(address token) external onlyOwner {
        // INVARIANT: only an allowed token can be disallowed.
        if (!isTokenAllowed[token]) revert TokenNotAllowed(token);
        isTokenAllowed[token] = false;
        uint256 index = _allowedTokenSlot[token] - 1;
        uint256 last = _allowedTokens.length - 1;
        if (index != last) {
            address moved = _allowedTokens[last];
            _allowedTokens[index] = moved;
            _allowedTokenSlot[moved] = index + 1;
        }
        _allowedTokens.pop();
        delete _allowedTokenSlot[token];
        emit TokenDisallowed(token);
    }

    /// @notice Authorize `slasher` (the dispute machinery) to slash.
    /// @param slasher The address.
    function authorizeSlasher(address slasher) external onlyOwner {
        // INVARIANT: the zero address never slashes.
        if (slasher == address(0)) revert ZeroAddress();
        // INVARIANT: authorization changes are real changes.
        if (isSlasher[slasher]) revert SlasherAlreadyAuthorized(slasher);
        isSlasher[slasher] = true;
        emit SlasherAuthorized(slasher);
    }

    /// @notice Revoke `slasher`'s right to slash.
    /// @param slasher The address.
    function revokeSlasher(address slasher) external onlyOwner {
        // INVARIANT: authorization changes are real changes.
        if (!isSlasher[slasher]) revert SlasherNotAuthorized(slasher);
        isSlasher[slasher] = false;
        emit SlasherRevoked(slasher);
    }

    ////////////////////////////////////////////////////////////////
    //                         OPERATORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Register `msg.sender` as an operator (or register again after deregistering).
    /// @param endpoint RPC / p2p endpoint, 1..`MAX_ENDPOINT_LENGTH` bytes.
    /// @param signingKey secp256k1 public key (33, 64 or 65 bytes), not bound to another
    ///        operator. Keys stay bound to their operator forever.
    function register(string calldata endpoint, bytes calldata signingKey) external {
        Operator storage op = _operators[msg.sender];
        // INVARIANT: an operator holds one registration at a time.
        if (op.active) revert AlreadyRegistered(msg.sender);
        _bindMetadata(endpoint, signingKey);
        if (!op.registered) {
            op.registered = true;
            _operatorList.push(msg.sender);
        }
        op.active = true;
        // Timestamps fit in 64 bits for the next ~5e11 years.
        // forge-lint: disable-next-line(unsafe-typecast)
        op.registeredAt = uint64(block.timestamp);
        op.endpoint = endpoint;
        op.signingKey = signingKey;
        emit OperatorRegistered(msg.sender, endpoint, signingKey);
    }

    /// @notice Replace the caller's endpoint and signing key.
    /// @param endpoint RPC / p2p endpoint, 1..`MAX_ENDPOINT_LENGTH` bytes.
    /// @param signingKey secp256k1 public key (33, 64 or 65 bytes).
    function updateMetadata(string calldata endpoint, bytes calldata signingKey) external {
        Operator storage op = _operators[msg.sender];
        // INVARIANT: only a registered operator has metadata to update.
        if (!op.active) revert OperatorNotActive(msg.sender);
        _bindMetadata(endpoint, signingKey);
        op.endpoint = endpoint;
        op.signingKey = signingKey;
        emit OperatorMetadataUpdated(msg.sender, endpoint, signingKey);
    }

    /// @notice Deregister the caller. Requires the caller's own active stake to be zero in
    ///         every token (request withdrawals first). Delegated stake may remain; it can
    ///         be withdrawn and stays slashable.
    function deregister() external {
        Operator storage op = _operators[msg.sender];
        // INVARIANT: only a registered operator can deregister.
        if (!op.active) revert OperatorNotActive(msg.sender);
        address[] storage tokens = _selfStakedTokens[msg.sender];
        uint256 n = tokens.length;
        for (uint256 i; i < n; ++i) {
            address token = tokens[i];
            uint256 own = _positionValue(msg.sender, token, msg.sender);
            // INVARIANT: an operator cannot walk away from its own bonded stake.
            if (own != 0) revert SelfStakeOutstanding(token, own);
        }
        op.active = false;
        emit OperatorDeregistered(msg.sender);
    }

    ////////////////////////////////////////////////////////////////
    //                          STAKING                           //
    ////////////////////////////////////////////////////////////////

    /// @notice Stake on yourself as an operator. For ETH pass `token == address(0)` and
    ///         send `amount` as `msg.value`; for an ERC-20, approve `amount` first.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount Amount to transfer.
    /// @return shares Active-pool shares minted.
    function stake(address token, uint256 amount) external payable nonReentrant returns (uint256 shares) {
        shares = _deposit(msg.sender, token, amount);
    }

    /// @notice Delegate stake to `operator`. Delegating to yourself is staking.
    /// @param operator A registered operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount Amount to transfer.
    /// @return shares Active-pool shares minted.
    function delegate(address operator, address token, uint256 amount)
        external
        payable
        nonReentrant
        returns (uint256 shares)
    {
        shares = _deposit(operator, token, amount);
    }

    /// @notice Queue a withdrawal of `shares` of `operator`'s active `token` pool. The shares
    ///         are burnt and their value moves to the unbonding queue, where it stays
    ///         slashable until claimed after `unbondingDelay`.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param shares Shares to redeem; `type(uint256).max` for all the caller holds.
    /// @return id The withdrawal id.
    /// @return amount The value moved to unbonding.
    function requestWithdrawal(address operator, address token, uint256 shares)
        external
        nonReentrant
        returns (uint256 id, uint256 amount)
    {
        // INVARIANT: withdrawals come from pools of real operators.
        if (!_operators[operator].registered) revert UnknownOperator(operator);
        Pool storage active = _activePools[operator][token];
        Position storage pos = _positions[operator][token][msg.sender];
        uint256 held = pos.generation == active.generation ? pos.shares : 0;
        if (shares == type(uint256).max) shares = held;
        // INVARIANT: something is withdrawn.
        if (shares == 0) revert ZeroAmount();
        // INVARIANT: nobody redeems shares it does not hold.
        if (shares > held) revert InsufficientShares(shares, held);
        amount = _toAssets(active, shares);
        // INVARIANT: burning shares always yields something (no silent loss).
        if (amount == 0) revert ZeroWithdrawalAmount(shares);

        pos.shares = held - shares;
        pos.generation = active.generation;
        active.shares -= shares;
        active.assets -= amount;

        Pool storage unbonding = _unbondingPools[operator][token];
        uint256 unbondingShares = _toShares(unbonding, amount);
        // INVARIANT: the queued amount is represented by unbonding shares (never donated).
        if (unbondingShares == 0) revert ZeroSharesMinted(amount);
        unbonding.shares += unbondingShares;
        unbonding.assets += amount;

        // Fits in 64 bits: a timestamp plus at most MAX_UNBONDING_DELAY.
        uint256 claimableAt = block.timestamp + unbondingDelay;
        id = _withdrawals.length;
        _withdrawals.push(
            Withdrawal({
                account: msg.sender,
                operator: operator,
                token: token,
                // forge-lint: disable-next-line(unsafe-typecast)
                claimableAt: uint64(claimableAt),
                generation: unbonding.generation,
                claimed: false,
                shares: unbondingShares,
                requestedAmount: amount
            })
        );
        _withdrawalIds[msg.sender].push(id);
        emit WithdrawalRequested(id, msg.sender, operator, token, shares, amount, claimableAt);
    }

    /// @notice Claim withdrawal `id` after its delay: pays the entry's share of the
    ///         unbonding pool, i.e. what remains of it after any slashing.
    /// @param id The withdrawal id.
    /// @return amount The amount paid to the caller.
    function claimWithdrawal(uint256 id) external nonReentrant returns (uint256 amount) {
        // INVARIANT: the entry exists.
        if (id >= _withdrawals.length) revert UnknownWithdrawal(id);
        Withdrawal storage w = _withdrawals[id];
        // INVARIANT: only the requester claims, and the funds go to it.
        if (w.account != msg.sender) revert NotWithdrawalAccount(id, msg.sender);
        // INVARIANT: an entry pays at most once.
        if (w.claimed) revert WithdrawalAlreadyClaimed(id);
        // INVARIANT: stake stays bonded (and slashable) for the whole unbonding delay.
        if (block.timestamp < w.claimableAt) revert WithdrawalNotClaimable(id, w.claimableAt);

        Pool storage unbonding = _unbondingPools[w.operator][w.token];
        if (w.generation == unbonding.generation) {
            amount = _toAssets(unbonding, w.shares);
            unbonding.shares -= w.shares;
            unbonding.assets -= amount;
        }
        address token = w.token;
        w.claimed = true;
        w.shares = 0;
        emit WithdrawalClaimed(id, msg.sender, token, amount);
        if (amount != 0) _send(token, msg.sender, amount);
    }

    ////////////////////////////////////////////////////////////////
    //                          SLASHING                          //
    ////////////////////////////////////////////////////////////////

    /// @inheritdoc ISequencerRegistry
    /// @dev Takes from the active pool first, then from the unbonding pool (pro-rata over
    ///      its unclaimed entries). Works for deregistered operators and disallowed tokens
    ///      (stake there is still liable). Returns 0 without effects when there is nothing
    ///      to take. ETH goes out with a plain call: a recipient that rejects ETH makes the
    ///      slash revert, so slashers must pass a recipient able to receive.
    function slash(address operator, address token, uint256 amount, address recipient)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        // INVARIANT: only the dispute machinery slashes.
        if (!isSlasher[msg.sender]) revert NotSlasher(msg.sender);
        // INVARIANT: slashed funds never burn into the zero address by mistake.
        if (recipient == address(0)) revert ZeroAddress();
        // INVARIANT: a slash asks for something.
        if (amount == 0) revert ZeroAmount();
        // INVARIANT: only real operators are slashed.
        if (!_operators[operator].registered) revert UnknownOperator(operator);

        uint256 fromActive = _takeFrom(_activePools[operator][token], operator, token, false, amount);
        uint256 fromUnbonding = _takeFrom(_unbondingPools[operator][token], operator, token, true, amount - fromActive);
        slashed = fromActive + fromUnbonding;
        if (slashed == 0) return 0;
        emit Slashed(operator, token, recipient, fromActive, fromUnbonding);
        _send(token, recipient, slashed);
    }

    ////////////////////////////////////////////////////////////////
    //                           VIEWS                            //
    ////////////////////////////////////////////////////////////////

    /// @inheritdoc ISequencerRegistry
    function operatorCount() external view returns (uint256) {
        return _operatorList.length;
    }

    /// @inheritdoc ISequencerRegistry
    function operatorAt(uint256 index) external view returns (address) {
        // INVARIANT: the index is within the operator list.
        if (index >= _operatorList.length) revert OperatorIndexOutOfBounds(index, _operatorList.length);
        return _operatorList[index];
    }

    /// @inheritdoc ISequencerRegistry
    function isActiveOperator(address operator) external view returns (bool) {
        return _operators[operator].active;
    }

    /// @notice The registration record of `operator` (empty if it never registered).
    /// @param operator The operator.
    /// @return The record.
    function operatorInfo(address operator) external view returns (Operator memory) {
        return _operators[operator];
    }

    /// @inheritdoc ISequencerRegistry
    function activeStake(address operator, address token) external view returns (uint256) {
        return _activePools[operator][token].assets;
    }

    /// @notice Stake of `operator` in `token` queued for withdrawal and not yet claimed
    ///         (still slashable).
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @return The unbonding amount.
    function unbondingStake(address operator, address token) external view returns (uint256) {
        return _unbondingPools[operator][token].assets;
    }

    /// @notice Active plus unbonding stake: the most a slash of `operator` in `token` can take.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @return The slashable total.
    function slashableStake(address operator, address token) external view returns (uint256) {
        return _activePools[operator][token].assets + _unbondingPools[operator][token].assets;
    }

    /// @notice The active pool of `operator` in `token`.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @return The pool (assets, shares, generation).
    function activePool(address operator, address token) external view returns (Pool memory) {
        return _activePools[operator][token];
    }

    /// @notice The unbonding pool of `operator` in `token`.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @return The pool (assets, shares, generation).
    function unbondingPool(address operator, address token) external view returns (Pool memory) {
        return _unbondingPools[operator][token];
    }

    /// @notice Active-pool shares `account` holds with `operator` in `token` (current
    ///         generation only).
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param account The holder (the operator itself for self-stake).
    /// @return The shares.
    function sharesOf(address operator, address token, address account) external view returns (uint256) {
        Position storage pos = _positions[operator][token][account];
        return pos.generation == _activePools[operator][token].generation ? pos.shares : 0;
    }

    /// @notice What `account`'s shares with `operator` in `token` would withdraw now.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param account The holder.
    /// @return The value.
    function stakeOf(address operator, address token, address account) external view returns (uint256) {
        return _positionValue(operator, token, account);
    }

    /// @notice Shares a deposit of `amount` to `operator` in `token` would mint now.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param amount The amount received.
    /// @return The shares.
    function previewDeposit(address operator, address token, uint256 amount) external view returns (uint256) {
        return _toShares(_activePools[operator][token], amount);
    }

    /// @notice Value `shares` of `operator`'s active `token` pool would withdraw now.
    /// @param operator The operator.
    /// @param token The token (`address(0)` for ETH).
    /// @param shares The shares.
    /// @return The value.
    function previewWithdrawal(address operator, address token, uint256 shares) external view returns (uint256) {
        return _toAssets(_activePools[operator][token], shares);
    }

    /// @notice The allowed stake tokens (`address(0)` is ETH), in no particular order.
    /// @return The tokens.
    function allowedTokens() external view returns (address[] memory) {
        return _allowedTokens;
    }

    /// @notice Tokens `operator` ever staked on itself in.
    /// @param operator The operator.
    /// @return The tokens.
    function selfStakedTokens(address operator) external view returns (address[] memory) {
        return _selfStakedTokens[operator];
    }

    /// @notice The operator bound to the signing key `key` (any encoding), zero if none or
    ///         the key is invalid.
    /// @param key The public key.
    /// @return The operator.
    function operatorForKey(bytes calldata key) external view returns (address) {
        (bool valid, bytes32 id) = Secp256k1PublicKey.validate(key);
        return valid ? signingKeyOwner[id] : address(0);
    }

    /// @notice Number of withdrawal entries ever created.
    /// @return The count.
    function withdrawalCount() external view returns (uint256) {
        return _withdrawals.length;
    }

    /// @notice Withdrawal entry `id`.
    /// @param id The id.
    /// @return The entry.
    function getWithdrawal(uint256 id) external view returns (Withdrawal memory) {
        // INVARIANT: the entry exists.
        if (id >= _withdrawals.length) revert UnknownWithdrawal(id);
        return _withdrawals[id];
    }

    /// @notice Current value of withdrawal `id` (after slashing; 0 once claimed).
    /// @param id The id.
    /// @return The amount a claim would pay.
    function withdrawalValue(uint256 id) external view returns (uint256) {
        // INVARIANT: the entry exists.
        if (id >= _withdrawals.length) revert UnknownWithdrawal(id);
        Withdrawal storage w = _withdrawals[id];
        Pool storage unbonding = _unbondingPools[w.operator][w.token];
        if (w.claimed || w.generation != unbonding.generation) return 0;
        return _toAssets(unbonding, w.shares);
    }

    /// @notice Ids of `account`'s withdrawal entries (claimed ones included), oldest first.
    /// @param account The account.
    /// @return The ids.
    function withdrawalIdsOf(address account) external view returns (uint256[] memory) {
        return _withdrawalIds[account];
    }

    /// @notice `account`'s withdrawal entries (claimed ones included), oldest first.
    /// @param account The account.
    /// @return entries The entries.
    function withdrawalsOf(address account) external view returns (Withdrawal[] memory entries) {
        uint256[] storage ids = _withdrawalIds[account];
        entries = new Withdrawal[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            entries[i] = _withdrawals[ids[i]];
        }
    }

    ////////////////////////////////////////////////////////////////
    //                         INTERNALS                          //
    ////////////////////////////////////////////////////////////////

    /// @dev Validate metadata and bind the signing key to the caller.
    function _bindMetadata(string calldata endpoint, bytes calldata signingKey) internal {
        uint256 len = bytes(endpoint).length;
        // INVARIANT: an endpoint is present and bounded (storage and log cost).
        if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert InvalidEndpoint(len);
        (bool valid, bytes32 keyId) = Secp256k1PublicKey.validate(signingKey);
        // INVARIANT: the signing key is a point on secp256k1.
        if (!valid) revert InvalidSigningKey();
        address keyOwner = signingKeyOwner[keyId];
        // INVARIANT: one key never identifies two operators.
        if (keyOwner != address(0) && keyOwner != msg.sender) revert SigningKeyTaken(keyOwner);
        signingKeyOwner[keyId] = msg.sender;
    }

    /// @dev Pull `amount` of `token` from the caller into `operator`'s active pool.
    function _deposit(address operator, address token, uint256 amount) internal returns (uint256 shares) {
        // INVARIANT: stake only goes to currently registered operators.
        if (!_operators[operator].active) revert OperatorNotActive(operator);
        // INVARIANT: only governance-approved tokens are staked.
        if (!isTokenAllowed[token]) revert TokenNotAllowed(token);
        // INVARIANT: a deposit deposits something.
        if (amount == 0) revert ZeroAmount();

        uint256 received;
        if (token == address(0)) {
            // INVARIANT: the ETH sent is exactly the declared amount.
            if (msg.value != amount) revert EthAmountMismatch(amount, msg.value);
            received = amount;
        } else {
            // INVARIANT: ETH is never trapped by an ERC-20 deposit.
            if (msg.value != 0) revert UnexpectedEth();
            // Interaction before effects, on purpose and under the lock: the amount to credit
            // is the balance delta actually received (fee-on-transfer tokens).
            uint256 before = SafeTransferLib.balanceOf(token, address(this));
            SafeTransferLib.safeTransferFrom(token, msg.sender, address(this), amount);
            received = SafeTransferLib.balanceOf(token, address(this)) - before;
            // INVARIANT: something arrived.
            if (received == 0) revert ZeroAmount();
        }

        Pool storage pool = _activePools[operator][token];
        shares = _toShares(pool, received);
        // INVARIANT: every credited deposit is represented by shares (no donation to others).
        if (shares == 0) revert ZeroSharesMinted(received);

        Position storage pos = _positions[operator][token][msg.sender];
        if (pos.generation != pool.generation) {
            pos.shares = 0;
            pos.generation = pool.generation;
        }
        pos.shares += shares;
        pool.shares += shares;
        pool.assets += received;

        if (msg.sender == operator) {
            if (!_hasSelfStaked[operator][token]) {
                _hasSelfStaked[operator][token] = true;
                _selfStakedTokens[operator].push(token);
            }
            emit Staked(operator, token, received, shares);
        } else {
            emit Delegated(msg.sender, operator, token, received, shares);
        }
    }

    /// @dev Take up to `wanted` from `pool`; wipe its shares if its assets reach zero.
    function _takeFrom(Pool storage pool, address operator, address token, bool unbonding, uint256 wanted)
        internal
        returns (uint256 taken)
    {
        uint256 assets = pool.assets;
        taken = wanted < assets ? wanted : assets;
        if (taken == 0) return 0;
        pool.assets = assets - taken;
        if (assets == taken && pool.shares != 0) {
            pool.shares = 0;
            uint64 generation = pool.generation + 1;
            pool.generation = generation;
            emit PoolDepleted(operator, token, unbonding, generation);
        }
    }

    /// @dev Send `amount` of `token` (ETH for `address(0)`) to `to`.
    function _send(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            SafeTransferLib.safeTransferETH(to, amount);
        } else {
            SafeTransferLib.safeTransfer(token, to, amount);
        }
    }

    /// @dev Value of `account`'s current-generation shares with `operator` in `token`.
    function _positionValue(address operator, address token, address account) internal view returns (uint256) {
        Pool storage pool = _activePools[operator][token];
        Position storage pos = _positions[operator][token][account];
        if (pos.generation != pool.generation) return 0;
        return _toAssets(pool, pos.shares);
    }

    /// @dev Shares minted for `assets`: floor(assets * (S + V_S) / (A + V_A)).
    function _toShares(Pool storage pool, uint256 assets) internal view returns (uint256) {
        return Math.mulDiv(assets, pool.shares + VIRTUAL_SHARES, pool.assets + VIRTUAL_ASSETS);
    }

    /// @dev Value of `shares`: floor(shares * (A + V_A) / (S + V_S)), capped at the exact
    ///      proportion of real assets floor(shares * A / S), so the virtual offset never
    ///      pays anyone more than its share.
    function _toAssets(Pool storage pool, uint256 shares) internal view returns (uint256 assets) {
        uint256 totalShares = pool.shares;
        if (totalShares == 0) return 0;
        uint256 totalAssets = pool.assets;
        assets = Math.mulDiv(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
        uint256 exact = Math.mulDiv(shares, totalAssets, totalShares);
        if (exact < assets) assets = exact;
    }
}
