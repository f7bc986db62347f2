// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReturnsFalseERC20
/// @notice ERC-20 that never reverts on failure: it returns `false` (insufficient balance or
///         allowance, or when `failAll` is set) and moves nothing.
contract ReturnsFalseERC20 {
    /// @notice Balances.
    mapping(address => uint256) public balanceOf;
    /// @notice Allowances.
    mapping(address => mapping(address => uint256)) public allowance;
    /// @notice When set, every transfer returns false.
    bool public failAll;

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    /// @notice Make every transfer fail (return false) or behave normally.
    function setFailAll(bool fail) external {
        failAll = fail;
    }

    /// @notice Approve `spender`.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    /// @notice Transfer; returns false instead of reverting.
    function transfer(address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[msg.sender] < amount) return false;
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    /// @notice TransferFrom; returns false instead of reverting.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (failAll || balanceOf[from] < amount || allowance[from][msg.sender] < amount) return false;
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}
