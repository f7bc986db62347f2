"""Ethereum Merkle-Patricia trie roots (Yellow Paper appendix D), computed from scratch.

Only roots are needed (state root, storage roots, transactions/receipts roots), so the
trie is never stored: :func:`trie_root` sorts the keys, splits them recursively into
leaf / extension / branch nodes and hashes bottom-up. Children whose encoding is shorter
than 32 bytes are embedded in their parent, as the specification requires.

Nibble paths are hex strings (``key.hex()``): slicing, comparing and hex-prefix encoding
(``bytes.fromhex``) then run in C.
"""

from __future__ import annotations

from collections.abc import Mapping

from sha3 import keccak_256

from agents.evm.rlp import encode, encode_uint

EMPTY_TRIE_ROOT = keccak_256(b"\x80").digest()
_HEX = "0123456789abcdef"


def _str(data: bytes) -> bytes:
    n = len(data)
    if n == 1 and data[0] < 0x80:
        return data
    if n < 56:
        return bytes((0x80 + n,)) + data
    length = encode_uint(n)
    return bytes((0xB7 + len(length),)) + length + data


def _list(payload: bytes) -> bytes:
    n = len(payload)
    if n < 56:
        return bytes((0xC0 + n,)) + payload
    length = encode_uint(n)
    return bytes((0xF7 + len(length),)) + length + payload


def _hex_prefix(nibbles: str, is_leaf: bool) -> bytes:
    if len(nibbles) % 2:
        return bytes.fromhex(("3" if is_leaf else "1") + nibbles)
    return bytes.fromhex(("20" if is_leaf else "00") + nibbles)


def _ref(encoded: bytes) -> bytes:
    if len(encoded) < 32:
        return encoded
    return b"\xa0" + keccak_256(encoded).digest()


def _encode_node(pairs: list[tuple[str, bytes]], depth: int) -> bytes:
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
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for pair in pairs:
        key = pair[0]
        if len(key) == depth:
            value = pair[1]
        else:
            nib = key[depth]
            group = groups.get(nib)
            if group is None:
                groups[nib] = [pair]
            else:
                group.append(pair)
    parts = []
    for nib in _HEX:
        group = groups.get(nib)
        parts.append(_ref(_encode_node(group, depth + 1)) if group else b"\x80")
    parts.append(_str(value))
    return _list(b"".join(parts))


def hex_trie_root(items: Mapping[str, bytes]) -> bytes:
    """Root of a trie whose keys are given as hex nibble strings."""
    pairs = sorted((k, v) for k, v in items.items() if v)
    if not pairs:
        return EMPTY_TRIE_ROOT
    return keccak_256(_encode_node(pairs, 0)).digest()


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root of the trie mapping raw keys to (already encoded, non-empty) values."""
    return hex_trie_root({k.hex(): v for k, v in items.items()})


def secure_trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root of a 'secure' trie: every key is replaced by its keccak256."""
    return hex_trie_root({keccak_256(k).hexdigest(): v for k, v in items.items()})


def _value_rlp(value: int) -> bytes:
    return _str(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def storage_root(slots: Mapping[int, int]) -> bytes:
    """Storage root of an account from its non-zero slots."""
    return hex_trie_root(
        {
            keccak_256(k.to_bytes(32, "big")).hexdigest(): _value_rlp(v)
            for k, v in slots.items()
            if v
        }
    )


def ordered_trie_root(values: list[bytes]) -> bytes:
    """Root of a list trie keyed by RLP(index) (transactions / receipts / withdrawals)."""
    return trie_root({encode(encode_uint(i)): v for i, v in enumerate(values)})
