// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStepClass
/// @notice One opcode class of the EVM one-step prover. `EvmStepVerifier` routes a step
///         to the class contract that implements it (the prover is split by class to stay
///         under the 24 KiB code-size limit, as Arbitrum splits its one-step provers).
/// @dev Every class contract is a complete verifier for its class: it decodes the proof,
///      checks that it opens `preState`, executes the step and returns the post-state, or
///      reverts with a named error. Routing is only an optimisation: a step routed to the
///      wrong class reverts (`WrongStepClass` / `StepClassNotSupported`), it never yields
///      a hash.
interface IStepClass {
    /// @notice Execute the one step that `proof` opens from `preState`.
    /// @param proof `abi.encode(StepProof)` (see `contracts/prover/steps/StepProof.sol`).
    /// @param preState The committed machine state before the step.
    /// @return postState The committed machine state after the step.
    function run(bytes calldata proof, bytes32 preState) external view returns (bytes32 postState);
}
