// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @title TestBase
/// @notice Minimal base for the project's forge tests: the cheatcode handle, `bound`,
///         and invariant-target registration understood by forge's invariant runner.
abstract contract TestBase {
    /// @dev Foundry's cheatcode address: address(uint160(uint256(keccak256("hevm cheat code")))).
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice Forge reads this flag to detect the test-contract kind.
    bool public IS_TEST = true;

    address[] private _targetContracts;
    bytes4[] private _targetSelectorsUnused;

    /// @notice Clamp a fuzzed value into [min, max] without discarding the run.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (size == 0) return x; // full range
        return min + (x % size);
    }

    /// @notice Restrict invariant fuzzing to `target` (may be called several times).
    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    /// @notice Forge's invariant runner calls this to learn which contracts to fuzz.
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }
}
