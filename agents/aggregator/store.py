"""The aggregator's durable log of sequenced transactions (SQLite in WAL mode).

Schema (``PRAGMA user_version = 1``)::

    meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)  -- aggregator_id, chain_id, time_lease_ms
    sequenced(
        seq          INTEGER PRIMARY KEY,   -- 1, 2, 3, ... gap-free
        tx_hash      BLOB NOT NULL UNIQUE,  -- keccak of the raw bytes ("already known")
        raw          BLOB NOT NULL,         -- the signed transaction as received
        sender       BLOB NOT NULL,
        nonce        TEXT NOT NULL,        -- decimal: nonces reach 2**64 - 2
        timestamp_ms INTEGER NOT NULL,      -- trusted time, non-decreasing in seq
        acked_by     TEXT,                  -- producer that acknowledged it (NULL: unacked)
        acked_at_ms  INTEGER
    )

A sequence number and timestamp are assigned inside the same SQLite transaction as
the insert, so a rejected or crashed insert never burns a number: the log is always
``1..last_seq`` with no hole. The commit happens before the RPC answer; with WAL
and ``synchronous=NORMAL`` a committed row survives a killed process (``FULL`` also
survives power loss; it is the ``durability="full"`` option).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TIME_LEASE_MS = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequenced (
    seq INTEGER PRIMARY KEY,
    tx_hash BLOB NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    sender BLOB NOT NULL,
    nonce TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    acked_by TEXT,
    acked_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS sequenced_unacked ON sequenced(seq) WHERE acked_by IS NULL;
"""


@dataclass(frozen=True)
class SequencedTx:
    """One accepted transaction with the aggregator's stamp."""

    seq: int
    tx_hash: bytes
    raw: bytes
    sender: bytes
    nonce: int
    timestamp_ms: int

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "timestampMs": self.timestamp_ms,
            "hash": "0x" + self.tx_hash.hex(),
            "from": "0x" + self.sender.hex(),
            "raw": "0x" + self.raw.hex(),
        }


@dataclass(frozen=True)
class NewTx:
    """What the caller hands over for sequencing."""

    tx_hash: bytes
    raw: bytes
    sender: bytes
    nonce: int


def _entry(row: tuple[int, bytes, bytes, bytes, str, int]) -> SequencedTx:
    seq, tx_hash, raw, sender, nonce, timestamp_ms = row
    return SequencedTx(seq, tx_hash, raw, sender, int(nonce), timestamp_ms)


class DuplicateTransaction(Exception):
    """The hash is already in the log."""


class SequenceStore:
    """Thread-safe access to the log; one connection guarded by a lock."""

    def __init__(self, path: str | Path, durability: str = "normal") -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        self._conn.executescript(SCHEMA)
        self._conn.execute("PRAGMA user_version=1")
        self._lock = threading.Lock()
        row = self._conn.execute(
            "SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(timestamp_ms), 0) FROM sequenced"
        ).fetchone()
        self.last_seq: int = row[0]
        self.last_timestamp_ms: int = row[1]
        self.unacked_count: int = self._conn.execute(
            "SELECT COUNT(*) FROM sequenced WHERE acked_by IS NULL"
        ).fetchone()[0]
        lease = self._conn.execute("SELECT value FROM meta WHERE key='time_lease_ms'").fetchone()
        # a time announced before a crash is below the lease: never stamp earlier
        self.time_lease_ms: int = int(lease[0]) if lease else 0
        self.last_timestamp_ms = max(self.last_timestamp_ms, self.time_lease_ms)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- meta -------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value)
            )

    # --- sequencing -------------------------------------------------------------------
    def contains(self, tx_hash: bytes) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM sequenced WHERE tx_hash=?", (tx_hash,)
            ).fetchone()
        return row is not None

    def append(
        self,
        items: Sequence[NewTx],
        clock_ms: Callable[[], int],
        admit: Callable[[int], bool] | None = None,
    ) -> list[SequencedTx | Exception]:
        """Sequence ``items`` in one committed transaction.

        Per item the answer is the :class:`SequencedTx` or the exception that kept it
        out (:class:`DuplicateTransaction`, or whatever ``admit`` raises: it is called
        with the backlog size before each insert, for backpressure).
        """
        out: list[SequencedTx | Exception] = []
        with self._lock:
            seq, ts, backlog = self.last_seq, self.last_timestamp_ms, self.unacked_count
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                seen: set[bytes] = set()
                for item in items:
                    try:
                        if admit is not None:
                            admit(backlog)
                    except Exception as exc:  # noqa: BLE001 - handed back per item
                        out.append(exc)
                        continue
                    if (
                        item.tx_hash in seen
                        or self._conn.execute(
                            "SELECT 1 FROM sequenced WHERE tx_hash=?", (item.tx_hash,)
                        ).fetchone()
                    ):
                        out.append(DuplicateTransaction())
                        continue
                    seen.add(item.tx_hash)
                    seq += 1
                    ts = max(ts, int(clock_ms()))  # trusted time never goes backwards
                    self._conn.execute(
                        "INSERT INTO sequenced(seq, tx_hash, raw, sender, nonce, timestamp_ms)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (seq, item.tx_hash, item.raw, item.sender, str(item.nonce), ts),
                    )
                    backlog += 1
                    out.append(
                        SequencedTx(seq, item.tx_hash, item.raw, item.sender, item.nonce, ts)
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self.last_seq, self.last_timestamp_ms, self.unacked_count = seq, ts, backlog
        return out

    # --- reading ----------------------------------------------------------------------
    def range(self, from_seq: int, count: int) -> list[SequencedTx]:
        """Entries ``from_seq .. from_seq + count - 1`` that exist, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, tx_hash, raw, sender, nonce, timestamp_ms FROM sequenced"
                " WHERE seq >= ? AND seq < ? ORDER BY seq",
                (from_seq, from_seq + count),
            ).fetchall()
        return [_entry(row) for row in rows]

    def unacked(self, after_seq: int, limit: int) -> list[SequencedTx]:
        """Unacknowledged entries with ``seq > after_seq``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, tx_hash, raw, sender, nonce, timestamp_ms FROM sequenced"
                " WHERE acked_by IS NULL AND seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [_entry(row) for row in rows]

    def first_unacked_seq(self) -> int | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(seq) FROM sequenced WHERE acked_by IS NULL"
            ).fetchone()
        return row[0]

    def mark_acked(self, seqs: Sequence[int], producer: str, now_ms: int) -> int:
        """Record the producer's acknowledgement; returns how many rows changed."""
        if not seqs:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            changed = 0
            for seq in seqs:
                cursor = self._conn.execute(
                    "UPDATE sequenced SET acked_by=?, acked_at_ms=?"
                    " WHERE seq=? AND acked_by IS NULL",
                    (producer, now_ms, seq),
                )
                changed += cursor.rowcount
            self._conn.execute("COMMIT")
            self.unacked_count -= changed
        return changed


def head_and_time(store: SequenceStore, clock_ms: Callable[[], int]) -> tuple[int, int]:
    """``(last_seq, now_ms)`` read atomically: every later entry gets ``timestamp >= now_ms``.

    The promise is kept by raising the in-memory timestamp floor to ``now_ms`` and, across
    restarts, by a persisted *time lease*: announced times never exceed the lease, which
    is moved ``TIME_LEASE_MS`` ahead (one small write) whenever time reaches it, and a
    reopened store stamps nothing below it even if the wall clock went backwards.
    """
    with store._lock:  # noqa: SLF001 - the store's own lock, same module family
        now = max(store.last_timestamp_ms, int(clock_ms()))
        if now > store.time_lease_ms:
            store.time_lease_ms = now + TIME_LEASE_MS
            store._conn.execute(  # noqa: SLF001
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('time_lease_ms', ?)",
                (str(store.time_lease_ms),),
            )
        store.last_timestamp_ms = now
        return store.last_seq, now
