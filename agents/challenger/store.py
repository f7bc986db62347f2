"""The challenger/defender agent's persistent state: one SQLite database (WAL mode).

L1 is the source of truth; the store remembers what the agent was doing so that a
restart after ``kill -9`` resumes it exactly:

- ``meta``: key/value (rollup and game addresses, chain id, the agent's account, the
  last L1 block whose logs were scanned);
- ``packs``: every pack seen, with its place in the pack lifecycle (:class:`PackStatus`);
- ``games``: every game the agent plays (as challenger or defender) with the last state
  read from L1 and its :class:`~agents.dispute.game.GamePhase`;
- ``txs``: the transaction journal. A transaction is written here (signed, with its hash,
  nonce and raw bytes) *before* it is broadcast, so after a crash the agent knows which
  transactions may be in flight and checks each on L1 before deciding anything again.
  ``intent`` names what a transaction does (``answer:game=3:moves=5``): one intent is
  never sent twice unless its earlier transaction provably never reached the chain.

Pack lifecycle (the only allowed changes are in :data:`PACK_TRANSITIONS`)::

    SEEN -> VALID | INVALID | UNJUDGEABLE
    INVALID -> CHALLENGED -> WON | LOST
    WON -> INVALIDATED;  any non-final status -> INVALIDATED | FINALIZED (read from L1)

``UNJUDGEABLE``: the pack starts from a state the agent's view does not contain (it
extends a pack the agent considers wrong); the invalidation cascade decides it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packs (
    pack_id INTEGER PRIMARY KEY,
    poster TEXT NOT NULL,
    tx_count INTEGER NOT NULL,
    first_block INTEGER NOT NULL,
    last_block INTEGER NOT NULL,
    state_root TEXT NOT NULL,
    challenge_deadline INTEGER NOT NULL,
    posting_tx TEXT NOT NULL,
    posted_block INTEGER NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS games (
    game_id INTEGER PRIMARY KEY,
    role TEXT NOT NULL,
    pack_id INTEGER NOT NULL,
    challenger TEXT NOT NULL,
    defender TEXT NOT NULL,
    phase TEXT NOT NULL,
    moves INTEGER NOT NULL DEFAULT 0,
    state_json TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intent TEXT NOT NULL,
    action TEXT NOT NULL,
    game_id INTEGER,
    pack_id INTEGER,
    nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL UNIQUE,
    raw_tx TEXT NOT NULL,
    status TEXT NOT NULL,
    block_number INTEGER,
    gas_used INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_by_intent ON txs (intent);
CREATE INDEX IF NOT EXISTS txs_by_status ON txs (status);
"""


class PackStatus(Enum):
    """Where a pack is in the agent's lifecycle."""

    SEEN = "seen"
    VALID = "valid"
    INVALID = "invalid"
    UNJUDGEABLE = "unjudgeable"
    CHALLENGED = "challenged"
    WON = "won"
    LOST = "lost"
    INVALIDATED = "invalidated"
    FINALIZED = "finalized"

    @property
    def final(self) -> bool:
        return self in (PackStatus.INVALIDATED, PackStatus.FINALIZED)


_ENDINGS = frozenset({PackStatus.INVALIDATED, PackStatus.FINALIZED})

#: Every pack status change the agent may make (staying put is always allowed).
PACK_TRANSITIONS: dict[PackStatus, frozenset[PackStatus]] = {
    PackStatus.SEEN: frozenset({PackStatus.VALID, PackStatus.INVALID, PackStatus.UNJUDGEABLE})
    | _ENDINGS,
    PackStatus.VALID: _ENDINGS,
    PackStatus.INVALID: frozenset({PackStatus.CHALLENGED}) | _ENDINGS,
    PackStatus.UNJUDGEABLE: _ENDINGS,
    PackStatus.CHALLENGED: frozenset({PackStatus.WON, PackStatus.LOST}) | _ENDINGS,
    PackStatus.WON: _ENDINGS,
    PackStatus.LOST: _ENDINGS,
    PackStatus.INVALIDATED: frozenset(),
    PackStatus.FINALIZED: frozenset(),
}


class IllegalPackTransition(RuntimeError):
    """A pack status change outside :data:`PACK_TRANSITIONS`."""


def check_pack_transition(before: PackStatus, after: PackStatus) -> None:
    """Raise :class:`IllegalPackTransition` unless ``before -> after`` is allowed."""
    if before is not after and after not in PACK_TRANSITIONS[before]:
        raise IllegalPackTransition(f"{before.value} -> {after.value}")


class TxStatus(Enum):
    """A journaled transaction's status."""

    SIGNED = "signed"  # written before broadcast: may or may not have reached the node
    SENT = "sent"  # the node accepted it; no receipt recorded yet
    MINED = "mined"
    REVERTED = "reverted"  # mined with status 0
    DROPPED = "dropped"  # provably never mined (unknown to the node, nonce not used by it)

    @property
    def in_flight(self) -> bool:
        return self in (TxStatus.SIGNED, TxStatus.SENT)


class GameRole(Enum):
    """Which side of a game the agent plays."""

    CHALLENGER = "challenger"
    DEFENDER = "defender"


@dataclass(frozen=True)
class PackRecord:
    """One row of ``packs``."""

    pack_id: int
    poster: str
    tx_count: int
    first_block: int
    last_block: int
    state_root: str
    challenge_deadline: int
    posting_tx: str
    posted_block: int
    status: PackStatus
    detail: str


@dataclass(frozen=True)
class GameRecord:
    """One row of ``games``."""

    game_id: int
    role: GameRole
    pack_id: int
    challenger: str
    defender: str
    phase: str
    moves: int
    state: dict[str, Any]


@dataclass(frozen=True)
class TxRecord:
    """One row of ``txs``."""

    id: int
    intent: str
    action: str
    game_id: int | None
    pack_id: int | None
    nonce: int
    tx_hash: str
    raw_tx: str
    status: TxStatus
    block_number: int | None
    gas_used: int | None
    detail: str


@dataclass
class Store:
    """An open state database (use the module functions on it)."""

    path: Path
    connection: sqlite3.Connection


def open_store(state_dir: str | Path) -> Store:
    """Open (creating if needed) ``state_dir/challenger.sqlite3`` in WAL mode."""
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "challenger.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=5000")
    connection.executescript(SCHEMA)
    store = Store(path, connection)
    if get_meta(store, "schema_version") is None:
        set_meta(store, "schema_version", SCHEMA_VERSION)
    return store


def close_store(store: Store) -> None:
    store.connection.close()


@contextmanager
def transaction(store: Store) -> Iterator[sqlite3.Connection]:
    """One atomic write (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
    connection = store.connection
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# -- meta ------------------------------------------------------------------------------


def get_meta(store: Store, key: str) -> str | None:
    row = store.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(store: Store, key: str, value: str) -> None:
    with transaction(store) as db:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def bind_identity(store: Store, identity: dict[str, str]) -> None:
    """Record the rollup/game/chain/account this state belongs to, or refuse a mismatch
    (a state directory serves one agent against one rollup)."""
    for key, value in identity.items():
        known = get_meta(store, key)
        if known is None:
            set_meta(store, key, value)
        elif known.lower() != value.lower():
            raise ValueError(f"state dir {store.path.parent} belongs to {key}={known}, not {value}")


def last_scanned_block(store: Store) -> int | None:
    value = get_meta(store, "last_scanned_block")
    return None if value is None else int(value)


def set_last_scanned_block(store: Store, block: int) -> None:
    set_meta(store, "last_scanned_block", str(block))


# -- packs -----------------------------------------------------------------------------


def _pack(row: tuple[Any, ...]) -> PackRecord:
    return PackRecord(
        pack_id=row[0],
        poster=row[1],
        tx_count=row[2],
        first_block=row[3],
        last_block=row[4],
        state_root=row[5],
        challenge_deadline=row[6],
        posting_tx=row[7],
        posted_block=row[8],
        status=PackStatus(row[9]),
        detail=row[10],
    )


_PACK_COLUMNS = (
    "pack_id, poster, tx_count, first_block, last_block, state_root, challenge_deadline, "
    "posting_tx, posted_block, status, detail"
)


def add_pack(store: Store, record: PackRecord) -> bool:
    """Insert a newly seen pack; False when it is already known (rescans are harmless)."""
    with transaction(store) as db:
        cursor = db.execute(
            f"INSERT OR IGNORE INTO packs ({_PACK_COLUMNS}, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.pack_id,
                record.poster,
                record.tx_count,
                record.first_block,
                record.last_block,
                record.state_root,
                record.challenge_deadline,
                record.posting_tx,
                record.posted_block,
                record.status.value,
                record.detail,
                time.time(),
            ),
        )
        return cursor.rowcount == 1


def get_pack(store: Store, pack_id: int) -> PackRecord | None:
    row = store.connection.execute(
        f"SELECT {_PACK_COLUMNS} FROM packs WHERE pack_id = ?", (pack_id,)
    ).fetchone()
    return None if row is None else _pack(row)


def list_packs(store: Store, statuses: tuple[PackStatus, ...] | None = None) -> list[PackRecord]:
    rows = store.connection.execute(
        f"SELECT {_PACK_COLUMNS} FROM packs ORDER BY pack_id"
    ).fetchall()
    packs = [_pack(row) for row in rows]
    if statuses is None:
        return packs
    return [pack for pack in packs if pack.status in statuses]


def set_pack_status(store: Store, pack_id: int, status: PackStatus, detail: str = "") -> bool:
    """Move pack ``pack_id`` to ``status`` (checked); False when it already was there."""
    with transaction(store) as db:
        row = db.execute("SELECT status FROM packs WHERE pack_id = ?", (pack_id,)).fetchone()
        if row is None:
            raise KeyError(f"unknown pack {pack_id}")
        before = PackStatus(row[0])
        if before is status:
            return False
        check_pack_transition(before, status)
        db.execute(
            "UPDATE packs SET status = ?, detail = ?, updated_at = ? WHERE pack_id = ?",
            (status.value, detail, time.time(), pack_id),
        )
        return True


def set_pack_detail(store: Store, pack_id: int, detail: str) -> None:
    """Update a pack's free-text detail without changing its status."""
    with transaction(store) as db:
        db.execute(
            "UPDATE packs SET detail = ?, updated_at = ? WHERE pack_id = ?",
            (detail, time.time(), pack_id),
        )


# -- games -----------------------------------------------------------------------------


def add_game(store: Store, record: GameRecord) -> bool:
    """Insert a game the agent plays; False when already known."""
    with transaction(store) as db:
        cursor = db.execute(
            "INSERT OR IGNORE INTO games (game_id, role, pack_id, challenger, defender, phase, "
            "moves, state_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.game_id,
                record.role.value,
                record.pack_id,
                record.challenger,
                record.defender,
                record.phase,
                record.moves,
                json.dumps(record.state, sort_keys=True),
                time.time(),
            ),
        )
        return cursor.rowcount == 1


def update_game(store: Store, game_id: int, phase: str, moves: int, state: dict[str, Any]) -> None:
    with transaction(store) as db:
        db.execute(
            "UPDATE games SET phase = ?, moves = ?, state_json = ?, updated_at = ? "
            "WHERE game_id = ?",
            (phase, moves, json.dumps(state, sort_keys=True), time.time(), game_id),
        )


def _game(row: tuple[Any, ...]) -> GameRecord:
    return GameRecord(
        row[0], GameRole(row[1]), row[2], row[3], row[4], row[5], row[6], json.loads(row[7])
    )


def list_games(store: Store) -> list[GameRecord]:
    rows = store.connection.execute(
        "SELECT game_id, role, pack_id, challenger, defender, phase, moves, state_json "
        "FROM games ORDER BY game_id"
    ).fetchall()
    return [_game(row) for row in rows]


def get_game(store: Store, game_id: int) -> GameRecord | None:
    return next((game for game in list_games(store) if game.game_id == game_id), None)


# -- transaction journal ---------------------------------------------------------------

_TX_COLUMNS = (
    "id, intent, action, game_id, pack_id, nonce, tx_hash, raw_tx, status, block_number, "
    "gas_used, detail"
)


def _tx(row: tuple[Any, ...]) -> TxRecord:
    values = list(row)
    values[8] = TxStatus(values[8])
    return TxRecord(*values)


def journal_signed(
    store: Store,
    *,
    intent: str,
    action: str,
    game_id: int | None,
    pack_id: int | None,
    nonce: int,
    tx_hash: str,
    raw_tx: str,
) -> TxRecord:
    """Record a signed transaction before it is broadcast (durable on return)."""
    now = time.time()
    with transaction(store) as db:
        cursor = db.execute(
            # Re-signing a dropped transaction's exact content gives the same hash: the
            # row then goes back to "signed" (it is the same transaction, broadcast anew).
            "INSERT INTO txs (intent, action, game_id, pack_id, nonce, tx_hash, raw_tx, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(tx_hash) DO UPDATE SET status = excluded.status, "
            "detail = 'signed again after being dropped', updated_at = excluded.updated_at "
            "WHERE txs.status = 'dropped'",
            (
                intent,
                action,
                game_id,
                pack_id,
                nonce,
                tx_hash,
                raw_tx,
                TxStatus.SIGNED.value,
                now,
                now,
            ),
        )
        row = db.execute("SELECT id FROM txs WHERE tx_hash = ?", (tx_hash,)).fetchone()
        if cursor.rowcount != 1 or row is None:
            raise ValueError(f"transaction {tx_hash} is already journaled and not dropped")
        row_id = int(row[0])
    record = get_tx(store, row_id)
    assert record is not None
    return record


def set_tx_status(
    store: Store,
    row_id: int,
    status: TxStatus,
    *,
    block_number: int | None = None,
    gas_used: int | None = None,
    detail: str = "",
) -> None:
    with transaction(store) as db:
        db.execute(
            "UPDATE txs SET status = ?, block_number = COALESCE(?, block_number), "
            "gas_used = COALESCE(?, gas_used), detail = ?, updated_at = ? WHERE id = ?",
            (status.value, block_number, gas_used, detail, time.time(), row_id),
        )


def get_tx(store: Store, row_id: int) -> TxRecord | None:
    row = store.connection.execute(
        f"SELECT {_TX_COLUMNS} FROM txs WHERE id = ?", (row_id,)
    ).fetchone()
    return None if row is None else _tx(row)


def list_txs(store: Store, *, intent: str | None = None) -> list[TxRecord]:
    if intent is None:
        rows = store.connection.execute(f"SELECT {_TX_COLUMNS} FROM txs ORDER BY id").fetchall()
    else:
        rows = store.connection.execute(
            f"SELECT {_TX_COLUMNS} FROM txs WHERE intent = ? ORDER BY id", (intent,)
        ).fetchall()
    return [_tx(row) for row in rows]


def in_flight_txs(store: Store) -> list[TxRecord]:
    return [tx for tx in list_txs(store) if tx.status.in_flight]


def intent_blocked(store: Store, intent: str) -> TxRecord | None:
    """The journaled transaction that forbids sending ``intent`` again (None: free).

    Only a transaction that provably never landed (``DROPPED``) frees its intent.
    """
    for tx in list_txs(store, intent=intent):
        if tx.status is not TxStatus.DROPPED:
            return tx
    return None
