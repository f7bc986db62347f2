// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExecutionLayerRegistry} from "../ExecutionLayerRegistry.sol";
import {IDisputeClaims} from "../dispute/IDisputeClaims.sol";
import {ISequencerRegistry} from "./ISequencerRegistry.sol";

/// @notice Finality tier of a pack (and of the L2 blocks it covers), as the L1 sees it.
/// @dev The numbering follows the three tiers of the design: tier 1 (execution-level,
///      producer consensus) exists only off-chain, so `ExecutionFinal` is never returned
///      by the Rollup; it keeps `VerificationFinal == 2` and `RollupFinal == 3`.
/// @custom:value Posted Posted by a staked verifier, quorum of affirmations not reached yet.
/// @custom:value ExecutionFinal Tier 1; owned by the producers, never assigned on L1.
/// @custom:value VerificationFinal Tier 2: the affirmation quorum was reached.
/// @custom:value RollupFinal Tier 3: challenge window over, no open or lost dispute,
///               parent final. Irreversible.
/// @custom:value Invalid The pack lost a dispute, or an earlier pack did.
enum Tier {
    Posted,
    ExecutionFinal,
    VerificationFinal,
    RollupFinal,
    Invalid
}

/// @notice Where a pack's transaction data lives on L1.
/// @custom:value Calldata In the posting transaction's calldata; committed as keccak256(data).
/// @custom:value Blobs In the posting transaction's EIP-4844 blobs; committed as
///               keccak256(abi.encodePacked(versionedHashes)).
enum DaKind {
    Calldata,
    Blobs
}

/// @notice A verifier's vote on a pack.
enum Vote {
    None,
    Affirmed,
    Rejected
}

/// @notice What a verifier posts: the pack's position and its claims.
/// @custom:field parentId The pack this one extends; must be the current head.
/// @custom:field firstBlock First L2 block covered: the parent's `lastBlock + 1`.
/// @custom:field lastBlock Last L2 block covered (>= `firstBlock`).
/// @custom:field txCount Transactions in the range (leaves of `txRootsCommitment`).
/// @custom:field txRootsCommitment `TxRootsMerkle` root over the state roots after each
///               transaction, r_1 .. r_txCount (zero for an empty pack).
/// @custom:field stateRoot The state root after the last block; must be r_txCount (proved
///               at posting), or the parent's root for an empty pack.
struct PackHeader {
    uint64 parentId;
    uint64 firstBlock;
    uint64 lastBlock;
    uint64 txCount;
    bytes32 txRootsCommitment;
    bytes32 stateRoot;
}

/// @notice A pack as stored (six slots).
/// @custom:field parentId The pack it extends (0 = genesis).
/// @custom:field height Position on its chain (genesis = 0, parent's height + 1).
/// @custom:field firstBlock First L2 block covered.
/// @custom:field lastBlock Last L2 block covered.
/// @custom:field txCount Number of transactions.
/// @custom:field postedAt L1 timestamp of posting.
/// @custom:field challengeDeadline First timestamp at which no dispute may open any more
///               (`postedAt + CHALLENGE_WINDOW`).
/// @custom:field affirmations Number of affirming verifiers.
/// @custom:field rejections Number of rejecting verifiers.
/// @custom:field poster The verifier that posted it (the defender in disputes).
/// @custom:field daKind Where the transaction data is.
/// @custom:field stateRoot State root after the pack.
/// @custom:field txRootsCommitment `TxRootsMerkle` root over the per-tx roots.
/// @custom:field daCommitment Commitment to the transaction data (see `DaKind`).
struct Pack {
    uint64 parentId;
    uint64 height;
    uint64 firstBlock;
    uint64 lastBlock;
    uint64 txCount;
    uint64 postedAt;
    uint64 challengeDeadline;
    uint32 affirmations;
    uint32 rejections;
    address poster;
    DaKind daKind;
    bytes32 stateRoot;
    bytes32 txRootsCommitment;
    bytes32 daCommitment;
}

/// @notice Everything about one pack that agents and users read.
/// @custom:field pack The stored pack.
/// @custom:field tier Its current tier.
/// @custom:field preStateRoot The parent's state root (r_0 in disputes).
/// @custom:field traceContext The trace context disputes use (see `Rollup.traceContextOf`).
/// @custom:field claimId The pack's claim id in the DisputeGame.
struct PackInfo {
    Pack pack;
    Tier tier;
    bytes32 preStateRoot;
    bytes32 traceContext;
    bytes32 claimId;
}

/// @notice The outcome views the Rollup reads from its DisputeGame (which also names the
///         claim source it arbitrates: it must be the Rollup).
interface IDisputeOutcomes {
    /// @notice The claim source the game arbitrates.
    function CLAIMS() external view returns (IDisputeClaims);

    /// @notice Whether any game against `claimId` is in progress.
    function hasOpenGame(bytes32 claimId) external view returns (bool);

    /// @notice Whether the defender of `claimId` lost a game against it.
    function isDefeated(bytes32 claimId) external view returns (bool);
}

/// @notice The two views the Rollup reads from the ExecutionLayerRegistry.
interface IRollupDirectory {
    /// @notice Lifecycle status of `rollupId` (`None` for unknown ids).
    function statusOf(uint256 rollupId) external view returns (ExecutionLayerRegistry.Status);

    /// @notice L2 chain id of `rollupId` (0 for unknown ids).
    function chainIdOf(uint256 rollupId) external view returns (uint256);
}

/// @notice Deployment configuration of a Rollup (all become immutables).
/// @custom:field executionLayerRegistry Where the rollup was requested.
/// @custom:field rollupId Its id there.
/// @custom:field sequencerRegistry The stake registry verifiers must be staked in.
/// @custom:field disputeGame The game arbitrating this rollup's packs (its `CLAIMS` must be
///               this Rollup: deploy the game first with the Rollup's future address).
/// @custom:field challengeWindow Seconds after posting during which disputes may open.
/// @custom:field affirmationQuorum Affirmations that make a pack tier 2 (0: every posted
///               pack is tier 2 at once, i.e. the quorum feature is off).
/// @custom:field finalityRequiresQuorum Whether tier 3 also requires the quorum.
/// @custom:field stakeToken Token of the verifier stake requirement (`address(0)` = ETH).
/// @custom:field minVerifierStake Minimum active stake in `stakeToken` to post or vote.
/// @custom:field genesisStateRoot State root of L2 block 0 (pack 0).
struct RollupConfig {
    IRollupDirectory executionLayerRegistry;
    uint256 rollupId;
    ISequencerRegistry sequencerRegistry;
    IDisputeOutcomes disputeGame;
    uint64 challengeWindow;
    uint32 affirmationQuorum;
    bool finalityRequiresQuorum;
    address stakeToken;
    uint256 minVerifierStake;
    bytes32 genesisStateRoot;
}

/// @title IRollup
/// @notice What other contracts (bridges, end-of-life settlement, dashboards) read from a
///         Rollup: its valid chain, finality and state roots.
interface IRollup {
    /// @notice The head: the last valid pack (0 = genesis).
    function head() external view returns (uint256);

    /// @notice The last rollup-level final pack (0 = genesis).
    function lastFinalized() external view returns (uint256);

    /// @notice The state root after pack `packId`.
    function stateRootAt(uint256 packId) external view returns (bytes32);

    /// @notice The tier of pack `packId`.
    function tierOf(uint256 packId) external view returns (Tier);

    /// @notice The tier of L2 block `blockNumber` and the valid pack covering it.
    function tierOfBlock(uint256 blockNumber) external view returns (Tier tier, uint256 packId);
}
