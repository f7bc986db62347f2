"""0x09 BLAKE2F: the BLAKE2b compression function F (EIP-152), 1 gas per round.

Input is exactly 213 bytes: ``rounds`` (4 bytes, big-endian), the state ``h``
(8 little-endian 64-bit words), the message block ``m`` (16 words), the offset
counter ``t`` (2 words) and the final-block flag ``f`` (one byte, 0 or 1). Any
other length or flag fails the call. Output: the new state ``h``, 64 bytes.
"""

import struct

from agents.evm.precompiles import gas
from agents.evm.precompiles.common import PrecompileError

INPUT_LENGTH = 213

_MASK = 0xFFFFFFFFFFFFFFFF

IV = (
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)

SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)


def compress(
    rounds: int, h: tuple[int, ...], m: tuple[int, ...], t: tuple[int, int], final: bool
) -> tuple[int, ...]:
    """BLAKE2b F (RFC 7693 section 3.2) with a caller-chosen number of rounds.

    The round is written out in full on local variables (the mixing function G on
    the four columns, then the four diagonals): several times faster in CPython
    than indexing a list, which matters since a call may ask for millions of rounds.
    """
    # The message words in the order each of the ten schedules reads them.
    schedules = [tuple(m[i] for i in sigma) for sigma in SIGMA]
    v0, v1, v2, v3, v4, v5, v6, v7 = h
    v8, v9, v10, v11, v12, v13, v14, v15 = IV
    v12 ^= t[0]
    v13 ^= t[1]
    if final:
        v14 ^= _MASK
    for round_index in range(rounds):
        (w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15) = schedules[
            round_index % 10
        ]
        # G on column (v0, v4, v8, v12), message words w0, w1
        v0 = (v0 + v4 + w0) & _MASK
        x = v12 ^ v0
        v12 = ((x >> 32) | (x << 32)) & _MASK
        v8 = (v8 + v12) & _MASK
        x = v4 ^ v8
        v4 = ((x >> 24) | (x << 40)) & _MASK
        v0 = (v0 + v4 + w1) & _MASK
        x = v12 ^ v0
        v12 = ((x >> 16) | (x << 48)) & _MASK
        v8 = (v8 + v12) & _MASK
        x = v4 ^ v8
        v4 = ((x >> 63) | (x << 1)) & _MASK
        # G on column (v1, v5, v9, v13), message words w2, w3
        v1 = (v1 + v5 + w2) & _MASK
        x = v13 ^ v1
        v13 = ((x >> 32) | (x << 32)) & _MASK
        v9 = (v9 + v13) & _MASK
        x = v5 ^ v9
        v5 = ((x >> 24) | (x << 40)) & _MASK
        v1 = (v1 + v5 + w3) & _MASK
        x = v13 ^ v1
        v13 = ((x >> 16) | (x << 48)) & _MASK
        v9 = (v9 + v13) & _MASK
        x = v5 ^ v9
        v5 = ((x >> 63) | (x << 1)) & _MASK
        # G on column (v2, v6, v10, v14), message words w4, w5
        v2 = (v2 + v6 + w4) & _MASK
        x = v14 ^ v2
        v14 = ((x >> 32) | (x << 32)) & _MASK
        v10 = (v10 + v14) & _MASK
        x = v6 ^ v10
        v6 = ((x >> 24) | (x << 40)) & _MASK
        v2 = (v2 + v6 + w5) & _MASK
        x = v14 ^ v2
        v14 = ((x >> 16) | (x << 48)) & _MASK
        v10 = (v10 + v14) & _MASK
        x = v6 ^ v10
        v6 = ((x >> 63) | (x << 1)) & _MASK
        # G on column (v3, v7, v11, v15), message words w6, w7
        v3 = (v3 + v7 + w6) & _MASK
        x = v15 ^ v3
        v15 = ((x >> 32) | (x << 32)) & _MASK
        v11 = (v11 + v15) & _MASK
        x = v7 ^ v11
        v7 = ((x >> 24) | (x << 40)) & _MASK
        v3 = (v3 + v7 + w7) & _MASK
        x = v15 ^ v3
        v15 = ((x >> 16) | (x << 48)) & _MASK
        v11 = (v11 + v15) & _MASK
        x = v7 ^ v11
        v7 = ((x >> 63) | (x << 1)) & _MASK
        # G on diagonal (v0, v5, v10, v15), message words w8, w9
        v0 = (v0 + v5 + w8) & _MASK
        x = v15 ^ v0
        v15 = ((x >> 32) | (x << 32)) & _MASK
        v10 = (v10 + v15) & _MASK
        x = v5 ^ v10
        v5 = ((x >> 24) | (x << 40)) & _MASK
        v0 = (v0 + v5 + w9) & _MASK
        x = v15 ^ v0
        v15 = ((x >> 16) | (x << 48)) & _MASK
        v10 = (v10 + v15) & _MASK
        x = v5 ^ v10
        v5 = ((x >> 63) | (x << 1)) & _MASK
        # G on diagonal (v1, v6, v11, v12), message words w10, w11
        v1 = (v1 + v6 + w10) & _MASK
        x = v12 ^ v1
        v12 = ((x >> 32) | (x << 32)) & _MASK
        v11 = (v11 + v12) & _MASK
        x = v6 ^ v11
        v6 = ((x >> 24) | (x << 40)) & _MASK
        v1 = (v1 + v6 + w11) & _MASK
        x = v12 ^ v1
        v12 = ((x >> 16) | (x << 48)) & _MASK
        v11 = (v11 + v12) & _MASK
        x = v6 ^ v11
        v6 = ((x >> 63) | (x << 1)) & _MASK
        # G on diagonal (v2, v7, v8, v13), message words w12, w13
        v2 = (v2 + v7 + w12) & _MASK
        x = v13 ^ v2
        v13 = ((x >> 32) | (x << 32)) & _MASK
        v8 = (v8 + v13) & _MASK
        x = v7 ^ v8
        v7 = ((x >> 24) | (x << 40)) & _MASK
        v2 = (v2 + v7 + w13) & _MASK
        x = v13 ^ v2
        v13 = ((x >> 16) | (x << 48)) & _MASK
        v8 = (v8 + v13) & _MASK
        x = v7 ^ v8
        v7 = ((x >> 63) | (x << 1)) & _MASK
        # G on diagonal (v3, v4, v9, v14), message words w14, w15
        v3 = (v3 + v4 + w14) & _MASK
        x = v14 ^ v3
        v14 = ((x >> 32) | (x << 32)) & _MASK
        v9 = (v9 + v14) & _MASK
        x = v4 ^ v9
        v4 = ((x >> 24) | (x << 40)) & _MASK
        v3 = (v3 + v4 + w15) & _MASK
        x = v14 ^ v3
        v14 = ((x >> 16) | (x << 48)) & _MASK
        v9 = (v9 + v14) & _MASK
        x = v4 ^ v9
        v4 = ((x >> 63) | (x << 1)) & _MASK
    v = (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15)
    return tuple(h[i] ^ v[i] ^ v[i + 8] for i in range(8))


def _parse(data: bytes) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, int], int]:
    if len(data) != INPUT_LENGTH:
        raise PrecompileError("BLAKE2F input must be exactly 213 bytes")
    rounds = int.from_bytes(data[0:4], "big")
    h = struct.unpack("<8Q", data[4:68])
    m = struct.unpack("<16Q", data[68:196])
    t0, t1 = struct.unpack("<2Q", data[196:212])
    return rounds, h, m, (t0, t1), data[212]


def gas_cost(data: bytes) -> int:
    """One gas per round; a wrong input length fails before pricing."""
    rounds = _parse(data)[0]
    return gas.BLAKE2F_PER_ROUND * rounds


def execute(data: bytes) -> bytes:
    """The compressed state as 8 little-endian 64-bit words."""
    rounds, h, m, t, flag = _parse(data)
    if flag not in (0, 1):
        raise PrecompileError("BLAKE2F final-block flag must be 0 or 1")
    return struct.pack("<8Q", *compress(rounds, h, m, t, flag == 1))
