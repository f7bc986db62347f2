// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Vm
/// @notice The subset of Foundry's cheatcode interface the project's forge tests use.
/// @dev forge-std is not on any registry reachable here, so the project declares the
///      cheatcodes it needs itself. Selectors are Foundry's; the address is the
///      standard cheatcode address.
interface Vm {
    // Environment
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function deal(address account, uint256 newBalance) external;
    function etch(address target, bytes calldata code) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function addr(uint256 privateKey) external pure returns (address);
    function label(address account, string calldata name) external;

    // Expectations
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit() external;
    function expectEmit(bool t1, bool t2, bool t3, bool data) external;

    // Assertions (built-in cheatcodes in Foundry >= 0.2)
    function assertTrue(bool condition) external pure;
    function assertTrue(bool condition, string calldata message) external pure;
    function assertFalse(bool condition) external pure;
    function assertFalse(bool condition, string calldata message) external pure;
    function assertEq(uint256 left, uint256 right) external pure;
    function assertEq(uint256 left, uint256 right, string calldata message) external pure;
    function assertEq(address left, address right) external pure;
    function assertEq(address left, address right, string calldata message) external pure;
    function assertEq(bytes32 left, bytes32 right) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata message) external pure;
    function assertEq(bytes calldata left, bytes calldata right) external pure;
    function assertEq(bool left, bool right) external pure;
    function assertEq(string calldata left, string calldata right) external pure;
    function assertLe(uint256 left, uint256 right) external pure;
    function assertLe(uint256 left, uint256 right, string calldata message) external pure;
    function assertGe(uint256 left, uint256 right) external pure;
    function assertGe(uint256 left, uint256 right, string calldata message) external pure;
    function assertLt(uint256 left, uint256 right) external pure;
    function assertGt(uint256 left, uint256 right) external pure;
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta) external pure;

    // Fuzzing
    function assume(bool condition) external pure;

    // Files and JSON (golden vectors shared with the Python tests)
    function projectRoot() external view returns (string memory);
    function readFile(string calldata path) external view returns (string memory);
    function parseJson(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);

    // Gas
    function pauseGasMetering() external;
    function resumeGasMetering() external;

    // Strings (appended for the ECVRF / ExecutionLayerRegistry tests)
    function toString(uint256 value) external pure returns (string memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);

    // Appended for the SequencerRegistry tests
    struct Wallet {
        address addr;
        uint256 publicKeyX;
        uint256 publicKeyY;
        uint256 privateKey;
    }

    function createWallet(uint256 privateKey) external returns (Wallet memory wallet);
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;
    function expectEmit(address emitter) external;
    function expectPartialRevert(bytes4 revertData) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function assertEq(address[] calldata left, address[] calldata right) external pure;
    function assertEq(uint256[] calldata left, uint256[] calldata right) external pure;

    // Appended for the ExecutionLayerRegistry tests
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
}

/// @notice Cheatcodes appended for the DisputeGame gas benchmarks.
interface VmDisputeBench {
    /// @notice Marks the slots of an account and the account address as cold.
    function cool(address target) external;
}

/// @notice Cheatcodes appended for the Rollup tests.
interface VmRollup {
    /// @notice Sets the blob versioned hashes `blobhash(i)` returns (EIP-4844).
    function blobhashes(bytes32[] calldata hashes) external;
    /// @notice The nonce of `account`.
    function getNonce(address account) external view returns (uint64 nonce);
    /// @notice Starts recording emitted logs.
    function recordLogs() external;
}

/// @notice Cheatcodes appended for the prover library tests (golden vectors).
interface VmProver {
    /// @notice True iff `key` (a JSONPath) exists in `json` (also when its value is null).
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
}
