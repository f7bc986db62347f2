// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExecutionLayerRegistry} from "../../../contracts/ExecutionLayerRegistry.sol";
import {IDisputeClaims} from "../../../contracts/dispute/IDisputeClaims.sol";
import {IDisputeOutcomes, IRollupDirectory} from "../../../contracts/interfaces/IRollup.sol";

/// @title DirectoryMock
/// @notice An ExecutionLayerRegistry stand-in whose rollup status and chain id tests set.
contract DirectoryMock is IRollupDirectory {
    mapping(uint256 => ExecutionLayerRegistry.Status) public status;
    mapping(uint256 => uint256) public chainId;

    function set(uint256 rollupId, ExecutionLayerRegistry.Status newStatus, uint256 newChainId) external {
        status[rollupId] = newStatus;
        chainId[rollupId] = newChainId;
    }

    function statusOf(uint256 rollupId) external view returns (ExecutionLayerRegistry.Status) {
        return status[rollupId];
    }

    function chainIdOf(uint256 rollupId) external view returns (uint256) {
        return chainId[rollupId];
    }
}

/// @title DisputeOutcomesMock
/// @notice A DisputeGame stand-in whose per-claim outcomes tests set.
contract DisputeOutcomesMock is IDisputeOutcomes {
    IDisputeClaims public claimsSource;
    mapping(bytes32 => bool) public open;
    mapping(bytes32 => bool) public defeated;

    constructor(address claims) {
        claimsSource = IDisputeClaims(claims);
    }

    function setOpen(bytes32 claimId, bool value) external {
        open[claimId] = value;
    }

    function setDefeated(bytes32 claimId, bool value) external {
        defeated[claimId] = value;
    }

    function CLAIMS() external view returns (IDisputeClaims) {
        return claimsSource;
    }

    function hasOpenGame(bytes32 claimId) external view returns (bool) {
        return open[claimId];
    }

    function isDefeated(bytes32 claimId) external view returns (bool) {
        return defeated[claimId];
    }
}
