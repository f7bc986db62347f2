"""Minimal RLP encoder/decoder (bytes and nested lists of bytes).

Integers are encoded by callers as minimal big-endian bytes (:func:`encode_uint`).
The decoder is strict (canonical lengths, no leading zeros in length prefixes, single
bytes < 0x80 not wrapped) because transaction decoding depends on it.
"""

from __future__ import annotations

from typing import TypeAlias

RLPItem: TypeAlias = bytes | list["RLPItem"]


class RLPDecodingError(ValueError):
    """Malformed or non-canonical RLP."""


def encode_uint(value: int) -> bytes:
    """Minimal big-endian bytes of a non-negative integer (0 -> b'')."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    length_bytes = encode_uint(length)
    return bytes([offset + 55 + len(length_bytes)]) + length_bytes


def list_prefix(payload_length: int) -> bytes:
    """The RLP header of a list whose items encode to ``payload_length`` bytes."""
    return _length_prefix(payload_length, 0xC0)


def list_payload(encoded_list: bytes) -> bytes:
    """The items' bytes of an already validated RLP list encoding (header stripped)."""
    prefix = encoded_list[0]
    if prefix < 0xC0:
        raise RLPDecodingError("not an RLP list")
    start = 1 if prefix < 0xF8 else 1 + prefix - 0xF7
    return encoded_list[start:]


def encode(item: object) -> bytes:
    """RLP-encode bytes / bytearray / int / nested lists and tuples of those."""
    if isinstance(item, (bytes, bytearray)):
        if len(item) == 1 and item[0] < 0x80:
            return bytes(item)
        return _length_prefix(len(item), 0x80) + bytes(item)
    if isinstance(item, int):
        return encode(encode_uint(item))
    if isinstance(item, (list, tuple)):
        payload = b"".join(encode(x) for x in item)
        return _length_prefix(len(payload), 0xC0) + payload
    raise TypeError(f"cannot RLP-encode {type(item).__name__}")


def _decode_at(data: bytes, pos: int) -> tuple[RLPItem, int]:
    if pos >= len(data):
        raise RLPDecodingError("unexpected end of data")
    prefix = data[pos]
    if prefix < 0x80:
        return data[pos : pos + 1], pos + 1
    if prefix < 0xB8:
        length = prefix - 0x80
        start = pos + 1
        end = start + length
        if end > len(data):
            raise RLPDecodingError("string runs past the end")
        if length == 1 and data[start] < 0x80:
            raise RLPDecodingError("single byte below 0x80 must not be prefixed")
        return data[start:end], end
    if prefix < 0xC0:
        len_len = prefix - 0xB7
        length = _read_length(data, pos + 1, len_len)
        start = pos + 1 + len_len
        end = start + length
        if end > len(data):
            raise RLPDecodingError("string runs past the end")
        return data[start:end], end
    if prefix < 0xF8:
        length = prefix - 0xC0
        start = pos + 1
    else:
        len_len = prefix - 0xF7
        length = _read_length(data, pos + 1, len_len)
        start = pos + 1 + len_len
    end = start + length
    if end > len(data):
        raise RLPDecodingError("list runs past the end")
    items: list[RLPItem] = []
    cursor = start
    while cursor < end:
        item, cursor = _decode_at(data, cursor)
        items.append(item)
    if cursor != end:
        raise RLPDecodingError("list payload length mismatch")
    return items, end


def _read_length(data: bytes, pos: int, len_len: int) -> int:
    raw = data[pos : pos + len_len]
    if len(raw) != len_len:
        raise RLPDecodingError("length prefix runs past the end")
    if raw[0] == 0:
        raise RLPDecodingError("length prefix has leading zeros")
    length = int.from_bytes(raw, "big")
    if length < 56:
        raise RLPDecodingError("long form used for a short payload")
    return length


def decode(data: bytes) -> RLPItem:
    """Decode exactly one RLP item spanning all of ``data``."""
    item, end = _decode_at(bytes(data), 0)
    if end != len(data):
        raise RLPDecodingError("trailing bytes after RLP item")
    return item
