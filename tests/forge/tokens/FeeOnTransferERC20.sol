// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MockERC20} from "./MockERC20.sol";

/// @title FeeOnTransferERC20
/// @notice ERC-20 that burns `feeBps` basis points of every transfer: the recipient gets
///         `amount - fee`, the sender is debited `amount`.
contract FeeOnTransferERC20 is MockERC20 {
    /// @notice Fee in basis points (1% = 100).
    uint256 public immutable feeBps;

    /// @param feeBps_ Fee in basis points (at most 10_000).
    constructor(uint256 feeBps_) MockERC20("Fee Token", "FEE") {
        require(feeBps_ <= 10_000, "fee");
        feeBps = feeBps_;
    }

    /// @dev Debit `amount`, credit `amount - fee`, burn the fee.
    function _move(address from, address to, uint256 amount) internal override {
        require(balanceOf[from] >= amount, "balance");
        uint256 fee = amount * feeBps / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        if (fee != 0) emit Transfer(from, address(0), fee);
    }
}
