// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TxRootsMerkle} from "../../../contracts/dispute/lib/TxRootsMerkle.sol";

/// @title AlphabetTrace
/// @notice Test-side model of an AlphabetVM execution: a pack of `txCount` transactions of
///         2^stepDepth steps each, starting from value `startValue` at counter 0. A trace
///         with `lieFrom < type(uint256).max` adds one to every value from global step
///         `lieFrom` on (a consistent liar); `lieTo` ends the lie (states after it are
///         true again).
library AlphabetTrace {
    struct Trace {
        uint256 txCount;
        uint256 stepDepth;
        uint256 startValue;
        uint256 lieFrom;
        uint256 lieTo;
    }

    function honest(uint256 txCount, uint256 stepDepth, uint256 startValue) internal pure returns (Trace memory t) {
        t = Trace(txCount, stepDepth, startValue, type(uint256).max, type(uint256).max);
    }

    function liar(uint256 txCount, uint256 stepDepth, uint256 startValue, uint256 lieFrom)
        internal
        pure
        returns (Trace memory t)
    {
        t = Trace(txCount, stepDepth, startValue, lieFrom, type(uint256).max);
    }

    function valueAt(Trace memory t, uint256 globalStep) internal pure returns (uint256) {
        unchecked {
            uint256 value = t.startValue + globalStep;
            if (globalStep >= t.lieFrom && globalStep < t.lieTo) value += 1;
            return value;
        }
    }

    function stateAt(Trace memory t, uint256 globalStep) internal pure returns (bytes32) {
        return keccak256(abi.encode(globalStep, valueAt(t, globalStep)));
    }

    /// @notice r_i (i = 0 is the pre-state).
    function txRoot(Trace memory t, uint256 txIndex) internal pure returns (bytes32) {
        return stateAt(t, txIndex << t.stepDepth);
    }

    /// @notice State at step `stepIndex` of transaction `txIndex` (1-based).
    function stepState(Trace memory t, uint256 txIndex, uint256 stepIndex) internal pure returns (bytes32) {
        return stateAt(t, ((txIndex - 1) << t.stepDepth) + stepIndex);
    }

    /// @notice Proof for the step from `stepIndex` of transaction `txIndex`.
    function stepProof(Trace memory t, uint256 txIndex, uint256 stepIndex) internal pure returns (bytes memory) {
        uint256 globalStep = ((txIndex - 1) << t.stepDepth) + stepIndex;
        return abi.encode(globalStep, valueAt(t, globalStep));
    }

    function roots(Trace memory t) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](t.txCount);
        for (uint256 i; i < t.txCount; ++i) {
            out[i] = txRoot(t, i + 1);
        }
    }

    function commitment(Trace memory t) internal pure returns (bytes32) {
        return TxRootsMerkle.commit(roots(t));
    }

    /// @notice TxRootsMerkle proof of r_`txIndex` (1-based).
    function rootProof(Trace memory t, uint256 txIndex) internal pure returns (bytes32[] memory siblings) {
        bytes32[] memory leaves = roots(t);
        uint256 depth = TxRootsMerkle.depth(leaves.length);
        uint256 width = uint256(1) << depth;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) {
            layer[i] = TxRootsMerkle.leafHash(leaves[i]);
        }
        siblings = new bytes32[](depth);
        uint256 position = txIndex - 1;
        for (uint256 level; level < depth; ++level) {
            siblings[level] = layer[position ^ 1];
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = TxRootsMerkle.nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
            position >>= 1;
        }
    }
}
