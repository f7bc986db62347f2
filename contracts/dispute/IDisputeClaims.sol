// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What a dispute game needs to know about one disputable claim (a pack).
/// @custom:field defender The staked verifier that posted the claim; slashed if it loses.
/// @custom:field preStateRoot The agreed state root the claim starts from (r_0).
/// @custom:field txRootsCommitment `TxRootsMerkle` root over r_1 .. r_txCount.
/// @custom:field txCount Number of transactions (leaves), >= 1.
/// @custom:field challengeDeadline Last timestamp (exclusive) at which a game may open.
/// @custom:field traceContext Opaque value passed to the trace binding and the step VM
///               (for the EVM: a commitment to the pack's transaction data).
struct DisputedClaim {
    address defender;
    bytes32 preStateRoot;
    bytes32 txRootsCommitment;
    uint64 txCount;
    uint64 challengeDeadline;
    bytes32 traceContext;
}

/// @title IDisputeClaims
/// @notice The source of claims a DisputeGame arbitrates (the Rollup contract; a simple
///         board in tests).
interface IDisputeClaims {
    /// @notice The claim `claimId`; `defender == address(0)` when there is none.
    /// @param claimId The claim's identifier (for the Rollup: the pack id).
    /// @return claim The claim.
    function disputedClaim(bytes32 claimId) external view returns (DisputedClaim memory claim);
}
