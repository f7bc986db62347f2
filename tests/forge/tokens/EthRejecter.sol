// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title EthRejecter
/// @notice A contract that refuses ETH (no receive / fallback), to test failed ETH sends.
contract EthRejecter {
    /// @notice Forward an arbitrary call (so tests can act as this contract).
    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }
}
