"""Merkle commitment to a pack's per-transaction state roots (twin of TxRootsMerkle.sol).

The layout must match ``contracts/dispute/lib/TxRootsMerkle.sol`` byte for byte; the
golden vectors in ``tests/vectors/dispute_merkle.json`` are checked by both sides:

- leaf hash = keccak256(0x00 || root), node hash = keccak256(0x01 || left || right);
- the tree has depth ceil(log2 n) (0 for one leaf), padded on the right with the empty
  hash (32 zero bytes);
- a proof lists the siblings from the leaf up, exactly ``tree_depth(n)`` of them;
- leaf index 0 is r_1 (the root after the pack's first transaction).
"""

from __future__ import annotations

from collections.abc import Sequence

from sha3 import keccak_256

EMPTY_HASH = bytes(32)
LEAF_DOMAIN = b"\x00"
NODE_DOMAIN = b"\x01"
MAX_LEAVES = 1 << 32


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``."""
    return keccak_256(data).digest()


def leaf_hash(root: bytes) -> bytes:
    """Hash of a leaf holding the 32-byte state root ``root``."""
    _require_word(root)
    return keccak(LEAF_DOMAIN + root)


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an inner node from its children's hashes."""
    return keccak(NODE_DOMAIN + left + right)


def tree_depth(count: int) -> int:
    """ceil(log2 count), 0 for a single leaf; the length of every proof."""
    if count < 1 or count > MAX_LEAVES:
        raise ValueError(f"leaf count must be in 1..{MAX_LEAVES}, got {count}")
    return (count - 1).bit_length()


def tree_layers(roots: Sequence[bytes]) -> list[list[bytes]]:
    """Every layer of the padded tree, leaves first, the commitment last."""
    depth = tree_depth(len(roots))
    layer = [leaf_hash(root) for root in roots]
    layer += [EMPTY_HASH] * ((1 << depth) - len(layer))
    layers = [layer]
    while len(layer) > 1:
        layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        layers.append(layer)
    return layers


def commitment(roots: Sequence[bytes]) -> bytes:
    """The Merkle root committing to the per-transaction roots ``roots`` (r_1 .. r_n)."""
    return tree_layers(roots)[-1][0]


def proof(roots: Sequence[bytes], index: int) -> list[bytes]:
    """Siblings from leaf ``index`` (0-based) up to the root."""
    if not 0 <= index < len(roots):
        raise IndexError(f"leaf {index} out of range for {len(roots)} leaves")
    layers = tree_layers(roots)
    siblings = []
    position = index
    for layer in layers[:-1]:
        siblings.append(layer[position ^ 1])
        position >>= 1
    return siblings


def verify(
    root_commitment: bytes, count: int, index: int, root: bytes, siblings: Sequence[bytes]
) -> bool:
    """Whether ``siblings`` open ``root_commitment`` at leaf ``index`` to ``root``."""
    if count < 1 or count > MAX_LEAVES or not 0 <= index < count:
        return False
    if len(siblings) != tree_depth(count):
        return False
    node = leaf_hash(root)
    for level, sibling in enumerate(siblings):
        node = node_hash(node, sibling) if (index >> level) & 1 == 0 else node_hash(sibling, node)
    return node == root_commitment


def _require_word(value: bytes) -> None:
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
