"""The producer's deterministic ordering rule over aggregator data.

Every transaction reaches a producer as an *entry* ``(timestamp_ms, aggregator_id, seq)``
stamped by one aggregator (direct submissions are stamped by the producer itself,
acting as the pseudo-aggregator ``direct:<producer id>``). The rule:

1. **Order** entries by the key ``(timestamp_ms, aggregator_id, seq)`` — the
   aggregator's trusted time, ties broken by aggregator id (string order), then by
   that aggregator's sequence number. Timestamps are non-decreasing in ``seq`` for
   one aggregator, so each aggregator's entries keep their sequence order.
2. **De-duplicate** by transaction hash: the occurrence with the smallest key wins;
   later ones (the same transaction through another aggregator) are dropped.
3. **Cut** (when is the data "complete enough"): an entry may be handed to the
   block builder only when its key is ``<=`` the *watermark* ``W = min(bound(A))``
   over every active *known* aggregator ``A`` (configured at the producer, or heard
   from at least once — an aggregator nobody told the producer about cannot hold the
   cut back before its first batch), where

   ``bound(A) = (T_A, A, c_A)``, ``c_A`` = highest seq received with no gap below
   it, and ``T_A`` = timestamp of entry ``c_A``, raised to the time ``now_A`` the
   aggregator last announced with its head ``h_A`` if ``c_A >= h_A``.

   Every entry of ``A`` not received yet has seq ``> c_A`` and timestamp ``>= T_A``
   (an aggregator never stamps earlier than a time it announced), so its key is
   ``> bound(A) >= W``: nothing that could still arrive sorts before an eligible
   entry. Entries past a gap are never eligible until the gap is filled.
4. **Timeout**: an aggregator not heard from for ``silence_timeout_ms`` (producer
   clock) stops holding the watermark back, so one dead aggregator cannot stall
   the chain. This is the only non-deterministic input; its entries arriving after
   the cut simply sort into a later block. With no active aggregator every
   received, gap-free entry is eligible.

Given the same received data and the same active set, the output does not depend
on the order in which entries arrived (tested with hypothesis).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass

OrderKey = tuple[int, str, int]
MAX_KEY: OrderKey = (2**63 - 1, "\U0010ffff", 2**63 - 1)


@dataclass(frozen=True)
class OrderedTx:
    """A transaction ready for execution, with the data that ordered it."""

    timestamp_ms: int
    aggregator_id: str
    seq: int
    tx_hash: bytes
    raw: bytes

    @property
    def key(self) -> OrderKey:
        return (self.timestamp_ms, self.aggregator_id, self.seq)


@dataclass(frozen=True)
class AggregatorProgress:
    """What a producer knows about one aggregator's stream."""

    aggregator_id: str
    contiguous_seq: int  # every seq 1..contiguous_seq received
    contiguous_ts_ms: int  # timestamp of entry contiguous_seq (0 when none)
    head_seq: int  # highest seq the aggregator announced
    head_now_ms: int  # the aggregator's time announced with head_seq
    last_heard_ms: int  # producer clock when the aggregator was last heard from


def ordering_key(tx: OrderedTx) -> OrderKey:
    return tx.key


def aggregator_bound(progress: AggregatorProgress) -> OrderKey:
    """Every entry of this aggregator not yet received sorts strictly after this key."""
    time_floor = progress.contiguous_ts_ms
    if progress.contiguous_seq >= progress.head_seq:
        time_floor = max(time_floor, progress.head_now_ms)
    return (time_floor, progress.aggregator_id, progress.contiguous_seq)


def is_active(progress: AggregatorProgress, now_ms: int, silence_timeout_ms: int) -> bool:
    return now_ms - progress.last_heard_ms <= silence_timeout_ms


def watermark(
    progress: Iterable[AggregatorProgress], now_ms: int, silence_timeout_ms: int
) -> OrderKey:
    """The cut ``W``: entries with ``key <= W`` are final in order."""
    bounds = [aggregator_bound(p) for p in progress if is_active(p, now_ms, silence_timeout_ms)]
    return min(bounds) if bounds else MAX_KEY


def select_candidates(
    entries: Iterable[OrderedTx],
    contiguous: dict[str, int],
    cut: OrderKey,
    already_included: Container[bytes],
    max_txs: int,
) -> list[OrderedTx]:
    """Apply the rule: order, keep ``key <= cut`` and gap-free, de-duplicate, limit."""
    chosen: list[OrderedTx] = []
    seen: set[bytes] = set()
    for tx in sorted(entries, key=ordering_key):
        if len(chosen) >= max_txs or tx.key > cut:
            break
        if tx.seq > contiguous.get(tx.aggregator_id, 0):
            continue
        if tx.tx_hash in seen or tx.tx_hash in already_included:
            continue
        seen.add(tx.tx_hash)
        chosen.append(tx)
    return chosen
