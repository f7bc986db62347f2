"""0x01 ECRECOVER."""

import pytest
import sha3
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.evm.precompiles import call_precompile
from agents.evm.precompiles.ecrecover import SECP256K1_N

GAS = 3000


def _input(msg_hash: bytes, v: int, r: int, s: int) -> bytes:
    return msg_hash + v.to_bytes(32, "big") + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
HASH = sha3.keccak_256(b"altrollup").digest()


def _signature(key: bytes = KEY, msg_hash: bytes = HASH) -> tuple[int, int, int]:
    signed = Account.unsafe_sign_hash(msg_hash, key)
    return signed.v, signed.r, signed.s


def test_recovers_the_signer() -> None:
    v, r, s = _signature()
    ok, used, out = call_precompile(1, _input(HASH, v, r, s), GAS)
    assert (ok, used) == (True, 3000)
    assert out == _address_word(Account.from_key(KEY).address)


def test_published_vector() -> None:
    # The go-ethereum / ethereum-tests ecrecover vector.
    data = bytes.fromhex(
        "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
        "000000000000000000000000000000000000000000000000000000000000001c"
        "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
        "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
    )
    assert call_precompile(1, data, GAS) == (
        True,
        3000,
        _address_word("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"),
    )


def test_high_s_is_accepted() -> None:
    # The precompile has no low-s rule (that is a transaction-level rule).
    v, r, s = _signature()
    flipped = _input(HASH, 55 - v, r, SECP256K1_N - s)
    assert call_precompile(1, flipped, GAS)[2] == _address_word(Account.from_key(KEY).address)


@pytest.mark.parametrize("bad", ["v0", "v1", "v26", "v29", "vhigh", "r0", "s0", "rn", "sn", "rmax"])
def test_invalid_signature_values_give_empty_success(bad: str) -> None:
    v, r, s = _signature()
    if bad.startswith("v"):
        v = {"v0": 0, "v1": 1, "v26": 26, "v29": 29, "vhigh": (1 << 255) + 27}[bad]
    elif bad == "r0":
        r = 0
    elif bad == "s0":
        s = 0
    elif bad == "rn":
        r = SECP256K1_N
    elif bad == "sn":
        s = SECP256K1_N
    else:
        r = 2**256 - 1
    assert call_precompile(1, _input(HASH, v, r, s), GAS) == (True, 3000, b"")


def test_unrecoverable_point_gives_empty_success() -> None:
    # x = 5 is not the x-coordinate of any secp256k1 point (5^3 + 7 = 132 is a non-residue).
    assert call_precompile(1, _input(HASH, 27, 5, 1), GAS) == (True, 3000, b"")


def test_short_input_is_zero_padded_and_extra_ignored() -> None:
    v, r, s = _signature()
    full = _input(HASH, v, r, s)
    expected = call_precompile(1, full, GAS)
    assert call_precompile(1, full + b"\xff" * 40, GAS) == expected
    assert call_precompile(1, b"", GAS) == (True, 3000, b"")
    if s & 0xFF == 0:  # trailing zero byte: truncating it changes nothing
        assert call_precompile(1, full[:-1], GAS) == expected
    else:
        assert call_precompile(1, full[:-1], GAS)[2] != expected[2]


def test_out_of_gas() -> None:
    v, r, s = _signature()
    assert call_precompile(1, _input(HASH, v, r, s), 2999) == (False, 2999, b"")


@settings(max_examples=60, deadline=None)
@given(
    key=st.integers(min_value=1, max_value=SECP256K1_N - 1),
    msg_hash=st.binary(min_size=32, max_size=32),
)
def test_any_eth_account_signature_recovers_its_signer(key: int, msg_hash: bytes) -> None:
    key_bytes = key.to_bytes(32, "big")
    v, r, s = _signature(key_bytes, msg_hash)
    out = call_precompile(1, _input(msg_hash, v, r, s), GAS)[2]
    assert out == _address_word(Account.from_key(key_bytes).address)
