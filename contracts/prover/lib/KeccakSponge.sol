// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title KeccakSponge
/// @notice keccak-f[1600] in Solidity and the committed keccak sponge that absorbs one
///         136-byte block per sub-step (`docs/commitment.md`, section 6.2;
///         `commitment.keccak_f1600`, `KeccakSponge`, `keccak_in_blocks`).
/// @dev The sponge state is the 200-byte `state` (the 25 lanes, each little-endian, in
///      lane order `x + 5y`); its commitment is `keccak256(state ‖ w(absorbedBytes))`.
///      Absorbing XORs the block into the first 136 bytes of `state` byte by byte (no
///      lane conversion needed), then permutes. The permutation works on lanes as
///      64-bit integers in a scratch area above the free memory pointer (79 words:
///      state, rho-pi buffer, theta terms, round constants); nothing is allocated.
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

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        PERMUTATION                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice keccak-f[1600] on 25 lanes (`lanes[x + 5y]`, 64-bit values), in place.
    function permute(uint256[25] memory lanes) internal pure {
        /// @solidity memory-safe-assembly
        assembly {
            let scratch := mload(0x40)
            for { let i := 0 } lt(i, 0x320) { i := add(i, 0x20) } {
                mstore(add(scratch, i), mload(add(lanes, i)))
            }
            _keccakF(scratch)
            for { let i := 0 } lt(i, 0x320) { i := add(i, 0x20) } {
                mstore(add(lanes, i), mload(add(scratch, i)))
            }

            // keccak-f[1600] over the 25 lanes at a[0..0x320); scratch up to a + 0x7a0.
            function _keccakF(a) {
                let m := 0xffffffffffffffff
                mstore(add(a, 0x6e0), 0x10000000000008082800000000000808a8000000080008000)
                mstore(add(a, 0x700), 0x808b000000008000000180000000800080818000000000008009)
                mstore(add(a, 0x720), 0x8a00000000000000880000000080008009000000008000000a)
                mstore(add(a, 0x740), 0x8000808b800000000000008b80000000000080898000000000008003)
                mstore(add(a, 0x760), 0x80000000000080028000000000000080000000000000800a800000008000000a)
                mstore(add(a, 0x780), 0x8000000080008081800000000000808000000000800000018000000080008008)
                for { let round := 0 } lt(round, 24) { round := add(round, 1) } {
                // theta: column parities c[x], then d[x] = c[x-1] ^ rotl(c[x+1], 1)
                {
                    let c0 := xor(xor(xor(xor(mload(add(a, 0x0)), mload(add(a, 0xa0))), mload(add(a, 0x140))), mload(add(a, 0x1e0))), mload(add(a, 0x280)))
                    let c1 := xor(xor(xor(xor(mload(add(a, 0x20)), mload(add(a, 0xc0))), mload(add(a, 0x160))), mload(add(a, 0x200))), mload(add(a, 0x2a0)))
                    let c2 := xor(xor(xor(xor(mload(add(a, 0x40)), mload(add(a, 0xe0))), mload(add(a, 0x180))), mload(add(a, 0x220))), mload(add(a, 0x2c0)))
                    let c3 := xor(xor(xor(xor(mload(add(a, 0x60)), mload(add(a, 0x100))), mload(add(a, 0x1a0))), mload(add(a, 0x240))), mload(add(a, 0x2e0)))
                    let c4 := xor(xor(xor(xor(mload(add(a, 0x80)), mload(add(a, 0x120))), mload(add(a, 0x1c0))), mload(add(a, 0x260))), mload(add(a, 0x300)))
                    mstore(add(a, 0x640), xor(c4, and(or(shl(1, c1), shr(63, c1)), m)))
                    mstore(add(a, 0x660), xor(c0, and(or(shl(1, c2), shr(63, c2)), m)))
                    mstore(add(a, 0x680), xor(c1, and(or(shl(1, c3), shr(63, c3)), m)))
                    mstore(add(a, 0x6a0), xor(c2, and(or(shl(1, c4), shr(63, c4)), m)))
                    mstore(add(a, 0x6c0), xor(c3, and(or(shl(1, c0), shr(63, c0)), m)))
                }
                // rho and pi: b[y + 5((2x + 3y) mod 5)] = rotl(a[x + 5y] ^ d[x], r[x + 5y])
                mstore(add(a, 0x320), xor(mload(add(a, 0x0)), mload(add(a, 0x640))))
                { let v := xor(mload(add(a, 0x20)), mload(add(a, 0x660))) mstore(add(a, 0x460), or(and(shl(1, v), m), shr(63, v))) }
                { let v := xor(mload(add(a, 0x40)), mload(add(a, 0x680))) mstore(add(a, 0x5a0), or(and(shl(62, v), m), shr(2, v))) }
                { let v := xor(mload(add(a, 0x60)), mload(add(a, 0x6a0))) mstore(add(a, 0x3c0), or(and(shl(28, v), m), shr(36, v))) }
                { let v := xor(mload(add(a, 0x80)), mload(add(a, 0x6c0))) mstore(add(a, 0x500), or(and(shl(27, v), m), shr(37, v))) }
                { let v := xor(mload(add(a, 0xa0)), mload(add(a, 0x640))) mstore(add(a, 0x520), or(and(shl(36, v), m), shr(28, v))) }
                { let v := xor(mload(add(a, 0xc0)), mload(add(a, 0x660))) mstore(add(a, 0x340), or(and(shl(44, v), m), shr(20, v))) }
                { let v := xor(mload(add(a, 0xe0)), mload(add(a, 0x680))) mstore(add(a, 0x480), or(and(shl(6, v), m), shr(58, v))) }
                { let v := xor(mload(add(a, 0x100)), mload(add(a, 0x6a0))) mstore(add(a, 0x5c0), or(and(shl(55, v), m), shr(9, v))) }
                { let v := xor(mload(add(a, 0x120)), mload(add(a, 0x6c0))) mstore(add(a, 0x3e0), or(and(shl(20, v), m), shr(44, v))) }
                { let v := xor(mload(add(a, 0x140)), mload(add(a, 0x640))) mstore(add(a, 0x400), or(and(shl(3, v), m), shr(61, v))) }
                { let v := xor(mload(add(a, 0x160)), mload(add(a, 0x660))) mstore(add(a, 0x540), or(and(shl(10, v), m), shr(54, v))) }
                { let v := xor(mload(add(a, 0x180)), mload(add(a, 0x680))) mstore(add(a, 0x360), or(and(shl(43, v), m), shr(21, v))) }
                { let v := xor(mload(add(a, 0x1a0)), mload(add(a, 0x6a0))) mstore(add(a, 0x4a0), or(and(shl(25, v), m), shr(39, v))) }
                { let v := xor(mload(add(a, 0x1c0)), mload(add(a, 0x6c0))) mstore(add(a, 0x5e0), or(and(shl(39, v), m), shr(25, v))) }
                { let v := xor(mload(add(a, 0x1e0)), mload(add(a, 0x640))) mstore(add(a, 0x600), or(and(shl(41, v), m), shr(23, v))) }
                { let v := xor(mload(add(a, 0x200)), mload(add(a, 0x660))) mstore(add(a, 0x420), or(and(shl(45, v), m), shr(19, v))) }
                { let v := xor(mload(add(a, 0x220)), mload(add(a, 0x680))) mstore(add(a, 0x560), or(and(shl(15, v), m), shr(49, v))) }
                { let v := xor(mload(add(a, 0x240)), mload(add(a, 0x6a0))) mstore(add(a, 0x380), or(and(shl(21, v), m), shr(43, v))) }
                { let v := xor(mload(add(a, 0x260)), mload(add(a, 0x6c0))) mstore(add(a, 0x4c0), or(and(shl(8, v), m), shr(56, v))) }
                { let v := xor(mload(add(a, 0x280)), mload(add(a, 0x640))) mstore(add(a, 0x4e0), or(and(shl(18, v), m), shr(46, v))) }
                { let v := xor(mload(add(a, 0x2a0)), mload(add(a, 0x660))) mstore(add(a, 0x620), or(and(shl(2, v), m), shr(62, v))) }
                { let v := xor(mload(add(a, 0x2c0)), mload(add(a, 0x680))) mstore(add(a, 0x440), or(and(shl(61, v), m), shr(3, v))) }
                { let v := xor(mload(add(a, 0x2e0)), mload(add(a, 0x6a0))) mstore(add(a, 0x580), or(and(shl(56, v), m), shr(8, v))) }
                { let v := xor(mload(add(a, 0x300)), mload(add(a, 0x6c0))) mstore(add(a, 0x3a0), or(and(shl(14, v), m), shr(50, v))) }
                // chi: a[x + 5y] = b[x + 5y] ^ (~b[x + 1 + 5y] & b[x + 2 + 5y])
                {
                    let b0 := mload(add(a, 0x320))
                    let b1 := mload(add(a, 0x340))
                    let b2 := mload(add(a, 0x360))
                    let b3 := mload(add(a, 0x380))
                    let b4 := mload(add(a, 0x3a0))
                    mstore(add(a, 0x0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x20), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x40), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x60), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x80), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x3c0))
                    let b1 := mload(add(a, 0x3e0))
                    let b2 := mload(add(a, 0x400))
                    let b3 := mload(add(a, 0x420))
                    let b4 := mload(add(a, 0x440))
                    mstore(add(a, 0xa0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0xc0), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0xe0), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x100), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x120), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x460))
                    let b1 := mload(add(a, 0x480))
                    let b2 := mload(add(a, 0x4a0))
                    let b3 := mload(add(a, 0x4c0))
                    let b4 := mload(add(a, 0x4e0))
                    mstore(add(a, 0x140), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x160), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x180), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x1a0), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x1c0), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x500))
                    let b1 := mload(add(a, 0x520))
                    let b2 := mload(add(a, 0x540))
                    let b3 := mload(add(a, 0x560))
                    let b4 := mload(add(a, 0x580))
                    mstore(add(a, 0x1e0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x200), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x220), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x240), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x260), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x5a0))
                    let b1 := mload(add(a, 0x5c0))
                    let b2 := mload(add(a, 0x5e0))
                    let b3 := mload(add(a, 0x600))
                    let b4 := mload(add(a, 0x620))
                    mstore(add(a, 0x280), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x2a0), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x2c0), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x2e0), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x300), xor(b4, and(not(b0), b1)))
                }
                // iota: round constants packed four per word, round 4k in the top lane.
                let w := mload(add(a, add(0x6e0, shl(5, shr(2, round)))))
                mstore(a, xor(mload(a), and(shr(shl(6, sub(3, and(round, 3))), w), m)))
                }
            }
        }
    }

    /// @notice keccak-f[1600] on a 200-byte state (little-endian lanes), in place.
    function permuteState(bytes memory state) internal pure {
        if (state.length != STATE_BYTES) revert BadStateLength();
        /// @solidity memory-safe-assembly
        assembly {
            let scratch := mload(0x40)
            let s := add(state, 0x20)
            // Load: lane i is the 8 bytes at s + 8i, little-endian.
            for { let i := 0 } lt(i, 25) { i := add(i, 1) } {
                mstore(add(scratch, shl(5, i)), _swap64(shr(192, mload(add(s, shl(3, i))))))
            }
            _keccakF(scratch)
            // Store: four lanes per word, then the 25th lane into the last 8 bytes.
            for { let k := 0 } lt(k, 6) { k := add(k, 1) } {
                let q := add(scratch, shl(7, k))
                mstore(
                    add(s, shl(5, k)),
                    or(
                        or(shl(192, _swap64(mload(q))), shl(128, _swap64(mload(add(q, 0x20))))),
                        or(shl(64, _swap64(mload(add(q, 0x40)))), _swap64(mload(add(q, 0x60))))
                    )
                )
            }
            let last := add(s, 0xc0)
            mstore(last, or(shl(192, _swap64(mload(add(scratch, 0x300)))), shr(64, shl(64, mload(last)))))

            function _swap64(x) -> y {
                y := or(shr(8, and(x, 0xff00ff00ff00ff00)), shl(8, and(x, 0x00ff00ff00ff00ff)))
                y := or(shr(16, and(y, 0xffff0000ffff0000)), shl(16, and(y, 0x0000ffff0000ffff)))
                y := or(shr(32, y), and(shl(32, y), 0xffffffff00000000))
            }

            // keccak-f[1600] over the 25 lanes at a[0..0x320); scratch up to a + 0x7a0.
            function _keccakF(a) {
                let m := 0xffffffffffffffff
                mstore(add(a, 0x6e0), 0x10000000000008082800000000000808a8000000080008000)
                mstore(add(a, 0x700), 0x808b000000008000000180000000800080818000000000008009)
                mstore(add(a, 0x720), 0x8a00000000000000880000000080008009000000008000000a)
                mstore(add(a, 0x740), 0x8000808b800000000000008b80000000000080898000000000008003)
                mstore(add(a, 0x760), 0x80000000000080028000000000000080000000000000800a800000008000000a)
                mstore(add(a, 0x780), 0x8000000080008081800000000000808000000000800000018000000080008008)
                for { let round := 0 } lt(round, 24) { round := add(round, 1) } {
                // theta: column parities c[x], then d[x] = c[x-1] ^ rotl(c[x+1], 1)
                {
                    let c0 := xor(xor(xor(xor(mload(add(a, 0x0)), mload(add(a, 0xa0))), mload(add(a, 0x140))), mload(add(a, 0x1e0))), mload(add(a, 0x280)))
                    let c1 := xor(xor(xor(xor(mload(add(a, 0x20)), mload(add(a, 0xc0))), mload(add(a, 0x160))), mload(add(a, 0x200))), mload(add(a, 0x2a0)))
                    let c2 := xor(xor(xor(xor(mload(add(a, 0x40)), mload(add(a, 0xe0))), mload(add(a, 0x180))), mload(add(a, 0x220))), mload(add(a, 0x2c0)))
                    let c3 := xor(xor(xor(xor(mload(add(a, 0x60)), mload(add(a, 0x100))), mload(add(a, 0x1a0))), mload(add(a, 0x240))), mload(add(a, 0x2e0)))
                    let c4 := xor(xor(xor(xor(mload(add(a, 0x80)), mload(add(a, 0x120))), mload(add(a, 0x1c0))), mload(add(a, 0x260))), mload(add(a, 0x300)))
                    mstore(add(a, 0x640), xor(c4, and(or(shl(1, c1), shr(63, c1)), m)))
                    mstore(add(a, 0x660), xor(c0, and(or(shl(1, c2), shr(63, c2)), m)))
                    mstore(add(a, 0x680), xor(c1, and(or(shl(1, c3), shr(63, c3)), m)))
                    mstore(add(a, 0x6a0), xor(c2, and(or(shl(1, c4), shr(63, c4)), m)))
                    mstore(add(a, 0x6c0), xor(c3, and(or(shl(1, c0), shr(63, c0)), m)))
                }
                // rho and pi: b[y + 5((2x + 3y) mod 5)] = rotl(a[x + 5y] ^ d[x], r[x + 5y])
                mstore(add(a, 0x320), xor(mload(add(a, 0x0)), mload(add(a, 0x640))))
                { let v := xor(mload(add(a, 0x20)), mload(add(a, 0x660))) mstore(add(a, 0x460), or(and(shl(1, v), m), shr(63, v))) }
                { let v := xor(mload(add(a, 0x40)), mload(add(a, 0x680))) mstore(add(a, 0x5a0), or(and(shl(62, v), m), shr(2, v))) }
                { let v := xor(mload(add(a, 0x60)), mload(add(a, 0x6a0))) mstore(add(a, 0x3c0), or(and(shl(28, v), m), shr(36, v))) }
                { let v := xor(mload(add(a, 0x80)), mload(add(a, 0x6c0))) mstore(add(a, 0x500), or(and(shl(27, v), m), shr(37, v))) }
                { let v := xor(mload(add(a, 0xa0)), mload(add(a, 0x640))) mstore(add(a, 0x520), or(and(shl(36, v), m), shr(28, v))) }
                { let v := xor(mload(add(a, 0xc0)), mload(add(a, 0x660))) mstore(add(a, 0x340), or(and(shl(44, v), m), shr(20, v))) }
                { let v := xor(mload(add(a, 0xe0)), mload(add(a, 0x680))) mstore(add(a, 0x480), or(and(shl(6, v), m), shr(58, v))) }
                { let v := xor(mload(add(a, 0x100)), mload(add(a, 0x6a0))) mstore(add(a, 0x5c0), or(and(shl(55, v), m), shr(9, v))) }
                { let v := xor(mload(add(a, 0x120)), mload(add(a, 0x6c0))) mstore(add(a, 0x3e0), or(and(shl(20, v), m), shr(44, v))) }
                { let v := xor(mload(add(a, 0x140)), mload(add(a, 0x640))) mstore(add(a, 0x400), or(and(shl(3, v), m), shr(61, v))) }
                { let v := xor(mload(add(a, 0x160)), mload(add(a, 0x660))) mstore(add(a, 0x540), or(and(shl(10, v), m), shr(54, v))) }
                { let v := xor(mload(add(a, 0x180)), mload(add(a, 0x680))) mstore(add(a, 0x360), or(and(shl(43, v), m), shr(21, v))) }
                { let v := xor(mload(add(a, 0x1a0)), mload(add(a, 0x6a0))) mstore(add(a, 0x4a0), or(and(shl(25, v), m), shr(39, v))) }
                { let v := xor(mload(add(a, 0x1c0)), mload(add(a, 0x6c0))) mstore(add(a, 0x5e0), or(and(shl(39, v), m), shr(25, v))) }
                { let v := xor(mload(add(a, 0x1e0)), mload(add(a, 0x640))) mstore(add(a, 0x600), or(and(shl(41, v), m), shr(23, v))) }
                { let v := xor(mload(add(a, 0x200)), mload(add(a, 0x660))) mstore(add(a, 0x420), or(and(shl(45, v), m), shr(19, v))) }
                { let v := xor(mload(add(a, 0x220)), mload(add(a, 0x680))) mstore(add(a, 0x560), or(and(shl(15, v), m), shr(49, v))) }
                { let v := xor(mload(add(a, 0x240)), mload(add(a, 0x6a0))) mstore(add(a, 0x380), or(and(shl(21, v), m), shr(43, v))) }
                { let v := xor(mload(add(a, 0x260)), mload(add(a, 0x6c0))) mstore(add(a, 0x4c0), or(and(shl(8, v), m), shr(56, v))) }
                { let v := xor(mload(add(a, 0x280)), mload(add(a, 0x640))) mstore(add(a, 0x4e0), or(and(shl(18, v), m), shr(46, v))) }
                { let v := xor(mload(add(a, 0x2a0)), mload(add(a, 0x660))) mstore(add(a, 0x620), or(and(shl(2, v), m), shr(62, v))) }
                { let v := xor(mload(add(a, 0x2c0)), mload(add(a, 0x680))) mstore(add(a, 0x440), or(and(shl(61, v), m), shr(3, v))) }
                { let v := xor(mload(add(a, 0x2e0)), mload(add(a, 0x6a0))) mstore(add(a, 0x580), or(and(shl(56, v), m), shr(8, v))) }
                { let v := xor(mload(add(a, 0x300)), mload(add(a, 0x6c0))) mstore(add(a, 0x3a0), or(and(shl(14, v), m), shr(50, v))) }
                // chi: a[x + 5y] = b[x + 5y] ^ (~b[x + 1 + 5y] & b[x + 2 + 5y])
                {
                    let b0 := mload(add(a, 0x320))
                    let b1 := mload(add(a, 0x340))
                    let b2 := mload(add(a, 0x360))
                    let b3 := mload(add(a, 0x380))
                    let b4 := mload(add(a, 0x3a0))
                    mstore(add(a, 0x0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x20), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x40), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x60), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x80), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x3c0))
                    let b1 := mload(add(a, 0x3e0))
                    let b2 := mload(add(a, 0x400))
                    let b3 := mload(add(a, 0x420))
                    let b4 := mload(add(a, 0x440))
                    mstore(add(a, 0xa0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0xc0), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0xe0), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x100), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x120), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x460))
                    let b1 := mload(add(a, 0x480))
                    let b2 := mload(add(a, 0x4a0))
                    let b3 := mload(add(a, 0x4c0))
                    let b4 := mload(add(a, 0x4e0))
                    mstore(add(a, 0x140), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x160), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x180), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x1a0), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x1c0), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x500))
                    let b1 := mload(add(a, 0x520))
                    let b2 := mload(add(a, 0x540))
                    let b3 := mload(add(a, 0x560))
                    let b4 := mload(add(a, 0x580))
                    mstore(add(a, 0x1e0), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x200), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x220), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x240), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x260), xor(b4, and(not(b0), b1)))
                }
                {
                    let b0 := mload(add(a, 0x5a0))
                    let b1 := mload(add(a, 0x5c0))
                    let b2 := mload(add(a, 0x5e0))
                    let b3 := mload(add(a, 0x600))
                    let b4 := mload(add(a, 0x620))
                    mstore(add(a, 0x280), xor(b0, and(not(b1), b2)))
                    mstore(add(a, 0x2a0), xor(b1, and(not(b2), b3)))
                    mstore(add(a, 0x2c0), xor(b2, and(not(b3), b4)))
                    mstore(add(a, 0x2e0), xor(b3, and(not(b4), b0)))
                    mstore(add(a, 0x300), xor(b4, and(not(b0), b1)))
                }
                // iota: round constants packed four per word, round 4k in the top lane.
                let w := mload(add(a, add(0x6e0, shl(5, shr(2, round)))))
                mstore(a, xor(mload(a), and(shr(shl(6, sub(3, and(round, 3))), w), m)))
                }
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
