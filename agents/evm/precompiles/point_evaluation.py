"""0x0a POINT_EVALUATION: KZG point-evaluation proof check (EIP-4844), 50000 gas.

Input is exactly 192 bytes: ``versioned_hash (32) || z (32) || y (32) ||
commitment (48) || proof (48)``. The call fails unless the versioned hash is
``0x01 || sha256(commitment)[1:]`` and the proof shows that the polynomial
committed to evaluates to ``y`` at ``z`` (both big-endian, below the BLS modulus).
On success it returns ``FIELD_ELEMENTS_PER_BLOB`` and ``BLS_MODULUS`` as two
32-byte words.

Proofs are checked with ``ckzg`` against the mainnet trusted setup, read once, on
first use, from the copy that eth-account (a project dependency) ships; py-evm's
identical copy is the fallback.
"""

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import ckzg

from agents.evm.precompiles import gas
from agents.evm.precompiles.common import PrecompileError

INPUT_LENGTH = 192
VERSIONED_HASH_VERSION_KZG = 0x01
FIELD_ELEMENTS_PER_BLOB = 4096
BLS_MODULUS = 52435875175126190479447740508185965837690552500527637822603658699938581184513

RETURN_VALUE = FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")

# (package, file) pairs shipping the mainnet KZG ceremony output, in order of preference.
TRUSTED_SETUP_SOURCES = (
    ("eth_account.typed_transactions.blob_transactions", "kzg_trusted_setup.txt"),
    ("eth._utils", "kzg_trusted_setup.txt"),
)


def trusted_setup_path() -> Traversable:
    """The first trusted-setup file found among :data:`TRUSTED_SETUP_SOURCES`."""
    for package, name in TRUSTED_SETUP_SOURCES:
        try:
            candidate = resources.files(package).joinpath(name)
        except ModuleNotFoundError:
            continue
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("no package ships the KZG trusted setup (install eth-account)")


@cache
def trusted_setup() -> Any:
    """The ckzg settings for the mainnet trusted setup (loaded once, lazily)."""
    with resources.as_file(trusted_setup_path()) as path:
        return ckzg.load_trusted_setup(str(path), 0)


def kzg_to_versioned_hash(commitment: bytes) -> bytes:
    """``0x01 || sha256(commitment)[1:]``."""
    return bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:]


def gas_cost(data: bytes) -> int:
    """A flat 50000 gas."""
    return gas.POINT_EVALUATION


def execute(data: bytes) -> bytes:
    """``RETURN_VALUE`` if the proof verifies; otherwise the call fails."""
    if len(data) != INPUT_LENGTH:
        raise PrecompileError("point evaluation input must be exactly 192 bytes")
    versioned_hash = data[0:32]
    z = data[32:64]
    y = data[64:96]
    commitment = data[96:144]
    proof = data[144:192]
    if kzg_to_versioned_hash(commitment) != versioned_hash:
        raise PrecompileError("versioned hash does not match the commitment")
    try:
        valid = ckzg.verify_kzg_proof(commitment, z, y, proof, trusted_setup())
    except (RuntimeError, ValueError, TypeError) as exc:  # malformed field element or point
        raise PrecompileError("invalid point evaluation input") from exc
    if not valid:
        raise PrecompileError("KZG proof does not verify")
    return RETURN_VALUE
