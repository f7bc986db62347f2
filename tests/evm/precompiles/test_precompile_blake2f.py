"""0x09 BLAKE2F (EIP-152)."""

import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.evm.precompiles import call_precompile
from agents.evm.precompiles.blake2f import IV, compress

GAS = 10**6

# EIP-152 test vectors 4-7 share h, m ("abc"), t = 3; they differ in rounds and f.
H_ABC = bytes.fromhex(
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
    "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
)
M_ABC = b"abc" + bytes(125)
T_ABC = bytes.fromhex("03000000000000000000000000000000")


def vector(rounds: int, final: int) -> bytes:
    return rounds.to_bytes(4, "big") + H_ABC + M_ABC + T_ABC + bytes([final])


def test_eip152_vector_4_zero_rounds() -> None:
    # With no rounds, F returns h ^ h ^ v[8:16]: the IV with t folded into word 4 and
    # word 6 inverted for the final block.
    expected_words = list(IV)
    expected_words[4] ^= 3
    expected_words[6] ^= 0xFFFFFFFFFFFFFFFF
    expected = struct.pack("<8Q", *expected_words)
    assert expected.hex() == (
        "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
        "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b"
    )
    assert call_precompile(9, vector(0, 1), GAS) == (True, 0, expected)


def test_eip152_vector_5_is_blake2b_of_abc() -> None:
    expected = hashlib.blake2b(b"abc").digest()
    assert expected.hex().startswith("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6f")
    assert call_precompile(9, vector(12, 1), GAS) == (True, 12, expected)


def test_eip152_vector_6_not_final() -> None:
    expected = bytes.fromhex(
        "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
        "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735"
    )
    assert call_precompile(9, vector(12, 0), GAS) == (True, 12, expected)


def test_eip152_vector_7_one_round() -> None:
    expected = bytes.fromhex(
        "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fb"
        "a551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421"
    )
    assert call_precompile(9, vector(1, 1), GAS) == (True, 1, expected)


def test_eip152_vector_8_is_priced_not_run() -> None:
    # 0xffffffff rounds cost 4294967295 gas: with less, it fails without computing.
    assert call_precompile(9, vector(0xFFFFFFFF, 1), 30_000_000) == (False, 30_000_000, b"")


@pytest.mark.parametrize("length", [0, 1, 212, 214, 300])
def test_eip152_vectors_0_to_2_wrong_length_fails(length: int) -> None:
    data = (vector(12, 1) + bytes(100))[:length]
    assert call_precompile(9, data, GAS) == (False, GAS, b"")


@pytest.mark.parametrize("flag", [2, 0x80, 0xFF])
def test_eip152_vector_3_bad_final_flag_fails(flag: int) -> None:
    assert call_precompile(9, vector(12, flag), GAS) == (False, GAS, b"")


def test_gas_is_rounds() -> None:
    assert call_precompile(9, vector(12, 1), 11) == (False, 11, b"")
    assert call_precompile(9, vector(1000, 1), GAS)[:2] == (True, 1000)


def test_compress_matches_precompile_output() -> None:
    h = struct.unpack("<8Q", H_ABC)
    m = struct.unpack("<16Q", M_ABC)
    words = compress(12, h, m, (3, 0), True)
    assert struct.pack("<8Q", *words) == call_precompile(9, vector(12, 1), GAS)[2]


def _blake2b_with_f(message: bytes, digest_size: int) -> bytes:
    """Full unkeyed BLAKE2b built from the precompile, to compare with hashlib."""
    param = 0x01010000 | digest_size
    h = IV[0] ^ param
    state = struct.pack("<8Q", h, *IV[1:])
    blocks = [message[i : i + 128] for i in range(0, max(len(message), 1), 128)] or [b""]
    counter = 0
    for index, block in enumerate(blocks):
        counter += len(block)
        final = index == len(blocks) - 1
        data = (
            (12).to_bytes(4, "big")
            + state
            + block.ljust(128, b"\x00")
            + struct.pack("<2Q", counter & 0xFFFFFFFFFFFFFFFF, counter >> 64)
            + bytes([final])
        )
        ok, used, state = call_precompile(9, data, GAS)
        assert (ok, used) == (True, 12)
    return state[:digest_size]


@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=600), digest_size=st.integers(min_value=1, max_value=64))
def test_chained_f_equals_hashlib_blake2b(message: bytes, digest_size: int) -> None:
    expected = hashlib.blake2b(message, digest_size=digest_size).digest()
    assert _blake2b_with_f(message, digest_size) == expected
