"""Fault injection (``--lie-at-tx``): the lying pack is self-consistent and lies exactly
from the chosen transaction on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.producer.blocks import Block, tx_roots_commitment
from agents.verifier.faults import corrupt_blocks, covers, wrong_root


def block(number: int, roots: list[bytes], parent_root: bytes, parent_hash: bytes) -> Block:
    return Block(
        parent_hash=parent_hash,
        number=number,
        timestamp_ms=number * 1000,
        producer=bytes(20),
        gas_limit=30_000_000,
        gas_used=21_000 * len(roots),
        base_fee=1,
        transactions_root=bytes(32),
        tx_roots_commitment=tx_roots_commitment(roots),
        state_root=roots[-1] if roots else parent_root,
        receipts_root=bytes(32),
        logs_bloom=bytes(256),
        tx_state_roots=tuple(roots),
        transactions=tuple(b"\x01" * (i + 1) for i in range(len(roots))),
    )


@given(
    sizes=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    txs_before=st.integers(0, 10),
    data=st.data(),
)
def test_lie_starts_exactly_at_the_chosen_transaction(
    sizes: list[int], txs_before: int, data: st.DataObject
) -> None:
    counter = iter(range(1, 1000))
    blocks: list[Block] = []
    root = bytes(32)  # the pre-state
    for number, size in enumerate(sizes, start=1):
        roots = [bytes([next(counter)]) * 32 for _ in range(size)]
        parent_hash = blocks[-1].hash if blocks else bytes(32)
        blocks.append(block(number, roots, root, parent_hash))
        root = blocks[-1].state_root
    total = sum(sizes)
    lie_at = data.draw(st.integers(1, txs_before + total + 2))
    assert covers(blocks, txs_before, lie_at) == (txs_before < lie_at <= txs_before + total)
    lied = corrupt_blocks(blocks, txs_before, lie_at)
    honest_roots = [r for b in blocks for r in b.tx_state_roots]
    claimed_roots = [r for b in lied for r in b.tx_state_roots]
    for ordinal, (honest, claimed) in enumerate(
        zip(honest_roots, claimed_roots, strict=True), start=txs_before + 1
    ):
        assert claimed == (wrong_root(honest) if ordinal >= lie_at else honest)
    for parent, child in zip(lied, lied[1:], strict=False):
        assert child.parent_hash == parent.hash  # still one chain
    claimed_root = bytes(32)
    for original, claimed in zip(blocks, lied, strict=True):
        assert claimed.transactions == original.transactions
        assert claimed.tx_roots_commitment == tx_roots_commitment(list(claimed.tx_state_roots))
        if claimed.tx_state_roots:
            claimed_root = claimed.tx_state_roots[-1]
        assert claimed.state_root == claimed_root  # an empty block keeps its parent's claim
    if not covers(blocks, txs_before, lie_at) and lie_at > txs_before + total:
        assert lied == blocks
