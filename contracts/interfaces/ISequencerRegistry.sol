// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISequencerRegistry
/// @notice What the rest of the settlement layer (ExecutionLayerRegistry, DisputeGame)
///         needs from the sequencer stake registry.
interface ISequencerRegistry {
    /// @notice Number of operators ever registered (deregistered ones included).
    function operatorCount() external view returns (uint256);

    /// @notice The operator registered at position `index` (0-based, registration order).
    function operatorAt(uint256 index) external view returns (address);

    /// @notice Whether `operator` is registered and not deregistered.
    function isActiveOperator(address operator) external view returns (bool);

    /// @notice Active (bonded, not unbonding) stake of `operator` in `token`, own plus
    ///         delegated. `token == address(0)` means ETH.
    function activeStake(address operator, address token) external view returns (uint256);

    /// @notice Slash up to `amount` of `operator`'s stake in `token` (active first, then
    ///         unbonding withdrawals) and send it to `recipient`. Only authorized slashers.
    /// @return slashed The amount actually taken (never more than the operator had).
    function slash(address operator, address token, uint256 amount, address recipient)
        external
        returns (uint256 slashed);
}
