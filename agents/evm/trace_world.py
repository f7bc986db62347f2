"""World-state and transaction-context mirror for trace mode (see ``docs/trace-mode.md``).

The interpreter keeps its world state in :class:`~agents.evm.state.State`, a journaled
overlay of plain dicts. Trace mode needs, after every step, the SMT roots of
``docs/commitment.md`` (the account tree with storage roots and code chunk roots, and
the transaction-level sets of section 4.5). :class:`WorldMirror` keeps those roots
up to date **incrementally**: it remembers which journal entries it has already seen
and, when the journal changed (grew, or was popped by a revert and grew again), it
re-reads only the keys named by the changed entries. The SMT is canonical, so a
revert needs no undo log here: re-reading the current value of every key the revert
touched gives exactly the pre-snapshot root.

The fast path (nothing changed since the last sync) is two comparisons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sha3 import keccak_256

from agents.evm import smt
from agents.evm.backend import EMPTY_CODE_HASH, StateBackend
from agents.evm.commitment import (
    ONE_WORD,
    ZERO_WORD,
    code_chunks,
    merkle_root,
    slot_key,
    u256,
)
from agents.evm.state import State
from agents.evm.store import AccountRecord, MerkleStore, StateView, storage_key

COLLECT_MIN_NODES = 1 << 18
"""The mirror's node overlay is garbage-collected once it holds this many nodes (then
whenever it doubles): ~60 MB of nodes."""


class OverlayNodes(dict[bytes, bytes]):
    """SMT node store: new nodes live here, misses fall through to a base store."""

    def __init__(self, base: Any = None) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, node_hash: bytes) -> bytes:
        if self.base is None:
            raise KeyError(node_hash)
        return self.base[node_hash]


@dataclass(slots=True)
class CodeCommitment:
    """Chunks, chunk-tree root and size of one code."""

    chunks: list[bytes]
    root: bytes
    size: int


_CODE_CACHE: dict[bytes, CodeCommitment] = {}


def code_commitment_of(code: bytes) -> CodeCommitment:
    """Cached :class:`CodeCommitment` of ``code`` (chunking is linear in the code size)."""
    found = _CODE_CACHE.get(code)
    if found is None:
        chunks = code_chunks(code)
        found = CodeCommitment(chunks, merkle_root(chunks), len(code))
        if len(_CODE_CACHE) > 4096:
            _CODE_CACHE.clear()
        _CODE_CACHE[bytes(code)] = found
    return found


def pre_state_of(backend: StateBackend) -> tuple[OverlayNodes, bytes, Callable[[bytes], Any]]:
    """(node overlay, SMT pre-state root, address -> pre-state AccountRecord | None).

    A :class:`MerkleStore` (or a view of one) already holds the SMT; any other backend
    with ``accounts`` / ``storage`` / ``codes`` dicts (``MemoryBackend``) is committed
    from scratch once, here.
    """
    if isinstance(backend, MerkleStore):
        root = backend.state_root()
        return OverlayNodes(backend.nodes), root, lambda a: backend.account_record(a, root)
    if isinstance(backend, StateView):
        store = backend._store
        view_root = backend.state_root()
        return (
            OverlayNodes(store.nodes),
            view_root,
            lambda a: store.account_record(a, view_root),
        )
    nodes = OverlayNodes()
    records: dict[bytes, AccountRecord] = {}
    accounts = getattr(backend, "accounts", None)
    if accounts is None:
        raise TypeError(f"cannot commit the pre-state of {type(backend).__name__}")
    for address, account in accounts.items():
        slots = backend.storage.get(address, {})  # type: ignore[attr-defined]
        storage_root = smt.update(
            nodes, smt.EMPTY, {storage_key(k): u256(v) for k, v in slots.items() if v}
        )
        code = backend.get_code(account.code_hash)
        code_info = code_commitment_of(code)
        records[address] = AccountRecord(
            account.nonce,
            account.balance,
            storage_root,
            account.code_hash,
            code_info.root if code else ZERO_WORD,
            len(code),
        )
    changes: dict[bytes, bytes | None] = {}
    for address, record in records.items():
        encoded = record.encode()
        leaf = keccak_256(encoded).digest()
        nodes[leaf] = encoded
        changes[address] = leaf
    root = smt.update(nodes, smt.EMPTY, changes)
    return nodes, root, records.get


@dataclass(slots=True)
class ChainedSet:
    """SMT membership root plus insertion-ordered hash chain (``SetCommitment`` words).

    ``members`` mirrors the set in insertion order and ``chains[i]`` is the chain over
    the first ``i`` members, so :meth:`sync` costs only the members added or removed
    since the last call (a revert drops a suffix, later insertions append).
    """

    root: bytes = smt.EMPTY
    chain: bytes = ZERO_WORD
    count: int = 0
    members: list[bytes] = field(default_factory=list)
    chains: list[bytes] = field(default_factory=lambda: [ZERO_WORD])

    def words(self) -> tuple[bytes, bytes, bytes]:
        return (self.root, self.chain, u256(self.count))

    def sync(self, nodes: OverlayNodes, current: dict[bytes, bool]) -> None:
        """Bring the commitment up to ``current`` (an insertion-ordered dict)."""
        now = list(current)
        members = self.members
        if len(now) >= len(members) and now[: len(members)] == members:
            keep = len(members)  # the common case: only insertions
        else:
            keep = 0
            while keep < len(members) and keep < len(now) and now[keep] == members[keep]:
                keep += 1
        if keep == len(members) == len(now):
            return
        changes: dict[bytes, bytes | None] = dict.fromkeys(members[keep:])
        changes.update(dict.fromkeys(now[keep:], ONE_WORD))
        self.root = smt.update(nodes, self.root, changes)
        del members[keep:]
        del self.chains[keep + 1 :]
        chain = self.chains[-1]
        for key in now[keep:]:
            chain = keccak_256(chain + keccak_256(key).digest()).digest()
            members.append(key)
            self.chains.append(chain)
        self.chain = chain
        self.count = len(members)


def chained_set_of(nodes: OverlayNodes, members: dict[bytes, bool]) -> ChainedSet:
    """Commit an insertion-ordered set from scratch."""
    out = ChainedSet()
    out.sync(nodes, members)
    return out


@dataclass(slots=True)
class WorldMirror:
    """Incrementally maintained commitments of the world state and the access sets."""

    nodes: OverlayNodes
    pre_root: bytes
    pre_record: Callable[[bytes], Any]
    root: bytes = smt.EMPTY
    warm_addresses: bytes = smt.EMPTY
    warm_slots: bytes = smt.EMPTY
    transient: bytes = smt.EMPTY
    created: bytes = smt.EMPTY
    touched: ChainedSet = field(default_factory=ChainedSet)
    destructed: ChainedSet = field(default_factory=ChainedSet)
    records: dict[bytes, AccountRecord | None] = field(default_factory=dict)
    storage_roots: dict[bytes, bytes] = field(default_factory=dict)
    seen: list[Any] = field(default_factory=list)
    slot_owners: dict[int, tuple[dict[int, int], bytes]] = field(default_factory=dict)
    state: State | None = None
    changes: int = 0
    permanent: frozenset[bytes] = frozenset()
    collect_at: int = COLLECT_MIN_NODES

    def collect_garbage(self) -> int:
        """Drop the overlay nodes that no current root reaches; the number dropped.

        Every update leaves the old path's nodes behind (O(log n) per changed key), so a
        long transaction would otherwise grow the overlay with its step count. Kept: the
        ``permanent`` nodes (the committed pre-state when the backend has no node store
        of its own) and everything reachable from the world root, the current storage
        roots and the access-set roots; the base store's nodes are never in the overlay.
        """
        nodes = self.nodes
        live: set[bytes] = set(self.permanent)
        roots = [
            self.warm_addresses, self.warm_slots, self.transient, self.created,
            self.touched.root, self.destructed.root, *self.storage_roots.values(),
            *(r.storage_root for r in self.records.values() if r is not None),
        ]  # fmt: skip
        pending = [(root, False) for root in roots] + [(self.root, True), (self.pre_root, True)]
        while pending:
            node, is_world = pending.pop()
            if node in live:
                continue
            preimage = dict.get(nodes, node)
            if preimage is None:  # empty, or in the base store
                continue
            live.add(node)
            if len(preimage) == smt.INTERNAL_PREIMAGE_LENGTH:
                pending.append((preimage[:32], is_world))
                pending.append((preimage[32:], is_world))
            elif is_world and len(preimage) == smt.LEAF_PREIMAGE_LENGTH:
                record_hash = preimage[33:]
                encoded = dict.get(nodes, record_hash)
                if encoded is not None:
                    live.add(record_hash)
                    pending.append((AccountRecord.decode(encoded).storage_root, False))
        dead = [node for node in nodes if node not in live]
        for node in dead:
            del nodes[node]
        return len(dead)

    def maybe_collect(self) -> None:
        """Collect when the overlay doubled since the last collection (amortized O(1))."""
        if len(self.nodes) >= self.collect_at:
            self.collect_garbage()
            self.collect_at = max(COLLECT_MIN_NODES, 2 * len(self.nodes))

    def record(self, address: bytes) -> AccountRecord | None:
        """The mirrored (current) account record of ``address``."""
        if address in self.records:
            return self.records[address]
        return self.pre_record(address)

    def _base_storage_root(self, address: bytes) -> bytes:
        record = self.pre_record(address)
        return smt.EMPTY if record is None else record.storage_root

    def _slot_owner(self, state: State, container: dict[int, int]) -> bytes | None:
        found = self.slot_owners.get(id(container))
        if found is None:
            for address, slots in state.storage.items():
                self.slot_owners.setdefault(id(slots), (slots, address))
            found = self.slot_owners.get(id(container))
        return None if found is None else found[1]

    def sync(self, state: State, upto: int | None = None) -> bool:
        """Bring every root up to date with ``state``; False if nothing changed.

        ``upto`` limits the sync to the first ``upto`` journal entries: the state as it
        was when the journal had that length, provided the entries after ``upto`` touch
        other keys than the ones synced now (true for the frame-entry boundaries the
        trace uses: warm-set entries before, account entries after).
        """
        journal = state.journal
        seen = self.seen
        n_journal, n_seen = (len(journal) if upto is None else upto), len(seen)
        if n_journal == n_seen and (n_journal == 0 or journal[n_journal - 1] is seen[-1]):
            return False
        common = min(n_journal, n_seen)
        while common > 0 and journal[common - 1] is not seen[common - 1]:
            common -= 1
        changed = seen[common:] + journal[common:n_journal]
        del seen[common:]
        seen.extend(journal[common:n_journal])
        self.apply_changes(state, changed)
        return True

    def apply_changes(self, state: State, changed: list[Any]) -> None:
        """Re-read every key named by ``changed`` journal entries and update the roots."""
        self.changes += 1
        dirty_accounts: set[bytes] = set()
        storage_reset: set[bytes] = set()
        dirty_slots: set[tuple[bytes, int]] = set()
        dirty_warm: set[bytes] = set()
        dirty_warm_slots: set[tuple[bytes, int]] = set()
        dirty_transient: set[tuple[bytes, int]] = set()
        dirty_created: set[bytes] = set()
        touched_changed = destructed_changed = False
        for container, key, _old in changed:
            if container is state.accounts:
                dirty_accounts.add(key)
            elif container is state.storage or container is state.wiped:
                storage_reset.add(key)
                dirty_accounts.add(key)
            elif container is state.warm_addresses:
                dirty_warm.add(key)
            elif container is state.warm_slots:
                dirty_warm_slots.add(key)
            elif container is state.transient:
                dirty_transient.add(key)
            elif container is state.touched:
                touched_changed = True
            elif container is state.destroyed:
                destructed_changed = True
            elif container is state.created:
                dirty_created.add(key)
            else:
                owner = self._slot_owner(state, container)
                if owner is not None:
                    dirty_slots.add((owner, key))
                    dirty_accounts.add(owner)
        nodes = self.nodes
        for address in storage_reset:
            root = smt.EMPTY if address in state.wiped else self._base_storage_root(address)
            slots = state.storage.get(address)
            if slots:
                root = smt.update(
                    nodes,
                    root,
                    {storage_key(k): (u256(v) if v else None) for k, v in slots.items()},
                )
            self.storage_roots[address] = root
        by_address: dict[bytes, dict[bytes, bytes | None]] = {}
        for address, key in dirty_slots:
            if address in storage_reset:
                continue
            value = state.get_storage(address, key)
            by_address.setdefault(address, {})[storage_key(key)] = u256(value) if value else None
        for address, slot_changes in by_address.items():
            known = self.storage_roots.get(address)
            if known is None:
                known = smt.EMPTY if address in state.wiped else self._base_storage_root(address)
            self.storage_roots[address] = smt.update(nodes, known, slot_changes)
        if dirty_accounts:
            account_changes: dict[bytes, bytes | None] = {}
            for address in dirty_accounts:
                acct = state.accounts.get(address)
                if acct is None:
                    self.records[address] = None
                    account_changes[address] = None
                    continue
                storage_root = self.storage_roots.get(address)
                if storage_root is None:
                    storage_root = (
                        smt.EMPTY if address in state.wiped else self._base_storage_root(address)
                    )
                if acct.code:
                    info = code_commitment_of(acct.code)
                    code_root, code_size = info.root, info.size
                else:
                    code_root, code_size = ZERO_WORD, 0
                record = AccountRecord(
                    acct.nonce,
                    acct.balance,
                    storage_root,
                    acct.code_hash if acct.code else EMPTY_CODE_HASH,
                    code_root,
                    code_size,
                )
                self.records[address] = record
                encoded = record.encode()
                leaf = keccak_256(encoded).digest()
                nodes[leaf] = encoded
                account_changes[address] = leaf
            self.root = smt.update(nodes, self.root, account_changes)
        if dirty_warm:
            self.warm_addresses = smt.update(
                nodes,
                self.warm_addresses,
                {a: (ONE_WORD if a in state.warm_addresses else None) for a in dirty_warm},
            )
        if dirty_warm_slots:
            self.warm_slots = smt.update(
                nodes,
                self.warm_slots,
                {
                    slot_key(a, k): (
                        u256(state.get_storage_original(a, k))
                        if (a, k) in state.warm_slots
                        else None
                    )
                    for a, k in dirty_warm_slots
                },
            )
        if dirty_transient:
            self.transient = smt.update(
                nodes,
                self.transient,
                {
                    slot_key(a, k): (u256(v) if (v := state.transient.get((a, k), 0)) else None)
                    for a, k in dirty_transient
                },
            )
        if dirty_created:
            self.created = smt.update(
                nodes,
                self.created,
                {a: (ONE_WORD if a in state.created else None) for a in dirty_created},
            )
        if touched_changed:
            self.touched.sync(nodes, state.touched)
        if destructed_changed:
            self.destructed.sync(nodes, state.destroyed)
        if len(nodes) >= self.collect_at:
            self.maybe_collect()


def new_world_mirror(backend: StateBackend) -> WorldMirror:
    """A mirror positioned on ``backend``'s committed state."""
    nodes, root, pre_record = pre_state_of(backend)
    return WorldMirror(
        nodes=nodes,
        pre_root=root,
        pre_record=pre_record,
        root=root,
        permanent=frozenset(nodes),
        collect_at=max(COLLECT_MIN_NODES, 2 * len(nodes)),
    )
