"""The verifier's SQLite state (``STATE_DIR/verifier.sqlite3``, WAL, ``synchronous=FULL``).

Tables:

- ``meta``: identity (``chain_id``, ``rollup``, ``account``, ``l2_chain_id``,
  ``genesis_hash``) — a state directory refuses another rollup, key or chain;
- ``blocks``: every L2 block the verifier re-executed: number, hash, state root, per-tx
  roots, the encoded block (what packs carry), ``status`` ``verified`` or ``faulty``;
- ``packs``: the packs this verifier built, with the lifecycle of :data:`PACK_TRANSITIONS`
  and, once sent, the posting nonce, transaction hash and the L1 pack id;
- ``votes``: the votes it cast on other verifiers' packs (one per L1 pack id).

The world state itself lives beside it in an LMDB :class:`~agents.evm.store.MerkleStore`
(``STATE_DIR/state``); :meth:`Store.last_verified` says which root it must be at.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"


class PackStatus(StrEnum):
    """Lifecycle of a pack this verifier built (docs/verifier.md)."""

    BUILT = "built"  # header and data ready, not sent
    POSTING = "posting"  # the posting transaction may be in flight (nonce recorded)
    POSTED = "posted"  # on L1 (tier 0)
    TIER2 = "tier2"  # affirmation quorum reached
    TIER3 = "tier3"  # finalized
    INVALIDATED = "invalidated"  # lost a dispute, or extended one that did
    SUPERSEDED = "superseded"  # another verifier posted this range first (never sent)


#: Allowed status changes; ``invalidated`` packs are rebuilt as new rows.
PACK_TRANSITIONS: dict[PackStatus, frozenset[PackStatus]] = {
    PackStatus.BUILT: frozenset({PackStatus.POSTING, PackStatus.SUPERSEDED}),
    PackStatus.POSTING: frozenset({PackStatus.POSTED, PackStatus.BUILT, PackStatus.SUPERSEDED}),
    PackStatus.POSTED: frozenset({PackStatus.TIER2, PackStatus.TIER3, PackStatus.INVALIDATED}),
    PackStatus.TIER2: frozenset({PackStatus.TIER3, PackStatus.INVALIDATED}),
    PackStatus.TIER3: frozenset(),
    PackStatus.INVALIDATED: frozenset(),
    PackStatus.SUPERSEDED: frozenset(),
}


class StoreError(RuntimeError):
    """The state directory belongs to another identity, or a forbidden status change."""


def check_pack_transition(old: PackStatus, new: PackStatus) -> None:
    if new != old and new not in PACK_TRANSITIONS[old]:
        raise StoreError(f"pack status cannot go from {old} to {new}")


@dataclass(frozen=True)
class BlockRow:
    """One re-executed block."""

    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    timestamp_ms: int
    tx_roots: tuple[bytes, ...]
    encoded: bytes
    status: str  # "verified" | "faulty"
    detail: str


@dataclass(frozen=True)
class PackRow:
    """One pack this verifier built."""

    id: int
    first_block: int
    last_block: int
    parent_pack: int
    parent_root: bytes
    tx_count: int
    commitment: bytes
    state_root: bytes
    da: str
    status: PackStatus
    l1_pack_id: int | None
    nonce: int | None
    tx_hash: bytes | None
    sent_block: int | None
    detail: str
    created_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY, hash BLOB NOT NULL, parent_hash BLOB NOT NULL,
    state_root BLOB NOT NULL, timestamp_ms INTEGER NOT NULL, tx_roots BLOB NOT NULL,
    encoded BLOB NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, first_block INTEGER NOT NULL,
    last_block INTEGER NOT NULL, parent_pack INTEGER NOT NULL, parent_root BLOB NOT NULL,
    tx_count INTEGER NOT NULL, commitment BLOB NOT NULL, state_root BLOB NOT NULL,
    da TEXT NOT NULL, status TEXT NOT NULL, l1_pack_id INTEGER, nonce INTEGER,
    tx_hash BLOB, sent_block INTEGER, detail TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS txs (hash BLOB PRIMARY KEY, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    l1_pack_id INTEGER PRIMARY KEY, vote TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT NOT NULL, tx_hash BLOB, updated_at REAL NOT NULL);
"""


class Store:
    """The verifier's tables over one SQLite connection (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def bind_identity(self, identity: dict[str, str]) -> None:
        """Record ``identity`` on first use; refuse a state dir bound to another one."""
        with self.transaction() as db:
            for key, value in identity.items():
                row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
                if row is None:
                    db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
                elif str(row[0]).lower() != value.lower():
                    raise StoreError(
                        f"state dir {self.path.parent} belongs to {key}={row[0]}, not {value}"
                    )

    # -- blocks -------------------------------------------------------------------

    def put_block(self, row: BlockRow, tx_hashes: tuple[bytes, ...] = ()) -> None:
        """Record a block (and, for a verified one, its transaction hashes)."""
        with self.transaction() as db:
            db.execute("DELETE FROM txs WHERE block = ?", (row.number,))
            if row.status == "verified":
                db.executemany(
                    "INSERT OR REPLACE INTO txs VALUES (?, ?)", [(h, row.number) for h in tx_hashes]
                )
            db.execute(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.number,
                    row.hash,
                    row.parent_hash,
                    row.state_root,
                    row.timestamp_ms,
                    b"".join(row.tx_roots),
                    row.encoded,
                    row.status,
                    row.detail,
                ),
            )

    def delete_blocks_from(self, number: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM blocks WHERE number >= ?", (number,))
            db.execute("DELETE FROM txs WHERE block >= ?", (number,))

    def tx_block(self, tx_hash: bytes) -> int | None:
        """The verified block that included ``tx_hash``, if any."""
        with self._lock:
            row = self._db.execute("SELECT block FROM txs WHERE hash = ?", (tx_hash,)).fetchone()
        return None if row is None else int(row[0])

    def block(self, number: int) -> BlockRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else _block_row(row)

    def blocks(self, first: int, last: int) -> list[BlockRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM blocks WHERE number BETWEEN ? AND ? ORDER BY number", (first, last)
            ).fetchall()
        return [_block_row(r) for r in rows]

    def summaries(self, first: int, last: int) -> list[tuple[int, bytes, bytes, int, str, str]]:
        """``(number, state_root, tx_roots, timestamp_ms, status, detail)`` of blocks
        ``first..last`` (without the encoded blocks)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT number, state_root, tx_roots, timestamp_ms, status, detail FROM blocks"
                " WHERE number BETWEEN ? AND ? ORDER BY number",
                (first, last),
            ).fetchall()
        return [(int(a), bytes(b), bytes(c), int(d), str(e), str(f)) for a, b, c, d, e, f in rows]

    def head_number(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    def last_verified(self) -> BlockRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM blocks WHERE status = 'verified' ORDER BY number DESC LIMIT 1"
            ).fetchone()
        return None if row is None else _block_row(row)

    def first_faulty(self) -> BlockRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM blocks WHERE status = 'faulty' ORDER BY number LIMIT 1"
            ).fetchone()
        return None if row is None else _block_row(row)

    # -- packs --------------------------------------------------------------------

    def add_pack(
        self,
        *,
        first_block: int,
        last_block: int,
        parent_pack: int,
        parent_root: bytes,
        tx_count: int,
        commitment: bytes,
        state_root: bytes,
        da: str,
        detail: str = "",
    ) -> int:
        now = time.time()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO packs (first_block, last_block, parent_pack, parent_root, tx_count,"
                " commitment, state_root, da, status, detail, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    first_block,
                    last_block,
                    parent_pack,
                    parent_root,
                    tx_count,
                    commitment,
                    state_root,
                    da,
                    PackStatus.BUILT.value,
                    detail,
                    now,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    def pack(self, pack_row_id: int) -> PackRow:
        with self._lock:
            row = self._db.execute("SELECT * FROM packs WHERE id = ?", (pack_row_id,)).fetchone()
        if row is None:
            raise StoreError(f"no pack row {pack_row_id}")
        return _pack_row(row)

    def packs(self, *statuses: PackStatus) -> list[PackRow]:
        with self._lock:
            if statuses:
                marks = ",".join("?" for _ in statuses)
                rows = self._db.execute(
                    f"SELECT * FROM packs WHERE status IN ({marks}) ORDER BY id",
                    [s.value for s in statuses],
                ).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM packs ORDER BY id").fetchall()
        return [_pack_row(r) for r in rows]

    def set_pack_status(
        self,
        pack_row_id: int,
        status: PackStatus,
        *,
        detail: str | None = None,
        l1_pack_id: int | None = None,
        nonce: int | None = None,
        tx_hash: bytes | None = None,
        sent_block: int | None = None,
    ) -> PackRow:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM packs WHERE id = ?", (pack_row_id,)).fetchone()
            if row is None:
                raise StoreError(f"no pack row {pack_row_id}")
            current = _pack_row(row)
            check_pack_transition(current.status, status)
            db.execute(
                "UPDATE packs SET status = ?, detail = ?, l1_pack_id = ?, nonce = ?, tx_hash = ?,"
                " sent_block = ?, updated_at = ? WHERE id = ?",
                (
                    status.value,
                    current.detail if detail is None else detail,
                    current.l1_pack_id if l1_pack_id is None else l1_pack_id,
                    current.nonce if nonce is None else nonce,
                    current.tx_hash if tx_hash is None else tx_hash,
                    current.sent_block if sent_block is None else sent_block,
                    time.time(),
                    pack_row_id,
                ),
            )
        return self.pack(pack_row_id)

    def pack_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM packs GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}

    # -- votes --------------------------------------------------------------------

    def vote(self, l1_pack_id: int) -> tuple[str, str, str] | None:
        """``(vote, status, reason)`` recorded for ``l1_pack_id``."""
        with self._lock:
            row = self._db.execute(
                "SELECT vote, status, reason FROM votes WHERE l1_pack_id = ?", (l1_pack_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def record_vote(
        self, l1_pack_id: int, vote: str, status: str, reason: str, tx_hash: bytes | None = None
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                (l1_pack_id, vote, status, reason, tx_hash, time.time()),
            )

    def vote_counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT vote, status, COUNT(*) FROM votes GROUP BY vote, status"
            ).fetchall()
        return {(str(v), str(s)): int(c) for v, s, c in rows}

    def dump(self) -> str:
        """A JSON summary (for logs and debugging)."""
        return json.dumps({"packs": self.pack_counts(), "head": _num(self.last_verified())})


def _num(row: BlockRow | None) -> int | None:
    return None if row is None else row.number


def _block_row(row: Any) -> BlockRow:
    roots = bytes(row[5])
    return BlockRow(
        number=int(row[0]),
        hash=bytes(row[1]),
        parent_hash=bytes(row[2]),
        state_root=bytes(row[3]),
        timestamp_ms=int(row[4]),
        tx_roots=tuple(roots[i : i + 32] for i in range(0, len(roots), 32)),
        encoded=bytes(row[6]),
        status=str(row[7]),
        detail=str(row[8]),
    )


def _pack_row(row: Any) -> PackRow:
    return PackRow(
        id=int(row[0]),
        first_block=int(row[1]),
        last_block=int(row[2]),
        parent_pack=int(row[3]),
        parent_root=bytes(row[4]),
        tx_count=int(row[5]),
        commitment=bytes(row[6]),
        state_root=bytes(row[7]),
        da=str(row[8]),
        status=PackStatus(str(row[9])),
        l1_pack_id=None if row[10] is None else int(row[10]),
        nonce=None if row[11] is None else int(row[11]),
        tx_hash=None if row[12] is None else bytes(row[12]),
        sent_block=None if row[13] is None else int(row[13]),
        detail=str(row[14]),
        created_at=float(row[15]),
    )


def open_store(state_dir: Path) -> Store:
    """Open (creating) ``state_dir/verifier.sqlite3``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return Store(state_dir / "verifier.sqlite3")
