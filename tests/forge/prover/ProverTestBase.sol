// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {VmProver} from "../utils/Vm.sol";
import {ProverLibsHarness} from "./ProverLibsHarness.sol";

/// @notice Shared helpers of the prover library tests: the harness, golden-vector
///         loading, JSONPath building, console output.
abstract contract ProverTestBase is TestBase {
    ProverLibsHarness internal h;

    /// @dev Foundry's console address (hardhat-compatible `console.log`).
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function setUp() public virtual {
        h = new ProverLibsHarness();
    }

    function _vectors(string memory file) internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/", file));
    }

    function _exists(string memory json, string memory key) internal view returns (bool) {
        return VmProver(address(vm)).keyExistsJson(json, key);
    }

    /// @dev Number of elements of the JSON array at `key` (probing indices).
    function _count(string memory json, string memory key) internal view returns (uint256 n) {
        while (_exists(json, string.concat(key, "[", vm.toString(n), "]"))) ++n;
    }

    function _at(string memory key, uint256 i) internal pure returns (string memory) {
        return string.concat(key, "[", _str(i), "]");
    }

    /// @dev True iff the JSON value at `key` is null (forge encodes null as one zero word).
    function _isNull(string memory json, string memory key) internal pure returns (bool) {
        bytes memory raw = vm.parseJson(json, key);
        return raw.length == 32 && bytes32(raw) == bytes32(0);
    }

    function _str(uint256 x) internal pure returns (string memory s) {
        if (x == 0) return "0";
        bytes memory b = new bytes(78);
        uint256 n;
        while (x != 0) {
            b[n++] = bytes1(uint8(48 + (x % 10)));
            x /= 10;
        }
        s = new string(n);
        bytes memory o = bytes(s);
        for (uint256 i; i < n; ++i) {
            o[i] = b[n - 1 - i];
        }
    }

    /// @dev `console.log(string, uint256)`, printed by `forge test -vv`.
    function _log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok;
    }
}
