"""0x02 SHA256, 0x03 RIPEMD160 and 0x04 IDENTITY."""

import hashlib

import pytest
from Crypto.Hash import RIPEMD160
from hypothesis import given
from hypothesis import strategies as st

from agents.evm.precompiles import call_precompile

GAS = 10**7


def test_sha256_known_answers() -> None:
    assert call_precompile(2, b"", GAS) == (
        True,
        60,
        bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    )
    assert call_precompile(2, b"abc", GAS)[2] == bytes.fromhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_ripemd160_known_answers() -> None:
    # RIPEMD-160 reference vectors (Dobbertin, Bosselaers, Preneel), left-padded to 32 bytes.
    ok, used, out = call_precompile(3, b"", GAS)
    assert (ok, used) == (True, 600)
    assert out == bytes(12) + bytes.fromhex("9c1185a5c5e9fc54612808977ee8f548b2258d31")
    assert call_precompile(3, b"abc", GAS)[2] == bytes(12) + bytes.fromhex(
        "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    )
    assert call_precompile(3, b"message digest", GAS)[2] == bytes(12) + bytes.fromhex(
        "5d0689ef49d2fae572b881b123a85ffa21595f36"
    )


@pytest.mark.parametrize(
    ("length", "words"), [(0, 0), (1, 1), (31, 1), (32, 1), (33, 2), (64, 2), (65, 3), (1024, 32)]
)
def test_word_based_gas(length: int, words: int) -> None:
    data = b"\x5a" * length
    assert call_precompile(2, data, GAS)[1] == 60 + 12 * words
    assert call_precompile(3, data, GAS)[1] == 600 + 120 * words
    assert call_precompile(4, data, GAS)[1] == 15 + 3 * words


def test_identity_out_of_gas() -> None:
    data = bytes(33)
    assert call_precompile(4, data, 20) == (False, 20, b"")
    assert call_precompile(4, data, 21) == (True, 21, data)


@given(st.binary(max_size=2048))
def test_hashes_match_reference_implementations(data: bytes) -> None:
    assert call_precompile(2, data, GAS)[2] == hashlib.sha256(data).digest()
    assert call_precompile(3, data, GAS)[2] == bytes(12) + RIPEMD160.new(data).digest()
    assert call_precompile(4, data, GAS)[2] == data
