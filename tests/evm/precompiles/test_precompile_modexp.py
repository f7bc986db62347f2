"""0x05 MODEXP (EIP-198 semantics, EIP-2565 pricing)."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.evm.precompiles import call_precompile
from agents.evm.precompiles.modexp import iteration_count, multiplication_complexity

GAS = 10**8
SECP256K1_P = 2**256 - 2**32 - 977


def _input(base: bytes, exp: bytes, mod: bytes) -> bytes:
    header = b"".join(len(x).to_bytes(32, "big") for x in (base, exp, mod))
    return header + base + exp + mod


def _reference_gas(base_len: int, exp_len: int, mod_len: int, exp_head: int) -> int:
    """EIP-2565 written out independently from the module under test."""
    words = -(-max(base_len, mod_len) // 8)
    if exp_len <= 32 and exp_head == 0:
        it = 0
    elif exp_len <= 32:
        it = exp_head.bit_length() - 1
    else:
        it = 8 * (exp_len - 32) + max(exp_head.bit_length() - 1, 0)
    return max(200, words * words * max(it, 1) // 3)


def test_eip198_example_fermat() -> None:
    # 3 ** (p - 1) % p == 1 for the secp256k1 field prime.
    data = _input(b"\x03", (SECP256K1_P - 1).to_bytes(32, "big"), SECP256K1_P.to_bytes(32, "big"))
    assert call_precompile(5, data, GAS) == (True, 1360, (1).to_bytes(32, "big"))


def test_eip198_example_zero_base() -> None:
    # Base length 0: base reads as 0, and 0 ** (p - 2) % p == 0.
    data = _input(b"", (SECP256K1_P - 2).to_bytes(32, "big"), SECP256K1_P.to_bytes(32, "big"))
    assert call_precompile(5, data, GAS) == (True, 1360, bytes(32))


def test_eip198_example_truncated_input_is_zero_padded() -> None:
    # Declares 32/32/32 but the modulus is cut short: missing bytes are zeros on the right.
    data = (
        (1).to_bytes(32, "big")
        + (32).to_bytes(32, "big")
        + (32).to_bytes(32, "big")
        + b"\x03"
        + (SECP256K1_P - 1).to_bytes(32, "big")
        + SECP256K1_P.to_bytes(32, "big")[:10]
    )
    modulus = int.from_bytes(SECP256K1_P.to_bytes(32, "big")[:10] + bytes(22), "big")
    expected = pow(3, SECP256K1_P - 1, modulus).to_bytes(32, "big")
    assert call_precompile(5, data, GAS) == (True, 1360, expected)


def test_empty_input() -> None:
    assert call_precompile(5, b"", GAS) == (True, 200, b"")


def test_zero_modulus_gives_zeros() -> None:
    data = _input(b"\x07", b"\x05", bytes(5))
    assert call_precompile(5, data, GAS) == (True, 200, bytes(5))


def test_modulus_one_and_zero_exponent() -> None:
    assert call_precompile(5, _input(b"\x07", b"\x05", b"\x01"), GAS)[2] == b"\x00"
    assert call_precompile(5, _input(b"\x07", b"", b"\x00\x0a"), GAS)[2] == b"\x00\x01"
    assert call_precompile(5, _input(b"", b"", b"\x0a"), GAS)[2] == b"\x01"  # 0 ** 0 == 1
    assert call_precompile(5, _input(b"\x00", b"\x00" * 40, b"\x0a"), GAS)[2] == b"\x01"


def test_output_is_left_padded_to_modulus_length() -> None:
    out = call_precompile(5, _input(b"\x02", b"\x03", b"\x00\x00\x00\x64"), GAS)[2]
    assert out == (8).to_bytes(4, "big")


@pytest.mark.parametrize(
    ("base_len", "exp_len", "mod_len", "exp_head", "expected"),
    [
        (1, 32, 32, SECP256K1_P - 1, 1360),  # 4 words -> 16 * 255 // 3
        (64, 1, 64, 3, 200),  # 64 * 1 // 3 = 21, below the minimum
        (256, 1, 256, 3, 341),  # 1024 * 1 // 3
        (32, 64, 32, 1, 1365),  # 16 * (8 * 32 + 0) // 3
        (32, 33, 32, 0, 200),  # 16 * 8 // 3 = 42
        (512, 2, 512, 0x0101, 10922),  # 4096 * 8 // 3
        (0, 0, 0, 0, 200),
    ],
)
def test_gas_formula(
    base_len: int, exp_len: int, mod_len: int, exp_head: int, expected: int
) -> None:
    assert _reference_gas(base_len, exp_len, mod_len, exp_head) == expected
    exp = exp_head.to_bytes(min(exp_len, 32), "big") + bytes(max(exp_len - 32, 0))
    data = _input(b"\x02" * base_len, exp, b"\x03" * mod_len)
    ok, used, _ = call_precompile(5, data, GAS)
    assert (ok, used) == (True, expected)


def test_helpers() -> None:
    assert multiplication_complexity(0, 0) == 0
    assert multiplication_complexity(1, 0) == 1
    assert multiplication_complexity(8, 9) == 4
    assert iteration_count(0, 0) == 1
    assert iteration_count(32, 0) == 1
    assert iteration_count(32, 1) == 1
    assert iteration_count(32, 2**255) == 255
    assert iteration_count(33, 0) == 8
    assert iteration_count(40, 2**8) == 64 + 8


@pytest.mark.parametrize(
    "lengths",
    [
        (2**256 - 1, 1, 1),
        (1, 2**256 - 1, 1),
        (1, 1, 2**256 - 1),
        (2**32, 2**32, 2**32),
        (0, 2**255, 1),
    ],
)
def test_huge_declared_lengths_fail_cheaply(lengths: tuple[int, int, int]) -> None:
    data = b"".join(x.to_bytes(32, "big") for x in lengths) + b"\xff" * 64
    start = time.monotonic()
    assert call_precompile(5, data, 30_000_000) == (False, 30_000_000, b"")
    assert time.monotonic() - start < 1.0


def test_huge_exponent_with_empty_base_and_modulus_is_cheap() -> None:
    # mult_complexity is 0, so the price is the 200 minimum whatever the exponent length,
    # and the output is empty: the exponent must never be materialised.
    data = (0).to_bytes(32, "big") + (2**255).to_bytes(32, "big") + (0).to_bytes(32, "big")
    start = time.monotonic()
    assert call_precompile(5, data + b"\xff" * 64, 1000) == (True, 200, b"")
    assert time.monotonic() - start < 1.0


def test_huge_exponent_with_zero_modulus_length() -> None:
    # base_len 1, mod_len 0: priced by the exponent, output empty.
    data = (1).to_bytes(32, "big") + (2**20).to_bytes(32, "big") + (0).to_bytes(32, "big")
    cost = _reference_gas(1, 2**20, 0, 0)
    assert call_precompile(5, data + b"\x02", cost) == (True, cost, b"")


def test_out_of_gas() -> None:
    data = _input(b"\x03", (SECP256K1_P - 1).to_bytes(32, "big"), SECP256K1_P.to_bytes(32, "big"))
    assert call_precompile(5, data, 1359) == (False, 1359, b"")


@settings(max_examples=300, deadline=None)
@given(
    base=st.binary(max_size=48),
    exp=st.binary(max_size=40),
    mod=st.binary(max_size=48),
)
def test_matches_python_pow(base: bytes, exp: bytes, mod: bytes) -> None:
    ok, used, out = call_precompile(5, _input(base, exp, mod), GAS)
    assert ok
    m = int.from_bytes(mod, "big")
    b = int.from_bytes(base, "big")
    e = int.from_bytes(exp, "big")
    expected = pow(b, e, m) if m else 0
    assert out == expected.to_bytes(len(mod), "big")
    assert used == _reference_gas(len(base), len(exp), len(mod), int.from_bytes(exp[:32], "big"))
