// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeClaims, DisputedClaim} from "../../../contracts/dispute/IDisputeClaims.sol";
import {ISequencerRegistry} from "../../../contracts/interfaces/ISequencerRegistry.sol";

/// @title ClaimBoardMock
/// @notice A claim source for tests: anyone posts a claim naming itself as defender.
///         Used by the forge tests and deployed on anvil by tests/dispute (and by users'
///         own hypothesis tests through agents/dispute/testing.py).
contract ClaimBoardMock is IDisputeClaims {
    mapping(bytes32 => DisputedClaim) internal _claims;

    /// @notice A claim was posted.
    event ClaimPosted(bytes32 indexed claimId, address indexed defender);

    /// @notice The claim id is taken.
    error ClaimExists(bytes32 claimId);

    /// @notice Post a claim defended by the caller.
    function postClaim(
        bytes32 claimId,
        bytes32 preStateRoot,
        bytes32 txRootsCommitment,
        uint64 txCount,
        uint64 challengeDeadline,
        bytes32 traceContext
    ) external {
        if (_claims[claimId].defender != address(0)) revert ClaimExists(claimId);
        _claims[claimId] = DisputedClaim({
            defender: msg.sender,
            preStateRoot: preStateRoot,
            txRootsCommitment: txRootsCommitment,
            txCount: txCount,
            challengeDeadline: challengeDeadline,
            traceContext: traceContext
        });
        emit ClaimPosted(claimId, msg.sender);
    }

    /// @inheritdoc IDisputeClaims
    function disputedClaim(bytes32 claimId) external view returns (DisputedClaim memory) {
        return _claims[claimId];
    }
}

/// @title SlashRegistryMock
/// @notice An ETH-only stake registry for tests: `stake` adds to an operator, `slash`
///         (by the configured slasher) pays up to the stake to the recipient.
contract SlashRegistryMock is ISequencerRegistry {
    mapping(address => uint256) public stakeOf;
    address public slasher;
    bool public refuse;
    address[] internal _operators;

    /// @notice The caller may not slash.
    error NotSlasher(address caller);
    /// @notice Slashing is switched off (to test a refusing registry).
    error SlashRefused();

    /// @notice `slasher` may slash.
    function setSlasher(address newSlasher) external {
        slasher = newSlasher;
    }

    /// @notice Make `slash` revert (true) or work (false).
    function setRefuse(bool value) external {
        refuse = value;
    }

    /// @notice Add `msg.value` to `operator`'s stake.
    function stake(address operator) external payable {
        if (stakeOf[operator] == 0) _operators.push(operator);
        stakeOf[operator] += msg.value;
    }

    function operatorCount() external view returns (uint256) {
        return _operators.length;
    }

    function operatorAt(uint256 index) external view returns (address) {
        return _operators[index];
    }

    function isActiveOperator(address operator) external view returns (bool) {
        return stakeOf[operator] > 0;
    }

    function activeStake(address operator, address token) external view returns (uint256) {
        return token == address(0) ? stakeOf[operator] : 0;
    }

    function slash(address operator, address token, uint256 amount, address recipient)
        external
        returns (uint256 slashed)
    {
        if (refuse) revert SlashRefused();
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        if (token != address(0)) return 0;
        slashed = amount < stakeOf[operator] ? amount : stakeOf[operator];
        stakeOf[operator] -= slashed;
        (bool sent,) = recipient.call{value: slashed}("");
        require(sent, "SlashRegistryMock: send failed");
    }
}
