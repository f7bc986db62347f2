"""0x0a POINT_EVALUATION (EIP-4844)."""

import hashlib
import random

import ckzg
import pytest

from agents.evm.precompiles import call_precompile
from agents.evm.precompiles.point_evaluation import (
    BLS_MODULUS,
    FIELD_ELEMENTS_PER_BLOB,
    RETURN_VALUE,
    kzg_to_versioned_hash,
    trusted_setup,
)

GAS = 10**6
POINT_AT_INFINITY = b"\xc0" + bytes(47)


def _input(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> bytes:
    return kzg_to_versioned_hash(commitment) + z + y + commitment + proof


@pytest.fixture(scope="module")
def blob_case() -> tuple[bytes, bytes, bytes, bytes]:
    """(commitment, z, y, proof) for a random blob, computed with ckzg."""
    rng = random.Random(4844)
    blob = b"".join(
        rng.randrange(BLS_MODULUS).to_bytes(32, "big") for _ in range(FIELD_ELEMENTS_PER_BLOB)
    )
    settings = trusted_setup()
    commitment = ckzg.blob_to_kzg_commitment(blob, settings)
    z = rng.randrange(BLS_MODULUS).to_bytes(32, "big")
    proof, y = ckzg.compute_kzg_proof(blob, z, settings)
    return commitment, z, y, proof


def test_return_value() -> None:
    assert FIELD_ELEMENTS_PER_BLOB == 4096
    assert BLS_MODULUS == 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
    assert RETURN_VALUE == bytes.fromhex(
        "0000000000000000000000000000000000000000000000000000000000001000"
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
    )


def test_versioned_hash() -> None:
    commitment = bytes(range(48))
    expected = b"\x01" + hashlib.sha256(commitment).digest()[1:]
    assert kzg_to_versioned_hash(commitment) == expected


def test_zero_polynomial_known_answer() -> None:
    # The zero polynomial: commitment and proof are the G1 point at infinity, y = 0 anywhere.
    data = _input(POINT_AT_INFINITY, bytes(32), bytes(32), POINT_AT_INFINITY)
    assert call_precompile(10, data, GAS) == (True, 50000, RETURN_VALUE)
    z = (12345).to_bytes(32, "big")
    assert call_precompile(10, _input(POINT_AT_INFINITY, z, bytes(32), POINT_AT_INFINITY), GAS)[0]
    one = (1).to_bytes(32, "big")
    assert call_precompile(10, _input(POINT_AT_INFINITY, z, one, POINT_AT_INFINITY), GAS) == (
        False,
        GAS,
        b"",
    )


def test_valid_proof(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    commitment, z, y, proof = blob_case
    assert call_precompile(10, _input(commitment, z, y, proof), GAS) == (
        True,
        50000,
        RETURN_VALUE,
    )


def test_wrong_evaluation_fails(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    commitment, z, y, proof = blob_case
    wrong_y = ((int.from_bytes(y, "big") + 1) % BLS_MODULUS).to_bytes(32, "big")
    assert call_precompile(10, _input(commitment, z, wrong_y, proof), GAS) == (False, GAS, b"")
    wrong_z = ((int.from_bytes(z, "big") + 1) % BLS_MODULUS).to_bytes(32, "big")
    assert call_precompile(10, _input(commitment, wrong_z, y, proof), GAS) == (False, GAS, b"")


def test_proof_of_another_polynomial_fails(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    commitment, z, y, _ = blob_case
    data = _input(commitment, z, y, POINT_AT_INFINITY)
    assert call_precompile(10, data, GAS) == (False, GAS, b"")


def test_versioned_hash_mismatch_fails(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    commitment, z, y, proof = blob_case
    good = _input(commitment, z, y, proof)
    wrong_version = b"\x02" + good[1:]
    assert call_precompile(10, wrong_version, GAS) == (False, GAS, b"")
    wrong_digest = good[:31] + bytes([good[31] ^ 1]) + good[32:]
    assert call_precompile(10, wrong_digest, GAS) == (False, GAS, b"")


def test_field_elements_out_of_range_fail() -> None:
    modulus = BLS_MODULUS.to_bytes(32, "big")
    zero = bytes(32)
    for z, y in ((modulus, zero), (zero, modulus), (b"\xff" * 32, zero)):
        data = _input(POINT_AT_INFINITY, z, y, POINT_AT_INFINITY)
        assert call_precompile(10, data, GAS) == (False, GAS, b"")


def test_invalid_points_fail(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    commitment, z, y, proof = blob_case
    not_a_point = b"\x80" + b"\x11" * 47
    assert call_precompile(10, _input(not_a_point, z, y, proof), GAS) == (False, GAS, b"")
    assert call_precompile(10, _input(commitment, z, y, not_a_point), GAS) == (False, GAS, b"")
    uncompressed_flag = bytes(48)  # compression bit clear
    data = _input(uncompressed_flag, bytes(32), bytes(32), POINT_AT_INFINITY)
    assert call_precompile(10, data, GAS) == (False, GAS, b"")


@pytest.mark.parametrize("delta", [-1, 1, -192])
def test_wrong_length_fails(blob_case: tuple[bytes, bytes, bytes, bytes], delta: int) -> None:
    good = _input(*blob_case)
    data = good[:delta] if delta < 0 else good + bytes(delta)
    assert call_precompile(10, data, GAS) == (False, GAS, b"")


def test_gas(blob_case: tuple[bytes, bytes, bytes, bytes]) -> None:
    data = _input(*blob_case)
    assert call_precompile(10, data, 49999) == (False, 49999, b"")
    assert call_precompile(10, data, 50000) == (True, 50000, RETURN_VALUE)


def test_trusted_setup_is_loaded_once() -> None:
    assert trusted_setup() is trusted_setup()


def test_trusted_setup_is_the_mainnet_ceremony_output() -> None:
    from agents.evm.precompiles.point_evaluation import trusted_setup_path

    lines = trusted_setup_path().read_text().split()
    assert lines[:2] == ["4096", "65"]
    # [tau]_2 of the Ethereum KZG ceremony (consensus-specs mainnet preset): the G2
    # monomial points follow the 4096 Lagrange G1 points; the first is the generator.
    assert lines[2 + 4096 + 1] == (
        "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d"
        "2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e2"
        "3926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"
    )
    assert lines[2 + 4096].startswith("93e02b6052719f607dacd3a088274f65")  # G2 generator
