// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeClaims, DisputedClaim} from "./IDisputeClaims.sol";
import {IStepVerifier} from "./IStepVerifier.sol";
import {ITraceBinding} from "./ITraceBinding.sol";
import {ISequencerRegistry} from "../interfaces/ISequencerRegistry.sol";
import {TxRootsMerkle} from "./lib/TxRootsMerkle.sol";
import {
    Player, Level, GameStatus, Resolution, Game, ClaimRecord, DisputeGameConfig
} from "./lib/DisputeTypes.sol";

/// @title DisputeGame
/// @notice Two-party bisection games against claims "from the agreed state root r_0,
///         the pack's transactions lead to the roots r_1 .. r_n committed by a
///         `TxRootsMerkle` root". A challenger opens a game with a bond against one
///         committed root r_j. The players then bisect, one halving per transaction:
///         first over transaction indices [0, j] down to a single transaction i whose
///         pre-root both accept and whose post-root they dispute; then, through the trace
///         binding hook, over that transaction's padded instruction trace of
///         2^STEP_DEPTH steps down to a single step, which the step VM executes on-chain.
///         Each player has a chess clock; a player whose clock runs out loses.
///         A losing challenger's bond goes to the defender; a losing defender is slashed
///         through the registry (the challenger receives the slash) and the challenger's
///         bond is returned. Payouts are credited and withdrawn with `claimCredit`.
/// @dev Move protocol. The segment is [lo, hi]: both accept `loHash` at `lo`, one player
///      (`hiClaimant`) claims `hiHash` at `hi`, the other disputes it. The player who just
///      moved has claimed `midHash` at mid = lo + (hi - lo) / 2; the player to move
///      answers: agree (the segment becomes [mid, hi]) or disagree (it becomes [lo, mid]
///      and the midpoint's author becomes `hiClaimant`), then, in the same transaction,
///      claims its own hash at the new midpoint. An honest player keeps `loHash` true and
///      disputes only false claims, so when the segment is one step long the step from
///      the true `loHash` decides against the dishonest player whichever role each holds.
///      At the transaction level the defender's midpoint claims must open the pack's
///      commitment (so the defender defends its pack, not some other story).
contract DisputeGame {
    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice Source of the claims (the Rollup contract).
    IDisputeClaims public immutable CLAIMS;
    /// @notice The one-step VM.
    IStepVerifier public immutable STEP_VERIFIER;
    /// @notice Hook from transaction roots to the first and last trace states.
    ITraceBinding public immutable TRACE_BINDING;
    /// @notice Stake registry a losing defender is slashed through.
    ISequencerRegistry public immutable REGISTRY;
    /// @notice log2 of the padded instruction-trace length of one transaction.
    uint256 public immutable STEP_DEPTH;
    /// @notice The challenger's total time budget, in seconds.
    uint64 public immutable CHALLENGER_CLOCK;
    /// @notice The defender's total time budget, in seconds.
    uint64 public immutable DEFENDER_CLOCK;
    /// @notice The exact bond (wei) posted to open a game.
    uint128 public immutable CHALLENGER_BOND;
    /// @notice Token slashed from a losing defender (`address(0)` = ETH).
    address public immutable SLASH_TOKEN;
    /// @notice Amount slashed from a losing defender (0: no slash).
    uint256 public immutable SLASH_AMOUNT;

    /// @notice Largest supported `STEP_DEPTH`.
    uint256 public constant MAX_STEP_DEPTH = 64;

    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Games by id (ids start at 1).
    mapping(uint256 => Game) internal _games;
    /// @notice Number of games created; also the id of the latest game.
    uint256 public gameCount;
    /// @notice Per-claim bookkeeping.
    mapping(bytes32 => ClaimRecord) internal _claimRecords;
    /// @notice Ids of the games opened against each claim.
    mapping(bytes32 => uint256[]) internal _claimGameIds;
    /// @notice Withdrawable balances (bonds paid out).
    mapping(address => uint256) public credit;
    /// @notice Sum of the bonds of games in progress.
    uint256 public escrowedBonds;
    /// @notice Sum of `credit` over all accounts.
    uint256 public outstandingCredit;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice A challenger opened game `gameId` against root `disputedRoot` (r_j) of a claim.
    /// @param gameId The new game.
    /// @param claimId The disputed claim.
    /// @param challenger The challenger.
    /// @param defender The claim's defender.
    /// @param disputedTx The index j of the disputed root.
    /// @param disputedRoot The committed root r_j.
    /// @param bond The bond posted.
    event GameCreated(
        uint256 indexed gameId,
        bytes32 indexed claimId,
        address indexed challenger,
        address defender,
        uint256 disputedTx,
        bytes32 disputedRoot,
        uint256 bond
    );

    /// @notice `player` answered the pending midpoint; the segment is now [lo, hi].
    /// @param gameId The game.
    /// @param player The player who answered.
    /// @param level The level the answer was given at.
    /// @param agreed Whether the player agreed with the midpoint claim.
    /// @param lo The new lower end.
    /// @param hi The new upper end.
    event Bisected(uint256 indexed gameId, address indexed player, Level level, bool agreed, uint256 lo, uint256 hi);

    /// @notice `player` claimed state `stateHash` at `position` of the current segment.
    /// @param gameId The game.
    /// @param player The player making the claim.
    /// @param level The level of the claim.
    /// @param position The position (transaction or step index).
    /// @param stateHash The claimed state (tx root or trace state).
    event MidpointClaimed(
        uint256 indexed gameId, address indexed player, Level level, uint256 position, bytes32 stateHash
    );

    /// @notice The transaction level ended on transaction `txIndex`; the game now bisects
    ///         its instruction trace from `startState` (agreed) to `endState` (disputed).
    /// @param gameId The game.
    /// @param txIndex The isolated transaction (1-based).
    /// @param preTxRoot The agreed root before it.
    /// @param postTxRoot The disputed root after it.
    /// @param startState The trace's first state (from the binding).
    /// @param endState The trace's last state (from the binding).
    event TransactionIsolated(
        uint256 indexed gameId,
        uint256 txIndex,
        bytes32 preTxRoot,
        bytes32 postTxRoot,
        bytes32 startState,
        bytes32 endState
    );

    /// @notice The step VM executed step `stepIndex` of the isolated transaction.
    /// @param gameId The game.
    /// @param prover Who submitted the proof.
    /// @param stepIndex The step (from state `stepIndex` to `stepIndex + 1`).
    /// @param preState The agreed pre-state.
    /// @param postState The post-state the VM computed.
    /// @param claimedPostState The post-state `hiClaimant` claimed.
    event StepProven(
        uint256 indexed gameId,
        address indexed prover,
        uint256 stepIndex,
        bytes32 preState,
        bytes32 postState,
        bytes32 claimedPostState
    );

    /// @notice Game `gameId` ended with `status`, by `resolution`.
    /// @param gameId The game.
    /// @param claimId The disputed claim.
    /// @param status `ChallengerWon` or `DefenderWon`.
    /// @param resolution `StepProof` or `Timeout`.
    event GameResolved(uint256 indexed gameId, bytes32 indexed claimId, GameStatus status, Resolution resolution);

    /// @notice The game's bond was credited to `recipient` (withdraw with `claimCredit`).
    /// @param gameId The game.
    /// @param recipient The winner.
    /// @param amount The bond.
    event BondPaid(uint256 indexed gameId, address indexed recipient, uint256 amount);

    /// @notice The defender lost its first game against `claimId`: the claim is defeated.
    /// @param claimId The claim.
    /// @param gameId The game that defeated it.
    event ClaimDefeated(bytes32 indexed claimId, uint256 indexed gameId);

    /// @notice The registry slashed `slashed` of `defender`'s stake to `recipient`
    ///         (0 when the registry refused).
    /// @param gameId The game.
    /// @param defender The losing defender.
    /// @param recipient The challenger who receives the slashed stake.
    /// @param token The stake token.
    /// @param requested The amount requested.
    /// @param slashed The amount actually slashed.
    event DefenderSlashed(
        uint256 indexed gameId,
        address indexed defender,
        address indexed recipient,
        address token,
        uint256 requested,
        uint256 slashed
    );

    /// @notice `account` withdrew `amount` of credit.
    /// @param account The account.
    /// @param amount The amount sent.
    event CreditClaimed(address indexed account, uint256 amount);

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice A configuration address is zero.
    error ZeroAddress();

    /// @notice `STEP_DEPTH` is above `MAX_STEP_DEPTH`.
    /// @param stepDepth The depth given.
    error InvalidStepDepth(uint256 stepDepth);

    /// @notice A player's clock budget is zero.
    error ZeroClock();

    /// @notice The challenger bond is zero (games would be free to open).
    error ZeroBond();

    /// @notice The claim source knows no claim `claimId`.
    /// @param claimId The claim.
    error UnknownClaim(bytes32 claimId);

    /// @notice The claim source returned a claim with no transactions or too many.
    /// @param claimId The claim.
    /// @param txCount Its transaction count.
    error InvalidClaimTxCount(bytes32 claimId, uint256 txCount);

    /// @notice The claim's challenge window has closed.
    /// @param claimId The claim.
    /// @param deadline The claim's deadline.
    error ChallengeWindowClosed(bytes32 claimId, uint256 deadline);

    /// @notice The claim's defender already lost a game; nothing left to challenge.
    /// @param claimId The claim.
    error ClaimAlreadyDefeated(bytes32 claimId);

    /// @notice The defender cannot challenge its own claim.
    /// @param defender The defender.
    error DefenderCannotChallenge(address defender);

    /// @notice `msg.value` is not the bond.
    /// @param required The bond.
    /// @param sent The value sent.
    error IncorrectBond(uint256 required, uint256 sent);

    /// @notice The disputed transaction index is outside 1 .. txCount.
    /// @param disputedTx The index given.
    /// @param txCount The claim's transaction count.
    error DisputedTxOutOfRange(uint256 disputedTx, uint256 txCount);

    /// @notice A Merkle proof does not open the claim's commitment at `txIndex` to `root`.
    /// @param txIndex The 1-based transaction index.
    /// @param root The root that failed to open.
    error InvalidTxRootProof(uint256 txIndex, bytes32 root);

    /// @notice A proof was given where none is read.
    error UnexpectedRootProof();

    /// @notice A state claim was the zero hash.
    error ZeroStateHash();

    /// @notice A midpoint claim was given when the segment is already one step long.
    error UnexpectedMidpointClaim();

    /// @notice No game `gameId`.
    /// @param gameId The id.
    error UnknownGame(uint256 gameId);

    /// @notice Game `gameId` is already resolved.
    /// @param gameId The game.
    /// @param status Its status.
    error GameNotInProgress(uint256 gameId, GameStatus status);

    /// @notice The caller is not the player to move.
    /// @param caller The caller.
    /// @param expected The player to move.
    error NotYourTurn(address caller, address expected);

    /// @notice The bisection is over; only `step` or `resolveTimeout` remain.
    /// @param gameId The game.
    error BisectionFinished(uint256 gameId);

    /// @notice The game is not at a single step yet.
    /// @param gameId The game.
    error NotAwaitingStep(uint256 gameId);

    /// @notice The player to move has run out of time.
    /// @param player The player.
    /// @param elapsed Seconds it has used, the current turn included.
    /// @param budget Its clock budget.
    error ClockExpired(address player, uint256 elapsed, uint256 budget);

    /// @notice The player to move still has time; no timeout to resolve.
    /// @param player The player.
    /// @param elapsed Seconds it has used, the current turn included.
    /// @param budget Its clock budget.
    error ClockNotExpired(address player, uint256 elapsed, uint256 budget);

    /// @notice The caller has no credit to withdraw.
    /// @param account The caller.
    error NoCredit(address account);

    /// @notice Sending credit to `account` failed.
    /// @param account The recipient.
    /// @param amount The amount.
    error CreditTransferFailed(address account, uint256 amount);

    ////////////////////////////////////////////////////////////////
    //                         CONSTRUCTOR                        //
    ////////////////////////////////////////////////////////////////

    /// @param config The deployment configuration (see `DisputeGameConfig`).
    constructor(DisputeGameConfig memory config) {
        // INVARIANT: every collaborator is a real address.
        if (
            address(config.claims) == address(0) || address(config.stepVerifier) == address(0)
                || address(config.traceBinding) == address(0) || address(config.registry) == address(0)
        ) revert ZeroAddress();
        // INVARIANT: positions at the step level fit in uint128 with room to spare.
        if (config.stepDepth > MAX_STEP_DEPTH) revert InvalidStepDepth(config.stepDepth);
        // INVARIANT: both players have time to move.
        if (config.challengerClock == 0 || config.defenderClock == 0) revert ZeroClock();
        // INVARIANT: opening a game costs something.
        if (config.challengerBond == 0) revert ZeroBond();
        CLAIMS = config.claims;
        STEP_VERIFIER = config.stepVerifier;
        TRACE_BINDING = config.traceBinding;
        REGISTRY = config.registry;
        STEP_DEPTH = config.stepDepth;
        CHALLENGER_CLOCK = config.challengerClock;
        DEFENDER_CLOCK = config.defenderClock;
        CHALLENGER_BOND = config.challengerBond;
        SLASH_TOKEN = config.slashToken;
        SLASH_AMOUNT = config.slashAmount;
    }

    ////////////////////////////////////////////////////////////////
    //                          ACTIONS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice Open a game against root r_`disputedTx` of claim `claimId`, posting
    ///         `CHALLENGER_BOND`, and claim the first midpoint.
    /// @dev The segment starts as [0, disputedTx] at the transaction level (or, when
    ///      `disputedTx == 1`, directly as the first transaction's trace), with the
    ///      claim's pre-state agreed and the defender claiming r_`disputedTx`. The claim's
    ///      commitment, transaction count and trace context are copied into the game, so
    ///      moves never call the claim source and later changes there cannot alter a game.
    /// @param claimId The claim.
    /// @param disputedTx The 1-based index j of the disputed root.
    /// @param disputedRoot The committed root r_j.
    /// @param rootProof `TxRootsMerkle` proof of r_j in the claim's commitment.
    /// @param midHash The challenger's state at the first midpoint.
    /// @return gameId The new game's id.
    function createGame(
        bytes32 claimId,
        uint256 disputedTx,
        bytes32 disputedRoot,
        bytes32[] calldata rootProof,
        bytes32 midHash
    ) external payable returns (uint256 gameId) {
        DisputedClaim memory claim = CLAIMS.disputedClaim(claimId);
        // INVARIANT: games are only opened against claims the source knows.
        if (claim.defender == address(0)) revert UnknownClaim(claimId);
        // INVARIANT: the claim has a usable transaction count.
        if (claim.txCount == 0 || claim.txCount > TxRootsMerkle.MAX_LEAVES) {
            revert InvalidClaimTxCount(claimId, claim.txCount);
        }
        // INVARIANT: games open only inside the challenge window.
        if (block.timestamp >= claim.challengeDeadline) {
            revert ChallengeWindowClosed(claimId, claim.challengeDeadline);
        }
        ClaimRecord storage record = _claimRecords[claimId];
        // INVARIANT: a defeated claim is settled; no more games.
        if (record.defeated) revert ClaimAlreadyDefeated(claimId);
        // INVARIANT: the two players are different accounts.
        if (msg.sender == claim.defender) revert DefenderCannotChallenge(claim.defender);
        // INVARIANT: every game holds exactly one bond.
        if (msg.value != CHALLENGER_BOND) revert IncorrectBond(CHALLENGER_BOND, msg.value);
        // INVARIANT: the disputed root is one of the claim's roots.
        if (disputedTx == 0 || disputedTx > claim.txCount) revert DisputedTxOutOfRange(disputedTx, claim.txCount);
        // INVARIANT: the defender is held to the root its claim committed to.
        if (!TxRootsMerkle.verify(claim.txRootsCommitment, claim.txCount, disputedTx - 1, disputedRoot, rootProof)) {
            revert InvalidTxRootProof(disputedTx, disputedRoot);
        }

        gameId = ++gameCount;
        Game storage game = _games[gameId];
        game.claimId = claimId;
        game.challenger = msg.sender;
        game.defender = claim.defender;
        game.bond = CHALLENGER_BOND;
        game.status = GameStatus.InProgress;
        game.level = Level.Transactions;
        game.hiClaimant = Player.Defender;
        game.disputedTx = uint64(disputedTx);
        game.txCount = claim.txCount;
        game.txRootsCommitment = claim.txRootsCommitment;
        game.traceContext = claim.traceContext;
        game.hi = uint128(disputedTx);
        game.loHash = claim.preStateRoot;
        game.hiHash = disputedRoot;
        record.openGames += 1;
        record.totalGames += 1;
        _claimGameIds[claimId].push(gameId);
        escrowedBonds += CHALLENGER_BOND;
        emit GameCreated(gameId, claimId, msg.sender, claim.defender, disputedTx, disputedRoot, CHALLENGER_BOND);

        if (disputedTx == 1) _isolateTransaction(gameId, game);
        _claimMidpoint(gameId, game, Player.Challenger, midHash, _emptyProof());
        game.turn = Player.Defender;
        game.lastMoveAt = uint64(block.timestamp);
        game.moves = 1;
    }

    /// @notice Answer the pending midpoint claim and claim the next midpoint.
    /// @param gameId The game.
    /// @param agree Whether the caller agrees with the pending midpoint claim.
    /// @param nextMidHash The caller's state at the new midpoint; zero when the answer
    ///        leaves a single step (then only `step` remains).
    /// @param midRootProof For the defender at the transaction level: the proof that
    ///        `nextMidHash` is its committed root at the new midpoint. Empty otherwise.
    function move(uint256 gameId, bool agree, bytes32 nextMidHash, bytes32[] calldata midRootProof) external {
        Game storage game = _inProgress(gameId);
        // INVARIANT: moves answer a pending midpoint; a finished bisection only steps.
        if (!game.midPending) revert BisectionFinished(gameId);
        Player mover = game.turn;
        address moverAddress = _addressOf(game, mover);
        // INVARIANT: players alternate; only the player to move moves.
        if (msg.sender != moverAddress) revert NotYourTurn(msg.sender, moverAddress);
        _chargeClock(game, mover);

        uint128 mid = game.lo + (game.hi - game.lo) / 2;
        if (agree) {
            game.lo = mid;
            game.loHash = game.midHash;
        } else {
            game.hi = mid;
            game.hiHash = game.midHash;
            game.hiClaimant = _opponent(mover);
        }
        game.midPending = false;
        game.midHash = bytes32(0);
        emit Bisected(gameId, msg.sender, game.level, agree, game.lo, game.hi);

        if (game.level == Level.Transactions && game.hi - game.lo == 1) _isolateTransaction(gameId, game);
        _claimMidpoint(gameId, game, mover, nextMidHash, midRootProof);
        game.turn = _opponent(mover);
        game.lastMoveAt = uint64(block.timestamp);
        game.moves += 1;
    }

    /// @notice Execute the single disputed step on-chain and resolve the game: the
    ///         claimant of the post-state wins if the VM reaches it, loses otherwise.
    ///         Anyone may call while the player to move has time left.
    /// @param gameId The game.
    /// @param proof The step proof for the VM.
    function step(uint256 gameId, bytes calldata proof) external {
        Game storage game = _inProgress(gameId);
        // INVARIANT: the VM runs exactly one step, at the end of the bisection.
        if (game.level != Level.Steps || game.midPending || game.hi - game.lo != 1) revert NotAwaitingStep(gameId);
        _requireClockRunning(game);
        bytes32 postState = STEP_VERIFIER.step(game.traceContext, game.txIndex, game.lo, game.loHash, proof);
        emit StepProven(gameId, msg.sender, game.lo, game.loHash, postState, game.hiHash);
        Player winner = postState == game.hiHash ? game.hiClaimant : _opponent(game.hiClaimant);
        game.moves += 1;
        _resolve(gameId, game, winner, Resolution.StepProof);
    }

    /// @notice Resolve a game whose player to move has run out of time: the other wins.
    /// @param gameId The game.
    function resolveTimeout(uint256 gameId) external {
        Game storage game = _inProgress(gameId);
        Player late = game.turn;
        uint256 elapsed = _elapsed(game, late);
        uint256 budget = _budget(late);
        // INVARIANT: a timeout needs an exhausted clock.
        if (elapsed <= budget) revert ClockNotExpired(_addressOf(game, late), elapsed, budget);
        if (late == Player.Challenger) game.challengerClockUsed = uint64(budget);
        else game.defenderClockUsed = uint64(budget);
        _resolve(gameId, game, _opponent(late), Resolution.Timeout);
    }

    /// @notice Withdraw the caller's credit (bonds won or returned).
    function claimCredit() external {
        uint256 amount = credit[msg.sender];
        // INVARIANT: only positive credit is withdrawn.
        if (amount == 0) revert NoCredit(msg.sender);
        credit[msg.sender] = 0;
        outstandingCredit -= amount;
        emit CreditClaimed(msg.sender, amount);
        (bool sent,) = msg.sender.call{value: amount}("");
        // INVARIANT: credit leaves only if the ETH arrives.
        if (!sent) revert CreditTransferFailed(msg.sender, amount);
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The full state of game `gameId`.
    /// @param gameId The game.
    /// @return The game (status `None` for unknown ids).
    function getGame(uint256 gameId) external view returns (Game memory) {
        return _games[gameId];
    }

    /// @notice Bookkeeping of claim `claimId`.
    /// @param claimId The claim.
    /// @return The record.
    function claimRecord(bytes32 claimId) external view returns (ClaimRecord memory) {
        return _claimRecords[claimId];
    }

    /// @notice Ids of the games opened against `claimId`, oldest first.
    /// @param claimId The claim.
    /// @return The ids.
    function gamesOf(bytes32 claimId) external view returns (uint256[] memory) {
        return _claimGameIds[claimId];
    }

    /// @notice Whether any game against `claimId` is in progress.
    /// @param claimId The claim.
    /// @return True while at least one game is open.
    function hasOpenGame(bytes32 claimId) external view returns (bool) {
        return _claimRecords[claimId].openGames > 0;
    }

    /// @notice Whether the defender of `claimId` lost any game against it.
    /// @param claimId The claim.
    /// @return True once a challenger won.
    function isDefeated(bytes32 claimId) external view returns (bool) {
        return _claimRecords[claimId].defeated;
    }

    /// @notice Whether `claimId` may become final as far as disputes go: no game open,
    ///         none lost.
    /// @param claimId The claim.
    /// @return True when no game is open and the defender never lost.
    function isUndisputed(bytes32 claimId) external view returns (bool) {
        ClaimRecord storage record = _claimRecords[claimId];
        return record.openGames == 0 && !record.defeated;
    }

    /// @notice Seconds `player` has left in game `gameId`, its running turn included.
    /// @param gameId The game.
    /// @param player The player.
    /// @return Remaining seconds (0 when exhausted).
    function clockRemaining(uint256 gameId, Player player) external view returns (uint256) {
        Game storage game = _games[gameId];
        if (game.status == GameStatus.None) revert UnknownGame(gameId);
        uint256 used;
        if (game.status == GameStatus.InProgress) {
            used = _elapsed(game, player);
        } else {
            used = player == Player.Challenger ? game.challengerClockUsed : game.defenderClockUsed;
        }
        uint256 budget = _budget(player);
        return used >= budget ? 0 : budget - used;
    }

    /// @notice Position of the pending midpoint of game `gameId` (meaningful while a
    ///         midpoint is pending).
    /// @param gameId The game.
    /// @return lo + (hi - lo) / 2.
    function midPosition(uint256 gameId) external view returns (uint256) {
        Game storage game = _games[gameId];
        return game.lo + (game.hi - game.lo) / 2;
    }

    ////////////////////////////////////////////////////////////////
    //                          INTERNALS                         //
    ////////////////////////////////////////////////////////////////

    /// @dev The game, checked to exist and be in progress.
    function _inProgress(uint256 gameId) internal view returns (Game storage game) {
        game = _games[gameId];
        // INVARIANT: actions name an existing game.
        if (game.status == GameStatus.None) revert UnknownGame(gameId);
        // INVARIANT: a resolved game never changes again.
        if (game.status != GameStatus.InProgress) revert GameNotInProgress(gameId, game.status);
    }

    /// @dev Switch the game from the transaction level to transaction `hi`'s trace.
    function _isolateTransaction(uint256 gameId, Game storage game) internal {
        bytes32 context = game.traceContext;
        uint256 txIndex = game.hi;
        bytes32 preTxRoot = game.loHash;
        bytes32 postTxRoot = game.hiHash;
        bytes32 startState = TRACE_BINDING.traceStart(context, txIndex, preTxRoot);
        bytes32 endState = TRACE_BINDING.traceEnd(context, txIndex, postTxRoot);
        game.level = Level.Steps;
        game.txIndex = uint64(txIndex);
        game.lo = 0;
        game.hi = uint128(uint256(1) << STEP_DEPTH);
        game.loHash = startState;
        game.hiHash = endState;
        emit TransactionIsolated(gameId, txIndex, preTxRoot, postTxRoot, startState, endState);
    }

    /// @dev Record `player`'s claim at the midpoint of the current segment, or check
    ///      that none is given when the segment is one step long.
    function _claimMidpoint(
        uint256 gameId,
        Game storage game,
        Player player,
        bytes32 midHash,
        bytes32[] calldata rootProof
    ) internal {
        if (game.hi - game.lo == 1) {
            // INVARIANT: a one-step segment has no midpoint to claim.
            if (midHash != bytes32(0)) revert UnexpectedMidpointClaim();
            // INVARIANT: no input is silently ignored.
            if (rootProof.length != 0) revert UnexpectedRootProof();
            return;
        }
        // INVARIANT: a state claim is never the zero hash.
        if (midHash == bytes32(0)) revert ZeroStateHash();
        uint256 position = game.lo + (game.hi - game.lo) / 2;
        if (game.level == Level.Transactions && player == Player.Defender) {
            // INVARIANT: at the transaction level the defender claims its committed roots.
            if (!TxRootsMerkle.verify(game.txRootsCommitment, game.txCount, position - 1, midHash, rootProof)) {
                revert InvalidTxRootProof(position, midHash);
            }
        } else if (rootProof.length != 0) {
            // INVARIANT: no input is silently ignored.
            revert UnexpectedRootProof();
        }
        game.midHash = midHash;
        game.midPending = true;
        emit MidpointClaimed(gameId, _addressOf(game, player), game.level, position, midHash);
    }

    /// @dev End the game: pay the bond, slash a losing defender, update the claim.
    function _resolve(uint256 gameId, Game storage game, Player winner, Resolution resolution) internal {
        GameStatus status = winner == Player.Challenger ? GameStatus.ChallengerWon : GameStatus.DefenderWon;
        game.status = status;
        game.resolution = resolution;
        game.midPending = false;
        ClaimRecord storage record = _claimRecords[game.claimId];
        record.openGames -= 1;
        uint256 bond = game.bond;
        address recipient = _addressOf(game, winner);
        escrowedBonds -= bond;
        credit[recipient] += bond;
        outstandingCredit += bond;
        emit GameResolved(gameId, game.claimId, status, resolution);
        emit BondPaid(gameId, recipient, bond);

        // A defender is slashed once per claim, by the first game it loses.
        if (winner != Player.Challenger || record.defeated) return;
        record.defeated = true;
        emit ClaimDefeated(game.claimId, gameId);
        if (SLASH_AMOUNT == 0) return;
        uint256 slashed;
        try REGISTRY.slash(game.defender, SLASH_TOKEN, SLASH_AMOUNT, game.challenger) returns (uint256 amount) {
            slashed = amount;
        } catch {
            // A registry that refuses (unknown operator, nothing staked) must not keep the
            // claim from being defeated; the event records that nothing was taken.
            slashed = 0;
        }
        emit DefenderSlashed(gameId, game.defender, game.challenger, SLASH_TOKEN, SLASH_AMOUNT, slashed);
    }

    /// @dev Charge the running turn to `player`'s clock, reverting when it is exhausted.
    function _chargeClock(Game storage game, Player player) internal {
        uint256 elapsed = _elapsed(game, player);
        uint256 budget = _budget(player);
        // INVARIANT: a player moves only while its clock has time.
        if (elapsed > budget) revert ClockExpired(_addressOf(game, player), elapsed, budget);
        if (player == Player.Challenger) game.challengerClockUsed = uint64(elapsed);
        else game.defenderClockUsed = uint64(elapsed);
    }

    /// @dev Revert when the player to move has exhausted its clock.
    function _requireClockRunning(Game storage game) internal view {
        Player player = game.turn;
        uint256 elapsed = _elapsed(game, player);
        uint256 budget = _budget(player);
        // INVARIANT: once the player to move is out of time, only a timeout resolves.
        if (elapsed > budget) revert ClockExpired(_addressOf(game, player), elapsed, budget);
    }

    /// @dev Seconds `player` has used, counting the running turn if it is `player`'s.
    function _elapsed(Game storage game, Player player) internal view returns (uint256 used) {
        used = player == Player.Challenger ? game.challengerClockUsed : game.defenderClockUsed;
        if (game.turn == player && game.status == GameStatus.InProgress) used += block.timestamp - game.lastMoveAt;
    }

    /// @dev `player`'s clock budget.
    function _budget(Player player) internal view returns (uint256) {
        return player == Player.Challenger ? CHALLENGER_CLOCK : DEFENDER_CLOCK;
    }

    /// @dev The other player.
    function _opponent(Player player) internal pure returns (Player) {
        return player == Player.Challenger ? Player.Defender : Player.Challenger;
    }

    /// @dev `player`'s address in `game`.
    function _addressOf(Game storage game, Player player) internal view returns (address) {
        return player == Player.Challenger ? game.challenger : game.defender;
    }

    /// @dev An empty calldata proof (the challenger's claims never carry one).
    function _emptyProof() internal pure returns (bytes32[] calldata proof) {
        assembly ("memory-safe") {
            proof.offset := 0
            proof.length := 0
        }
    }
}
