"""The block producer's transaction intake: batches from aggregators, direct submissions,
per-aggregator gap detection and recovery, de-duplication, persistence, ordering.

JSON-RPC methods served (HTTP POST, single or batch):

* ``altrollup_submitBatch(aggregatorId, entries, info?)`` — ``entries`` is a list of
  ``{"seq", "timestampMs", "hash", "raw"}``; ``info`` is ``{"headSeq", "nowMs",
  "rpcUrl"}``. The batch is committed to SQLite, then acknowledged with
  ``{"acked": true, "stored": n, "contiguousSeq": c}``. Resent entries are ignored
  (idempotent by ``(aggregatorId, seq)``). An empty batch is a heartbeat.
* ``eth_sendRawTransaction(data)`` — direct submission, checked with the aggregator's
  admission rules and stamped by the producer as pseudo-aggregator ``direct:<id>``.
* ``eth_chainId``, ``net_version``, ``altrollup_intakeStatus()``.

Gap recovery: when an aggregator's announced head (or a later entry) is beyond the
contiguous prefix received, a background thread calls that aggregator's
``altrollup_getSequenced(fromSeq, count)`` until the gap is closed.

Python API for the block builder: :meth:`ProducerIntake.next_block_candidates` and
:meth:`ProducerIntake.mark_included`; the rule is in :mod:`agents.producer.ordering`.

Schema (SQLite, WAL)::

    entries(aggregator_id TEXT, seq INTEGER, timestamp_ms INTEGER, tx_hash BLOB,
            raw BLOB, received_ms INTEGER, included INTEGER DEFAULT 0,
            PRIMARY KEY (aggregator_id, seq))
    aggregators(aggregator_id TEXT PRIMARY KEY, rpc_url TEXT, contiguous_seq INTEGER,
                contiguous_ts_ms INTEGER, head_seq INTEGER, head_now_ms INTEGER,
                last_heard_ms INTEGER)
    included(tx_hash BLOB PRIMARY KEY, aggregator_id TEXT, seq INTEGER,
             block_number INTEGER)
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sha3 import keccak_256

from agents.aggregator.validation import (
    AdmissionPolicy,
    Rejected,
    StateView,
    admit,
    parse_raw_param,
    unlimited_state,
)
from agents.producer.ordering import (
    AggregatorProgress,
    OrderedTx,
    select_candidates,
    watermark,
)
from agents.rpc.client import JsonRpcClient, RpcCaller, RpcCallError, RpcTransportError
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics
from agents.rpc.server import (
    INVALID_PARAMS,
    GetRoute,
    JsonRpcDispatcher,
    JsonRpcServer,
    RpcError,
    positional_params,
)

GAP_FETCH_LIMIT = 500
SEQUENCE_CONFLICT = -32010  # an aggregator equivocated (or its database was replaced)

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    aggregator_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    raw BLOB NOT NULL,
    received_ms INTEGER NOT NULL,
    included INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (aggregator_id, seq)
);
CREATE INDEX IF NOT EXISTS entries_order ON entries(timestamp_ms, aggregator_id, seq)
    WHERE included = 0;
CREATE INDEX IF NOT EXISTS entries_hash ON entries(tx_hash);
CREATE TABLE IF NOT EXISTS aggregators (
    aggregator_id TEXT PRIMARY KEY,
    rpc_url TEXT,
    contiguous_seq INTEGER NOT NULL DEFAULT 0,
    contiguous_ts_ms INTEGER NOT NULL DEFAULT 0,
    head_seq INTEGER NOT NULL DEFAULT 0,
    head_now_ms INTEGER NOT NULL DEFAULT 0,
    last_heard_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS included (
    tx_hash BLOB PRIMARY KEY,
    aggregator_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    block_number INTEGER NOT NULL
);
"""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class IncomingEntry:
    """One entry of a batch, parsed and hash-checked."""

    seq: int
    timestamp_ms: int
    tx_hash: bytes
    raw: bytes


@dataclass
class BatchResult:
    stored: int
    contiguous_seq: int
    gap: bool


def parse_entries(entries: Any) -> list[IncomingEntry]:
    """Validate the wire form of a batch; raises -32602 on any malformed entry."""
    if not isinstance(entries, list):
        raise RpcError(INVALID_PARAMS, "invalid argument 1: entries must be an array")
    out = []
    for index, item in enumerate(entries):
        try:
            seq, ts = item["seq"], item["timestampMs"]
            raw = bytes.fromhex(item["raw"][2:])
            tx_hash = bytes.fromhex(item["hash"][2:])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise RpcError(INVALID_PARAMS, f"invalid argument 1: malformed entry {index}") from None
        if not isinstance(seq, int) or not isinstance(ts, int) or seq < 1:
            raise RpcError(INVALID_PARAMS, f"invalid argument 1: bad seq/timestamp in {index}")
        if keccak_256(raw).digest() != tx_hash:
            raise RpcError(INVALID_PARAMS, f"invalid argument 1: hash mismatch in entry {index}")
        out.append(IncomingEntry(seq, ts, tx_hash, raw))
    return out


class SequenceConflict(RpcError):
    """An aggregator sent two different transactions under one sequence number."""

    def __init__(self, aggregator_id: str, seq: int) -> None:
        super().__init__(
            SEQUENCE_CONFLICT,
            f"sequence conflict: aggregator {aggregator_id} seq {seq} already holds"
            " a different transaction",
        )


def _check_same_entry(conn: sqlite3.Connection, aggregator_id: str, entry: IncomingEntry) -> None:
    row = conn.execute(
        "SELECT tx_hash, timestamp_ms FROM entries WHERE aggregator_id=? AND seq=?",
        (aggregator_id, entry.seq),
    ).fetchone()
    if row is not None and (row[0], row[1]) != (entry.tx_hash, entry.timestamp_ms):
        raise SequenceConflict(aggregator_id, entry.seq)


class ProducerIntake:
    """Durable intake state; every method is thread-safe."""

    def __init__(
        self,
        db_path: str | Path,
        producer_id: str = "producer",
        clock_ms: Callable[[], int] = wall_clock_ms,
        silence_timeout_ms: int = 2000,
        durability: str = "normal",
        known_aggregators: dict[str, str | None] | None = None,
    ) -> None:
        self.producer_id = producer_id
        self.direct_id = f"direct:{producer_id}"
        self.clock_ms = clock_ms
        self.silence_timeout_ms = silence_timeout_ms
        self._conn = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self.gap_event = threading.Event()
        for aggregator_id, rpc_url in (known_aggregators or {}).items():
            self.register_aggregator(aggregator_id, rpc_url)

    def register_aggregator(self, aggregator_id: str, rpc_url: str | None = None) -> None:
        """Make an aggregator *known*: it holds the ordering cut back from now on, even
        before its first batch (until ``silence_timeout_ms`` without a word from it)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO aggregators(aggregator_id, last_heard_ms) VALUES (?, ?)",
                (aggregator_id, self.clock_ms()),
            )
            if rpc_url is not None:
                self._conn.execute(
                    "UPDATE aggregators SET rpc_url=? WHERE aggregator_id=?",
                    (rpc_url, aggregator_id),
                )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- receiving --------------------------------------------------------------------
    def _ensure_aggregator(self, aggregator_id: str) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO aggregators(aggregator_id) VALUES (?)", (aggregator_id,)
        )

    def _advance_contiguous(self, aggregator_id: str) -> int:
        seq, ts = self._conn.execute(
            "SELECT contiguous_seq, contiguous_ts_ms FROM aggregators WHERE aggregator_id=?",
            (aggregator_id,),
        ).fetchone()
        rows = self._conn.execute(
            "SELECT seq, timestamp_ms FROM entries WHERE aggregator_id=? AND seq>? ORDER BY seq",
            (aggregator_id, seq),
        )
        for next_seq, next_ts in rows:
            if next_seq != seq + 1:
                break
            seq, ts = next_seq, next_ts
        self._conn.execute(
            "UPDATE aggregators SET contiguous_seq=?, contiguous_ts_ms=? WHERE aggregator_id=?",
            (seq, ts, aggregator_id),
        )
        return int(seq)

    def receive_batch(
        self,
        aggregator_id: str,
        entries: Sequence[IncomingEntry],
        head_seq: int | None = None,
        head_now_ms: int | None = None,
        rpc_url: str | None = None,
    ) -> BatchResult:
        """Store a batch (idempotent) and update the aggregator's progress."""
        now = self.clock_ms()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._ensure_aggregator(aggregator_id)
                stored = 0
                for entry in entries:
                    cursor = self._conn.execute(
                        "INSERT OR IGNORE INTO entries(aggregator_id, seq, timestamp_ms, tx_hash,"
                        " raw, received_ms, included) VALUES (?, ?, ?, ?, ?, ?,"
                        " EXISTS(SELECT 1 FROM included WHERE tx_hash=?))",
                        (aggregator_id, entry.seq, entry.timestamp_ms, entry.tx_hash, entry.raw,
                         now, entry.tx_hash),
                    )  # fmt: skip
                    if cursor.rowcount == 0:
                        _check_same_entry(self._conn, aggregator_id, entry)
                    stored += cursor.rowcount
                highest = max((e.seq for e in entries), default=0)
                self._conn.execute(
                    "UPDATE aggregators SET head_seq=MAX(head_seq, ?), last_heard_ms=?,"
                    " rpc_url=COALESCE(?, rpc_url) WHERE aggregator_id=?",
                    (max(highest, head_seq or 0), now, rpc_url, aggregator_id),
                )
                if head_seq is not None and head_now_ms is not None:
                    self._conn.execute(
                        "UPDATE aggregators SET head_now_ms=MAX(head_now_ms, ?)"
                        " WHERE aggregator_id=? AND head_seq<=?",
                        (head_now_ms, aggregator_id, head_seq),
                    )
                contiguous = self._advance_contiguous(aggregator_id)
                head = self._conn.execute(
                    "SELECT head_seq FROM aggregators WHERE aggregator_id=?", (aggregator_id,)
                ).fetchone()[0]
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        gap = head > contiguous
        if gap:
            self.gap_event.set()
        return BatchResult(stored=stored, contiguous_seq=contiguous, gap=gap)

    def submit_direct(self, raw: bytes, tx_hash: bytes) -> OrderedTx:
        """Stamp and store a directly submitted (already checked) transaction."""
        with self._lock:
            stored = self.submit_direct_many([(raw, tx_hash)])[0]
        if stored is None:
            raise Rejected("already_known", "already known")
        return stored

    def submit_direct_many(self, items: Sequence[tuple[bytes, bytes]]) -> list[OrderedTx | None]:
        """Stamp and store several checked ``(raw, tx_hash)`` in one SQLite transaction,
        in order; ``None`` for a hash already held (or repeated in ``items``)."""
        out: list[OrderedTx] = []
        answers: list[OrderedTx | None] = []
        with self._lock:
            known = self.known_hashes([h for _, h in items])
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._ensure_aggregator(self.direct_id)
                last_seq, last_ts = self._conn.execute(
                    "SELECT contiguous_seq, MAX(contiguous_ts_ms, head_now_ms) FROM aggregators"
                    " WHERE aggregator_id=?",
                    (self.direct_id,),
                ).fetchone()
                ts = max(last_ts, self.clock_ms())
                for raw, tx_hash in items:
                    if tx_hash in known:
                        answers.append(None)
                        continue
                    known.add(tx_hash)
                    out.append(OrderedTx(ts, self.direct_id, last_seq + len(out) + 1, tx_hash, raw))
                    answers.append(out[-1])
                self._conn.executemany(
                    "INSERT INTO entries(aggregator_id, seq, timestamp_ms, tx_hash, raw,"
                    " received_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    [(self.direct_id, t.seq, ts, t.tx_hash, t.raw, ts) for t in out],
                )
                seq = last_seq + len(out)
                self._conn.execute(
                    "UPDATE aggregators SET contiguous_seq=?, contiguous_ts_ms=?, head_seq=?,"
                    " head_now_ms=?, last_heard_ms=? WHERE aggregator_id=?",
                    (seq, ts, seq, ts, ts, self.direct_id),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return answers

    def known_hashes(self, hashes: Sequence[bytes]) -> set[bytes]:
        """Which of ``hashes`` the intake already holds (one query per 500)."""
        found: set[bytes] = set()
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = list(hashes[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT tx_hash FROM entries WHERE tx_hash IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
                found.update(bytes(r[0]) for r in rows)
        return found

    def knows(self, tx_hash: bytes) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM entries WHERE tx_hash=? LIMIT 1", (tx_hash,)
            ).fetchone()
        return row is not None

    # --- progress and gaps ------------------------------------------------------------
    def progress(self) -> list[AggregatorProgress]:
        now = self.clock_ms()
        with self._lock:
            rows = self._conn.execute(
                "SELECT aggregator_id, contiguous_seq, contiguous_ts_ms, head_seq, head_now_ms,"
                " last_heard_ms FROM aggregators ORDER BY aggregator_id"
            ).fetchall()
        out = []
        for row in rows:
            item = AggregatorProgress(*row)
            if item.aggregator_id == self.direct_id:  # always current: stamped here
                item = AggregatorProgress(
                    item.aggregator_id, item.contiguous_seq, item.contiguous_ts_ms,
                    item.contiguous_seq, max(now, item.head_now_ms), now,
                )  # fmt: skip
            out.append(item)
        return out

    def missing_ranges(self) -> list[tuple[str, str | None, int, int]]:
        """``(aggregator_id, rpc_url, from_seq, count)`` for every known gap."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT aggregator_id, rpc_url, contiguous_seq, head_seq FROM aggregators"
                " WHERE head_seq > contiguous_seq ORDER BY aggregator_id"
            ).fetchall()
        return [
            (agg, url, contiguous + 1, min(head - contiguous, GAP_FETCH_LIMIT))
            for agg, url, contiguous, head in rows
        ]

    def contiguous(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT aggregator_id, contiguous_seq FROM aggregators"
            ).fetchall()
        return {agg: seq for agg, seq in rows}

    # --- the block builder's API ------------------------------------------------------
    def next_block_candidates(self, max_txs: int) -> list[OrderedTx]:
        """Up to ``max_txs`` transactions in final order, not yet included.

        Idempotent until :meth:`mark_included`: the same call returns the same list.
        """
        cut = watermark(self.progress(), self.clock_ms(), self.silence_timeout_ms)
        contiguous = self.contiguous()
        with self._lock:
            rows = self._conn.execute(
                "SELECT timestamp_ms, aggregator_id, seq, tx_hash, raw FROM entries"
                " WHERE included = 0 AND (timestamp_ms, aggregator_id, seq) <= (?, ?, ?)"
                " ORDER BY timestamp_ms, aggregator_id, seq LIMIT ?",
                (*cut, 2 * max_txs + 64),
            ).fetchall()
        entries = [OrderedTx(*row) for row in rows]
        return select_candidates(entries, contiguous, cut, (), max_txs)

    def mark_included(self, txs: Iterable[OrderedTx], block_number: int) -> None:
        """Record that ``txs`` went into ``block_number``; their duplicates are retired."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for tx in txs:
                    self._conn.execute(
                        "INSERT OR IGNORE INTO included(tx_hash, aggregator_id, seq, block_number)"
                        " VALUES (?, ?, ?, ?)",
                        (tx.tx_hash, tx.aggregator_id, tx.seq, block_number),
                    )
                    self._conn.execute(
                        "UPDATE entries SET included=1 WHERE tx_hash=?", (tx.tx_hash,)
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def entries_of(self, aggregator_id: str) -> list[OrderedTx]:
        """Every stored entry of one aggregator, by seq (inspection and tests)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT timestamp_ms, aggregator_id, seq, tx_hash, raw FROM entries"
                " WHERE aggregator_id=? ORDER BY seq",
                (aggregator_id,),
            ).fetchall()
        return [OrderedTx(*row) for row in rows]

    def status(self) -> dict[str, Any]:
        with self._lock:
            pending = self._conn.execute("SELECT COUNT(*) FROM entries WHERE included=0").fetchone()
        return {
            "producerId": self.producer_id,
            "pending": pending[0],
            "aggregators": [
                {
                    "aggregatorId": p.aggregator_id,
                    "contiguousSeq": p.contiguous_seq,
                    "headSeq": p.head_seq,
                    "headNowMs": p.head_now_ms,
                    "lastHeardMs": p.last_heard_ms,
                }
                for p in self.progress()
            ],
        }


# --- gap recovery ---------------------------------------------------------------------
def fill_gaps_once(
    intake: ProducerIntake,
    client_for: Callable[[str], RpcCaller],
    known_urls: dict[str, str],
    log: JsonLog,
    metrics: Metrics,
    gap_seen_ms: dict[tuple[str, int], int] | None = None,
    grace_ms: int = 0,
) -> int:
    """Ask each aggregator with a gap for the missing range; returns entries recovered.

    With ``gap_seen_ms``, a gap is fetched only once it has stayed open ``grace_ms``
    (batches in flight close most gaps a heartbeat reveals, at no cost).
    """
    recovered = 0
    now = intake.clock_ms()
    open_gaps = intake.missing_ranges()
    if gap_seen_ms is not None:
        current = {(agg, start) for agg, _, start, _ in open_gaps}
        for stale in set(gap_seen_ms) - current:
            del gap_seen_ms[stale]
    for aggregator_id, url, from_seq, count in open_gaps:
        target = known_urls.get(aggregator_id) or url
        if target is None:
            continue
        if gap_seen_ms is not None:
            first_seen = gap_seen_ms.setdefault((aggregator_id, from_seq), now)
            if now - first_seen < grace_ms:
                continue
        try:
            answer = client_for(target).call("altrollup_getSequenced", from_seq, count)
            entries = parse_entries(answer.get("entries"))
        except (RpcTransportError, RpcCallError, RpcError, AttributeError) as exc:
            log("gap_fetch_failed", aggregator=aggregator_id, url=target, error=str(exc))
            metrics.inc("gap_fetch_failures_total", aggregator=aggregator_id)
            continue
        result = intake.receive_batch(
            aggregator_id, entries, answer.get("headSeq"), answer.get("nowMs")
        )
        recovered += result.stored
        metrics.inc("gap_recovered_total", result.stored, aggregator=aggregator_id)
        log(
            "gap_fetched", aggregator=aggregator_id, from_seq=from_seq, count=count,
            stored=result.stored, contiguous_seq=result.contiguous_seq,
        )  # fmt: skip
    return recovered


# --- the process ----------------------------------------------------------------------
@dataclass
class IntakeService:
    """The running intake: store, RPC server and gap-recovery thread."""

    intake: ProducerIntake
    policy: AdmissionPolicy
    state: StateView
    log: JsonLog
    metrics: Metrics
    aggregator_urls: dict[str, str] = field(default_factory=dict)
    drop_batches: set[int] = field(default_factory=set)  # test hook: nth non-empty batch
    gap_poll_ms: int = 50
    gap_grace_ms: int = 150
    server: JsonRpcServer | None = None
    _batches_seen: int = 0
    _clients: dict[str, JsonRpcClient] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def client_for(self, url: str) -> JsonRpcClient:
        if url not in self._clients:
            self._clients[url] = JsonRpcClient(url, timeout=5.0)
        return self._clients[url]

    def stop(self) -> None:
        self._stop.set()
        self.intake.gap_event.set()
        if self.server is not None:
            self.server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.intake.close()


def submit_batch(service: IntakeService, params: Any) -> dict[str, Any]:
    aggregator_id, raw_entries, *rest = positional_params(params, 2, 3)
    if not isinstance(aggregator_id, str) or not aggregator_id:
        raise RpcError(INVALID_PARAMS, "invalid argument 0: aggregator id must be a string")
    if aggregator_id.startswith("direct:"):
        raise RpcError(INVALID_PARAMS, "invalid argument 0: reserved aggregator id")
    info = rest[0] if rest and isinstance(rest[0], dict) else {}
    entries = parse_entries(raw_entries)
    if entries:
        with service._count_lock:  # noqa: SLF001 - own service state
            service._batches_seen += 1  # noqa: SLF001
            ordinal = service._batches_seen  # noqa: SLF001
        if ordinal in service.drop_batches:
            service.log("batch_dropped_for_test", aggregator=aggregator_id, ordinal=ordinal,
                        first_seq=entries[0].seq, last_seq=entries[-1].seq)  # fmt: skip
            return {"acked": True, "stored": 0, "contiguousSeq": None}
    head, now = info.get("headSeq"), info.get("nowMs")
    result = service.intake.receive_batch(
        aggregator_id,
        entries,
        head if isinstance(head, int) else None,
        now if isinstance(now, int) else None,
        info.get("rpcUrl") if isinstance(info.get("rpcUrl"), str) else None,
    )
    if entries:
        service.metrics.inc("batches_received_total", aggregator=aggregator_id)
        service.metrics.inc("tx_received_total", result.stored, aggregator=aggregator_id)
        service.log(
            "batch_received", aggregator=aggregator_id, first_seq=entries[0].seq,
            last_seq=entries[-1].seq, stored=result.stored, contiguous_seq=result.contiguous_seq,
            gap=result.gap,
        )  # fmt: skip
    return {"acked": True, "stored": result.stored, "contiguousSeq": result.contiguous_seq}


def send_raw_transaction(service: IntakeService, params: Any) -> str:
    (value,) = positional_params(params, 1, 1)
    try:
        raw = parse_raw_param(value)
        if service.intake.knows(keccak_256(raw).digest()):
            raise Rejected("already_known", "already known")
        admitted = admit(raw, service.policy, service.state)
        tx = service.intake.submit_direct(admitted.raw, admitted.tx_hash)
    except Rejected as exc:
        service.metrics.inc("direct_rejected_total", reason=exc.reason)
        service.log("direct_rejected", reason=exc.reason, message=exc.message)
        raise
    service.metrics.inc("direct_accepted_total")
    service.log("direct_accepted", seq=tx.seq, hash="0x" + tx.tx_hash.hex())
    return "0x" + tx.tx_hash.hex()


def _gap_loop(service: IntakeService) -> None:
    gap_seen_ms: dict[tuple[str, int], int] = {}
    while not service._stop.is_set():  # noqa: SLF001
        service.intake.gap_event.wait(service.gap_poll_ms / 1000)
        service.intake.gap_event.clear()
        if service._stop.is_set():  # noqa: SLF001
            return
        try:
            fill_gaps_once(
                service.intake, service.client_for, service.aggregator_urls, service.log,
                service.metrics, gap_seen_ms, service.gap_grace_ms,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - keep recovering; report it
            service.log("gap_loop_error", error=repr(exc))
            time.sleep(0.1)


def build_dispatcher(service: IntakeService) -> JsonRpcDispatcher:
    def internal_error(method: str, exc: BaseException) -> None:
        service.log("internal_error", method=method, error=repr(exc))

    dispatcher = JsonRpcDispatcher(on_internal_error=internal_error)
    chain_id = service.policy.chain_id
    dispatcher.register("altrollup_submitBatch", lambda p: submit_batch(service, p))
    dispatcher.register("eth_sendRawTransaction", lambda p: send_raw_transaction(service, p))

    def chain_id_method(params: Any) -> str:
        positional_params(params, 0, 0)
        return hex(chain_id)

    def net_version(params: Any) -> str:
        positional_params(params, 0, 0)
        return str(chain_id)

    def intake_status(params: Any) -> dict[str, Any]:
        positional_params(params, 0, 0)
        return service.intake.status()

    dispatcher.register("eth_chainId", chain_id_method)
    dispatcher.register("net_version", net_version)
    dispatcher.register("altrollup_intakeStatus", intake_status)
    return dispatcher


def start_intake(
    db_path: str | Path,
    policy: AdmissionPolicy,
    producer_id: str = "producer",
    host: str = "127.0.0.1",
    port: int = 0,
    state: StateView = unlimited_state,
    clock_ms: Callable[[], int] = wall_clock_ms,
    aggregator_urls: dict[str, str] | None = None,
    drop_batches: Iterable[int] = (),
    silence_timeout_ms: int = 2000,
    log_enabled: bool = True,
    metrics: Metrics | None = None,
    get_routes: dict[str, GetRoute] | None = None,
) -> IntakeService:
    """Open the store, serve JSON-RPC, start gap recovery.

    ``metrics`` and ``get_routes`` (extra or replacing GET routes) let a process that
    embeds the intake (the producer node) share its registry and serve its own routes.
    """
    intake = ProducerIntake(
        db_path,
        producer_id,
        clock_ms,
        silence_timeout_ms,
        known_aggregators=dict(aggregator_urls or {}),
    )
    if metrics is None:
        metrics = Metrics(prefix="altrollup_producer_intake_")
    log = JsonLog(component=f"producer:{producer_id}", enabled=log_enabled)
    service = IntakeService(
        intake, policy, state, log, metrics, dict(aggregator_urls or {}), set(drop_batches)
    )
    service.server = JsonRpcServer(
        build_dispatcher(service),
        host,
        port,
        get_routes={
            "/metrics": lambda: (200, "text/plain; version=0.0.4", metrics.render().encode()),
            **(get_routes or {}),
        },
    )
    service.server.start()
    service._thread = threading.Thread(target=_gap_loop, args=(service,), daemon=True)  # noqa: SLF001
    service._thread.start()  # noqa: SLF001
    intake.gap_event.set()  # look for gaps left before a restart
    log("started", url=service.server.url, aggregators=service.aggregator_urls)
    return service


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agents.producer.intake``: run the intake until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="altrollup-producer-intake")
    parser.add_argument("--id", default="producer")
    parser.add_argument("--db", required=True)
    parser.add_argument("--chain-id", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--aggregator", action="append", default=[], help="ID=URL")
    parser.add_argument("--silence-timeout-ms", type=int, default=2000)
    parser.add_argument("--allow-unprotected", action="store_true")
    parser.add_argument("--test-drop-batch", type=int, action="append", default=[],
                        help="(tests) acknowledge but discard the Nth non-empty batch")  # fmt: skip
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    urls = dict(item.split("=", 1) for item in args.aggregator)
    policy = AdmissionPolicy(chain_id=args.chain_id, allow_unprotected=args.allow_unprotected)
    try:
        service = start_intake(
            args.db, policy, args.id, args.host, args.port, aggregator_urls=urls,
            drop_batches=args.test_drop_batch, silence_timeout_ms=args.silence_timeout_ms,
            log_enabled=not args.quiet,
        )  # fmt: skip
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"listening": service.url, "producerId": args.id}), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
