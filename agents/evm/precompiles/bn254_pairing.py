"""0x08 BN254 pairing check (EIP-197, 45000 + 34000 per pair since EIP-1108).

Input: ``k`` pairs of (G1 point, G2 point), 192 bytes each; a length that is not a
multiple of 192 fails the call. Output: 32-byte 1 if the product of the pairings
``e(P_1, Q_1) * ... * e(P_k, Q_k)`` is the identity of GT, else 0 (so empty input
gives 1). Invalid points (see :mod:`agents.evm.precompiles.bn254`) fail the call.

The Miller loops come from ``py_ecc.optimized_bn128``; their product gets a single
final exponentiation, done here with the usual split of ``(p^12 - 1) / r`` into the
cheap ``(p^6 - 1)(p^2 + 1)`` part (a conjugation, an inversion and a short power)
and the hard ``(p^4 - p^2 + 1) / r`` power.
"""

from functools import lru_cache

from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import pairing as py_ecc_pairing

from agents.evm.precompiles import gas
from agents.evm.precompiles.bn254 import (
    CURVE_ORDER,
    FIELD_MODULUS,
    decode_g1,
    decode_g2,
    g1_to_py_ecc,
)
from agents.evm.precompiles.common import PrecompileError

PAIR_SIZE = 192

_HARD_EXPONENT = (FIELD_MODULUS**4 - FIELD_MODULUS**2 + 1) // CURVE_ORDER
_P_SQUARED_PLUS_ONE = FIELD_MODULUS**2 + 1
_ONE_WORD = (1).to_bytes(32, "big")
_ZERO_WORD = bytes(32)


def gas_cost(data: bytes) -> int:
    """45000 + 34000 per (whole) 192-byte pair."""
    return gas.BN254_PAIRING_BASE + gas.BN254_PAIRING_PER_PAIR * (len(data) // PAIR_SIZE)


def _conjugate(f: FQ12) -> FQ12:
    """``f ** (p ** 6)``: in py_ecc's basis FQ[w]/(w^12 - 18 w^6 + 82) it maps w to -w."""
    return FQ12([-c if i % 2 else c for i, c in enumerate(f.coeffs)])


def final_exponentiation(f: FQ12) -> FQ12:
    """``f ** ((p^12 - 1) / r)`` for a non-zero ``f``."""
    easy = _conjugate(f) / f  # f ** (p^6 - 1)
    easy = easy**_P_SQUARED_PLUS_ONE  # then ** (p^2 + 1)
    return easy**_HARD_EXPONENT


def execute(data: bytes) -> bytes:
    """1 or 0 as a 32-byte word, after validating every point of every pair."""
    return _pairing_check(bytes(data))


@lru_cache(maxsize=128)
def _pairing_check(data: bytes) -> bytes:
    # Cached on the whole input: re-executing a transaction (fast mode, then trace mode,
    # then a dispute bisection) repeats the same pairing checks. Failures are not cached.
    if len(data) % PAIR_SIZE != 0:
        raise PrecompileError("pairing input length is not a multiple of 192")
    pairs = []
    for offset in range(0, len(data), PAIR_SIZE):
        p = decode_g1(data[offset : offset + 64])
        q = decode_g2(data[offset + 64 : offset + PAIR_SIZE])
        pairs.append((p, q))
    product = FQ12.one()
    for p, q in pairs:
        if p is None or q is None:
            continue  # e(O, Q) = e(P, O) = 1
        product = product * py_ecc_pairing(q, g1_to_py_ecc(p), final_exponentiate=False)
    if product == FQ12.one():
        return _ONE_WORD
    return _ONE_WORD if final_exponentiation(product) == FQ12.one() else _ZERO_WORD
