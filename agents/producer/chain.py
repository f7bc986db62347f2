"""The producer's chain: blocks, receipts, the transaction and log indexes (SQLite, WAL),
and the world state shared between the block builder and the RPC threads.

Schema (``chain.sqlite``)::

    meta(key TEXT PRIMARY KEY, value TEXT)        -- chain_id, genesis_hash
    blocks(number INTEGER PRIMARY KEY, hash BLOB UNIQUE, state_root BLOB,
           timestamp_ms INTEGER, tx_count INTEGER, rlp BLOB)   -- Block.encode()
    receipts(tx_hash BLOB PRIMARY KEY, block_number INTEGER, tx_index INTEGER,
             data BLOB)                            -- BlockReceipt.encode()
    logs(block_number INTEGER, log_index INTEGER, tx_index INTEGER, address BLOB,
         topic0 BLOB, PRIMARY KEY (block_number, log_index))   -- the log index
    dropped(tx_hash BLOB PRIMARY KEY, block_number INTEGER, reason TEXT, detail TEXT)

A block, its receipts, its logs and the transactions dropped while building it are
written in one SQLite transaction (:meth:`ChainStore.append`), so the chain database
is always a prefix of what the producer sealed. The world state lives in a
:class:`~agents.evm.store.MerkleStore`; :class:`SharedState` serialises access to it
(one lock) because the builder writes it while RPC threads read past roots.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agents.evm.backend import Account, StateDiff
from agents.evm.store import AccountRecord, MerkleStore, StateProof
from agents.producer.blocks import Block, BlockReceipt, ExecutedBlock, SkippedTx

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    state_root BLOB NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    tx_count INTEGER NOT NULL,
    rlp BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    tx_hash BLOB PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_block ON receipts(block_number, tx_index);
CREATE TABLE IF NOT EXISTS logs (
    block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    address BLOB NOT NULL,
    topic0 BLOB,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS logs_address ON logs(address, block_number);
CREATE INDEX IF NOT EXISTS logs_topic0 ON logs(topic0, block_number);
CREATE TABLE IF NOT EXISTS dropped (
    tx_hash BLOB PRIMARY KEY,
    block_number INTEGER NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


class ChainMismatch(Exception):
    """The state directory belongs to another chain (chain id or genesis differ)."""


@dataclass(frozen=True)
class LogRecord:
    """A log as ``eth_getLogs`` reports it."""

    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


class ChainStore:
    """Blocks and receipts by number and hash; thread-safe (one connection, one lock)."""

    def __init__(self, path: str | Path, cache_blocks: int = 512) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._cache: OrderedDict[int, Block] = OrderedDict()
        self._cache_size = cache_blocks
        self._head: Block | None = None
        row = self._conn.execute("SELECT MAX(number) FROM blocks").fetchone()
        if row[0] is not None:
            self._head = self.block_by_number(int(row[0]))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- identity ---
    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def check_identity(self, chain_id: int, genesis: Block) -> None:
        """Remember (first run) or check (later runs) the chain id and genesis hash."""
        expected = {"chain_id": str(chain_id), "genesis_hash": genesis.hash.hex()}
        with self._lock:
            for key, value in expected.items():
                stored = self.meta(key)
                if stored is None:
                    self._conn.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (key, value))
                elif stored != value:
                    raise ChainMismatch(
                        f"state directory holds another chain: {key} is {stored}, not {value}"
                    )

    # --- writing ---
    def append(self, executed: ExecutedBlock, dropped: Sequence[SkippedTx] = ()) -> None:
        """Persist a sealed block with its receipts, logs and dropped transactions."""
        block = executed.block
        with self._lock:
            if self._head is not None and (
                block.number != self._head.number + 1 or block.parent_hash != self._head.hash
            ):
                raise ValueError(f"block {block.number} does not extend head {self._head.number}")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO blocks(number, hash, state_root, timestamp_ms, tx_count, rlp)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (block.number, block.hash, block.state_root, block.timestamp_ms,
                     len(block.transactions), block.encode()),
                )  # fmt: skip
                self._conn.executemany(
                    "INSERT INTO receipts(tx_hash, block_number, tx_index, data) VALUES (?,?,?,?)",
                    [(r.tx_hash, block.number, r.index, r.encode()) for r in executed.receipts],
                )
                log_rows = []
                log_index = 0
                for receipt in executed.receipts:
                    for address, topics, _ in receipt.logs:
                        topic0 = topics[0] if topics else None
                        log_rows.append((block.number, log_index, receipt.index, address, topic0))
                        log_index += 1
                self._conn.executemany(
                    "INSERT INTO logs(block_number, log_index, tx_index, address, topic0)"
                    " VALUES (?, ?, ?, ?, ?)",
                    log_rows,
                )
                self._conn.executemany(
                    "INSERT OR IGNORE INTO dropped(tx_hash, block_number, reason, detail)"
                    " VALUES (?, ?, ?, ?)",
                    [(d.tx_hash, block.number, d.reason, d.detail) for d in dropped],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._head = block
            self._remember(block)

    def record_dropped(self, dropped: Sequence[SkippedTx], at_block: int) -> None:
        """Persist transactions dropped while no block was sealed (checked at ``at_block``)."""
        if not dropped:
            return
        with self._lock:
            self._conn.executemany(
                "INSERT OR IGNORE INTO dropped(tx_hash, block_number, reason, detail)"
                " VALUES (?, ?, ?, ?)",
                [(d.tx_hash, at_block, d.reason, d.detail) for d in dropped],
            )

    # --- reading ---
    @property
    def head(self) -> Block | None:
        return self._head

    def _remember(self, block: Block) -> None:
        self._cache[block.number] = block
        self._cache.move_to_end(block.number)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def block_by_number(self, number: int) -> Block | None:
        with self._lock:
            cached = self._cache.get(number)
            if cached is not None:
                return cached
            row = self._conn.execute("SELECT rlp FROM blocks WHERE number=?", (number,)).fetchone()
            if row is None:
                return None
            block = Block.decode(bytes(row[0]))
            self._remember(block)
            return block

    def number_of_hash(self, block_hash: bytes) -> int | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT number FROM blocks WHERE hash=?", (block_hash,)
            ).fetchone()
        return None if row is None else int(row[0])

    def block_by_hash(self, block_hash: bytes) -> Block | None:
        number = self.number_of_hash(block_hash)
        return None if number is None else self.block_by_number(number)

    def block_hash(self, number: int) -> bytes:
        """Hash of block ``number`` (zero if unknown): the BLOCKHASH source."""
        block = self.block_by_number(number)
        return block.hash if block is not None else bytes(32)

    def receipt(self, tx_hash: bytes) -> BlockReceipt | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM receipts WHERE tx_hash=?", (tx_hash,)
            ).fetchone()
        return None if row is None else BlockReceipt.decode(bytes(row[0]))

    def tx_location(self, tx_hash: bytes) -> tuple[int, int] | None:
        """``(block_number, tx_index)`` of an included transaction."""
        with self._lock:
            row = self._conn.execute(
                "SELECT block_number, tx_index FROM receipts WHERE tx_hash=?", (tx_hash,)
            ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def receipts_of(self, number: int) -> list[BlockReceipt]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT data FROM receipts WHERE block_number=? ORDER BY tx_index", (number,)
            ).fetchall()
        return [BlockReceipt.decode(bytes(r[0])) for r in rows]

    def dropped_reason(self, tx_hash: bytes) -> tuple[int, str, str] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT block_number, reason, detail FROM dropped WHERE tx_hash=?", (tx_hash,)
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]))

    def known_hashes(self, hashes: Sequence[bytes]) -> dict[bytes, int]:
        """Which of ``hashes`` are already included or dropped: hash -> block number."""
        if not hashes:
            return {}
        found: dict[bytes, int] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = list(hashes[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for table in ("receipts", "dropped"):
                    rows = self._conn.execute(
                        f"SELECT tx_hash, block_number FROM {table} WHERE tx_hash IN ({marks})",  # noqa: S608
                        chunk,
                    ).fetchall()
                    found.update({bytes(h): int(n) for h, n in rows})
        return found

    def log_candidates(
        self, first: int, last: int, addresses: Sequence[bytes], topic0: Sequence[bytes]
    ) -> list[tuple[int, int]]:
        """``(block_number, log_index)`` of logs in ``[first, last]`` matching the address
        and first-topic filters (empty = any); the caller checks the other topics."""
        query = "SELECT block_number, log_index FROM logs WHERE block_number BETWEEN ? AND ?"
        args: list[object] = [first, last]
        if addresses:
            query += f" AND address IN ({','.join('?' * len(addresses))})"
            args += list(addresses)
        if topic0:
            query += f" AND topic0 IN ({','.join('?' * len(topic0))})"
            args += list(topic0)
        query += " ORDER BY block_number, log_index"
        with self._lock:
            rows = self._conn.execute(query, args).fetchall()
        return [(int(b), int(i)) for b, i in rows]

    def logs_of_block(self, number: int) -> list[LogRecord]:
        block = self.block_by_number(number)
        if block is None:
            return []
        out = []
        log_index = 0
        for receipt in self.receipts_of(number):
            for address, topics, data in receipt.logs:
                out.append(
                    LogRecord(number, block.hash, receipt.tx_hash, receipt.index, log_index,
                              address, topics, data)
                )  # fmt: skip
                log_index += 1
        return out


class SharedState:
    """The :class:`MerkleStore` behind one lock, for the builder and the RPC threads."""

    def __init__(self, store: MerkleStore) -> None:
        self.store = store
        self.lock = threading.RLock()

    @contextmanager
    def locked(self) -> Iterator[MerkleStore]:
        with self.lock:
            yield self.store

    def head_backend(self) -> LockedHeadBackend:
        """The writable head state (the block builder's backend)."""
        return LockedHeadBackend(self)

    def view(self, root: bytes) -> LockedView:
        """A read-only backend at ``root`` (``KeyError`` if the store never had it)."""
        with self.lock:
            self.store.at_root(root)
        return LockedView(self, root)

    def has_root(self, root: bytes) -> bool:
        try:
            self.view(root)
        except KeyError:
            return False
        return True

    def record(self, address: bytes, root: bytes) -> AccountRecord | None:
        with self.lock:
            return self.store.account_record(address, root)

    def proof(self, address: bytes, slots: list[int], root: bytes) -> StateProof:
        with self.lock:
            return self.store.get_proof(address, slots, root)


class LockedHeadBackend:
    """``StateBackend`` of the store's head, each call under the shared lock."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared

    def get_account(self, address: bytes) -> Account | None:
        with self._shared.lock:
            return self._shared.store.get_account(address)

    def get_storage(self, address: bytes, key: int) -> int:
        with self._shared.lock:
            return self._shared.store.get_storage(address, key)

    def get_code(self, code_hash: bytes) -> bytes:
        with self._shared.lock:
            return self._shared.store.get_code(code_hash)

    def apply(self, diff: StateDiff) -> bytes:
        with self._shared.lock:
            return self._shared.store.apply(diff)

    def state_root(self) -> bytes:
        with self._shared.lock:
            return self._shared.store.state_root()


class LockedView:
    """Read-only ``StateBackend`` at one root; ``apply`` refuses."""

    def __init__(self, shared: SharedState, root: bytes) -> None:
        self._shared = shared
        self._root = root

    def get_account(self, address: bytes) -> Account | None:
        with self._shared.lock:
            record = self._shared.store.account_record(address, self._root)
        return None if record is None else record.account()

    def get_storage(self, address: bytes, key: int) -> int:
        with self._shared.lock:
            return self._shared.store.storage_at(address, key, self._root)

    def get_code(self, code_hash: bytes) -> bytes:
        with self._shared.lock:
            return self._shared.store.get_code(code_hash)

    def apply(self, diff: StateDiff) -> bytes:
        raise PermissionError("historical state views are read-only")

    def state_root(self) -> bytes:
        return self._root


class OverlayBackend:
    """A scratch ``StateBackend`` over a read-only one: ``apply`` keeps the diff in
    memory (for ``eth_call`` / ``eth_estimateGas``) and reports the base root."""

    def __init__(self, base: LockedView) -> None:
        self._base = base
        self._accounts: dict[bytes, Account | None] = {}
        self._storage: dict[tuple[bytes, int], int] = {}
        self._wiped: set[bytes] = set()
        self._codes: dict[bytes, bytes] = {}

    def get_account(self, address: bytes) -> Account | None:
        if address in self._accounts:
            return self._accounts[address]
        return self._base.get_account(address)

    def get_storage(self, address: bytes, key: int) -> int:
        if (address, key) in self._storage:
            return self._storage[(address, key)]
        if address in self._wiped:
            return 0
        return self._base.get_storage(address, key)

    def get_code(self, code_hash: bytes) -> bytes:
        if code_hash in self._codes:
            return self._codes[code_hash]
        return self._base.get_code(code_hash)

    def apply(self, diff: StateDiff) -> bytes:
        for address in diff.wiped_storage:
            self._wiped.add(address)
            for entry in [k for k in self._storage if k[0] == address]:
                del self._storage[entry]
        self._accounts.update(diff.accounts)
        for address, slots in diff.storage.items():
            for key, value in slots.items():
                self._storage[(address, key)] = value
        self._codes.update(diff.codes)
        return self._base.state_root()

    def state_root(self) -> bytes:
        return self._base.state_root()
