// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeClaims} from "../IDisputeClaims.sol";
import {IStepVerifier} from "../IStepVerifier.sol";
import {ITraceBinding} from "../ITraceBinding.sol";
import {ISequencerRegistry} from "../../interfaces/ISequencerRegistry.sol";

/// @notice The two parties of a game.
enum Player {
    Challenger,
    Defender
}

/// @notice The level a game is bisecting: the pack's transactions, or one
///         transaction's instruction trace.
enum Level {
    Transactions,
    Steps
}

/// @notice Lifecycle of a game. `None` marks an unused id.
enum GameStatus {
    None,
    InProgress,
    ChallengerWon,
    DefenderWon
}

/// @notice How a game was resolved.
enum Resolution {
    None,
    StepProof,
    Timeout
}

/// @notice One two-party bisection game.
/// @dev The disputed segment is [lo, hi] at `level`. Both players agree on `loHash` (the
///      state at `lo`); `hiClaimant` claims `hiHash` at `hi` and the other player disputes
///      it. When `midPending`, the player who is not `turn` has claimed `midHash` at
///      `lo + (hi - lo) / 2` and `turn` must agree or disagree with it. Positions are
///      transaction indices (0 = the pack's pre-state) at the `Transactions` level and
///      step indices within transaction `txIndex` at the `Steps` level.
/// @custom:field claimId The disputed claim.
/// @custom:field challenger The player who opened the game with a bond.
/// @custom:field defender The claim's defender (a staked verifier).
/// @custom:field bond The challenger's bond held by the game.
/// @custom:field status Lifecycle status.
/// @custom:field level The level being bisected.
/// @custom:field turn The player whose clock runs.
/// @custom:field hiClaimant The player who claimed `hiHash`.
/// @custom:field midPending Whether a midpoint claim awaits an answer.
/// @custom:field resolution How the game ended.
/// @custom:field lastMoveAt Timestamp of the last move (start of `turn`'s clock).
/// @custom:field challengerClockUsed Seconds the challenger has spent.
/// @custom:field defenderClockUsed Seconds the defender has spent.
/// @custom:field moves Number of transactions that advanced the game (creation included).
/// @custom:field disputedTx The transaction index the challenger opened against.
/// @custom:field txIndex The isolated transaction once `level == Steps` (else 0).
/// @custom:field txCount The claim's transaction count (snapshot at creation).
/// @custom:field lo Lower end of the segment.
/// @custom:field hi Upper end of the segment.
/// @custom:field loHash Agreed state at `lo`.
/// @custom:field hiHash Disputed state at `hi`.
/// @custom:field midHash Pending midpoint claim.
/// @custom:field txRootsCommitment The claim's per-tx roots commitment (snapshot).
/// @custom:field traceContext The claim's trace context (snapshot).
struct Game {
    bytes32 claimId;
    address challenger;
    address defender;
    uint128 bond;
    GameStatus status;
    Level level;
    Player turn;
    Player hiClaimant;
    bool midPending;
    Resolution resolution;
    uint64 lastMoveAt;
    uint64 challengerClockUsed;
    uint64 defenderClockUsed;
    uint32 moves;
    uint64 disputedTx;
    uint64 txIndex;
    uint64 txCount;
    uint128 lo;
    uint128 hi;
    bytes32 loHash;
    bytes32 hiHash;
    bytes32 midHash;
    bytes32 txRootsCommitment;
    bytes32 traceContext;
}

/// @notice Per-claim bookkeeping the Rollup reads.
/// @custom:field openGames Games in progress against the claim.
/// @custom:field totalGames Games ever opened against the claim.
/// @custom:field defeated Whether the defender lost any game against the claim.
struct ClaimRecord {
    uint32 openGames;
    uint32 totalGames;
    bool defeated;
}

/// @notice Deployment configuration of a DisputeGame (all become immutables).
/// @custom:field claims Source of the claims (the Rollup).
/// @custom:field stepVerifier The one-step VM.
/// @custom:field traceBinding The hook from tx roots to trace end states.
/// @custom:field registry The stake registry the defender is slashed through.
/// @custom:field stepDepth log2 of the padded instruction-trace length per transaction.
/// @custom:field challengerClock The challenger's total time budget, in seconds.
/// @custom:field defenderClock The defender's total time budget, in seconds.
/// @custom:field challengerBond The exact bond (wei) a challenger posts to open a game.
/// @custom:field slashToken The stake token slashed from a losing defender (0 = ETH).
/// @custom:field slashAmount The amount slashed from a losing defender (0 = no slash).
struct DisputeGameConfig {
    IDisputeClaims claims;
    IStepVerifier stepVerifier;
    ITraceBinding traceBinding;
    ISequencerRegistry registry;
    uint8 stepDepth;
    uint64 challengerClock;
    uint64 defenderClock;
    uint128 challengerBond;
    address slashToken;
    uint256 slashAmount;
}
