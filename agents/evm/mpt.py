"""Ethereum Merkle-Patricia trie roots (Yellow Paper appendix D), computed from scratch.

Only roots are needed (state root, storage roots, transactions/receipts roots), so the
trie is never stored: :func:`trie_root` sorts the keys, splits them recursively into
leaf / extension / branch nodes and hashes bottom-up. Children whose encoding is shorter
than 32 bytes are embedded in their parent, as the specification requires.
"""

from __future__ import annotations

from collections.abc import Mapping

from sha3 import keccak_256

from agents.evm.rlp import encode, encode_uint

EMPTY_TRIE_ROOT = keccak_256(b"\x80").digest()


def _str(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    if len(data) < 56:
        return bytes([0x80 + len(data)]) + data
    length = encode_uint(len(data))
    return bytes([0xB7 + len(length)]) + length + data


def _list(payload: bytes) -> bytes:
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    length = encode_uint(len(payload))
    return bytes([0xF7 + len(length)]) + length + payload


def _hex_prefix(nibbles: bytes, is_leaf: bool) -> bytes:
    flag = 2 if is_leaf else 0
    if len(nibbles) % 2:
        out = bytearray([((flag + 1) << 4) | nibbles[0]])
        rest = nibbles[1:]
    else:
        out = bytearray([flag << 4])
        rest = nibbles
    for i in range(0, len(rest), 2):
        out.append((rest[i] << 4) | rest[i + 1])
    return bytes(out)


def _ref(encoded: bytes) -> bytes:
    if len(encoded) < 32:
        return encoded
    return b"\xa0" + keccak_256(encoded).digest()


def _to_nibbles(key: bytes) -> bytes:
    out = bytearray(len(key) * 2)
    for i, b in enumerate(key):
        out[2 * i] = b >> 4
        out[2 * i + 1] = b & 0x0F
    return bytes(out)


def _encode_node(pairs: list[tuple[bytes, bytes]], depth: int) -> bytes:
    if len(pairs) == 1:
        key, value = pairs[0]
        return _list(_str(_hex_prefix(key[depth:], True)) + _str(value))
    first = pairs[0][0]
    last = pairs[-1][0]
    limit = min(len(first), len(last))
    prefix_end = depth
    while prefix_end < limit and first[prefix_end] == last[prefix_end]:
        prefix_end += 1
    if prefix_end > depth:
        child = _encode_node(pairs, prefix_end)
        return _list(_str(_hex_prefix(first[depth:prefix_end], False)) + _ref(child))
    value = b""
    groups: list[list[tuple[bytes, bytes]]] = [[] for _ in range(16)]
    for key, val in pairs:
        if len(key) == depth:
            value = val
        else:
            groups[key[depth]].append((key, val))
    payload = bytearray()
    for group in groups:
        payload += _ref(_encode_node(group, depth + 1)) if group else b"\x80"
    payload += _str(value)
    return _list(bytes(payload))


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root of the trie mapping raw keys to (already encoded, non-empty) values."""
    pairs = sorted((_to_nibbles(k), v) for k, v in items.items() if v)
    if not pairs:
        return EMPTY_TRIE_ROOT
    return keccak_256(_encode_node(pairs, 0)).digest()


def secure_trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root of a 'secure' trie: every key is replaced by its keccak256."""
    return trie_root({keccak_256(k).digest(): v for k, v in items.items()})


def storage_root(slots: Mapping[int, int]) -> bytes:
    """Storage root of an account from its non-zero slots."""
    return secure_trie_root(
        {k.to_bytes(32, "big"): encode(encode_uint(v)) for k, v in slots.items() if v}
    )


def ordered_trie_root(values: list[bytes]) -> bytes:
    """Root of a list trie keyed by RLP(index) (transactions / receipts / withdrawals)."""
    return trie_root({encode(encode_uint(i)): v for i, v in enumerate(values)})
