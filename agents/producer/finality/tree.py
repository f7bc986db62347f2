"""The block tree a voter knows: the last finalized block (the base) and its descendants.

Blocks arriving before their parent wait as orphans. Finalizing a block makes it the new
base and prunes every block that does not descend from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.producer.finality.messages import Block


@dataclass
class BlockTree:
    """Blocks descending from ``base`` (included), with children lists and orphans."""

    base: Block
    blocks: dict[bytes, Block] = field(default_factory=dict)
    children: dict[bytes, list[bytes]] = field(default_factory=dict)
    orphans: dict[bytes, list[Block]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.blocks.setdefault(self.base.hash, self.base)
        self.children.setdefault(self.base.hash, [])


def import_block(tree: BlockTree, block: Block) -> list[Block]:
    """Add ``block`` (and any orphans it unblocks); returns the blocks newly in the tree."""
    if block.number <= tree.base.number or block.hash in tree.blocks:
        return []
    if block.parent_hash not in tree.blocks:
        waiting = tree.orphans.setdefault(block.parent_hash, [])
        if block not in waiting:
            waiting.append(block)
        return []
    added: list[Block] = []
    pending = [block]
    while pending:
        current = pending.pop()
        parent = tree.blocks.get(current.parent_hash)
        if parent is None or current.hash in tree.blocks or current.number != parent.number + 1:
            continue
        tree.blocks[current.hash] = current
        tree.children.setdefault(current.hash, [])
        tree.children[current.parent_hash].append(current.hash)
        added.append(current)
        pending.extend(tree.orphans.pop(current.hash, []))
    return added


def knows(tree: BlockTree, block_hash: bytes, block_number: int) -> bool:
    """True when the tree holds ``block_hash`` at ``block_number``."""
    block = tree.blocks.get(block_hash)
    return block is not None and block.number == block_number


def is_descendant_or_equal(tree: BlockTree, descendant: bytes, ancestor: bytes) -> bool:
    """True when ``descendant`` is ``ancestor`` or below it (both must be in the tree)."""
    target = tree.blocks.get(ancestor)
    current = tree.blocks.get(descendant)
    if target is None or current is None:
        return False
    while current.number > target.number:
        current = tree.blocks[current.parent_hash]
    return current.hash == target.hash


def path_down_to(tree: BlockTree, descendant: bytes, ancestor: bytes) -> list[Block]:
    """Blocks from ``descendant`` up to ``ancestor`` (excluded), newest first."""
    path: list[Block] = []
    current = tree.blocks[descendant]
    while current.hash != ancestor:
        path.append(current)
        current = tree.blocks[current.parent_hash]
    return path


def best_head(tree: BlockTree, from_hash: bytes) -> bytes:
    """The head of the best chain containing ``from_hash``: highest number, then lowest hash."""
    best = tree.blocks[from_hash]
    stack = [from_hash]
    while stack:
        current = tree.blocks[stack.pop()]
        if current.number > best.number or (
            current.number == best.number and current.hash < best.hash
        ):
            best = current
        stack.extend(tree.children[current.hash])
    return best.hash


def set_base(tree: BlockTree, new_base: bytes) -> None:
    """Make ``new_base`` (a tree block) the base and drop everything not descending from it."""
    keep: dict[bytes, Block] = {}
    stack = [new_base]
    while stack:
        current = stack.pop()
        keep[current] = tree.blocks[current]
        stack.extend(tree.children[current])
    tree.base = tree.blocks[new_base]
    tree.blocks = keep
    tree.children = {h: tree.children[h] for h in keep}
    tree.orphans = {
        parent: [b for b in waiting if b.number > tree.base.number]
        for parent, waiting in tree.orphans.items()
        if any(b.number > tree.base.number for b in waiting)
    }
