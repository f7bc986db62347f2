// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStepVerifier
/// @notice The one-step VM the dispute game ends in: from the committed pre-state of one
///         step and the proof data that opens it, compute the committed post-state.
/// @dev The game never interprets state hashes; it only compares the hash this returns
///      with the one a player claimed. Implementations must be deterministic functions of
///      their inputs (the game treats the answer as the truth) and must revert with a
///      named error when `proof` does not open `preState` (never return a made-up hash).
///      The AlphabetVM implements it for tests; the EVM one-step prover implements it for
///      the rollup.
interface IStepVerifier {
    /// @notice Execute step `stepIndex` of transaction `txIndex` on-chain.
    /// @param context The claim's trace context (e.g. a commitment to the pack's
    ///        transaction data), the same value the trace binding receives.
    /// @param txIndex 1-based index of the disputed transaction in its pack.
    /// @param stepIndex 0-based step within the transaction's trace; the step goes from
    ///        state `stepIndex` to state `stepIndex + 1`.
    /// @param preState The committed state hash before the step (agreed by both players).
    /// @param proof The data that opens `preState` and whatever the step reads.
    /// @return postState The committed state hash after the step.
    function step(bytes32 context, uint256 txIndex, uint256 stepIndex, bytes32 preState, bytes calldata proof)
        external
        view
        returns (bytes32 postState);
}
