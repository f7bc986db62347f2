// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITraceBinding
/// @notice The hook that joins the two levels of the dispute game: it maps the agreed
///         state root before a transaction to the first state of that transaction's
///         instruction trace, and the disputed root after it to the trace's last state.
/// @dev Both maps must be pure functions of their inputs and injective in the root, so
///      that agreeing on the trace's first state means agreeing on the root before the
///      transaction, and the trace's last state stands for exactly one root after it.
///      For the AlphabetVM both are the identity (a tx root is a VM state). For the EVM
///      prover, `traceStart` wraps the root into a "transaction not yet started" state
///      (the first step loads and checks the transaction: signature, nonce, intrinsic
///      gas) and `traceEnd` into a "transaction finished" state that stepping leaves
///      unchanged, so every trace can be padded to the game's fixed length.
interface ITraceBinding {
    /// @notice The state hash at step 0 of transaction `txIndex`'s trace.
    /// @param context The claim's trace context.
    /// @param txIndex 1-based index of the transaction in its pack.
    /// @param preTxRoot The state root after transaction `txIndex - 1` (the pack's
    ///        pre-state for the first transaction).
    /// @return startState The trace's first state.
    function traceStart(bytes32 context, uint256 txIndex, bytes32 preTxRoot)
        external
        view
        returns (bytes32 startState);

    /// @notice The state hash at the last step of transaction `txIndex`'s padded trace.
    /// @param context The claim's trace context.
    /// @param txIndex 1-based index of the transaction in its pack.
    /// @param postTxRoot The state root after transaction `txIndex`.
    /// @return endState The trace's last state.
    function traceEnd(bytes32 context, uint256 txIndex, bytes32 postTxRoot)
        external
        view
        returns (bytes32 endState);
}
