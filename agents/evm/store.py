"""The Merkleized, persistent world state: a :class:`StateBackend` stored in LMDB.

Two levels of :mod:`agents.evm.smt` trees, as in Ethereum: the account tree maps
``address -> keccak(account record)`` and each account's record carries the root of
its own storage tree (``slot -> value``). The account record also commits the code
twice: ``code_hash`` (keccak of the bytes, for EXTCODEHASH and CREATE) and
``code_root`` + ``code_size`` (the chunk tree of :func:`agents.evm.commitment.code_root`),
so a one-step proof can open the few code bytes one instruction reads.

Every node is content-addressed (``hash -> preimage``) in one LMDB database and never
deleted, so every historical root stays readable (:meth:`MerkleStore.at_root`). Each
:meth:`MerkleStore.apply` writes its nodes, codes and the new head root in one LMDB
write transaction: after the process dies (even ``kill -9``) the store reopens at the
last applied root. The nodes of an apply are first appended, as one record, to a node
log; every ``applies_per_node_merge`` applies (and at :meth:`MerkleStore.flush`) the
logged nodes are merged into the hash-keyed node table in one transaction, and the
store merges a leftover log when it opens. Hash keys are random, so each node inserted
touches its own B-tree page; merging many applies at once instead of inserting ~36
nodes per ERC-20 transfer is what makes the per-apply write cheap. A store opened by
another process while the writer runs reads every committed root: a node missing from
the node table is looked up in the node log.

By default commits are not fsynced one by one (an fsync per transaction would cap the
store at a few hundred transactions per second); LMDB then keeps atomicity and
consistency, and only an operating-system crash can lose the most recent applies.
:meth:`MerkleStore.flush` forces them to disk (call it at block boundaries), or pass
``sync_every_apply=True``. ``applies_per_write=N`` groups N applies into one LMDB
transaction (group commit: each apply is still all-or-nothing, but a crash may drop up
to N-1 of the latest applies, which the producer re-executes). With
``keep_intermediate_roots=False`` a group write persists only the nodes reachable from
the head (per-block persistence: the roots of the other applies in the group stop being
readable, and a dispute rebuilds them by re-executing the block, which it does anyway
to produce the step trace); this cuts the LMDB writes 2-4x. Hot nodes, decoded accounts,
committed storage values at the head and code roots are cached in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import lmdb
from sha3 import keccak_256

from agents.evm import smt
from agents.evm.backend import EMPTY_CODE_HASH, Account, StateDiff
from agents.evm.commitment import code_chunks, merkle_root

ACCOUNT_RECORD_LENGTH = 192
EMPTY_CODE_ROOT = b"\x00" * 32
HEAD_KEY = b"head"
APPLIED_KEY = b"applied"


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """The committed form of an account: six 32-byte words, hashed into the account leaf.

    Layout: ``nonce || balance || storage_root || code_hash || code_root || code_size``.
    """

    nonce: int = 0
    balance: int = 0
    storage_root: bytes = smt.EMPTY
    code_hash: bytes = EMPTY_CODE_HASH
    code_root: bytes = EMPTY_CODE_ROOT
    code_size: int = 0

    def encode(self) -> bytes:
        return (
            self.nonce.to_bytes(32, "big")
            + self.balance.to_bytes(32, "big")
            + self.storage_root
            + self.code_hash
            + self.code_root
            + self.code_size.to_bytes(32, "big")
        )

    def leaf_value(self) -> bytes:
        """The 32-byte value stored in the account tree."""
        return keccak_256(self.encode()).digest()

    def account(self) -> Account:
        return Account(self.nonce, self.balance, self.code_hash)

    @classmethod
    def decode(cls, data: bytes) -> AccountRecord:
        if len(data) != ACCOUNT_RECORD_LENGTH:
            raise ValueError("an account record is 192 bytes")
        return cls(
            int.from_bytes(data[0:32], "big"),
            int.from_bytes(data[32:64], "big"),
            data[64:96],
            data[96:128],
            data[128:160],
            int.from_bytes(data[160:192], "big"),
        )


@dataclass(frozen=True, slots=True)
class AccountProof:
    """Proof of an account record (or its absence) under a state root."""

    address: bytes
    record: AccountRecord | None
    proof: smt.SmtProof


@dataclass(frozen=True, slots=True)
class StorageProof:
    """Proof of a storage slot value under an account's storage root (0 = absent)."""

    slot: int
    value: int
    proof: smt.SmtProof


@dataclass(frozen=True, slots=True)
class StateProof:
    """What ``eth_getProof`` returns: the account proof plus one proof per slot."""

    state_root: bytes
    account: AccountProof
    storage: tuple[StorageProof, ...]


def storage_key(slot: int) -> bytes:
    """SMT key of a storage slot: the slot as a 32-byte big-endian word."""
    return slot.to_bytes(32, "big")


def verify_account_proof(state_root: bytes, proof: AccountProof) -> bool:
    """Check an :class:`AccountProof` against ``state_root``."""
    value = None if proof.record is None else proof.record.leaf_value()
    return smt.verify_proof(state_root, proof.address, value, proof.proof)


def verify_storage_proof(storage_root: bytes, proof: StorageProof) -> bool:
    """Check a :class:`StorageProof` against an account's ``storage_root``."""
    value = None if proof.value == 0 else proof.value.to_bytes(32, "big")
    return smt.verify_proof(storage_root, storage_key(proof.slot), value, proof.proof)


class _NodeCache(dict[bytes, bytes]):
    """Node dictionary ``hash -> preimage`` that falls back to LMDB on a miss.

    A plain ``dict`` subclass so that the tree's reads and writes run at C speed. New
    nodes are simply inserted; since dicts keep insertion order, the nodes not yet
    written to LMDB are among the last ``unwritten_count`` entries (with any node loaded
    from LMDB since the last write, which is rewritten harmlessly). Nothing is
    evicted while nodes are unwritten, and an apply that fails removes what it added.
    """

    def __init__(self, env: lmdb.Environment, db: Any, max_cached: int, log_db: Any) -> None:
        super().__init__()
        self._env = env
        self._db = db
        self._log_db = log_db
        self._max_cached = max_cached
        self.written_mark = 0  # entries before it are in the LMDB node table
        self.logged_mark = 0  # entries before it are in the node table or the node log

    def __missing__(self, node_hash: bytes) -> bytes:
        with self._env.begin(db=self._db) as txn:
            found = txn.get(node_hash)
        if found is None:
            found = self._from_node_log(node_hash)
        if found is None:
            raise KeyError(f"missing state node {node_hash.hex()}")
        # A loaded node lands among the unwritten ones; writing it again is harmless.
        self[node_hash] = found
        return found

    def _from_node_log(self, node_hash: bytes) -> bytes | None:
        """A node another process (the writer) has logged but not merged yet: without
        this, a reader opened before the writer's latest applies could not read their
        roots until the next merge. Only a miss in the node table pays for the scan."""
        with self._env.begin(db=self._log_db) as txn:
            for _, record in txn.cursor(db=self._log_db):
                for key, value in _unpack_nodes(bytes(record)):
                    if key == node_hash:
                        return value
        return None

    @property
    def unwritten_count(self) -> int:
        return len(self) - self.written_mark

    @property
    def unlogged_count(self) -> int:
        return len(self) - self.logged_mark

    def newest(self, count: int) -> list[tuple[bytes, bytes]]:
        """The ``count`` most recently inserted entries."""
        return list(islice(reversed(self.items()), count))

    def forget_newest(self, count: int) -> None:
        for node_hash, _ in self.newest(count):
            del self[node_hash]

    def mark_logged(self) -> None:
        self.logged_mark = len(self)

    def mark_written(self) -> None:
        if len(self) > self._max_cached:
            self.clear()
        self.written_mark = self.logged_mark = len(self)


def _pack_nodes(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A node-log record: ``hash || length (2 bytes) || preimage`` per node."""
    return b"".join(h + len(p).to_bytes(2, "big") + p for h, p in entries)


def _unpack_nodes(record: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    position = 0
    while position < len(record):
        length = int.from_bytes(record[position + 32 : position + 34], "big")
        start = position + 34
        out.append((record[position : position + 32], record[start : start + length]))
        position = start + length
    if position != len(record):
        raise ValueError("truncated node-log record")
    return out


class StateView:
    """Read-only state at one root (a :class:`StateBackend` whose ``apply`` refuses)."""

    def __init__(self, store: MerkleStore, root: bytes) -> None:
        self._store = store
        self._root = root

    def state_root(self) -> bytes:
        return self._root

    def get_account(self, address: bytes) -> Account | None:
        record = self._store.account_record(address, self._root)
        return None if record is None else record.account()

    def get_storage(self, address: bytes, key: int) -> int:
        return self._store.storage_at(address, key, self._root)

    def get_code(self, code_hash: bytes) -> bytes:
        return self._store.get_code(code_hash)

    def apply(self, diff: StateDiff) -> bytes:
        raise PermissionError("historical state views are read-only")

    def get_proof(self, address: bytes, slots: list[int]) -> StateProof:
        return self._store.get_proof(address, slots, self._root)


class MerkleStore:
    """The persistent world state; ``path`` is an LMDB directory (created if missing).

    ``map_size`` is the initial LMDB map (the data file is a sparse file of that size);
    it doubles whenever a write does not fit.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        map_size: int = 1 << 30,
        max_cached_nodes: int = 2_000_000,
        max_cached_slots: int = 1_000_000,
        sync_every_apply: bool = False,
        applies_per_write: int = 1,
        keep_intermediate_roots: bool = True,
        applies_per_node_merge: int = 100,
    ) -> None:
        if applies_per_write < 1:
            raise ValueError("applies_per_write must be at least 1")
        if applies_per_node_merge < 1:
            raise ValueError("applies_per_node_merge must be at least 1")
        self._keep_intermediate_roots = keep_intermediate_roots
        self._applies_per_write = applies_per_write
        self._applies_per_node_merge = applies_per_node_merge
        self._unwritten_applies = 0
        self._logged_applies = 0  # applies whose nodes sit in the node log
        self._unwritten_codes: dict[bytes, bytes] = {}
        self._unwritten_code_roots: dict[bytes, tuple[bytes, int]] = {}
        Path(path).mkdir(parents=True, exist_ok=True)
        self._env = lmdb.open(
            str(path),
            map_size=map_size,
            max_dbs=5,
            subdir=True,
            sync=sync_every_apply,
            metasync=sync_every_apply,
            writemap=True,
            map_async=not sync_every_apply,
        )
        self._nodes_db = self._env.open_db(b"nodes")
        self._code_db = self._env.open_db(b"code")
        self._code_root_db = self._env.open_db(b"code_root")
        self._meta_db = self._env.open_db(b"meta")
        self._log_db = self._env.open_db(b"node_log")
        self.nodes = _NodeCache(self._env, self._nodes_db, max_cached_nodes, self._log_db)
        self._head_records: dict[bytes, AccountRecord | None] = {}
        # Committed storage at the head, read through (and kept current by apply):
        # ``address -> {slot: value}``; a cold SLOAD is then one dict lookup instead of
        # a walk down the account's storage tree.
        self._head_storage: dict[bytes, dict[int, int]] = {}
        self._head_storage_count = 0
        self._max_cached_slots = max_cached_slots
        self._code_cache: dict[bytes, bytes] = {}
        self._code_root_cache: dict[bytes, tuple[bytes, int]] = {}
        with self._env.begin(db=self._meta_db) as txn:
            head = txn.get(HEAD_KEY)
            applied = txn.get(APPLIED_KEY)
        self._root = bytes(head) if head is not None else smt.EMPTY
        self.applied_count = int.from_bytes(applied, "big") if applied is not None else 0
        self._merge_node_log()

    # ------------------------------------------------------------------ lifecycle

    def flush(self) -> None:
        """Write any batched applies, merge the node log and fsync; call at block or
        pack boundaries."""
        self._write_unwritten(merge=True)
        self._env.sync(True)

    def close(self) -> None:
        self.flush()
        self._env.close()

    def _write_unwritten(self, merge: bool = False) -> None:
        """Commit the pending applies in one LMDB transaction.

        Keeping every root, the new nodes go to the node log as one appended record,
        and every ``applies_per_node_merge`` applies (or when ``merge``) all logged and
        new nodes are merged into the node table and the log is emptied: inserting
        hash-keyed nodes touches one random B-tree page each, which is far cheaper
        done for many applies at once than apply by apply. Keeping only the head, the
        reachable new nodes go straight to the node table.
        """
        nodes = self.nodes
        if not self._keep_intermediate_roots:
            if self._unwritten_applies:
                newest = dict(nodes.newest(nodes.unwritten_count))  # distinct hashes
                self._commit(sorted(self._reachable_new_nodes(newest).items()), None)
                nodes.mark_written()
            return
        merge = merge or (
            self._logged_applies + self._unwritten_applies >= self._applies_per_node_merge
        )
        if merge:
            # Nothing applied here since the last merge: nothing to write (nodes that
            # were only read from LMDB are already there), and above all no head: a
            # store opened to read must not move back the head of a running writer.
            if not (self._unwritten_applies or self._logged_applies):
                return
            self._commit(sorted(nodes.newest(nodes.unwritten_count)), None)
            nodes.mark_written()
            self._logged_applies = 0
        else:
            if not self._unwritten_applies:
                return
            self._commit(None, _pack_nodes(nodes.newest(nodes.unlogged_count)))
            nodes.mark_logged()
            self._logged_applies += self._unwritten_applies

    def _commit(self, merged: list[tuple[bytes, bytes]] | None, log_record: bytes | None) -> None:
        """One write transaction: ``merged`` nodes into the node table (and the log
        emptied), or ``log_record`` appended to the node log; codes; head."""
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    if merged is not None:
                        txn.cursor(db=self._nodes_db).putmulti(merged)
                        txn.drop(self._log_db, delete=False)
                    if log_record is not None:
                        key = self.applied_count.to_bytes(8, "big")
                        txn.put(key, log_record, db=self._log_db)
                    for code_hash, code in self._unwritten_codes.items():
                        txn.put(code_hash, code, db=self._code_db)
                    for code_hash, (root, size) in self._unwritten_code_roots.items():
                        txn.put(code_hash, root + size.to_bytes(32, "big"), db=self._code_root_db)
                    txn.put(HEAD_KEY, self._root, db=self._meta_db)
                    txn.put(APPLIED_KEY, self.applied_count.to_bytes(8, "big"), db=self._meta_db)
                break
            except lmdb.MapFullError:
                # The aborted transaction left nothing behind: grow the map and retry.
                self._env.set_mapsize(self._env.info()["map_size"] * 2)
        self._unwritten_codes = {}
        self._unwritten_code_roots = {}
        self._unwritten_applies = 0

    def _merge_node_log(self) -> None:
        """At open: merge whatever the node log holds (the writer stopped between
        merges, or is another process still running) into the node table.

        The records are read and removed inside the one write transaction, so a record
        another process appends meanwhile is never dropped unmerged.
        """
        with self._env.begin(db=self._log_db) as txn:
            if not txn.stat(self._log_db)["entries"]:
                return
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    merged: dict[bytes, bytes] = {}
                    for _, record in txn.cursor(db=self._log_db):
                        merged.update(_unpack_nodes(bytes(record)))
                    txn.cursor(db=self._nodes_db).putmulti(sorted(merged.items()))
                    txn.drop(self._log_db, delete=False)
                break
            except lmdb.MapFullError:
                self._env.set_mapsize(self._env.info()["map_size"] * 2)

    def _reachable_new_nodes(self, new_nodes: dict[bytes, bytes]) -> dict[bytes, bytes]:
        """The new nodes reachable from the head; the others are dropped from memory.

        Dropping them matters: a node left in the cache but never written would not be
        written either when a later apply recreates it (it would not be new).
        """
        reachable: dict[bytes, bytes] = {}
        pending = [self._root]
        pop, push, lookup = pending.pop, pending.append, new_nodes.get
        while pending:
            node = pop()
            preimage = lookup(node)
            if preimage is None or node in reachable:
                continue
            reachable[node] = preimage
            size = len(preimage)
            if size == 64:
                push(preimage[:32])
                push(preimage[32:])
            elif size == 65:
                push(preimage[33:])  # an account leaf's value is a record hash
            elif size == ACCOUNT_RECORD_LENGTH:
                push(preimage[64:96])  # the storage root
        for node in new_nodes:
            if node not in reachable:
                del self.nodes[node]
        return reachable

    def __enter__(self) -> MerkleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def state_root(self) -> bytes:
        return self._root

    def at_root(self, root: bytes) -> StateView:
        """A read-only view of any root this store has ever produced."""
        if root != smt.EMPTY:
            self.nodes[root]  # raises KeyError for a root this store never had
        return StateView(self, root)

    def account_record(self, address: bytes, root: bytes | None = None) -> AccountRecord | None:
        """The committed record of ``address`` at ``root`` (default: head)."""
        at_head = root is None or root == self._root
        if at_head and address in self._head_records:
            return self._head_records[address]
        value = smt.get(self.nodes, self._root if root is None else root, address)
        record = None if value is None else AccountRecord.decode(self.nodes[value])
        if at_head:
            self._head_records[address] = record
        return record

    def get_account(self, address: bytes) -> Account | None:
        record = self.account_record(address)
        return None if record is None else record.account()

    def storage_at(self, address: bytes, key: int, root: bytes | None = None) -> int:
        at_head = root is None or root == self._root
        if at_head:
            slots = self._head_storage.get(address)
            if slots is not None:
                cached = slots.get(key)
                if cached is not None:
                    return cached
        record = self.account_record(address, root)
        if record is None or record.storage_root == smt.EMPTY:
            value = 0
        else:
            found = smt.get(self.nodes, record.storage_root, storage_key(key))
            value = 0 if found is None else int.from_bytes(found, "big")
        if at_head:
            if self._head_storage_count >= self._max_cached_slots:
                self._head_storage.clear()
                self._head_storage_count = 0
            self._head_storage.setdefault(address, {})[key] = value
            self._head_storage_count += 1
        return value

    def get_storage(self, address: bytes, key: int) -> int:
        return self.storage_at(address, key)

    def get_code(self, code_hash: bytes) -> bytes:
        if code_hash == EMPTY_CODE_HASH:
            return b""
        code = self._code_cache.get(code_hash)
        if code is None:
            with self._env.begin(db=self._code_db) as txn:
                found = txn.get(code_hash)
            if found is None:
                raise KeyError(f"unknown code hash {code_hash.hex()}")
            code = bytes(found)
            self._code_cache[code_hash] = code
        return code

    def code_commitment(self, code_hash: bytes) -> tuple[bytes, int]:
        """``(code_root, code_size)`` of the code with hash ``code_hash``."""
        if code_hash == EMPTY_CODE_HASH:
            return EMPTY_CODE_ROOT, 0
        cached = self._code_root_cache.get(code_hash)
        if cached is None:
            with self._env.begin(db=self._code_root_db) as txn:
                found = txn.get(code_hash)
            if found is not None:
                cached = (bytes(found[:32]), int.from_bytes(found[32:], "big"))
            else:
                code = self.get_code(code_hash)
                cached = (merkle_root(code_chunks(code)), len(code))
            self._code_root_cache[code_hash] = cached
        return cached

    # ------------------------------------------------------------------ proofs

    def prove_account(self, address: bytes, root: bytes | None = None) -> AccountProof:
        root = self._root if root is None else root
        return AccountProof(
            address, self.account_record(address, root), smt.prove(self.nodes, root, address)
        )

    def prove_storage(self, address: bytes, slot: int, root: bytes | None = None) -> StorageProof:
        record = self.account_record(address, self._root if root is None else root)
        storage_root = smt.EMPTY if record is None else record.storage_root
        proof = smt.prove(self.nodes, storage_root, storage_key(slot))
        value = smt.get(self.nodes, storage_root, storage_key(slot))
        return StorageProof(slot, 0 if value is None else int.from_bytes(value, "big"), proof)

    def get_proof(self, address: bytes, slots: list[int], root: bytes | None = None) -> StateProof:
        """``eth_getProof``: the account proof and a proof for each of ``slots``."""
        root = self._root if root is None else root
        return StateProof(
            root,
            self.prove_account(address, root),
            tuple(self.prove_storage(address, s, root) for s in slots),
        )

    # ------------------------------------------------------------------ writes

    def apply(self, diff: StateDiff) -> bytes:
        """Apply ``diff`` atomically (one LMDB write transaction); returns the new root."""
        nodes = self.nodes
        mark_before = len(nodes)
        new_codes = {
            h: c
            for h, c in diff.codes.items()
            if h != EMPTY_CODE_HASH and h not in self._code_cache
        }
        self._code_cache.update(new_codes)
        new_code_roots: dict[bytes, tuple[bytes, int]] = {}
        for code_hash, code in new_codes.items():
            if code_hash not in self._code_root_cache:
                new_code_roots[code_hash] = (merkle_root(code_chunks(code)), len(code))
                self._code_root_cache[code_hash] = new_code_roots[code_hash]

        touched = set(diff.accounts) | set(diff.storage) | diff.wiped_storage
        account_changes: dict[bytes, bytes | None] = {}
        new_records: dict[bytes, AccountRecord | None] = {}
        try:
            for address in touched:
                current = self.account_record(address)
                if address in diff.accounts and diff.accounts[address] is None:
                    account_changes[address] = None
                    new_records[address] = None
                    continue
                storage_root = smt.EMPTY
                if current is not None and address not in diff.wiped_storage:
                    storage_root = current.storage_root
                slots = diff.storage.get(address)
                if slots:
                    storage_root = smt.update(
                        nodes,
                        storage_root,
                        {
                            k.to_bytes(32, "big"): (v.to_bytes(32, "big") if v else None)
                            for k, v in slots.items()
                        },
                    )
                account = diff.accounts.get(address)
                if account is None:
                    account = current.account() if current is not None else Account()
                if current is not None and current.code_hash == account.code_hash:
                    code_root, code_size = current.code_root, current.code_size
                else:
                    code_root, code_size = self.code_commitment(account.code_hash)
                record = AccountRecord(
                    account.nonce,
                    account.balance,
                    storage_root,
                    account.code_hash,
                    code_root,
                    code_size,
                )
                encoded = record.encode()
                leaf_value = keccak_256(encoded).digest()
                nodes[leaf_value] = encoded
                account_changes[address] = leaf_value
                new_records[address] = record
            new_root = smt.update(nodes, self._root, account_changes)
        except BaseException:
            nodes.forget_newest(len(nodes) - mark_before)
            for code_hash in new_codes:
                self._code_cache.pop(code_hash, None)
                self._code_root_cache.pop(code_hash, None)
            raise
        self._unwritten_codes.update(new_codes)
        self._unwritten_code_roots.update(new_code_roots)
        self._root = new_root
        self.applied_count += 1
        self._unwritten_applies += 1
        self._head_records.update(new_records)
        head_storage = self._head_storage
        for address in diff.wiped_storage:
            head_storage.pop(address, None)
        for address, new_record in new_records.items():
            if new_record is None:
                head_storage.pop(address, None)
        for address, slots in diff.storage.items():
            cached = head_storage.get(address)
            if cached is not None and new_records.get(address) is not None:
                cached.update(slots)
                self._head_storage_count += len(slots)
        if self._unwritten_applies >= self._applies_per_write:
            self._write_unwritten()
        return new_root

    def reset_head(self, root: bytes) -> None:
        """Move the head back to an earlier root (the rollup reverting to a valid state)."""
        self.at_root(root)
        self._root = root
        self._head_records.clear()
        self._head_storage.clear()
        self._head_storage_count = 0
        self._unwritten_applies += 1
        self._write_unwritten(merge=True)
