// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepVerifier} from "../../../contracts/dispute/IStepVerifier.sol";

/// @title NaryBisectionBench
/// @notice Benchmark-only k-ary version of DisputeGame's alternating bisection (one
///         level, no clocks, bonds or access control), to measure gas and moves against
///         k. The mover claims the states at the k-1 points that split the segment into
///         k equal parts; only the hash of the claims is stored, and the next mover
///         re-supplies them. The answer is an index `choice`: the answerer agrees with
///         the claims before `choice` and disputes the claim at `choice` (choice = k-1
///         means it agrees with every claim and disputes the old upper end).
contract NaryBisectionBench {
    /// @notice Branching factor.
    uint256 public immutable K;
    /// @notice Step VM.
    IStepVerifier public immutable VM;

    uint128 public lo;
    uint128 public hi;
    uint32 public moves;
    bool public midPending;
    bytes32 public loHash;
    bytes32 public hiHash;
    bytes32 public claimsHash;

    error BadClaims();
    error BadChoice();
    error NotAtOneStep();

    constructor(uint256 k, IStepVerifier stepVm) {
        K = k;
        VM = stepVm;
    }

    /// @notice Number of claims a mover posts on a segment of `length` steps.
    function claimCount(uint256 length) public view returns (uint256) {
        return (length < K ? length : K) - 1;
    }

    /// @notice Position of claim `index` (0-based) on [lo_, hi_].
    function position(uint256 lo_, uint256 hi_, uint256 index) public view returns (uint256) {
        uint256 parts = claimCount(hi_ - lo_) + 1;
        return lo_ + ((hi_ - lo_) * (index + 1)) / parts;
    }

    function open(bytes32 pre, bytes32 post, uint128 length, bytes32[] calldata claims) external {
        lo = 0;
        hi = length;
        loHash = pre;
        hiHash = post;
        _post(claims);
        moves = 1;
    }

    function move(bytes32[] calldata previous, uint256 choice, bytes32[] calldata claims) external {
        if (!midPending || keccak256(abi.encodePacked(previous)) != claimsHash) revert BadClaims();
        uint256 count = previous.length;
        if (choice > count) revert BadChoice();
        uint256 lo_ = lo;
        uint256 hi_ = hi;
        uint256 newLo = choice == 0 ? lo_ : position(lo_, hi_, choice - 1);
        if (choice > 0) loHash = previous[choice - 1];
        if (choice < count) {
            hiHash = previous[choice];
            hi = uint128(position(lo_, hi_, choice));
        }
        lo = uint128(newLo);
        midPending = false;
        if (hi - lo > 1) _post(claims);
        else if (claims.length != 0) revert BadClaims();
        moves += 1;
    }

    function step(bytes calldata proof) external returns (bool upperClaimHolds) {
        if (midPending || hi - lo != 1) revert NotAtOneStep();
        upperClaimHolds = VM.step(bytes32(0), 1, lo, loHash, proof) == hiHash;
        moves += 1;
    }

    function _post(bytes32[] calldata claims) internal {
        if (claims.length != claimCount(hi - lo)) revert BadClaims();
        claimsHash = keccak256(abi.encodePacked(claims));
        midPending = true;
    }
}
