"""0x06 ECADD, 0x07 ECMUL and 0x08 pairing check on BN254 (EIP-196/197/1108)."""

import random
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as ref
from py_ecc.fields import optimized_bn128_FQ2 as FQ2

from agents.evm.precompiles import call_precompile
from agents.evm.precompiles.bn254 import CURVE_ORDER, FIELD_MODULUS

GAS = 10**7
P = FIELD_MODULUS
G1_GEN = (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
ZERO_G1 = bytes(64)
ZERO_G2 = bytes(128)
ONE = (1).to_bytes(32, "big")
ZERO = bytes(32)


def g1(k: int) -> bytes:
    """Encoding of k * G1, computed with py_ecc."""
    pt = ref.normalize(ref.multiply(ref.G1, k))
    if k % CURVE_ORDER == 0:
        return ZERO_G1
    return int(pt[0]).to_bytes(32, "big") + int(pt[1]).to_bytes(32, "big")


def g2_encode(pt: Any) -> bytes:
    if ref.is_inf(pt):
        return ZERO_G2
    x, y = cast(tuple[FQ2, FQ2], ref.normalize(pt))
    return b"".join(
        int(c).to_bytes(32, "big") for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0])
    )


def g2(k: int) -> bytes:
    return g2_encode(ref.multiply(ref.G2, k))


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


# --- ECADD ---------------------------------------------------------------------------


def test_add_generator_doubling_known_answer() -> None:
    expected = bytes.fromhex(
        "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
        "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
    )
    assert call_precompile(6, G1_GEN + G1_GEN, GAS) == (True, 150, expected)
    assert g1(2) == expected


def test_add_identity_and_inverse() -> None:
    assert call_precompile(6, b"", GAS) == (True, 150, ZERO_G1)
    assert call_precompile(6, G1_GEN, GAS) == (True, 150, G1_GEN)  # second point padded to O
    assert call_precompile(6, ZERO_G1 + G1_GEN, GAS)[2] == G1_GEN
    neg = word(1) + word(P - 2)
    assert call_precompile(6, G1_GEN + neg, GAS) == (True, 150, ZERO_G1)


def test_add_ignores_trailing_bytes() -> None:
    assert call_precompile(6, G1_GEN + G1_GEN + b"\xff" * 50, GAS)[2] == g1(2)


@pytest.mark.parametrize(
    "bad",
    [
        word(1) + word(3),  # not on the curve
        word(P + 1) + word(2),  # x >= p (congruent to the generator)
        word(1) + word(P + 2),  # y >= p
        word(0) + word(1),  # not infinity, not on the curve
        word(P) + word(0),  # p encodes "zero" but is out of range
    ],
)
def test_add_invalid_point_fails(bad: bytes) -> None:
    assert call_precompile(6, bad + G1_GEN, GAS) == (False, GAS, b"")
    assert call_precompile(6, G1_GEN + bad, GAS) == (False, GAS, b"")


def test_add_out_of_gas() -> None:
    assert call_precompile(6, G1_GEN + G1_GEN, 149) == (False, 149, b"")


@settings(max_examples=40, deadline=None)
@given(
    a=st.integers(min_value=0, max_value=CURVE_ORDER - 1),
    b=st.integers(min_value=0, max_value=CURVE_ORDER - 1),
)
def test_add_is_commutative_and_matches_py_ecc(a: int, b: int) -> None:
    pa, pb = g1(a), g1(b)
    ab = call_precompile(6, pa + pb, GAS)
    ba = call_precompile(6, pb + pa, GAS)
    assert ab == ba
    assert ab[2] == g1(a + b)


# --- ECMUL ---------------------------------------------------------------------------


def test_mul_known_answers() -> None:
    assert call_precompile(7, G1_GEN + word(2), GAS) == (True, 6000, g1(2))
    assert call_precompile(7, G1_GEN + word(1), GAS)[2] == G1_GEN
    assert call_precompile(7, G1_GEN + word(0), GAS)[2] == ZERO_G1
    assert call_precompile(7, G1_GEN + word(CURVE_ORDER), GAS)[2] == ZERO_G1
    assert call_precompile(7, G1_GEN + word(CURVE_ORDER + 5), GAS)[2] == g1(5)
    assert call_precompile(7, ZERO_G1 + word(12345), GAS)[2] == ZERO_G1
    assert call_precompile(7, b"", GAS) == (True, 6000, ZERO_G1)


def test_mul_full_256_bit_scalar() -> None:
    k = 2**256 - 1
    assert call_precompile(7, G1_GEN + word(k), GAS)[2] == g1(k)


def test_mul_short_scalar_is_right_padded() -> None:
    # One scalar byte 0x02 reads as 0x02 << 248.
    assert call_precompile(7, G1_GEN + b"\x02", GAS)[2] == g1(2 << 248)


def test_mul_invalid_point_fails() -> None:
    assert call_precompile(7, word(1) + word(3) + word(0), GAS) == (False, GAS, b"")
    assert call_precompile(7, word(P + 1) + word(2) + word(1), GAS) == (False, GAS, b"")


def test_mul_out_of_gas() -> None:
    assert call_precompile(7, G1_GEN + word(2), 5999) == (False, 5999, b"")


@settings(max_examples=25, deadline=None)
@given(
    a=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
    k=st.integers(min_value=0, max_value=2**256 - 1),
)
def test_mul_matches_py_ecc(a: int, k: int) -> None:
    assert call_precompile(7, g1(a) + word(k), GAS)[2] == g1(a * k)


# --- pairing -------------------------------------------------------------------------


def _sqrt_fq2(a: FQ2) -> FQ2 | None:
    """A square root in FQ2 (p = 3 mod 4), or None."""
    for candidate in _sqrt_candidates(a):
        if candidate * candidate == a:
            return candidate
    return None


def _sqrt_candidates(a: FQ2) -> list[FQ2]:
    a1 = a ** ((P - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    if alpha == FQ2([P - 1, 0]):
        return [FQ2([0, 1]) * x0]
    b = (FQ2.one() + alpha) ** ((P - 1) // 2)
    return [b * x0]


def _twist_point_outside_subgroup() -> bytes:
    rng = random.Random(1108)
    while True:
        x = FQ2([rng.randrange(P), rng.randrange(P)])
        y = _sqrt_fq2(x**3 + ref.b2)
        if y is None:
            continue
        pt = (x, y, FQ2.one())
        assert ref.is_on_curve(pt, ref.b2)
        if not ref.is_inf(ref.multiply(pt, CURVE_ORDER)):
            return g2_encode(pt)


def test_pairing_empty_input_is_true() -> None:
    assert call_precompile(8, b"", GAS) == (True, 45000, ONE)


def test_pairing_single_pair_of_generators_is_false() -> None:
    assert call_precompile(8, G1_GEN + g2(1), GAS) == (True, 79000, ZERO)


def test_pairing_bilinearity() -> None:
    # e(a*G1, b*G2) * e(-(a*b)*G1, G2) == 1
    a, b = 6, 7
    data = g1(a) + g2(b) + g1(-a * b % CURVE_ORDER) + g2(1)
    assert call_precompile(8, data, GAS) == (True, 45000 + 2 * 34000, ONE)
    wrong = g1(a) + g2(b) + g1(-a * b % CURVE_ORDER + 1) + g2(1)
    assert call_precompile(8, wrong, GAS) == (True, 113000, ZERO)


def test_pairing_with_infinity_points() -> None:
    assert call_precompile(8, ZERO_G1 + g2(1), GAS)[2] == ONE
    assert call_precompile(8, G1_GEN + ZERO_G2, GAS)[2] == ONE
    assert call_precompile(8, ZERO_G1 + ZERO_G2 + G1_GEN + g2(1), GAS)[2] == ZERO
    data = ZERO_G1 + ZERO_G2 + G1_GEN + g2(2) + g1(CURVE_ORDER - 2) + g2(1)
    assert call_precompile(8, data, GAS) == (True, 45000 + 3 * 34000, ONE)


@pytest.mark.parametrize("length", [1, 64, 191, 193, 383])
def test_pairing_length_not_multiple_of_192_fails(length: int) -> None:
    data = (G1_GEN + g2(1)) * 2
    assert call_precompile(8, data[:length], GAS) == (False, GAS, b"")


def test_pairing_invalid_g1_fails() -> None:
    bad = word(1) + word(3)
    assert call_precompile(8, bad + g2(1), GAS) == (False, GAS, b"")
    assert call_precompile(8, word(P + 1) + word(2) + g2(1), GAS) == (False, GAS, b"")


def test_pairing_g2_coordinate_not_reduced_fails() -> None:
    enc = bytearray(g2(1))
    x_imag = int.from_bytes(enc[0:32], "big")
    enc[0:32] = word(x_imag + P) if x_imag + P < 2**256 else enc[0:32]
    assert x_imag + P < 2**256
    assert call_precompile(8, G1_GEN + bytes(enc), GAS) == (False, GAS, b"")


def test_pairing_g2_not_on_curve_fails() -> None:
    enc = bytearray(g2(1))
    enc[127] ^= 1
    assert call_precompile(8, G1_GEN + bytes(enc), GAS) == (False, GAS, b"")


def test_pairing_g2_swapped_coordinates_fail() -> None:
    # Real/imaginary order matters: swapping them leaves the twist curve.
    enc = g2(1)
    swapped = enc[32:64] + enc[0:32] + enc[96:128] + enc[64:96]
    assert call_precompile(8, G1_GEN + swapped, GAS) == (False, GAS, b"")


def test_pairing_g2_outside_subgroup_fails() -> None:
    outside = _twist_point_outside_subgroup()
    assert call_precompile(8, G1_GEN + outside, GAS) == (False, GAS, b"")
    # Even paired with the point at infinity, which would otherwise contribute 1.
    assert call_precompile(8, ZERO_G1 + outside, GAS) == (False, GAS, b"")


def test_pairing_gas() -> None:
    data = G1_GEN + g2(1)
    assert call_precompile(8, data, 78999) == (False, 78999, b"")
    assert call_precompile(8, data, 79000)[:2] == (True, 79000)
    # Gas is charged before the length check: an odd length with too little gas fails too.
    assert call_precompile(8, data + b"\x00", 44999) == (False, 44999, b"")


def test_pairing_generator_g2_encoding_known_answer() -> None:
    # EIP-197 generator of G2, as encoded (imaginary part first).
    expected = bytes.fromhex(
        "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
        "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
        "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
        "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
    )
    assert g2(1) == expected


@settings(max_examples=4, deadline=None)
@given(
    a=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
    b=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
)
def test_pairing_bilinearity_property(a: int, b: int) -> None:
    data = g1(a) + g2(b) + g1(b) + g2(CURVE_ORDER - a)
    assert call_precompile(8, data, GAS)[2] == ONE


def test_split_final_exponentiation_matches_py_ecc() -> None:
    from agents.evm.precompiles.bn254_pairing import final_exponentiation

    for k in (1, 2, 12345):
        f = ref.pairing(ref.multiply(ref.G2, k), ref.G1, final_exponentiate=False)
        assert final_exponentiation(f) == ref.final_exponentiate(f)
