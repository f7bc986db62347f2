"""EIP-4844 blobs: packing pack data into blobs, KZG commitments, versioned hashes, and
the network form of a signed type-3 transaction.

A blob is 4096 field elements of 32 bytes; each element must be below the BLS12-381
scalar modulus, so this module stores 31 data bytes per element behind a zero byte
(126,976 data bytes per blob). :func:`encode_blobs` prefixes the data with its length
(8 bytes, big-endian) so :func:`decode_blobs` can strip the padding.

The KZG trusted setup (the one eth-account ships) takes seconds to load, so it is loaded
once per process (:func:`trusted_setup`). eth-account's own ``blobs=`` signing path
reloads it for every commitment and proof; :func:`sign_blob_transaction` instead signs
the canonical transaction with eth-account and wraps it with blobs, commitments and
proofs computed here into the network form ``0x03 || rlp([tx, blobs, commitments,
proofs])`` that ``eth_sendRawTransaction`` takes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import ckzg
import rlp
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.base import TRUSTED_SETUP

FIELD_ELEMENTS_PER_BLOB = 4096
BYTES_PER_FIELD_ELEMENT = 32
BLOB_SIZE = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT
#: Data bytes stored per field element (the top byte stays zero).
USABLE_BYTES_PER_ELEMENT = 31
USABLE_BYTES_PER_BLOB = FIELD_ELEMENTS_PER_BLOB * USABLE_BYTES_PER_ELEMENT
#: Bytes of the length prefix :func:`encode_blobs` writes.
LENGTH_PREFIX = 8
#: Cancun's limit on blobs per transaction (and per block).
MAX_BLOBS_PER_TX = 6
VERSIONED_HASH_VERSION_KZG = 0x01
#: Gas of one blob (EIP-4844 ``GAS_PER_BLOB``).
GAS_PER_BLOB = 1 << 17


class BlobError(ValueError):
    """Data that does not fit, or blobs that are not well formed."""


@cache
def trusted_setup() -> object:
    """The KZG trusted setup, loaded once per process."""
    return ckzg.load_trusted_setup(TRUSTED_SETUP, 0)


def blobs_needed(size: int) -> int:
    """Number of blobs :func:`encode_blobs` uses for ``size`` data bytes."""
    total = LENGTH_PREFIX + size
    return max(1, -(-total // USABLE_BYTES_PER_BLOB))


def encode_blobs(data: bytes, max_blobs: int = MAX_BLOBS_PER_TX) -> list[bytes]:
    """Pack ``data`` (length-prefixed) into as few blobs as it needs."""
    count = blobs_needed(len(data))
    if count > max_blobs:
        raise BlobError(
            f"{len(data)} bytes need {count} blobs; at most {max_blobs} fit in one transaction"
        )
    payload = len(data).to_bytes(LENGTH_PREFIX, "big") + data
    payload += bytes(count * USABLE_BYTES_PER_BLOB - len(payload))
    blobs = []
    for b in range(count):
        chunk = payload[b * USABLE_BYTES_PER_BLOB : (b + 1) * USABLE_BYTES_PER_BLOB]
        elements = bytearray(BLOB_SIZE)
        for i in range(FIELD_ELEMENTS_PER_BLOB):
            start = i * BYTES_PER_FIELD_ELEMENT + 1
            elements[start : start + USABLE_BYTES_PER_ELEMENT] = chunk[
                i * USABLE_BYTES_PER_ELEMENT : (i + 1) * USABLE_BYTES_PER_ELEMENT
            ]
        blobs.append(bytes(elements))
    return blobs


def decode_blobs(blobs: list[bytes]) -> bytes:
    """The data :func:`encode_blobs` packed into ``blobs``."""
    if not blobs:
        raise BlobError("no blobs")
    payload = bytearray()
    for blob in blobs:
        if len(blob) != BLOB_SIZE:
            raise BlobError(f"a blob is {BLOB_SIZE} bytes, not {len(blob)}")
        for i in range(FIELD_ELEMENTS_PER_BLOB):
            element = blob[i * BYTES_PER_FIELD_ELEMENT : (i + 1) * BYTES_PER_FIELD_ELEMENT]
            if element[0] != 0:
                raise BlobError(f"field element {i} does not start with a zero byte")
            payload += element[1:]
    size = int.from_bytes(payload[:LENGTH_PREFIX], "big")
    if size > len(payload) - LENGTH_PREFIX:
        raise BlobError(f"length prefix {size} exceeds the blobs' capacity")
    return bytes(payload[LENGTH_PREFIX : LENGTH_PREFIX + size])


def commitment(blob: bytes) -> bytes:
    """The blob's KZG commitment (48 bytes)."""
    return bytes(ckzg.blob_to_kzg_commitment(blob, trusted_setup()))


def proof(blob: bytes, kzg_commitment: bytes) -> bytes:
    """The blob's KZG proof (48 bytes) for the network form."""
    return bytes(ckzg.compute_blob_kzg_proof(blob, kzg_commitment, trusted_setup()))


def versioned_hash(kzg_commitment: bytes) -> bytes:
    """EIP-4844 versioned hash: 0x01 || sha256(commitment)[1:]."""
    return bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(kzg_commitment).digest()[1:]


@dataclass(frozen=True)
class BlobSidecar:
    """Blobs with their commitments, proofs and versioned hashes."""

    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]
    versioned_hashes: tuple[bytes, ...]

    @classmethod
    def build(cls, blobs: list[bytes]) -> BlobSidecar:
        if not 1 <= len(blobs) <= MAX_BLOBS_PER_TX:
            raise BlobError(f"a transaction carries 1..{MAX_BLOBS_PER_TX} blobs, not {len(blobs)}")
        commitments = [commitment(blob) for blob in blobs]
        return cls(
            blobs=tuple(blobs),
            commitments=tuple(commitments),
            proofs=tuple(proof(b, c) for b, c in zip(blobs, commitments, strict=True)),
            versioned_hashes=tuple(versioned_hash(c) for c in commitments),
        )

    @classmethod
    def for_data(cls, data: bytes) -> BlobSidecar:
        """The sidecar carrying ``data`` (see :func:`encode_blobs`)."""
        return cls.build(encode_blobs(data))


def sign_blob_transaction(tx: dict[str, Any], sidecar: BlobSidecar, sender: LocalAccount) -> bytes:
    """Sign type-3 ``tx`` (its ``blobVersionedHashes`` are set from ``sidecar``) and return
    the network form ``0x03 || rlp([signed tx fields, blobs, commitments, proofs])``."""
    unsigned = dict(tx)
    unsigned["type"] = 3
    unsigned["blobVersionedHashes"] = [h for h in sidecar.versioned_hashes]
    signed = sender.sign_transaction(unsigned)
    raw = bytes(signed.raw_transaction)
    if raw[0] != 3:
        raise BlobError(f"expected a type-3 transaction, got type {raw[0]}")
    body = rlp.decode(raw[1:])
    wrapper = [body, list(sidecar.blobs), list(sidecar.commitments), list(sidecar.proofs)]
    return b"\x03" + rlp.encode(wrapper)
