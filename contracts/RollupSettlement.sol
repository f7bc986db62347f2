// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExecutionLayerRegistry} from "./ExecutionLayerRegistry.sol";
import {IRollup, IRollupDirectory, Pack, Tier} from "./interfaces/IRollup.sol";

/// @title ISettledRollup
/// @notice What `RollupSettlement` reads from a `Rollup` on top of `IRollup`.
interface ISettledRollup is IRollup {
    /// @notice The registry the rollup was requested in.
    function EXECUTION_LAYER_REGISTRY() external view returns (IRollupDirectory);

    /// @notice The rollup's id in that registry.
    function ROLLUP_ID() external view returns (uint256);

    /// @notice Pack `packId` as stored.
    function getPack(uint256 packId) external view returns (Pack memory);
}

/// @title RollupSettlement
/// @notice The end-of-life settlement of flash layers: the ExecutionLayerRegistry's
///         `settler`. Once a rollup is Ending (its requester or governance called
///         `endRollup`) and the verifiers' final pack is rollup-level final, anyone may
///         call `settle(rollupId)`: it records the final pack, L2 block and state root and
///         moves the rollup to Settled in the registry. After that the Rollup accepts no
///         pack, so its last finalized pack is the final state for ever, and withdrawals
///         (`WithdrawalPortal`) keep being proven against it.
///
///         The final pack is the Rollup's head at settlement time, and it must be
///         - rollup-level final (`head == lastFinalized`: nothing posted is pending), and
///         - posted at or after the registry's `endedAtOf(rollupId)`, so that it was built
///           after the producers stopped. Since finality needs a full challenge window
///           after posting, the verifiers must post the final pack within one challenge
///           window of the end (a pack posted later than that, on top of an already final
///           post-end pack, could be preceded by a settlement).
///
///         Stakes. The SequencerRegistry locks nothing per rollup: a sequencer's stake is
///         bonded to the operator, not to a rollup, and leaves through the registry's
///         unbonding queue (slashable during the delay) whenever its holder asks. So
///         settlement has nothing to unlock; it emits `SequencersReleased` with the
///         rollup's sequencer set so that operators and dashboards see their duty end.
///
///         Binding. A rollup's `Rollup` contract is bound once, by the rollup's requester
///         or the registry's governance (the parties that may end it), and must name this
///         registry and rollup id. Binding matters: settling freezes the rollup, so only
///         the real Rollup's state may decide when that is allowed.
contract RollupSettlement {
    ////////////////////////////////////////////////////////////////
    //                            TYPES                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The recorded end-of-life state of a rollup.
    /// @custom:field finalPackId The final (tier-3) pack.
    /// @custom:field finalBlock Its last L2 block: the rollup's final block.
    /// @custom:field settledAt L1 timestamp of the settlement.
    /// @custom:field finalStateRoot The state root after the final block.
    struct Settlement {
        uint64 finalPackId;
        uint64 finalBlock;
        uint64 settledAt;
        bytes32 finalStateRoot;
    }

    ////////////////////////////////////////////////////////////////
    //                         IMMUTABLES                         //
    ////////////////////////////////////////////////////////////////

    /// @notice The registry whose `settler` this contract is.
    ExecutionLayerRegistry public immutable REGISTRY;

    ////////////////////////////////////////////////////////////////
    //                           STORAGE                          //
    ////////////////////////////////////////////////////////////////

    /// @notice The Rollup contract bound to each rollup id (zero when unbound).
    mapping(uint256 rollupId => ISettledRollup) public rollupOf;

    /// @dev Settlements by rollup id (`settledAt == 0` when not settled).
    mapping(uint256 rollupId => Settlement) internal _settlements;

    ////////////////////////////////////////////////////////////////
    //                            EVENTS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice `rollup` was bound to `rollupId` by `by`.
    event RollupBound(uint256 indexed rollupId, address indexed rollup, address indexed by);

    /// @notice `rollupId` was settled on its final pack.
    /// @param rollupId The rollup.
    /// @param finalPackId The final pack.
    /// @param finalBlock The final L2 block.
    /// @param finalStateRoot The final state root.
    /// @param by Who called `settle`.
    event RollupSettlementRecorded(
        uint256 indexed rollupId, uint256 indexed finalPackId, uint256 finalBlock, bytes32 finalStateRoot, address by
    );

    /// @notice The sequencers of `rollupId` have no more duty for it (their stake was
    ///         never locked per rollup; see the contract NatSpec).
    event SequencersReleased(uint256 indexed rollupId, address[] sequencers);

    ////////////////////////////////////////////////////////////////
    //                            ERRORS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice The registry address is zero.
    error ZeroAddress();

    /// @notice No rollup has this id in the registry.
    error UnknownRollup(uint256 rollupId);

    /// @notice Only the rollup's requester or the registry's governance may bind it.
    error NotRequesterOrOwner(address caller);

    /// @notice A Rollup contract is already bound to this rollup id.
    error RollupAlreadyBound(uint256 rollupId, address rollup);

    /// @notice The Rollup contract names another registry or another rollup id.
    error RollupMismatch(address rollup, address registry, uint256 rollupId);

    /// @notice No Rollup contract is bound to this rollup id.
    error RollupNotBound(uint256 rollupId);

    /// @notice The rollup is not Ending (not ended yet, or already settled).
    error NotEnding(uint256 rollupId, ExecutionLayerRegistry.Status status);

    /// @notice The head pack is not rollup-level final yet (or posted packs are pending).
    error FinalPackNotFinal(uint256 packId, Tier tier);

    /// @notice No pack was posted since the end began: the final pack is still missing.
    error NoPackSinceEnd(uint256 headPackId, uint256 postedAt, uint256 endedAt);

    ////////////////////////////////////////////////////////////////
    //                         CONSTRUCTOR                        //
    ////////////////////////////////////////////////////////////////

    /// @param registry The ExecutionLayerRegistry (its governance then calls `setSettler`).
    constructor(ExecutionLayerRegistry registry) {
        // INVARIANT: settlements are recorded in a real registry.
        if (address(registry) == address(0)) revert ZeroAddress();
        REGISTRY = registry;
    }

    ////////////////////////////////////////////////////////////////
    //                           ACTIONS                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Bind `rollup` as the Rollup contract of `rollupId` (once).
    /// @param rollupId The rollup's id in the registry.
    /// @param rollup Its Rollup contract.
    function bindRollup(uint256 rollupId, ISettledRollup rollup) external {
        // INVARIANT: the rollup exists and the caller is one who may end it.
        if (REGISTRY.statusOf(rollupId) == ExecutionLayerRegistry.Status.None) revert UnknownRollup(rollupId);
        (, address requester) = REGISTRY.getRequest(rollupId);
        if (msg.sender != requester && msg.sender != REGISTRY.owner()) revert NotRequesterOrOwner(msg.sender);
        // INVARIANT: a binding is permanent.
        address bound = address(rollupOf[rollupId]);
        if (bound != address(0)) revert RollupAlreadyBound(rollupId, bound);
        // INVARIANT: the Rollup serves this very rollup of this registry.
        if (address(rollup) == address(0)) revert ZeroAddress();
        address registry = address(rollup.EXECUTION_LAYER_REGISTRY());
        uint256 id = rollup.ROLLUP_ID();
        if (registry != address(REGISTRY) || id != rollupId) revert RollupMismatch(address(rollup), registry, id);

        rollupOf[rollupId] = rollup;
        emit RollupBound(rollupId, address(rollup), msg.sender);
    }

    /// @notice Settle `rollupId` on its final pack (Ending -> Settled). Anyone may call.
    /// @param rollupId The rollup.
    /// @return finalPackId The final pack.
    function settle(uint256 rollupId) external returns (uint256 finalPackId) {
        ISettledRollup rollup = rollupOf[rollupId];
        ExecutionLayerRegistry.Status status = REGISTRY.statusOf(rollupId);
        // INVARIANT: only a bound rollup that is ending settles.
        if (status == ExecutionLayerRegistry.Status.None) revert UnknownRollup(rollupId);
        if (address(rollup) == address(0)) revert RollupNotBound(rollupId);
        if (status != ExecutionLayerRegistry.Status.Ending) revert NotEnding(rollupId, status);

        finalPackId = rollup.head();
        // INVARIANT: the final state is rollup-level final and nothing posted is pending.
        if (rollup.lastFinalized() != finalPackId) revert FinalPackNotFinal(finalPackId, rollup.tierOf(finalPackId));
        Pack memory pack = rollup.getPack(finalPackId);
        uint256 endedAt = REGISTRY.endedAtOf(rollupId);
        // INVARIANT: the final pack was built after the end began.
        if (pack.postedAt < endedAt) revert NoPackSinceEnd(finalPackId, pack.postedAt, endedAt);

        _settlements[rollupId] = Settlement({
            finalPackId: uint64(finalPackId),
            finalBlock: pack.lastBlock,
            settledAt: uint64(block.timestamp),
            finalStateRoot: pack.stateRoot
        });
        emit RollupSettlementRecorded(rollupId, finalPackId, pack.lastBlock, pack.stateRoot, msg.sender);
        emit SequencersReleased(rollupId, REGISTRY.sequencersOf(rollupId));

        REGISTRY.settleRollup(rollupId);
    }

    ////////////////////////////////////////////////////////////////
    //                            VIEWS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice The recorded settlement of `rollupId` (all zero when not settled).
    function settlementOf(uint256 rollupId) external view returns (Settlement memory) {
        return _settlements[rollupId];
    }

    /// @notice Whether `rollupId` was settled through this contract.
    function isSettled(uint256 rollupId) external view returns (bool) {
        return _settlements[rollupId].settledAt != 0;
    }

    /// @notice Whether `settle(rollupId)` would succeed now.
    function canSettle(uint256 rollupId) external view returns (bool) {
        ISettledRollup rollup = rollupOf[rollupId];
        if (address(rollup) == address(0)) return false;
        if (REGISTRY.statusOf(rollupId) != ExecutionLayerRegistry.Status.Ending) return false;
        if (REGISTRY.settler() != address(this)) return false;
        uint256 headId = rollup.head();
        if (rollup.lastFinalized() != headId) return false;
        return rollup.getPack(headId).postedAt >= REGISTRY.endedAtOf(rollupId);
    }
}
