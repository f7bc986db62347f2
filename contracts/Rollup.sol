// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExecutionLayerRegistry} from "./ExecutionLayerRegistry.sol";
import {ISequencerRegistry} from "./interfaces/ISequencerRegistry.sol";
import {
    Tier,
    DaKind,
    Vote,
    PackHeader,
    Pack,
    PackInfo,
    IDisputeOutcomes,
    IRollupDirectory,
    RollupConfig,
    IRollup
} from "./interfaces/IRollup.sol";
import {IDisputeClaims, DisputedClaim} from "./dispute/IDisputeClaims.sol";
import {TxRootsMerkle} from "./dispute/lib/TxRootsMerkle.sol";

/// @title Rollup
/// @notice The L1 settlement contract of one rollup: staked verifiers post **packs**
///         (a contiguous range of L2 blocks, a reference to its transaction data on L1,
///         a commitment to the state root after every transaction, and the final state
///         root); other verifiers affirm or reject them; packs become
///         verification-level final (tier 2) with a quorum of affirmations and
///         rollup-level final (tier 3) once their challenge window is over with no
///         dispute open or lost. A pack defeated in the DisputeGame is invalidated
///         together with every later pack, and the head returns to the last valid pack.
/// @dev The valid chain. Packs form one chain from the genesis pack (id 0, the genesis
///      state root, L2 block 0): a new pack must extend the current head. Every pack
///      records its `height` on the chain, and `_chainAt[h]` is the valid pack at height
///      h for h <= `headHeight`. A pack is valid iff `_chainAt[height] == id` and
///      `height <= headHeight`; invalidating the pack at height h therefore only sets
///      `headHeight = h - 1` (O(1), however many packs follow it), and the next posted
///      pack overwrites `_chainAt[h]`. Valid packs with `height <= finalizedHeight` are
///      tier 3, and finalization advances `finalizedHeight` by one pack at a time.
///
///      Claim ids. The DisputeGame names the claim of pack `id` by `bytes32(id)` (the
///      game serves this one Rollup, so no namespacing is needed). The claim's defender
///      is the poster, its pre-state the parent's state root, its transactions the
///      pack's, its deadline the pack's `challengeDeadline`, and its trace context
///      `traceContextOf(id)`, which binds the L2 chain id, the block range and the DA
///      commitment, so the EVM prover can check a transaction against the posted data.
///
///      The final state root is bound to the per-transaction roots at posting: the
///      poster proves that `stateRoot` is the last leaf of `txRootsCommitment`, so a
///      dispute over the roots is a dispute over the final root too. An empty pack
///      (blocks without transactions) cannot change the state; the contract checks that
///      itself, so empty packs are never disputed.
contract Rollup is IDisputeClaims, IRollup {
    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice The registry the rollup was requested in.
    IRollupDirectory public immutable EXECUTION_LAYER_REGISTRY;
    /// @notice The rollup's id in `EXECUTION_LAYER_REGISTRY`.
    uint256 public immutable ROLLUP_ID;
    /// @notice The rollup's L2 chain id (read from the registry at deployment).
    uint256 public immutable L2_CHAIN_ID;
    /// @notice The stake registry verifiers must be staked in.
    ISequencerRegistry public immutable SEQUENCER_REGISTRY;
    /// @notice The game arbitrating this rollup's packs.
    IDisputeOutcomes public immutable DISPUTE_GAME;
    /// @notice Seconds after posting during which disputes may open.
    uint64 public immutable CHALLENGE_WINDOW;
    /// @notice Affirmations that make a pack verification-level final (tier 2).
    uint32 public immutable AFFIRMATION_QUORUM;
    /// @notice Whether rollup-level finality (tier 3) also requires the quorum.
    bool public immutable FINALITY_REQUIRES_QUORUM;
    /// @notice Token of the verifier stake requirement (`address(0)` = ETH).
    address public immutable STAKE_TOKEN;
    /// @notice Minimum active stake in `STAKE_TOKEN` to post or vote.
    uint256 public immutable MIN_VERIFIER_STAKE;
    /// @notice State root of the genesis pack (L2 block 0).
    bytes32 public immutable GENESIS_STATE_ROOT;

    /// @notice Longest challenge window the constructor accepts (keeps deadlines in uint64).
    uint64 public constant MAX_CHALLENGE_WINDOW = 365 days;

    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Packs by id; id 0 is the genesis pack.
    mapping(uint256 packId => Pack) internal _packs;
    /// @notice The valid chain: the pack at each height, meaningful up to `headHeight`.
    mapping(uint256 height => uint256 packId) internal _chainAt;
    /// @notice Each verifier's vote on each pack.
    mapping(uint256 packId => mapping(address verifier => Vote)) internal _votes;
    /// @notice Number of packs ever posted; also the id of the latest one.
    uint64 public packCount;
    /// @notice Height of the head (the last valid pack).
    uint64 public headHeight;
    /// @notice Height of the last rollup-level final pack.
    uint64 public finalizedHeight;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Pack `packId` was posted on top of `parentId` and became the head.
    /// @param packId The new pack.
    /// @param parentId The pack it extends.
    /// @param poster The verifier that posted it.
    /// @param header The posted header (block range, tx count, commitments, state root).
    /// @param daKind Where its transaction data is.
    /// @param daCommitment The commitment to its transaction data.
    /// @param challengeDeadline First timestamp at which no dispute may open.
    event PackPosted(
        uint256 indexed packId,
        uint256 indexed parentId,
        address indexed poster,
        PackHeader header,
        DaKind daKind,
        bytes32 daCommitment,
        uint64 challengeDeadline
    );

    /// @notice Pack `packId` carries its data in the blobs with these versioned hashes.
    /// @param packId The pack.
    /// @param versionedHashes The posting transaction's blob versioned hashes, in order.
    event PackBlobsReferenced(uint256 indexed packId, bytes32[] versionedHashes);

    /// @notice `verifier` affirmed pack `packId`.
    /// @param packId The pack.
    /// @param verifier The affirming verifier.
    /// @param affirmations The pack's affirmations after this one.
    event PackAffirmed(uint256 indexed packId, address indexed verifier, uint256 affirmations);

    /// @notice `verifier` rejected pack `packId` (a signal; disputes go to the DisputeGame).
    /// @param packId The pack.
    /// @param verifier The rejecting verifier.
    /// @param rejections The pack's rejections after this one.
    event PackRejected(uint256 indexed packId, address indexed verifier, uint256 rejections);

    /// @notice Pack `packId` reached the affirmation quorum: it is tier 2
    ///         (verification-level final). Emitted at posting when the quorum is 0.
    /// @param packId The pack.
    /// @param affirmations Its affirmations.
    event PackVerified(uint256 indexed packId, uint256 affirmations);

    /// @notice Pack `packId` became tier 3 (rollup-level final).
    /// @param packId The pack.
    /// @param stateRoot Its state root.
    /// @param lastBlock The last L2 block it covers.
    event PackFinalized(uint256 indexed packId, bytes32 stateRoot, uint64 lastBlock);

    /// @notice Defeated pack `fromPackId` and every later valid pack, up to the old head
    ///         `toPackId`, became Invalid.
    /// @param fromPackId The defeated pack.
    /// @param toPackId The head before invalidation (the last pack invalidated).
    /// @param count Number of packs invalidated.
    event PacksInvalidated(uint256 indexed fromPackId, uint256 indexed toPackId, uint256 count);

    /// @notice The head moved back from `oldHead` to the last valid pack `newHead`; agents
    ///         rebuild from `stateRoot` after L2 block `lastBlock`.
    /// @param oldHead The previous head.
    /// @param newHead The new head.
    /// @param stateRoot The new head's state root.
    /// @param lastBlock The last L2 block of the new head.
    event HeadReverted(uint256 indexed oldHead, uint256 indexed newHead, bytes32 stateRoot, uint64 lastBlock);

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice A collaborator address is zero.
    error ZeroAddress();

    /// @notice The challenge window is zero seconds.
    error ZeroChallengeWindow();

    /// @notice The challenge window exceeds `MAX_CHALLENGE_WINDOW`.
    /// @param challengeWindow The window given.
    error ChallengeWindowTooLong(uint256 challengeWindow);

    /// @notice The verifier stake requirement is zero (verifiers must be staked).
    error ZeroMinVerifierStake();

    /// @notice The genesis state root is zero.
    error ZeroGenesisStateRoot();

    /// @notice The rollup is unknown to the ExecutionLayerRegistry (or has no chain id).
    /// @param rollupId The rollup id given.
    error UnknownRollup(uint256 rollupId);

    /// @notice The DisputeGame arbitrates another claim source.
    /// @param claims The game's claim source.
    error DisputeGameMismatch(address claims);

    /// @notice The caller is not an active operator with enough stake.
    /// @param account The caller.
    /// @param stake Its active stake in `STAKE_TOKEN` (0 if not an active operator).
    /// @param required `MIN_VERIFIER_STAKE`.
    error NotEligibleVerifier(address account, uint256 stake, uint256 required);

    /// @notice Packs may only be posted while the rollup is Active or Ending.
    /// @param rollupId The rollup.
    /// @param status Its status in the ExecutionLayerRegistry.
    error RollupNotLive(uint256 rollupId, ExecutionLayerRegistry.Status status);

    /// @notice A new pack must extend the current head.
    /// @param parentId The parent given.
    /// @param head The current head.
    error ParentNotHead(uint256 parentId, uint256 head);

    /// @notice The head lost a dispute: invalidate it before extending the chain.
    /// @param head The defeated head.
    error ParentDefeated(uint256 head);

    /// @notice The pack's first block does not follow its parent's last block.
    /// @param expected The parent's last block + 1.
    /// @param firstBlock The first block given.
    error NonContiguousBlocks(uint256 expected, uint256 firstBlock);

    /// @notice The pack's last block is before its first block.
    /// @param firstBlock The first block.
    /// @param lastBlock The last block.
    error InvalidBlockRange(uint256 firstBlock, uint256 lastBlock);

    /// @notice More transactions than a `TxRootsMerkle` commitment can hold.
    /// @param txCount The count given.
    error TooManyTransactions(uint256 txCount);

    /// @notice A non-empty pack with a zero state root or a zero tx-roots commitment.
    error ZeroRoot();

    /// @notice The final state root is not the last leaf of the tx-roots commitment.
    /// @param stateRoot The state root given.
    error StateRootNotLastLeaf(bytes32 stateRoot);

    /// @notice An empty pack must keep the parent's state root, commit to no roots and
    ///         carry no proof.
    error InvalidEmptyPack();

    /// @notice A non-empty pack posted with calldata DA carries no data.
    error EmptyData();

    /// @notice A blob-DA pack was posted by a transaction without blobs.
    error NoBlobs();

    /// @notice No pack has this id.
    /// @param packId The id.
    error UnknownPack(uint256 packId);

    /// @notice The pack is Invalid.
    /// @param packId The pack.
    error PackInvalid(uint256 packId);

    /// @notice The pack is already rollup-level final (votes, finalization and
    ///         invalidation are over for it).
    /// @param packId The pack.
    error PackAlreadyFinal(uint256 packId);

    /// @notice The poster cannot vote on its own pack.
    /// @param packId The pack.
    error PosterCannotVote(uint256 packId);

    /// @notice The verifier already voted on the pack.
    /// @param packId The pack.
    /// @param verifier The verifier.
    /// @param vote Its earlier vote.
    error AlreadyVoted(uint256 packId, address verifier, Vote vote);

    /// @notice The pack's parent is not rollup-level final yet.
    /// @param packId The pack.
    /// @param parentId Its parent.
    error ParentNotFinal(uint256 packId, uint256 parentId);

    /// @notice The pack's challenge window is still open.
    /// @param packId The pack.
    /// @param deadline The window's end.
    error ChallengeWindowOpen(uint256 packId, uint256 deadline);

    /// @notice The pack lacks the affirmations finality requires.
    /// @param packId The pack.
    /// @param affirmations Its affirmations.
    /// @param quorum `AFFIRMATION_QUORUM`.
    error QuorumNotReached(uint256 packId, uint256 affirmations, uint256 quorum);

    /// @notice A dispute against the pack is in progress.
    /// @param packId The pack.
    error DisputeInProgress(uint256 packId);

    /// @notice The pack lost a dispute (it is to be invalidated, not finalized).
    /// @param packId The pack.
    error PackDefeated(uint256 packId);

    /// @notice The pack did not lose any dispute.
    /// @param packId The pack.
    error PackNotDefeated(uint256 packId);

    /// @notice No valid pack at this height.
    /// @param height The height asked about.
    /// @param headHeight The head's height.
    error HeightAboveHead(uint256 height, uint256 headHeight);

    /// @notice The L2 block is not covered by the valid chain.
    /// @param blockNumber The block asked about.
    /// @param lastPostedBlock The head's last block.
    error BlockNotPosted(uint256 blockNumber, uint256 lastPostedBlock);

    ////////////////////////////////////////////////////////////////
    //                         CONSTRUCTOR                        //
    ////////////////////////////////////////////////////////////////

    /// @param config The deployment configuration (see `RollupConfig`).
    constructor(RollupConfig memory config) {
        // INVARIANT: every collaborator is a real address.
        if (
            address(config.executionLayerRegistry) == address(0) || address(config.sequencerRegistry) == address(0)
                || address(config.disputeGame) == address(0)
        ) revert ZeroAddress();
        // INVARIANT: there is time to dispute every pack.
        if (config.challengeWindow == 0) revert ZeroChallengeWindow();
        // INVARIANT: every deadline fits the uint64 the packs store.
        if (config.challengeWindow > MAX_CHALLENGE_WINDOW) revert ChallengeWindowTooLong(config.challengeWindow);
        // INVARIANT: only staked verifiers post and vote.
        if (config.minVerifierStake == 0) revert ZeroMinVerifierStake();
        // INVARIANT: the chain starts from a real state.
        if (config.genesisStateRoot == bytes32(0)) revert ZeroGenesisStateRoot();
        uint256 chainId = config.executionLayerRegistry.chainIdOf(config.rollupId);
        // INVARIANT: the rollup exists in the registry and has its L2 chain id.
        if (chainId == 0) revert UnknownRollup(config.rollupId);
        address claims = address(config.disputeGame.CLAIMS());
        // INVARIANT: the game arbitrates exactly this contract's packs.
        if (claims != address(this)) revert DisputeGameMismatch(claims);

        EXECUTION_LAYER_REGISTRY = config.executionLayerRegistry;
        ROLLUP_ID = config.rollupId;
        L2_CHAIN_ID = chainId;
        SEQUENCER_REGISTRY = config.sequencerRegistry;
        DISPUTE_GAME = config.disputeGame;
        CHALLENGE_WINDOW = config.challengeWindow;
        AFFIRMATION_QUORUM = config.affirmationQuorum;
        FINALITY_REQUIRES_QUORUM = config.finalityRequiresQuorum;
        STAKE_TOKEN = config.stakeToken;
        MIN_VERIFIER_STAKE = config.minVerifierStake;
        GENESIS_STATE_ROOT = config.genesisStateRoot;

        Pack storage genesis = _packs[0];
        genesis.stateRoot = config.genesisStateRoot;
        genesis.postedAt = uint64(block.timestamp);
        genesis.challengeDeadline = uint64(block.timestamp);
        // _chainAt[0] == 0, headHeight == finalizedHeight == 0: genesis is head and final.
    }

    ////////////////////////////////////////////////////////////////
    //                          ACTIONS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice Post a pack whose transaction data is `data`, carried in this call's
    ///         calldata; the DA commitment is `keccak256(data)`.
    /// @param header The pack header.
    /// @param stateRootProof `TxRootsMerkle` proof that `header.stateRoot` is leaf
    ///        `txCount - 1` of `header.txRootsCommitment` (empty for an empty pack).
    /// @param data The pack's transaction data (encoded blocks and transactions).
    /// @return packId The new pack's id.
    function postPack(PackHeader calldata header, bytes32[] calldata stateRootProof, bytes calldata data)
        external
        returns (uint256 packId)
    {
        // INVARIANT: the transactions of a non-empty pack are on L1.
        if (header.txCount != 0 && data.length == 0) revert EmptyData();
        packId = _post(header, stateRootProof, DaKind.Calldata, keccak256(data));
    }

    /// @notice Post a pack whose transaction data is in the blobs of this (type-3)
    ///         transaction; every blob of the transaction belongs to the pack, in order.
    ///         The DA commitment is `keccak256(abi.encodePacked(versionedHashes))`.
    /// @param header The pack header.
    /// @param stateRootProof As for `postPack`.
    /// @return packId The new pack's id.
    function postPackWithBlobs(PackHeader calldata header, bytes32[] calldata stateRootProof)
        external
        returns (uint256 packId)
    {
        bytes32[] memory hashes = _blobHashes();
        // INVARIANT: blob DA means at least one blob in the posting transaction.
        if (hashes.length == 0) revert NoBlobs();
        packId = _post(header, stateRootProof, DaKind.Blobs, keccak256(abi.encodePacked(hashes)));
        emit PackBlobsReferenced(packId, hashes);
    }

    /// @notice Affirm pack `packId`: the caller, a staked verifier other than the poster,
    ///         re-executed it and agrees.
    /// @param packId The pack.
    function affirm(uint256 packId) external {
        Pack storage pack = _votable(packId);
        _votes[packId][msg.sender] = Vote.Affirmed;
        uint32 affirmations = pack.affirmations + 1;
        pack.affirmations = affirmations;
        emit PackAffirmed(packId, msg.sender, affirmations);
        if (affirmations == AFFIRMATION_QUORUM) emit PackVerified(packId, affirmations);
    }

    /// @notice Reject pack `packId`: a signal that the caller, a staked verifier other
    ///         than the poster, disagrees. It changes no tier; disputes happen in the
    ///         DisputeGame.
    /// @param packId The pack.
    function reject(uint256 packId) external {
        Pack storage pack = _votable(packId);
        _votes[packId][msg.sender] = Vote.Rejected;
        uint32 rejections = pack.rejections + 1;
        pack.rejections = rejections;
        emit PackRejected(packId, msg.sender, rejections);
    }

    /// @notice Make pack `packId` rollup-level final (tier 3). Anyone may call once its
    ///         parent is final, its challenge window is over, no dispute against it is in
    ///         progress and it never lost one.
    /// @param packId The pack.
    function finalize(uint256 packId) external {
        Pack storage pack = _known(packId);
        uint256 height = pack.height;
        // INVARIANT: only valid packs become final.
        if (!_isValid(packId, height)) revert PackInvalid(packId);
        // INVARIANT: finality happens once.
        if (height <= finalizedHeight) revert PackAlreadyFinal(packId);
        // INVARIANT: final packs form a prefix of the valid chain (parent final first).
        if (height != uint256(finalizedHeight) + 1) revert ParentNotFinal(packId, pack.parentId);
        // INVARIANT: nobody can open a dispute against a final pack.
        if (block.timestamp < pack.challengeDeadline) revert ChallengeWindowOpen(packId, pack.challengeDeadline);
        // INVARIANT: when configured, tier 3 implies tier 2.
        if (FINALITY_REQUIRES_QUORUM && pack.affirmations < AFFIRMATION_QUORUM) {
            revert QuorumNotReached(packId, pack.affirmations, AFFIRMATION_QUORUM);
        }
        bytes32 claimId = claimIdOf(packId);
        // INVARIANT: a pack cannot become final while a game against it is open.
        if (DISPUTE_GAME.hasOpenGame(claimId)) revert DisputeInProgress(packId);
        // INVARIANT: a pack that lost a dispute never becomes final.
        if (DISPUTE_GAME.isDefeated(claimId)) revert PackDefeated(packId);

        finalizedHeight = uint64(height);
        emit PackFinalized(packId, pack.stateRoot, pack.lastBlock);
    }

    /// @notice Invalidate pack `packId`, which lost a dispute, and every later valid pack;
    ///         the head returns to its parent. Anyone may call.
    /// @param packId The defeated pack.
    function invalidate(uint256 packId) external {
        Pack storage pack = _known(packId);
        uint256 height = pack.height;
        // INVARIANT: a pack is invalidated once (its successors went with it).
        if (!_isValid(packId, height)) revert PackInvalid(packId);
        // INVARIANT: finality is irreversible.
        if (height <= finalizedHeight) revert PackAlreadyFinal(packId);
        // INVARIANT: only a lost dispute invalidates.
        if (!DISPUTE_GAME.isDefeated(claimIdOf(packId))) revert PackNotDefeated(packId);

        uint256 oldHeadHeight = headHeight;
        uint256 oldHead = _chainAt[oldHeadHeight];
        uint256 newHead = pack.parentId;
        headHeight = uint64(height - 1);
        Pack storage parent = _packs[newHead];
        emit PacksInvalidated(packId, oldHead, oldHeadHeight - height + 1);
        emit HeadReverted(oldHead, newHead, parent.stateRoot, parent.lastBlock);
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @inheritdoc IDisputeClaims
    /// @dev Pack `id`'s claim is `bytes32(id)`. Unknown ids and the genesis pack return
    ///      an empty claim (`defender == address(0)`); an empty pack returns `txCount == 0`,
    ///      which the game refuses (its correctness was checked at posting). Claims stay
    ///      readable after invalidation; the game's deadline still bounds new games.
    function disputedClaim(bytes32 claimId) external view returns (DisputedClaim memory claim) {
        uint256 packId = uint256(claimId);
        if (packId == 0 || packId > packCount) return claim;
        Pack storage pack = _packs[packId];
        claim = DisputedClaim({
            defender: pack.poster,
            preStateRoot: _packs[pack.parentId].stateRoot,
            txRootsCommitment: pack.txRootsCommitment,
            txCount: pack.txCount,
            challengeDeadline: pack.challengeDeadline,
            traceContext: _traceContext(pack)
        });
    }

    /// @notice The DisputeGame claim id of pack `packId`: `bytes32(packId)`.
    /// @param packId The pack.
    /// @return The claim id.
    function claimIdOf(uint256 packId) public pure returns (bytes32) {
        return bytes32(packId);
    }

    /// @notice The trace context of pack `packId`'s disputes:
    ///         `keccak256(abi.encode(L2_CHAIN_ID, firstBlock, lastBlock, daKind, daCommitment))`.
    /// @param packId The pack.
    /// @return The trace context.
    function traceContextOf(uint256 packId) external view returns (bytes32) {
        return _traceContext(_known(packId));
    }

    /// @notice The head: the last valid pack.
    /// @return The head's id (0 = genesis).
    function head() external view returns (uint256) {
        return _chainAt[headHeight];
    }

    /// @notice The last rollup-level final pack.
    /// @return Its id (0 = genesis).
    function lastFinalized() external view returns (uint256) {
        return _chainAt[finalizedHeight];
    }

    /// @notice The valid pack at `height` (0 = genesis).
    /// @param height A height <= `headHeight`.
    /// @return The pack's id.
    function packAtHeight(uint256 height) external view returns (uint256) {
        // INVARIANT: heights above the head hold no valid pack.
        if (height > headHeight) revert HeightAboveHead(height, headHeight);
        return _chainAt[height];
    }

    /// @notice Pack `packId` as stored.
    /// @param packId The pack.
    /// @return The pack.
    function getPack(uint256 packId) external view returns (Pack memory) {
        return _known(packId);
    }

    /// @notice Pack `packId` with its tier, pre-state root, trace context and claim id.
    /// @param packId The pack.
    /// @return info The pack's information.
    function packInfo(uint256 packId) external view returns (PackInfo memory info) {
        Pack storage pack = _known(packId);
        info.pack = pack;
        info.tier = _tier(packId, pack);
        info.preStateRoot = packId == 0 ? bytes32(0) : _packs[pack.parentId].stateRoot;
        info.traceContext = _traceContext(pack);
        info.claimId = claimIdOf(packId);
    }

    /// @notice The tier of pack `packId` (never `ExecutionFinal`).
    /// @param packId The pack.
    /// @return The tier.
    function tierOf(uint256 packId) external view returns (Tier) {
        return _tier(packId, _known(packId));
    }

    /// @notice The tier of L2 block `blockNumber` on the valid chain, and the pack that
    ///         covers it. Reverts with `BlockNotPosted` past the head.
    /// @param blockNumber An L2 block number.
    /// @return tier The covering pack's tier.
    /// @return packId The covering pack.
    function tierOfBlock(uint256 blockNumber) external view returns (Tier tier, uint256 packId) {
        uint256 lastPosted = _packs[_chainAt[headHeight]].lastBlock;
        // INVARIANT: only blocks the valid chain covers have an L1 tier.
        if (blockNumber > lastPosted) revert BlockNotPosted(blockNumber, lastPosted);
        // Smallest height whose pack's last block is >= blockNumber (last blocks
        // strictly increase along the chain).
        uint256 lo;
        uint256 hi = headHeight;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_packs[_chainAt[mid]].lastBlock >= blockNumber) hi = mid;
            else lo = mid + 1;
        }
        packId = _chainAt[lo];
        tier = _tier(packId, _packs[packId]);
    }

    /// @notice The state root after pack `packId`.
    /// @param packId The pack.
    /// @return The state root.
    function stateRootAt(uint256 packId) external view returns (bytes32) {
        return _known(packId).stateRoot;
    }

    /// @notice Affirmations and rejections of pack `packId`.
    /// @param packId The pack.
    /// @return affirmations Affirming verifiers.
    /// @return rejections Rejecting verifiers.
    function votesOf(uint256 packId) external view returns (uint256 affirmations, uint256 rejections) {
        Pack storage pack = _known(packId);
        return (pack.affirmations, pack.rejections);
    }

    /// @notice `verifier`'s vote on pack `packId`.
    /// @param packId The pack.
    /// @param verifier The verifier.
    /// @return The vote (`None` if it did not vote).
    function voteOf(uint256 packId, address verifier) external view returns (Vote) {
        return _votes[packId][verifier];
    }

    /// @notice Whether pack `packId` is on the valid chain.
    /// @param packId The pack.
    /// @return True when valid.
    function isValid(uint256 packId) external view returns (bool) {
        return _isValid(packId, _known(packId).height);
    }

    /// @notice Whether `finalize(packId)` would succeed now.
    /// @param packId The pack.
    /// @return True when it may be finalized.
    function canFinalize(uint256 packId) external view returns (bool) {
        if (packId > packCount) return false;
        Pack storage pack = _packs[packId];
        uint256 height = pack.height;
        if (!_isValid(packId, height) || height != uint256(finalizedHeight) + 1) return false;
        if (block.timestamp < pack.challengeDeadline) return false;
        if (FINALITY_REQUIRES_QUORUM && pack.affirmations < AFFIRMATION_QUORUM) return false;
        bytes32 claimId = claimIdOf(packId);
        return !DISPUTE_GAME.hasOpenGame(claimId) && !DISPUTE_GAME.isDefeated(claimId);
    }

    /// @notice Whether `account` may post and vote: an active operator with at least
    ///         `MIN_VERIFIER_STAKE` of `STAKE_TOKEN` actively staked.
    /// @param account The account.
    /// @return True when eligible.
    function isEligibleVerifier(address account) external view returns (bool) {
        return _stakeOf(account) >= MIN_VERIFIER_STAKE;
    }

    ////////////////////////////////////////////////////////////////
    //                          INTERNALS                         //
    ////////////////////////////////////////////////////////////////

    /// @dev Validate `header` against the head and store the new pack.
    function _post(PackHeader calldata header, bytes32[] calldata stateRootProof, DaKind daKind, bytes32 daCommitment)
        internal
        returns (uint256 packId)
    {
        uint256 parentHeight = _checkHeader(header, stateRootProof);
        _requireEligible(msg.sender);
        ExecutionLayerRegistry.Status status = EXECUTION_LAYER_REGISTRY.statusOf(ROLLUP_ID);
        // INVARIANT: packs are posted only for a running (or ending) rollup.
        if (status != ExecutionLayerRegistry.Status.Active && status != ExecutionLayerRegistry.Status.Ending) {
            revert RollupNotLive(ROLLUP_ID, status);
        }
        uint256 parentId = header.parentId;
        // INVARIANT: nobody builds on a pack that already lost a dispute.
        if (parentId != 0 && DISPUTE_GAME.isDefeated(claimIdOf(parentId))) revert ParentDefeated(parentId);

        packId = uint256(packCount) + 1;
        uint64 height = uint64(parentHeight + 1);
        uint64 deadline = uint64(block.timestamp) + CHALLENGE_WINDOW;
        Pack storage pack = _packs[packId];
        pack.parentId = header.parentId;
        pack.height = height;
        pack.firstBlock = header.firstBlock;
        pack.lastBlock = header.lastBlock;
        pack.txCount = header.txCount;
        pack.postedAt = uint64(block.timestamp);
        pack.challengeDeadline = deadline;
        pack.poster = msg.sender;
        pack.daKind = daKind;
        pack.stateRoot = header.stateRoot;
        pack.txRootsCommitment = header.txRootsCommitment;
        pack.daCommitment = daCommitment;
        _chainAt[height] = packId;
        packCount = uint64(packId);
        headHeight = height;

        emit PackPosted(packId, parentId, msg.sender, header, daKind, daCommitment, deadline);
        if (AFFIRMATION_QUORUM == 0) emit PackVerified(packId, 0);
    }

    /// @dev The checks of a header against the head that need no external call;
    ///      returns the head's height.
    function _checkHeader(PackHeader calldata header, bytes32[] calldata stateRootProof)
        internal
        view
        returns (uint256 parentHeight)
    {
        parentHeight = headHeight;
        uint256 parentId = _chainAt[parentHeight];
        // INVARIANT: packs form one chain; a new pack extends the head.
        if (header.parentId != parentId) revert ParentNotHead(header.parentId, parentId);
        Pack storage parent = _packs[parentId];
        // INVARIANT: the block ranges of the chain are contiguous.
        if (header.firstBlock != uint256(parent.lastBlock) + 1) {
            revert NonContiguousBlocks(uint256(parent.lastBlock) + 1, header.firstBlock);
        }
        // INVARIANT: a pack covers at least one block.
        if (header.lastBlock < header.firstBlock) revert InvalidBlockRange(header.firstBlock, header.lastBlock);
        uint256 txCount = header.txCount;
        // INVARIANT: the roots fit a TxRootsMerkle commitment.
        if (txCount > TxRootsMerkle.MAX_LEAVES) revert TooManyTransactions(txCount);
        if (txCount == 0) {
            // INVARIANT: blocks without transactions leave the state as it was.
            if (
                header.stateRoot != parent.stateRoot || header.txRootsCommitment != bytes32(0)
                    || stateRootProof.length != 0
            ) revert InvalidEmptyPack();
            return parentHeight;
        }
        // INVARIANT: a non-empty pack commits to real roots.
        if (header.stateRoot == bytes32(0) || header.txRootsCommitment == bytes32(0)) revert ZeroRoot();
        // INVARIANT: the final state root is the root after the last transaction.
        if (!TxRootsMerkle.verify(header.txRootsCommitment, txCount, txCount - 1, header.stateRoot, stateRootProof)) {
            revert StateRootNotLastLeaf(header.stateRoot);
        }
    }

    /// @dev The checks shared by `affirm` and `reject`; returns the pack.
    function _votable(uint256 packId) internal view returns (Pack storage pack) {
        pack = _known(packId);
        uint256 height = pack.height;
        // INVARIANT: votes are about packs that can still change tier.
        if (!_isValid(packId, height)) revert PackInvalid(packId);
        if (height <= finalizedHeight) revert PackAlreadyFinal(packId);
        // INVARIANT: a verifier does not vouch for its own pack.
        if (msg.sender == pack.poster) revert PosterCannotVote(packId);
        Vote previous = _votes[packId][msg.sender];
        // INVARIANT: one vote per verifier per pack.
        if (previous != Vote.None) revert AlreadyVoted(packId, msg.sender, previous);
        _requireEligible(msg.sender);
    }

    /// @dev Revert unless `account` is an eligible verifier.
    function _requireEligible(address account) internal view {
        uint256 stake = _stakeOf(account);
        // INVARIANT: only active operators staking at least the minimum post or vote.
        if (stake < MIN_VERIFIER_STAKE) revert NotEligibleVerifier(account, stake, MIN_VERIFIER_STAKE);
    }

    /// @dev Active stake of `account` in `STAKE_TOKEN`, 0 unless an active operator.
    function _stakeOf(address account) internal view returns (uint256) {
        if (!SEQUENCER_REGISTRY.isActiveOperator(account)) return 0;
        return SEQUENCER_REGISTRY.activeStake(account, STAKE_TOKEN);
    }

    /// @dev The pack `packId`, reverting for unknown ids (0 is the genesis pack).
    function _known(uint256 packId) internal view returns (Pack storage) {
        // INVARIANT: only posted packs (and genesis) exist.
        if (packId > packCount) revert UnknownPack(packId);
        return _packs[packId];
    }

    /// @dev Whether the pack `packId` at `height` is on the valid chain.
    function _isValid(uint256 packId, uint256 height) internal view returns (bool) {
        return height <= headHeight && _chainAt[height] == packId;
    }

    /// @dev The tier of a known pack.
    function _tier(uint256 packId, Pack storage pack) internal view returns (Tier) {
        uint256 height = pack.height;
        if (!_isValid(packId, height)) return Tier.Invalid;
        if (height <= finalizedHeight) return Tier.RollupFinal;
        if (pack.affirmations >= AFFIRMATION_QUORUM) return Tier.VerificationFinal;
        return Tier.Posted;
    }

    /// @dev The trace context of `pack` (see `traceContextOf`).
    function _traceContext(Pack storage pack) internal view returns (bytes32) {
        return keccak256(abi.encode(L2_CHAIN_ID, pack.firstBlock, pack.lastBlock, pack.daKind, pack.daCommitment));
    }

    /// @dev The versioned hashes of this transaction's blobs, in order.
    function _blobHashes() internal view returns (bytes32[] memory hashes) {
        uint256 count;
        while (blobhash(count) != bytes32(0)) ++count;
        hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes[i] = blobhash(i);
        }
    }
}
