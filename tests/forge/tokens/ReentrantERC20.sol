// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "./MockERC20.sol";

/// @title ReentrantERC20
/// @notice ERC-20 with a transfer hook (ERC-777-like): once armed, its next transfer or
///         transferFrom calls `target` with `data` before moving balances, and records
///         whether that reentrant call succeeded and what it returned.
contract ReentrantERC20 is MockERC20 {
    /// @notice Contract to call back into.
    address public target;
    /// @notice Calldata of the callback.
    bytes public data;
    /// @notice Whether the next transfer runs the callback.
    bool public armed;
    /// @notice Whether the last callback succeeded.
    bool public lastCallSucceeded;
    /// @notice Revert data (or return data) of the last callback.
    bytes public lastReturnData;

    constructor() MockERC20("Reentrant", "RE") {}

    /// @notice Arm the hook for the next transfer.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    /// @dev Run the hook once, then move balances.
    function _move(address from, address to, uint256 amount) internal override {
        if (armed) {
            armed = false;
            (lastCallSucceeded, lastReturnData) = target.call(data);
        }
        super._move(from, to, amount);
    }
}
