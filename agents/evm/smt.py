"""A keccak sparse binary Merkle tree with single-leaf subtree compression.

This is the tree behind every key/value commitment of the rollup (accounts, storage,
and the per-transaction access sets); its hashing is specified byte for byte in
``docs/commitment.md`` so the Solidity one-step prover can open and update it.

Layout
------
* A key is placed at ``path = keccak256(key)``; bit ``d`` of the path (most significant
  bit first) chooses the child at depth ``d`` (0 = left, 1 = right).
* Values are 32-byte words.
* The empty subtree is the zero word ``EMPTY``.
* A subtree holding exactly one leaf *is* that leaf, whatever its depth:
  ``leaf = keccak256(0x00 || path || value)`` (65-byte preimage).
* Any other subtree is ``keccak256(left || right)`` (64-byte preimage). The preimage
  lengths differ, so a leaf can never be confused with an internal node.

The tree is canonical (its root depends only on the key/value set, never on insertion
order), an update costs O(log n) hashes, and nodes are content-addressed in a node
store mapping ``hash -> preimage``, so every past root stays readable as long as the
store keeps its nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sha3 import keccak_256

EMPTY = b"\x00" * 32
LEAF_PREFIX = b"\x00"
LEAF_PREIMAGE_LENGTH = 65
INTERNAL_PREIMAGE_LENGTH = 64


class NodeStore(Protocol):
    """Where tree nodes live: ``hash -> preimage`` (65 bytes for leaves, 64 for internal)."""

    def __getitem__(self, node_hash: bytes, /) -> bytes: ...

    def __setitem__(self, node_hash: bytes, preimage: bytes, /) -> None: ...


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``."""
    return keccak_256(data).digest()


def key_path(key: bytes) -> bytes:
    """The 256-bit path of ``key`` in the tree."""
    return keccak_256(key).digest()


def leaf_hash(path: bytes, value: bytes) -> bytes:
    """Hash of the leaf holding ``value`` at ``path``."""
    return keccak_256(LEAF_PREFIX + path + value).digest()


def internal_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an internal node (never called with a (leaf, empty) pair in a canonical tree)."""
    return keccak_256(left + right).digest()


def path_bit(path: bytes, depth: int) -> int:
    """Bit ``depth`` of ``path``, most significant bit first."""
    return (path[depth >> 3] >> (7 - (depth & 7))) & 1


@dataclass(frozen=True, slots=True)
class SmtProof:
    """Proof of the value (or the absence) of one key.

    ``depth`` is the depth of the terminal node reached by walking the key's path: the
    key's own leaf, an empty subtree, or a different leaf sharing the first ``depth``
    bits (``terminal_leaf = (path, value)``). ``sibling_bitmap`` has bit ``d`` set when the
    sibling at depth ``d`` is non-empty; ``siblings`` lists those non-empty siblings by
    increasing depth. ``deepest_sibling_preimage`` opens the sibling at depth
    ``depth - 1`` (65 bytes if it is a leaf, 64 if internal); it is present in inclusion
    proofs because deleting the key needs to know whether that sibling moves up.
    """

    depth: int
    sibling_bitmap: int
    siblings: tuple[bytes, ...]
    terminal_leaf: tuple[bytes, bytes] | None = None
    deepest_sibling_preimage: bytes | None = None

    def expanded_siblings(self) -> list[bytes]:
        """All ``depth`` siblings, ``EMPTY`` where the bitmap bit is clear."""
        out: list[bytes] = []
        it = iter(self.siblings)
        for d in range(self.depth):
            out.append(next(it) if (self.sibling_bitmap >> d) & 1 else EMPTY)
        return out

    def size_bytes(self) -> int:
        """Payload bytes: a depth byte, the bitmap, the siblings, the optional terminal
        leaf and sibling preimage (ABI encoding adds offsets and padding on top)."""
        size = 1 + 32 + 32 * len(self.siblings)
        if self.terminal_leaf is not None:
            size += 64
        if self.deepest_sibling_preimage is not None:
            size += len(self.deepest_sibling_preimage)
        return size

    def to_json(self) -> dict[str, object]:
        """Hex-encoded form used by the golden vectors."""
        return {
            "depth": self.depth,
            "siblingBitmap": "0x" + self.sibling_bitmap.to_bytes(32, "big").hex(),
            "siblings": ["0x" + s.hex() for s in self.siblings],
            "terminalLeaf": None
            if self.terminal_leaf is None
            else {
                "path": "0x" + self.terminal_leaf[0].hex(),
                "value": "0x" + self.terminal_leaf[1].hex(),
            },
            "deepestSiblingPreimage": None
            if self.deepest_sibling_preimage is None
            else "0x" + self.deepest_sibling_preimage.hex(),
        }


# --------------------------------------------------------------------------- reading


def get(store: NodeStore, root: bytes, key: bytes) -> bytes | None:
    """The value stored under ``key`` in the tree ``root``, or ``None`` if absent."""
    path = _PATHS.get(key)
    return get_by_path(store, root, _remember_path(key) if path is None else path)


def get_by_path(store: NodeStore, root: bytes, path: bytes) -> bytes | None:
    """Like :func:`get` with the path already computed."""
    node = root
    depth = 0
    while node != EMPTY:
        preimage = store[node]
        if len(preimage) == LEAF_PREIMAGE_LENGTH:
            return preimage[33:] if preimage[1:33] == path else None
        node = preimage[32:] if path_bit(path, depth) else preimage[:32]
        depth += 1
    return None


def iter_leaves(store: NodeStore, root: bytes) -> Iterable[tuple[bytes, bytes]]:
    """All ``(path, value)`` pairs of the tree, in path order."""
    if root == EMPTY:
        return
    pending = [root]
    while pending:
        node = pending.pop()
        preimage = store[node]
        if len(preimage) == LEAF_PREIMAGE_LENGTH:
            yield preimage[1:33], preimage[33:]
        else:
            for child in (preimage[32:], preimage[:32]):
                if child != EMPTY:
                    pending.append(child)


# --------------------------------------------------------------------------- updating


def _is_leaf(store: NodeStore, node: bytes) -> bool:
    return node != EMPTY and len(store[node]) == LEAF_PREIMAGE_LENGTH


def _put_leaf(store: NodeStore, path: bytes, value: bytes) -> bytes:
    preimage = LEAF_PREFIX + path + value
    node = keccak_256(preimage).digest()
    store[node] = preimage
    return node


def _join(store: NodeStore, left: bytes, right: bytes) -> bytes:
    """The canonical parent of ``left`` and ``right`` (collapsing lone leaves upward)."""
    if left == EMPTY:
        if right == EMPTY or _is_leaf(store, right):
            return right
    elif right == EMPTY and _is_leaf(store, left):
        return left
    preimage = left + right
    node = keccak_256(preimage).digest()
    store[node] = preimage
    return node


def _build(store: NodeStore, depth: int, items: list[tuple[int, bytes, bytes]]) -> bytes:
    """Subtree at ``depth`` holding ``items`` = sorted ``(path_int, path, value)``."""
    if not items:
        return EMPTY
    if len(items) == 1:
        return _put_leaf(store, items[0][1], items[0][2])
    split = _split_index(items, depth)
    return _join(
        store, _build(store, depth + 1, items[:split]), _build(store, depth + 1, items[split:])
    )


def _split_index(items: Sequence[tuple[int, bytes, bytes | None]], depth: int) -> int:
    """Index of the first item whose path bit ``depth`` is 1 (items are sorted)."""
    shift = 255 - depth
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) >> 1
        if (items[mid][0] >> shift) & 1:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _update_one(
    store: NodeStore, start: bytes, depth: int, path: bytes, value: bytes | None
) -> bytes:
    """Single-key update of the subtree ``start`` at ``depth``: walk down, rebuild up."""
    node = start
    walked: list[tuple[bytes, int]] = []  # (sibling, path bit) per level walked
    push = walked.append
    path_int = int.from_bytes(path, "big")
    shift = 255 - depth
    while True:
        if node == EMPTY:
            if value is None:
                return start
            new = _put_leaf(store, path, value)
            break
        preimage = store[node]
        if len(preimage) == LEAF_PREIMAGE_LENGTH:
            other_path = preimage[1:33]
            if other_path == path:
                new = EMPTY if value is None else _put_leaf(store, path, value)
            elif value is None:
                return start
            else:
                mine = (path_int, path, value)
                other = (int.from_bytes(other_path, "big"), other_path, preimage[33:])
                new = _build(store, 255 - shift, [mine, other] if mine < other else [other, mine])
            break
        if (path_int >> shift) & 1:
            push((preimage[:32], 1))
            node = preimage[32:]
        else:
            push((preimage[32:], 0))
            node = preimage[:32]
        shift -= 1
    for sibling, bit in reversed(walked):
        if sibling == EMPTY or new == EMPTY:
            new = _join(store, sibling, new) if bit else _join(store, new, sibling)
        else:
            joined = sibling + new if bit else new + sibling
            new = keccak_256(joined).digest()
            store[new] = joined
    return new


def _update_node(
    store: NodeStore, node: bytes, depth: int, changes: list[tuple[int, bytes, bytes | None]]
) -> bytes:
    if len(changes) == 1:
        return _update_one(store, node, depth, changes[0][1], changes[0][2])
    if node == EMPTY:
        return _build(store, depth, [c for c in changes if c[2] is not None])  # type: ignore[misc]
    preimage = store[node]
    if len(preimage) == LEAF_PREIMAGE_LENGTH:
        existing_path = preimage[1:33]
        merged: list[tuple[int, bytes, bytes | None]] = list(changes)
        if all(c[1] != existing_path for c in changes):
            merged.append((int.from_bytes(existing_path, "big"), existing_path, preimage[33:]))
            merged.sort(key=lambda c: c[0])
        return _build(store, depth, [c for c in merged if c[2] is not None])  # type: ignore[misc]
    split = _split_index(changes, depth)
    left, right = preimage[:32], preimage[32:]
    if split:
        left = _update_node(store, left, depth + 1, changes[:split])
    if split < len(changes):
        right = _update_node(store, right, depth + 1, changes[split:])
    return _join(store, left, right)


def update(store: NodeStore, root: bytes, changes: Mapping[bytes, bytes | None]) -> bytes:
    """Set (or delete, value ``None``) several keys at once; returns the new root.

    One pass over the tree: the changes are sorted by path and split at every level, so
    an internal node on the shared prefix of several changed keys is hashed once (the
    result equals applying the changes one key at a time). New nodes are written to
    ``store``; old nodes are kept, so ``root`` stays readable.
    """
    if not changes:
        return root
    prepared: list[tuple[int, bytes, bytes | None]] = []
    paths = _PATHS
    for key, value in changes.items():
        if value is not None and len(value) != 32:
            raise ValueError("SMT values are 32-byte words")
        path = paths.get(key)
        if path is None:
            path = _remember_path(key)
        prepared.append((int.from_bytes(path, "big"), path, value))
    if len(prepared) > 1:
        prepared.sort(key=_path_order)
    return _update_node(store, root, 0, prepared)


def _path_order(change: tuple[int, bytes, bytes | None]) -> int:
    return change[0]


_PATHS: dict[bytes, bytes] = {}
_PATH_CACHE_LIMIT = 1 << 16


def _remember_path(key: bytes) -> bytes:
    """``keccak(key)``, remembered: the same addresses and slots are updated again and
    again (a bounded cache; it is cleared when full)."""
    path = keccak_256(key).digest()
    if len(_PATHS) >= _PATH_CACHE_LIMIT:
        _PATHS.clear()
    _PATHS[bytes(key)] = path
    return path


# --------------------------------------------------------------------------- proofs


def prove(store: NodeStore, root: bytes, key: bytes) -> SmtProof:
    """Inclusion proof of ``key``'s value, or non-inclusion proof if it is absent."""
    path = key_path(key)
    node = root
    depth = 0
    bitmap = 0
    siblings: list[bytes] = []
    last_sibling = EMPTY
    while node != EMPTY:
        preimage = store[node]
        if len(preimage) == LEAF_PREIMAGE_LENGTH:
            if preimage[1:33] != path:
                return SmtProof(depth, bitmap, tuple(siblings), (preimage[1:33], preimage[33:]))
            opening = store[last_sibling] if depth > 0 else None
            return SmtProof(depth, bitmap, tuple(siblings), None, opening)
        if path_bit(path, depth):
            node, last_sibling = preimage[32:], preimage[:32]
        else:
            node, last_sibling = preimage[:32], preimage[32:]
        if last_sibling != EMPTY:
            bitmap |= 1 << depth
            siblings.append(last_sibling)
        depth += 1
    return SmtProof(depth, bitmap, tuple(siblings))


def _fold(node: bytes, path: bytes, siblings: list[bytes], from_depth: int) -> bytes:
    """Hash ``node`` (sitting at ``from_depth``) up to the root with plain internal hashing."""
    for d in range(from_depth - 1, -1, -1):
        if path_bit(path, d):
            node = keccak_256(siblings[d] + node).digest()
        else:
            node = keccak_256(node + siblings[d]).digest()
    return node


def _terminal_hash(path: bytes, value: bytes | None, proof: SmtProof) -> bytes | None:
    """Hash of the terminal node the proof claims, or None if the claim is malformed."""
    depth = proof.depth
    if not 0 <= depth <= 256 or proof.sibling_bitmap >> depth:
        return None
    if bin(proof.sibling_bitmap).count("1") != len(proof.siblings):
        return None
    if any(len(s) != 32 or s == EMPTY for s in proof.siblings):
        return None
    if depth > 0 and not (proof.sibling_bitmap >> (depth - 1)) & 1:
        return None  # canonical trees never leave a lone leaf or an empty node as a deep child
    if value is not None:
        if proof.terminal_leaf is not None or len(value) != 32:
            return None
        return leaf_hash(path, value)
    if proof.terminal_leaf is None:
        return EMPTY
    other_path, other_value = proof.terminal_leaf
    if other_path == path or len(other_path) != 32 or len(other_value) != 32:
        return None
    if _common_prefix_length(path, other_path) < depth:
        return None
    return leaf_hash(other_path, other_value)


def _common_prefix_length(a: bytes, b: bytes) -> int:
    diff = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 256 - diff.bit_length()


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: SmtProof) -> bool:
    """True iff ``proof`` shows that ``key`` maps to ``value`` (``None``: absent) in ``root``."""
    path = key_path(key)
    terminal = _terminal_hash(path, value, proof)
    if terminal is None:
        return False
    return _fold(terminal, path, proof.expanded_siblings(), proof.depth) == root


def root_after_update_from_proof(
    root: bytes,
    key: bytes,
    old_value: bytes | None,
    new_value: bytes | None,
    proof: SmtProof,
) -> bytes:
    """The root after setting ``key`` from ``old_value`` to ``new_value``, using only the proof.

    This is what the Solidity prover does. Raises ``ValueError`` if the proof does not
    verify against ``root``, or if a deletion lacks the opening of the deepest sibling.
    """
    path = key_path(key)
    terminal = _terminal_hash(path, old_value, proof)
    siblings = proof.expanded_siblings()
    depth = proof.depth
    if terminal is None or _fold(terminal, path, siblings, depth) != root:
        raise ValueError("proof does not verify against the root")
    if new_value is not None and len(new_value) != 32:
        raise ValueError("SMT values are 32-byte words")
    if new_value == old_value:
        return root
    if new_value is not None:
        new_leaf = leaf_hash(path, new_value)
        if old_value is not None or proof.terminal_leaf is None:
            return _fold(new_leaf, path, siblings, depth)
        # Insertion next to a different leaf: push both down to where their paths diverge.
        other_path = proof.terminal_leaf[0]
        diverge = _common_prefix_length(path, other_path)
        if path_bit(path, diverge):
            node = keccak_256(terminal + new_leaf).digest()
        else:
            node = keccak_256(new_leaf + terminal).digest()
        for d in range(diverge - 1, depth - 1, -1):
            node = keccak_256(EMPTY + node if path_bit(path, d) else node + EMPTY).digest()
        return _fold(node, path, siblings, depth)
    # Deletion of an existing leaf.
    if depth == 0:
        return EMPTY
    opening = proof.deepest_sibling_preimage
    sibling = siblings[depth - 1]
    if opening is None or keccak(opening) != sibling:
        raise ValueError("deletion needs the preimage of the deepest sibling")
    if len(opening) == INTERNAL_PREIMAGE_LENGTH:
        return _fold(EMPTY, path, siblings, depth)
    if len(opening) != LEAF_PREIMAGE_LENGTH:
        raise ValueError("malformed sibling preimage")
    # The sibling is a lone leaf now: it rises past every empty sibling above it.
    d = depth - 1
    while d > 0 and siblings[d - 1] == EMPTY:
        d -= 1
    return _fold(sibling, path, siblings, d)


# --------------------------------------------------------------------------- convenience


class SparseMerkleTree:
    """A tree handle: a node store plus the current root (defaults to an in-memory store)."""

    def __init__(self, store: NodeStore | None = None, root: bytes = EMPTY) -> None:
        self.store: NodeStore = store if store is not None else {}
        self.root = root

    def get(self, key: bytes) -> bytes | None:
        return get(self.store, self.root, key)

    def update(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        self.root = update(self.store, self.root, changes)
        return self.root

    def prove(self, key: bytes) -> SmtProof:
        return prove(self.store, self.root, key)


def root_of(items: Mapping[bytes, bytes]) -> bytes:
    """Root of a fresh tree holding ``items`` (reference implementation for tests)."""
    return update({}, EMPTY, dict(items))
