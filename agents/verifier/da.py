"""The data-availability encoding of a pack: what a verifier puts in L1 calldata or in
EIP-4844 blobs so that anyone can rebuild, re-execute and dispute the pack's blocks.

Layout (docs/verifier.md, "DA encoding")::

    data    = MAGIC(4) = b"ALTP" || version(1) = 0x01 || codec(1) || body
    codec   = 0x00 (body stored as is) | 0x01 (zlib, RFC 1950)
    payload = RLP([first_block, last_block, [block_rlp, ...]])   # body, once decompressed

``block_rlp`` is :meth:`agents.producer.blocks.Block.encode` of every block of the pack in
order: the header fields, the per-transaction state roots and the raw signed transactions.
Carrying the full blocks makes the pack self-contained: block hashes can be recomputed
(so the chain of parent hashes is checked), and the pack's claimed per-transaction roots
are public, so a challenger can open a game at the first wrong root instead of the last
(closing the gap noted in docs/challenger.md). zlib at level 9 is deterministic for a
given input and library, so two honest verifiers produce the same bytes; verifiers still
compare *decoded blocks*, never compressed bytes, when judging calldata packs.

For blob DA the same bytes go through :func:`agents.l1.blobs.encode_blobs` (length
prefix, 31 data bytes per field element). Decoding bounds the decompressed size
(:data:`MAX_PAYLOAD_BYTES`) so a hostile pack cannot exhaust memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from agents.evm import rlp
from agents.producer.blocks import Block, BlockFormatError

MAGIC = b"ALTP"
VERSION = 1
#: Largest decompressed payload accepted when decoding (bytes).
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
ZLIB_LEVEL = 9


class Codec(IntEnum):
    """How the body is compressed."""

    RAW = 0
    ZLIB = 1


class PackDataError(ValueError):
    """Pack data that cannot be decoded, or whose blocks do not form the stated range."""


@dataclass(frozen=True)
class PackData:
    """The decoded content of a pack's DA payload."""

    first_block: int
    last_block: int
    blocks: tuple[Block, ...]

    @property
    def tx_roots(self) -> tuple[bytes, ...]:
        """The per-transaction state roots r_1 .. r_n the pack claims, in order."""
        return tuple(root for block in self.blocks for root in block.tx_state_roots)

    @property
    def tx_count(self) -> int:
        return sum(len(block.transactions) for block in self.blocks)


def encode_pack_data(blocks: Sequence[Block], codec: Codec = Codec.ZLIB) -> bytes:
    """The DA bytes of a pack holding ``blocks`` (consecutive, at least one)."""
    if not blocks:
        raise PackDataError("a pack holds at least one block")
    _check_range(blocks, blocks[0].number, blocks[-1].number)
    payload = rlp.encode([blocks[0].number, blocks[-1].number, [b.encode() for b in blocks]])
    body = zlib.compress(payload, ZLIB_LEVEL) if codec is Codec.ZLIB else payload
    return MAGIC + bytes([VERSION, int(codec)]) + body


def decode_pack_data(data: bytes) -> PackData:
    """Inverse of :func:`encode_pack_data`; raises :class:`PackDataError`."""
    if len(data) < 6 or data[:4] != MAGIC:
        raise PackDataError("not altrollup pack data (bad magic)")
    if data[4] != VERSION:
        raise PackDataError(f"unsupported pack data version {data[4]}")
    try:
        codec = Codec(data[5])
    except ValueError:
        raise PackDataError(f"unknown pack data codec {data[5]}") from None
    body = data[6:]
    if codec is Codec.ZLIB:
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(body, MAX_PAYLOAD_BYTES)
        except zlib.error as error:
            raise PackDataError(f"zlib: {error}") from None
        if inflater.unconsumed_tail:
            raise PackDataError(f"payload exceeds {MAX_PAYLOAD_BYTES} bytes")
        if not inflater.eof:
            raise PackDataError("zlib: truncated stream")
    else:
        payload = body
    try:
        item = rlp.decode(payload)
    except rlp.RLPDecodingError as error:
        raise PackDataError(f"payload rlp: {error}") from None
    if not isinstance(item, list) or len(item) != 3 or not isinstance(item[2], list):
        raise PackDataError("payload rlp: expected [first_block, last_block, [blocks]]")
    first, last, encoded = item
    if not isinstance(first, bytes) or not isinstance(last, bytes):
        raise PackDataError("payload rlp: block numbers must be integers")
    first_block = int.from_bytes(first, "big")
    last_block = int.from_bytes(last, "big")
    blocks: list[Block] = []
    for position, raw in enumerate(encoded):
        if not isinstance(raw, bytes):
            raise PackDataError(f"block {position}: expected an RLP string")
        try:
            blocks.append(Block.decode(raw))
        except BlockFormatError as error:
            raise PackDataError(f"block {position}: {error}") from None
    _check_range(blocks, first_block, last_block)
    return PackData(first_block, last_block, tuple(blocks))


def _check_range(blocks: Sequence[Block], first_block: int, last_block: int) -> None:
    if last_block < first_block:
        raise PackDataError(f"block range {first_block}..{last_block} is empty")
    if len(blocks) != last_block - first_block + 1:
        raise PackDataError(
            f"range {first_block}..{last_block} needs {last_block - first_block + 1} blocks, "
            f"got {len(blocks)}"
        )
    for offset, block in enumerate(blocks):
        if block.number != first_block + offset:
            raise PackDataError(
                f"block {offset} is number {block.number}, not {first_block + offset}"
            )
        if offset and block.parent_hash != blocks[offset - 1].hash:
            raise PackDataError(f"block {block.number} does not link to block {block.number - 1}")
