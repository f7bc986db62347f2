// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Bits
/// @notice Bit-length helpers shared by the prover libraries (Cancun has no CLZ opcode).
library Bits {
    /// @notice floor(log2(x)) for x > 0; 0 for x = 0.
    /// @dev Binary search over halves of the word: 8 comparisons, branch-free.
    function log2(uint256 x) internal pure returns (uint256 r) {
        /// @solidity memory-safe-assembly
        assembly {
            r := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            r := or(r, shl(6, lt(0xffffffffffffffff, shr(r, x))))
            r := or(r, shl(5, lt(0xffffffff, shr(r, x))))
            r := or(r, shl(4, lt(0xffff, shr(r, x))))
            r := or(r, shl(3, lt(0xff, shr(r, x))))
            r := or(r, shl(2, lt(0xf, shr(r, x))))
            r := or(r, shl(1, lt(0x3, shr(r, x))))
            r := or(r, lt(0x1, shr(r, x)))
        }
    }

    /// @notice The number of bits needed to write x (0 for x = 0).
    function bitLength(uint256 x) internal pure returns (uint256) {
        return x == 0 ? 0 : log2(x) + 1;
    }
}
