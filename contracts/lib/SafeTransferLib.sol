// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SafeTransferLib
/// @notice ETH and ERC-20 transfers that tolerate the common non-standard tokens.
/// @dev Written for altrollup in the spirit of solady's SafeTransferLib (studied, not copied):
///      - tokens that return nothing (USDT-style) succeed if the call succeeded and the
///        token address holds code (a call to an EOA "succeeds" with no return data);
///      - tokens that return `false` (or any word other than 1) fail;
///      - a reverting token fails.
///      Each failure reverts with a named error carrying the token.
library SafeTransferLib {
    /// @notice An ERC-20 `transfer` call reverted, returned something other than `true`,
    ///         or `token` has no code.
    /// @param token The token whose transfer failed.
    error TransferFailed(address token);

    /// @notice An ERC-20 `transferFrom` call reverted, returned something other than
    ///         `true`, or `token` has no code.
    /// @param token The token whose transferFrom failed.
    error TransferFromFailed(address token);

    /// @notice A `balanceOf` query reverted or returned malformed data.
    /// @param token The token that was queried.
    error BalanceQueryFailed(address token);

    /// @notice Sending ETH to `to` failed (the recipient reverted or ran out of gas).
    /// @param to The intended recipient.
    error EthTransferFailed(address to);

    /// @notice Send `amount` ETH to `to`, forwarding all gas. Reverts on failure.
    /// @param to Recipient.
    /// @param amount Amount in wei.
    function safeTransferETH(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        // INVARIANT: the recipient accepted the ETH.
        if (!ok) revert EthTransferFailed(to);
    }

    /// @notice `token.transfer(to, amount)`, accepting no-return tokens, rejecting `false`.
    /// @param token ERC-20 token.
    /// @param to Recipient.
    /// @param amount Amount in token units.
    function safeTransfer(address token, address to, uint256 amount) internal {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0xa9059cbb, to, amount));
        // INVARIANT: the call succeeded and the token signalled success (or returned nothing).
        if (!_succeeded(token, ok, ret)) revert TransferFailed(token);
    }

    /// @notice `token.transferFrom(from, to, amount)`, accepting no-return tokens,
    ///         rejecting `false`.
    /// @param token ERC-20 token.
    /// @param from Owner of the tokens (must have approved the caller).
    /// @param to Recipient.
    /// @param amount Amount in token units.
    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount));
        // INVARIANT: the call succeeded and the token signalled success (or returned nothing).
        if (!_succeeded(token, ok, ret)) revert TransferFromFailed(token);
    }

    /// @notice `token.balanceOf(account)`, reverting with a named error on malformed answers.
    /// @param token ERC-20 token.
    /// @param account Holder.
    /// @return balance The holder's balance.
    function balanceOf(address token, address account) internal view returns (uint256 balance) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, account));
        // INVARIANT: the query succeeded and returned at least one word.
        if (!ok || ret.length < 32) revert BalanceQueryFailed(token);
        balance = abi.decode(ret, (uint256));
    }

    /// @dev Success rule shared by transfer and transferFrom.
    function _succeeded(address token, bool ok, bytes memory ret) private view returns (bool) {
        if (!ok) return false;
        // No return data: USDT-style token, but only if there is code at `token`.
        if (ret.length == 0) return token.code.length != 0;
        if (ret.length < 32) return false;
        return abi.decode(ret, (uint256)) == 1;
    }
}
