"""Fault injection: a verifier that posts a wrong state root (``--lie-at-tx N``).

For devnets and tests of the dispute path only. The faulty verifier re-executes honestly
like any other, but the first pack it posts that holds L2 transaction ``N`` or a later
one (1-based, counted over the whole chain from genesis) claims a wrong state root after
that transaction (or the pack's first one, if another verifier posted ``N`` first) and
after every later one in the pack: each such root ``r`` is replaced by
``keccak256("altrollup.fault" || r)``, in the per-transaction roots commitment, the final
state root and the blocks of the DA payload alike (re-linked by parent hash), so the
pack is self-consistent and only re-execution tells it is wrong. The lie is told once:
after the pack is defeated and invalidated, the verifier posts the honest pack like
everybody else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sha3 import keccak_256

from agents.producer.blocks import Block, tx_roots_commitment

FAULT_TAG = b"altrollup.fault"


def wrong_root(root: bytes) -> bytes:
    """The root a faulty verifier claims instead of ``root``."""
    return keccak_256(FAULT_TAG + root).digest()


def covers(blocks: Sequence[Block], txs_before: int, lie_at_tx: int) -> bool:
    """Whether L2 transaction ``lie_at_tx`` is in ``blocks`` (``txs_before`` precede them)."""
    count = sum(len(block.transactions) for block in blocks)
    return txs_before < lie_at_tx <= txs_before + count


def corrupt_blocks(blocks: Sequence[Block], txs_before: int, lie_at_tx: int) -> list[Block]:
    """``blocks`` with every root from transaction ``lie_at_tx`` on replaced (see above)."""
    corrupted: list[Block] = []
    seen = txs_before
    lying = False
    last_wrong = b""
    for block in blocks:
        roots = []
        for root in block.tx_state_roots:
            seen += 1
            if seen >= lie_at_tx:
                lying = True
                last_wrong = wrong_root(root)
                roots.append(last_wrong)
            else:
                roots.append(root)
        if not lying:
            corrupted.append(block)
            continue
        parent = corrupted[-1].hash if corrupted else block.parent_hash
        corrupted.append(
            replace(
                block,
                parent_hash=parent,  # the lying blocks form a chain of their own
                tx_state_roots=tuple(roots),
                tx_roots_commitment=tx_roots_commitment(roots),
                state_root=last_wrong,
            )
        )
    return corrupted
