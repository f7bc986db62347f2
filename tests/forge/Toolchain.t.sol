// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";

/// @notice Checks that the offline toolchain compiles and runs tests with cheatcodes.
contract ToolchainTest is TestBase {
    function test_cheatcodesWork() public {
        vm.warp(1234);
        vm.assertEq(block.timestamp, 1234);
    }

    function testFuzz_bound(uint256 x) public pure {
        uint256 y = bound(x, 10, 20);
        vm.assertGe(y, 10);
        vm.assertLe(y, 20);
    }
}
