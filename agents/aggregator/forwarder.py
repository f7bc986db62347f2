"""Forwarding of sequenced transactions to block producers.

* Batches are cut from the unacknowledged log in sequence order, bounded by
  ``batch_size`` entries and ``batch_interval_ms`` of waiting for a full batch.
* Each batch goes to one producer chosen by load balancing (``round_robin`` or
  ``least_outstanding``: the producer with the fewest batches in flight). A producer
  that fails (transport error, error answer) is marked down with exponential
  back-off and the batch is retried elsewhere at once (failover).
* A batch stays unacknowledged in the store until a producer answers
  ``altrollup_submitBatch`` successfully; after a restart every unacknowledged
  entry is sent again (producers de-duplicate by ``(aggregatorId, seq)``).
* Heartbeats: every producer gets an (empty) batch at least each
  ``heartbeat_ms`` carrying the aggregator's head sequence number and current time,
  so a producer can detect a lost tail and advance its ordering watermark.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.aggregator.store import SequencedTx, SequenceStore, head_and_time
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics


@dataclass
class ProducerLink:
    """One producer endpoint and its health."""

    url: str
    client: JsonRpcClient
    outstanding: int = 0
    down_until: float = 0.0
    failures: int = 0
    acked_batches: int = 0
    last_contact: float = 0.0

    def is_up(self, now: float) -> bool:
        return now >= self.down_until


@dataclass
class ForwarderConfig:
    aggregator_id: str
    producer_urls: list[str]
    batch_size: int = 256
    batch_interval_ms: int = 20
    heartbeat_ms: int = 200
    strategy: str = "round_robin"  # or "least_outstanding"
    max_inflight: int = 0  # 0: one per producer
    rpc_timeout: float = 5.0
    public_url: str | None = None


@dataclass
class Forwarder:
    """Background threads pushing the store's unacked entries to producers."""

    config: ForwarderConfig
    store: SequenceStore
    clock_ms: Callable[[], int]
    log: JsonLog
    metrics: Metrics
    links: list[ProducerLink] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _cursor: int = 0  # highest seq handed to a worker (or acked)
    _retry: list[tuple[int, list[SequencedTx]]] = field(default_factory=list)
    _rotation: int = 0
    _stopping: bool = False
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.links = [
            ProducerLink(url, JsonRpcClient(url, timeout=self.config.rpc_timeout))
            for url in self.config.producer_urls
        ]

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        if not self.links:
            return
        workers = self.config.max_inflight or len(self.links)
        for index in range(workers):
            thread = threading.Thread(target=self._worker, name=f"forward-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def wake(self) -> None:
        """New entries were sequenced."""
        with self._cond:
            self._cond.notify_all()

    # --- batching ---------------------------------------------------------------------
    def _claim(self) -> list[SequencedTx] | None:
        """Next batch to send, or ``None`` after waiting a little."""
        with self._cond:
            if self._stopping:
                return None
            if self._retry:
                return heapq.heappop(self._retry)[1]
            entries = self.store.unacked(self._cursor, self.config.batch_size)
            if entries:
                age = self.clock_ms() - entries[0].timestamp_ms
                full = len(entries) >= self.config.batch_size
                if full or age >= self.config.batch_interval_ms:
                    self._cursor = entries[-1].seq
                    return entries
                self._cond.wait(max(0.001, (self.config.batch_interval_ms - age) / 1000))
                return None
            self._cond.wait(0.05)
            return None

    def _requeue(self, batch: list[SequencedTx]) -> None:
        with self._cond:
            heapq.heappush(self._retry, (batch[0].seq, batch))
            self._cond.notify()

    def _choose(self) -> ProducerLink | None:
        now = time.monotonic()
        with self._cond:
            up = [link for link in self.links if link.is_up(now)]
            if not up:
                return None
            self._rotation += 1
            if self.config.strategy == "least_outstanding":
                rotation = self._rotation

                def load(i: int) -> tuple[int, int]:
                    return up[i].outstanding, (i - rotation) % len(up)

                link = up[min(range(len(up)), key=load)]
            else:
                link = up[self._rotation % len(up)]
            link.outstanding += 1
            return link

    def _info(self) -> dict[str, Any]:
        head, now = head_and_time(self.store, self.clock_ms)
        info: dict[str, Any] = {"headSeq": head, "nowMs": now}
        if self.config.public_url:
            info["rpcUrl"] = self.config.public_url
        return info

    def _send(self, link: ProducerLink, batch: list[SequencedTx]) -> bool:
        entries = [entry.to_json() for entry in batch]
        try:
            link.client.call(
                "altrollup_submitBatch", self.config.aggregator_id, entries, self._info()
            )
        except (RpcTransportError, RpcCallError, OSError) as exc:
            self._mark_down(link, exc)
            return False
        link.last_contact = time.monotonic()
        link.failures = 0
        if link.down_until:
            link.down_until = 0.0
            self.log("producer_up", producer=link.url)
        self.metrics.set("producer_up", 1, producer=link.url)
        return True

    def _mark_down(self, link: ProducerLink, exc: BaseException) -> None:
        link.failures += 1
        backoff = min(2.0, 0.05 * 2 ** min(link.failures, 6))
        link.down_until = time.monotonic() + backoff
        self.metrics.inc("batch_failures_total", producer=link.url)
        self.metrics.set("producer_up", 0, producer=link.url)
        self.log("producer_down", producer=link.url, error=str(exc), retry_in_s=backoff)

    def _worker(self) -> None:
        while True:
            batch = self._claim()
            if batch is None:
                if self._stopping:
                    return
                continue
            while not self._stopping:
                link = self._choose()
                if link is None:
                    time.sleep(0.02)
                    continue
                try:
                    ok = self._send(link, batch)
                finally:
                    with self._cond:
                        link.outstanding -= 1
                if ok:
                    seqs = [entry.seq for entry in batch]
                    self.store.mark_acked(seqs, link.url, self.clock_ms())
                    link.acked_batches += 1
                    self.metrics.inc("batches_acked_total", producer=link.url)
                    self.metrics.inc("tx_forwarded_total", len(batch), producer=link.url)
                    self.metrics.set("backlog", self.store.unacked_count)
                    self.log(
                        "batch_acked", producer=link.url, first_seq=seqs[0], last_seq=seqs[-1],
                        size=len(seqs),
                    )  # fmt: skip
                    break
            else:
                self._requeue(batch)
                return

    def _heartbeats(self) -> None:
        interval = self.config.heartbeat_ms / 1000
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._cond.wait(interval / 2)
                if self._stopping:
                    return
            now = time.monotonic()
            for link in self.links:
                if link.is_up(now) and now - link.last_contact >= interval:
                    self._send(link, [])
