// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title KeccakSponge
/// @notice keccak-f[1600] in Solidity and the committed keccak sponge that absorbs one
///         136-byte block per sub-step (`docs/commitment.md`, section 6.2;
///         `commitment.keccak_f1600`, `KeccakSponge`, `keccak_in_blocks`).
/// @dev The sponge state is the 200-byte `state` (the 25 lanes, each little-endian, in
///      lane order `x + 5y`); its commitment is `keccak256(state ‖ w(absorbedBytes))`.
///      Absorbing XORs the block into the first 136 bytes of `state` byte by byte (no
///      lane conversion needed), then permutes.
///
///      Gas: the permutation runs on lanes held as 64-bit integers at **fixed** memory
///      addresses `[0x80, 0x820)` (state A, row buffer B, theta terms, round constants),
///      so every lane access is a constant-address MLOAD/MSTORE. The 61 words there
///      belong to Solidity's allocations, so the wrappers save them above the free memory
///      pointer with MCOPY (Cancun) and restore them afterwards (~0.5k gas for ~20k
///      saved). Nothing is allocated. rho, pi and chi are fused per output row, and two
///      rounds are unrolled (A -> B -> A) so no lane is copied between rounds.
library KeccakSponge {
    /// @notice The rate of keccak256 in bytes.
    uint256 internal constant RATE = 136;

    /// @notice The sponge state's size in bytes.
    uint256 internal constant STATE_BYTES = 200;

    /// @notice The sponge state is not 200 bytes.
    error BadStateLength();

    /// @notice An absorbed block is not exactly 136 bytes, or a final tail is not shorter.
    error BadBlockLength();

    /// @notice The opened sponge state does not match the committed one.
    error SpongeMismatch();

    /// @dev The fixed memory region of the permutation: [0x80, 0x80 + 0x7a0).
    uint256 private constant _REGION = 0x7a0;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        PERMUTATION                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice keccak-f[1600] on 25 lanes (`lanes[x + 5y]`, 64-bit values), in place.
    function permute(uint256[25] memory lanes) internal pure {
        // Not memory-safe in the strict sense: [0x80, 0x820) is borrowed and restored.
        assembly {
            // Saved above the free memory pointer, never overlapping the region itself
            // (early in a call the pointer may lie inside it).
            let backup := mload(0x40)
            if lt(backup, add(0x80, _REGION)) { backup := add(0x80, _REGION) }
            let tmp := add(backup, _REGION)
            // `lanes` may itself lie in the borrowed region: stage it first.
            mcopy(tmp, lanes, 0x320)
            mcopy(backup, 0x80, _REGION)
            mcopy(0x80, tmp, 0x320)
        }
        _keccakF();
        assembly {
            // Saved above the free memory pointer, never overlapping the region itself
            // (early in a call the pointer may lie inside it).
            let backup := mload(0x40)
            if lt(backup, add(0x80, _REGION)) { backup := add(0x80, _REGION) }
            let tmp := add(backup, _REGION)
            mcopy(tmp, 0x80, 0x320)
            mcopy(0x80, backup, _REGION)
            mcopy(lanes, tmp, 0x320)
        }
    }

    /// @notice keccak-f[1600] on a 200-byte state (little-endian lanes), in place.
    function permuteState(bytes memory state) internal pure {
        if (state.length != STATE_BYTES) revert BadStateLength();
        // Not memory-safe in the strict sense: [0x80, 0x820) is borrowed and restored.
        assembly {
            // Saved above the free memory pointer, never overlapping the region itself
            // (early in a call the pointer may lie inside it).
            let backup := mload(0x40)
            if lt(backup, add(0x80, _REGION)) { backup := add(0x80, _REGION) }
            let tmp := add(backup, _REGION)
            mcopy(tmp, add(state, 0x20), 200)
            mcopy(backup, 0x80, _REGION)
            // Four little-endian lanes per word: byte-reverse each 64-bit lane at once.
            for { let k := 0 } lt(k, 7) { k := add(k, 1) } {
                let w := _swapLanes(mload(add(tmp, shl(5, k))))
                let dst := add(0x80, shl(7, k))
                mstore(dst, shr(192, w))
                // The seventh word holds only lane 24; its other "lanes" land in B,
                // which the permutation overwrites before reading.
                mstore(add(dst, 0x20), and(shr(128, w), 0xffffffffffffffff))
                mstore(add(dst, 0x40), and(shr(64, w), 0xffffffffffffffff))
                mstore(add(dst, 0x60), and(w, 0xffffffffffffffff))
            }

            function _swapLanes(x) -> y {
                y := or(
                    shr(8, and(x, 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00)),
                    and(shl(8, x), 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00)
                )
                y := or(
                    shr(16, and(y, 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000)),
                    and(shl(16, y), 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000)
                )
                y := or(
                    shr(32, and(y, 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000)),
                    and(shl(32, y), 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000)
                )
            }
        }
        _keccakF();
        assembly {
            // Saved above the free memory pointer, never overlapping the region itself
            // (early in a call the pointer may lie inside it).
            let backup := mload(0x40)
            if lt(backup, add(0x80, _REGION)) { backup := add(0x80, _REGION) }
            let tmp := add(backup, _REGION)
            for { let k := 0 } lt(k, 7) { k := add(k, 1) } {
                let src := add(0x80, shl(7, k))
                let w :=
                    or(
                        or(shl(192, mload(src)), shl(128, mload(add(src, 0x20)))),
                        or(shl(64, mload(add(src, 0x40))), mload(add(src, 0x60)))
                    )
                mstore(add(tmp, shl(5, k)), _swapLanes(w))
            }
            mcopy(0x80, backup, _REGION)
            mcopy(add(state, 0x20), tmp, 200)

            function _swapLanes(x) -> y {
                y := or(
                    shr(8, and(x, 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00)),
                    and(shl(8, x), 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00)
                )
                y := or(
                    shr(16, and(y, 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000)),
                    and(shl(16, y), 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000)
                )
                y := or(
                    shr(32, and(y, 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000)),
                    and(shl(32, y), 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000)
                )
            }
        }
    }

    /// @dev keccak-f[1600] over the lanes at the fixed addresses 0x80 + 32i (A); B at
    ///      0x3a0, round constants at 0x760..0x820 (theta terms d[x] stay on the stack).
    function _keccakF() private pure {
        assembly {
            let mask := 0xffffffffffffffff
            mstore(0x760, 0x10000000000008082800000000000808a8000000080008000)
            mstore(0x780, 0x808b000000008000000180000000800080818000000000008009)
            mstore(0x7a0, 0x8a00000000000000880000000080008009000000008000000a)
            mstore(0x7c0, 0x8000808b800000000000008b80000000000080898000000000008003)
            mstore(0x7e0, 0x80000000000080028000000000000080000000000000800a800000008000000a)
            mstore(0x800, 0x8000000080008081800000000000808000000000800000018000000080008008)
            // Two rounds per iteration: A -> B, then B -> A (no copying between rounds).
            // Yul functions keep the optimizer from keeping lanes alive across phases.
            for { let round := 0 } lt(round, 24) { round := add(round, 2) } {
                let d0, d1, d2, d3, d4 := thetaA(mask)
                rowsAB(mask, d0, d1, d2, d3, d4)
                iota(0x3a0, round, mask)
                d0, d1, d2, d3, d4 := thetaB(mask)
                rowsBA(mask, d0, d1, d2, d3, d4)
                iota(0x80, add(round, 1), mask)
            }

            // theta over the lanes at 0x80: d[x] = c[x-1] ^ rotl(c[x+1], 1), c = column parity
            function thetaA(m) -> d0, d1, d2, d3, d4 {
                let c0 := xor(xor(xor(xor(mload(0x80), mload(0x120)), mload(0x1c0)), mload(0x260)), mload(0x300))
                let c1 := xor(xor(xor(xor(mload(0xa0), mload(0x140)), mload(0x1e0)), mload(0x280)), mload(0x320))
                let c2 := xor(xor(xor(xor(mload(0xc0), mload(0x160)), mload(0x200)), mload(0x2a0)), mload(0x340))
                let c3 := xor(xor(xor(xor(mload(0xe0), mload(0x180)), mload(0x220)), mload(0x2c0)), mload(0x360))
                let c4 := xor(xor(xor(xor(mload(0x100), mload(0x1a0)), mload(0x240)), mload(0x2e0)), mload(0x380))
                d0 := xor(c4, and(or(shl(1, c1), shr(63, c1)), m))
                d1 := xor(c0, and(or(shl(1, c2), shr(63, c2)), m))
                d2 := xor(c1, and(or(shl(1, c3), shr(63, c3)), m))
                d3 := xor(c2, and(or(shl(1, c4), shr(63, c4)), m))
                d4 := xor(c3, and(or(shl(1, c0), shr(63, c0)), m))
            }

            // theta over the lanes at 0x3a0: d[x] = c[x-1] ^ rotl(c[x+1], 1), c = column parity
            function thetaB(m) -> d0, d1, d2, d3, d4 {
                let c0 := xor(xor(xor(xor(mload(0x3a0), mload(0x440)), mload(0x4e0)), mload(0x580)), mload(0x620))
                let c1 := xor(xor(xor(xor(mload(0x3c0), mload(0x460)), mload(0x500)), mload(0x5a0)), mload(0x640))
                let c2 := xor(xor(xor(xor(mload(0x3e0), mload(0x480)), mload(0x520)), mload(0x5c0)), mload(0x660))
                let c3 := xor(xor(xor(xor(mload(0x400), mload(0x4a0)), mload(0x540)), mload(0x5e0)), mload(0x680))
                let c4 := xor(xor(xor(xor(mload(0x420), mload(0x4c0)), mload(0x560)), mload(0x600)), mload(0x6a0))
                d0 := xor(c4, and(or(shl(1, c1), shr(63, c1)), m))
                d1 := xor(c0, and(or(shl(1, c2), shr(63, c2)), m))
                d2 := xor(c1, and(or(shl(1, c3), shr(63, c3)), m))
                d3 := xor(c2, and(or(shl(1, c4), shr(63, c4)), m))
                d4 := xor(c3, and(or(shl(1, c0), shr(63, c0)), m))
            }

            // rho and pi from 0x80 straight into one output row at a time at 0x3a0, then chi
            function rowsAB(m, d0, d1, d2, d3, d4) {
                {
                    let b0 := xor(mload(0x80), d0)
                    let b1 := xor(mload(0x140), d1)
                    b1 := or(and(shl(44, b1), m), shr(20, b1))
                    let b2 := xor(mload(0x200), d2)
                    b2 := or(and(shl(43, b2), m), shr(21, b2))
                    let b3 := xor(mload(0x2c0), d3)
                    b3 := or(and(shl(21, b3), m), shr(43, b3))
                    let b4 := xor(mload(0x380), d4)
                    b4 := or(and(shl(14, b4), m), shr(50, b4))
                    mstore(0x3a0, xor(b0, and(not(b1), b2)))
                    mstore(0x3c0, xor(b1, and(not(b2), b3)))
                    mstore(0x3e0, xor(b2, and(not(b3), b4)))
                    mstore(0x400, xor(b3, and(not(b4), b0)))
                    mstore(0x420, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0xe0), d3)
                    b0 := or(and(shl(28, b0), m), shr(36, b0))
                    let b1 := xor(mload(0x1a0), d4)
                    b1 := or(and(shl(20, b1), m), shr(44, b1))
                    let b2 := xor(mload(0x1c0), d0)
                    b2 := or(and(shl(3, b2), m), shr(61, b2))
                    let b3 := xor(mload(0x280), d1)
                    b3 := or(and(shl(45, b3), m), shr(19, b3))
                    let b4 := xor(mload(0x340), d2)
                    b4 := or(and(shl(61, b4), m), shr(3, b4))
                    mstore(0x440, xor(b0, and(not(b1), b2)))
                    mstore(0x460, xor(b1, and(not(b2), b3)))
                    mstore(0x480, xor(b2, and(not(b3), b4)))
                    mstore(0x4a0, xor(b3, and(not(b4), b0)))
                    mstore(0x4c0, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0xa0), d1)
                    b0 := or(and(shl(1, b0), m), shr(63, b0))
                    let b1 := xor(mload(0x160), d2)
                    b1 := or(and(shl(6, b1), m), shr(58, b1))
                    let b2 := xor(mload(0x220), d3)
                    b2 := or(and(shl(25, b2), m), shr(39, b2))
                    let b3 := xor(mload(0x2e0), d4)
                    b3 := or(and(shl(8, b3), m), shr(56, b3))
                    let b4 := xor(mload(0x300), d0)
                    b4 := or(and(shl(18, b4), m), shr(46, b4))
                    mstore(0x4e0, xor(b0, and(not(b1), b2)))
                    mstore(0x500, xor(b1, and(not(b2), b3)))
                    mstore(0x520, xor(b2, and(not(b3), b4)))
                    mstore(0x540, xor(b3, and(not(b4), b0)))
                    mstore(0x560, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0x100), d4)
                    b0 := or(and(shl(27, b0), m), shr(37, b0))
                    let b1 := xor(mload(0x120), d0)
                    b1 := or(and(shl(36, b1), m), shr(28, b1))
                    let b2 := xor(mload(0x1e0), d1)
                    b2 := or(and(shl(10, b2), m), shr(54, b2))
                    let b3 := xor(mload(0x2a0), d2)
                    b3 := or(and(shl(15, b3), m), shr(49, b3))
                    let b4 := xor(mload(0x360), d3)
                    b4 := or(and(shl(56, b4), m), shr(8, b4))
                    mstore(0x580, xor(b0, and(not(b1), b2)))
                    mstore(0x5a0, xor(b1, and(not(b2), b3)))
                    mstore(0x5c0, xor(b2, and(not(b3), b4)))
                    mstore(0x5e0, xor(b3, and(not(b4), b0)))
                    mstore(0x600, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0xc0), d2)
                    b0 := or(and(shl(62, b0), m), shr(2, b0))
                    let b1 := xor(mload(0x180), d3)
                    b1 := or(and(shl(55, b1), m), shr(9, b1))
                    let b2 := xor(mload(0x240), d4)
                    b2 := or(and(shl(39, b2), m), shr(25, b2))
                    let b3 := xor(mload(0x260), d0)
                    b3 := or(and(shl(41, b3), m), shr(23, b3))
                    let b4 := xor(mload(0x320), d1)
                    b4 := or(and(shl(2, b4), m), shr(62, b4))
                    mstore(0x620, xor(b0, and(not(b1), b2)))
                    mstore(0x640, xor(b1, and(not(b2), b3)))
                    mstore(0x660, xor(b2, and(not(b3), b4)))
                    mstore(0x680, xor(b3, and(not(b4), b0)))
                    mstore(0x6a0, xor(b4, and(not(b0), b1)))
                }
            }

            // rho and pi from 0x3a0 straight into one output row at a time at 0x80, then chi
            function rowsBA(m, d0, d1, d2, d3, d4) {
                {
                    let b0 := xor(mload(0x3a0), d0)
                    let b1 := xor(mload(0x460), d1)
                    b1 := or(and(shl(44, b1), m), shr(20, b1))
                    let b2 := xor(mload(0x520), d2)
                    b2 := or(and(shl(43, b2), m), shr(21, b2))
                    let b3 := xor(mload(0x5e0), d3)
                    b3 := or(and(shl(21, b3), m), shr(43, b3))
                    let b4 := xor(mload(0x6a0), d4)
                    b4 := or(and(shl(14, b4), m), shr(50, b4))
                    mstore(0x80, xor(b0, and(not(b1), b2)))
                    mstore(0xa0, xor(b1, and(not(b2), b3)))
                    mstore(0xc0, xor(b2, and(not(b3), b4)))
                    mstore(0xe0, xor(b3, and(not(b4), b0)))
                    mstore(0x100, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0x400), d3)
                    b0 := or(and(shl(28, b0), m), shr(36, b0))
                    let b1 := xor(mload(0x4c0), d4)
                    b1 := or(and(shl(20, b1), m), shr(44, b1))
                    let b2 := xor(mload(0x4e0), d0)
                    b2 := or(and(shl(3, b2), m), shr(61, b2))
                    let b3 := xor(mload(0x5a0), d1)
                    b3 := or(and(shl(45, b3), m), shr(19, b3))
                    let b4 := xor(mload(0x660), d2)
                    b4 := or(and(shl(61, b4), m), shr(3, b4))
                    mstore(0x120, xor(b0, and(not(b1), b2)))
                    mstore(0x140, xor(b1, and(not(b2), b3)))
                    mstore(0x160, xor(b2, and(not(b3), b4)))
                    mstore(0x180, xor(b3, and(not(b4), b0)))
                    mstore(0x1a0, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0x3c0), d1)
                    b0 := or(and(shl(1, b0), m), shr(63, b0))
                    let b1 := xor(mload(0x480), d2)
                    b1 := or(and(shl(6, b1), m), shr(58, b1))
                    let b2 := xor(mload(0x540), d3)
                    b2 := or(and(shl(25, b2), m), shr(39, b2))
                    let b3 := xor(mload(0x600), d4)
                    b3 := or(and(shl(8, b3), m), shr(56, b3))
                    let b4 := xor(mload(0x620), d0)
                    b4 := or(and(shl(18, b4), m), shr(46, b4))
                    mstore(0x1c0, xor(b0, and(not(b1), b2)))
                    mstore(0x1e0, xor(b1, and(not(b2), b3)))
                    mstore(0x200, xor(b2, and(not(b3), b4)))
                    mstore(0x220, xor(b3, and(not(b4), b0)))
                    mstore(0x240, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0x420), d4)
                    b0 := or(and(shl(27, b0), m), shr(37, b0))
                    let b1 := xor(mload(0x440), d0)
                    b1 := or(and(shl(36, b1), m), shr(28, b1))
                    let b2 := xor(mload(0x500), d1)
                    b2 := or(and(shl(10, b2), m), shr(54, b2))
                    let b3 := xor(mload(0x5c0), d2)
                    b3 := or(and(shl(15, b3), m), shr(49, b3))
                    let b4 := xor(mload(0x680), d3)
                    b4 := or(and(shl(56, b4), m), shr(8, b4))
                    mstore(0x260, xor(b0, and(not(b1), b2)))
                    mstore(0x280, xor(b1, and(not(b2), b3)))
                    mstore(0x2a0, xor(b2, and(not(b3), b4)))
                    mstore(0x2c0, xor(b3, and(not(b4), b0)))
                    mstore(0x2e0, xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := xor(mload(0x3e0), d2)
                    b0 := or(and(shl(62, b0), m), shr(2, b0))
                    let b1 := xor(mload(0x4a0), d3)
                    b1 := or(and(shl(55, b1), m), shr(9, b1))
                    let b2 := xor(mload(0x560), d4)
                    b2 := or(and(shl(39, b2), m), shr(25, b2))
                    let b3 := xor(mload(0x580), d0)
                    b3 := or(and(shl(41, b3), m), shr(23, b3))
                    let b4 := xor(mload(0x640), d1)
                    b4 := or(and(shl(2, b4), m), shr(62, b4))
                    mstore(0x300, xor(b0, and(not(b1), b2)))
                    mstore(0x320, xor(b1, and(not(b2), b3)))
                    mstore(0x340, xor(b2, and(not(b3), b4)))
                    mstore(0x360, xor(b3, and(not(b4), b0)))
                    mstore(0x380, xor(b4, and(not(b0), b1)))
                }
            }

            // iota: round constants packed four per word, round 4k in the top 64 bits
            function iota(lane0, rr, m) {
                let w := mload(add(0x760, shl(5, shr(2, rr))))
                mstore(lane0, xor(mload(lane0), and(shr(shl(6, sub(3, and(rr, 3))), w), m)))
            }
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           SPONGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The commitment `keccak256(state ‖ w(absorbed))` of a sponge.
    function commitment(bytes memory state, uint256 absorbed) internal pure returns (bytes32 h) {
        if (state.length != STATE_BYTES) revert BadStateLength();
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            let s := add(state, 0x20)
            for { let i := 0 } lt(i, 0xe0) { i := add(i, 0x20) } {
                mstore(add(m, i), mload(add(s, i)))
            }
            mstore(add(m, 0xc8), absorbed)
            h := keccak256(m, 0xe8)
        }
    }

    /// @notice The commitment of the all-zero sponge before any block (`S0`).
    function initialCommitment() internal pure returns (bytes32) {
        return commitment(new bytes(STATE_BYTES), 0);
    }

    /// @notice Absorb one full 136-byte `block` into `state` (in place); returns the new
    ///         absorbed byte count.
    function absorb(bytes memory state, uint256 absorbed, bytes memory block_) internal pure returns (uint256) {
        if (state.length != STATE_BYTES) revert BadStateLength();
        // INVARIANT: a sub-step absorbs exactly one rate block.
        if (block_.length != RATE) revert BadBlockLength();
        _xorBlock(state, block_);
        permuteState(state);
        return absorbed + RATE;
    }

    /// @notice Absorb the final partial block `tail` (< 136 bytes) with keccak padding
    ///         (`0x01 … 0x80`) into `state` (in place); returns the digest (the first 32
    ///         state bytes) and the absorbed byte count (`absorbed + tail.length`).
    function finish(bytes memory state, uint256 absorbed, bytes memory tail)
        internal
        pure
        returns (bytes32 digest, uint256 newAbsorbed)
    {
        if (state.length != STATE_BYTES) revert BadStateLength();
        // INVARIANT: the tail is the last, partial block.
        if (tail.length >= RATE) revert BadBlockLength();
        bytes memory padded = new bytes(RATE);
        /// @solidity memory-safe-assembly
        assembly {
            let n := mload(tail)
            let src := add(tail, 0x20)
            let dst := add(padded, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 0x20) } {
                mstore(add(dst, i), mload(add(src, i)))
            }
            // `new bytes` zeroed the buffer; clear what the word copy dragged in past the
            // tail (at most 31 bytes, inside the 160-byte allocation or just above it).
            let end := add(dst, n)
            mstore(end, 0)
            mstore8(end, 0x01)
            let lastByte := add(dst, 135)
            mstore8(lastByte, xor(byte(0, mload(lastByte)), 0x80))
        }
        _xorBlock(state, padded);
        permuteState(state);
        newAbsorbed = absorbed + tail.length;
        /// @solidity memory-safe-assembly
        assembly {
            digest := mload(add(state, 0x20))
        }
    }

    /// @notice One committed sponge sub-step: checks `state`/`absorbed` against `current`,
    ///         absorbs `block_` and returns the new commitment.
    function absorbCommitted(bytes32 current, bytes memory state, uint256 absorbed, bytes memory block_)
        internal
        pure
        returns (bytes32)
    {
        // INVARIANT: the opened state is the committed one.
        if (commitment(state, absorbed) != current) revert SpongeMismatch();
        uint256 n = absorb(state, absorbed, block_);
        return commitment(state, n);
    }

    /// @notice The last committed sponge sub-step: checks the state and returns the digest.
    function finishCommitted(bytes32 current, bytes memory state, uint256 absorbed, bytes memory tail)
        internal
        pure
        returns (bytes32 digest)
    {
        // INVARIANT: the opened state is the committed one.
        if (commitment(state, absorbed) != current) revert SpongeMismatch();
        (digest,) = finish(state, absorbed, tail);
    }

    /// @dev XOR the 136-byte `block_` into the first 136 bytes of `state`.
    function _xorBlock(bytes memory state, bytes memory block_) private pure {
        /// @solidity memory-safe-assembly
        assembly {
            let s := add(state, 0x20)
            let b := add(block_, 0x20)
            for { let i := 0 } lt(i, 0x80) { i := add(i, 0x20) } {
                mstore(add(s, i), xor(mload(add(s, i)), mload(add(b, i))))
            }
            // Bytes 128..135: only the top 8 bytes of the block's fifth word count.
            let p := add(s, 0x80)
            mstore(p, xor(mload(p), shl(192, shr(192, mload(add(b, 0x80))))))
        }
    }
}
