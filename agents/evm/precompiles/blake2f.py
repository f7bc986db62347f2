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

# (a, b, c, d) word indices of the eight G applications of one round: four columns,
# then four diagonals.
_G_INDICES = (
    (0, 4, 8, 12),
    (1, 5, 9, 13),
    (2, 6, 10, 14),
    (3, 7, 11, 15),
    (0, 5, 10, 15),
    (1, 6, 11, 12),
    (2, 7, 8, 13),
    (3, 4, 9, 14),
)


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (64 - n))) & _MASK


def compress(
    rounds: int, h: tuple[int, ...], m: tuple[int, ...], t: tuple[int, int], final: bool
) -> tuple[int, ...]:
    """BLAKE2b F (RFC 7693 section 3.2) with a caller-chosen number of rounds."""
    v = list(h) + list(IV)
    v[12] ^= t[0]
    v[13] ^= t[1]
    if final:
        v[14] ^= _MASK
    for round_index in range(rounds):
        s = SIGMA[round_index % 10]
        for i, (a, b, c, d) in enumerate(_G_INDICES):
            x = m[s[2 * i]]
            y = m[s[2 * i + 1]]
            va = (v[a] + v[b] + x) & _MASK
            vd = _rotr(v[d] ^ va, 32)
            vc = (v[c] + vd) & _MASK
            vb = _rotr(v[b] ^ vc, 24)
            va = (va + vb + y) & _MASK
            vd = _rotr(vd ^ va, 16)
            vc = (vc + vd) & _MASK
            vb = _rotr(vb ^ vc, 63)
            v[a], v[b], v[c], v[d] = va, vb, vc, vd
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
