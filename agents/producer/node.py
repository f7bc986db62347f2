"""The block producer node: intake -> ordering -> execution -> sealed blocks -> JSON-RPC.

One process holds, under ``--state-dir``:

* ``intake.sqlite`` — the transaction intake (:mod:`agents.producer.intake`): batches
  from aggregators and direct ``eth_sendRawTransaction``, gap recovery, ordering;
* ``state/`` — the Merkleized world state (:class:`~agents.evm.store.MerkleStore`);
* ``chain.sqlite`` — blocks, receipts, tx and log indexes (:mod:`agents.producer.chain`).

Every ``block_time_ms`` the builder takes the ordered candidates from the intake,
executes them with :func:`~agents.producer.blocks.execute_block`, and, if at least one
transaction was included (or ``empty_blocks`` is set), seals a block: the state store
is flushed, the block is appended to the chain database, and only then are its
transactions marked included in the intake. A candidate that cannot be included is
either deferred (its nonce is ahead of the account, or the block is full: it stays in
the intake, for at most ``defer_timeout_ms`` after it was stamped) or dropped with its
reason (recorded in the chain database and logged, retired from the intake).

Crash recovery (``kill -9`` at any point): the chain database is the truth. At start
the state store is moved back to the last block's state root; if the store lost that
root (it was flushed after the block was written, e.g. an OS crash), the node goes back
to the newest block whose root the store has and re-executes the later blocks from the
chain database, checking every root. Candidates the intake offers again although they
are already in a block (the crash fell between the block write and the intake update)
are recognised by hash and retired without being executed again, so every accepted
transaction ends up in exactly one block.

The JSON-RPC API (:mod:`agents.rpc.eth`) is served on the intake's port.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agents.aggregator.validation import Account as AdmissionAccount
from agents.aggregator.validation import AdmissionPolicy
from agents.evm import smt
from agents.evm.store import MerkleStore
from agents.evm.transactions import decode_transaction, recover_sender
from agents.producer.blocks import (
    Block,
    ChainConfig,
    ExecutedBlock,
    SkippedTx,
    execute_block,
    keccak,
    next_block_context,
    reexecute_block,
)
from agents.producer.chain import ChainStore, SharedState
from agents.producer.consensus import Consensus, ConsensusConfig
from agents.producer.finality_oracle import FinalityOracle, StaticFinality
from agents.producer.genesis import Genesis, apply_genesis
from agents.producer.intake import IntakeService, ProducerIntake, start_intake, wall_clock_ms
from agents.producer.ordering import OrderedTx
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics


class RecoveryError(Exception):
    """The state directory cannot be brought back to a consistent chain."""


@dataclass(frozen=True)
class NodeConfig:
    """Everything the producer node is started with."""

    state_dir: Path
    chain_id: int
    genesis: Genesis
    producer_id: str = "producer"
    coinbase: bytes = bytes(20)
    host: str = "127.0.0.1"
    port: int = 0
    block_time_ms: int = 250
    max_block_txs: int = 2000
    empty_blocks: bool = False
    defer_timeout_ms: int = 30_000
    aggregators: dict[str, str] = field(default_factory=dict)
    silence_timeout_ms: int = 2000
    allow_unprotected: bool = False
    min_gas_price: int = 0
    suggested_tip: int = 1_000_000_000
    log_enabled: bool = True
    consensus: ConsensusConfig | None = None  # several producers (GRANDPA); None: alone
    sync_state: bool = False  # fsync the state store before writing each block


@dataclass
class PendingPool:
    """What the intake holds but no block has yet: senders by hash (so the builder skips
    signature recovery) and nonces by sender (``eth_getTransactionCount(.., "pending")``)."""

    senders: dict[bytes, bytes] = field(default_factory=dict)
    nonces: dict[bytes, dict[int, bytes]] = field(default_factory=dict)
    _tx_nonce: dict[bytes, int] = field(default_factory=dict)
    _raws: dict[bytes, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tx_hash: bytes, sender: bytes, nonce: int, raw: bytes) -> None:
        with self.lock:
            self.senders[tx_hash] = sender
            self._tx_nonce[tx_hash] = nonce
            self._raws[tx_hash] = raw
            self.nonces.setdefault(sender, {})[nonce] = tx_hash

    def raw_of(self, tx_hash: bytes) -> tuple[bytes, bytes] | None:
        """``(raw, sender)`` of a pending transaction."""
        with self.lock:
            raw = self._raws.get(tx_hash)
            return None if raw is None else (raw, self.senders[tx_hash])

    def add_raw(self, raw: bytes, chain_id: int) -> None:
        """Decode and recover a transaction the intake stored (ignored if invalid)."""
        tx_hash = keccak(raw)
        with self.lock:
            if tx_hash in self.senders:
                return
        try:
            tx = decode_transaction(raw)
            sender = recover_sender(tx, chain_id)
        except Exception:  # noqa: BLE001 - the builder reports invalid ones with a reason
            return
        self.add(tx_hash, sender, tx.nonce, raw)

    def remove(self, tx_hashes: list[bytes]) -> None:
        with self.lock:
            for tx_hash in tx_hashes:
                sender = self.senders.pop(tx_hash, None)
                nonce = self._tx_nonce.pop(tx_hash, None)
                self._raws.pop(tx_hash, None)
                if sender is None or nonce is None:
                    continue
                by_nonce = self.nonces.get(sender, {})
                if by_nonce.get(nonce) == tx_hash:
                    del by_nonce[nonce]
                if not by_nonce:
                    self.nonces.pop(sender, None)

    def snapshot(self) -> dict[bytes, bytes]:
        with self.lock:
            return dict(self.senders)

    def nonces_of(self, sender: bytes) -> set[int]:
        with self.lock:
            return set(self.nonces.get(sender, {}))


def pending_nonce(taken: set[int], state_nonce: int) -> int:
    """The next nonce after the contiguous run of pending nonces from ``state_nonce``.

    Read ``taken`` (the pool) *before* the state nonce: a transaction sealed in between
    then only raises the state nonce, never drops out of both.
    """
    nonce = state_nonce
    while nonce in taken:
        nonce += 1
    return nonce


def genesis_block_of(genesis: Genesis) -> Block:
    """Block 0 of ``genesis``, computed in a throw-away store (identity checks)."""
    with tempfile.TemporaryDirectory(prefix="altrollup-genesis-") as scratch:
        store = MerkleStore(scratch, map_size=1 << 24)
        try:
            return apply_genesis(store, genesis)
        finally:
            store.close()


class ProducerNode:
    """The producer process's parts; :meth:`start` runs them, :meth:`stop` ends them."""

    def __init__(
        self,
        config: NodeConfig,
        oracle: FinalityOracle | None = None,
        clock_ms: Callable[[], int] = wall_clock_ms,
        log: JsonLog | None = None,
    ) -> None:
        self.config = config
        self.chain_config: ChainConfig = config.genesis.chain_config(config.chain_id)
        self.oracle: FinalityOracle = oracle if oracle is not None else StaticFinality()
        self.clock_ms = clock_ms
        self.log = log or JsonLog(
            component=f"producer:{config.producer_id}", enabled=config.log_enabled
        )
        self.metrics = Metrics(prefix="altrollup_producer_")
        self.intake_metrics = Metrics(prefix="altrollup_producer_intake_")
        self.pending = PendingPool()
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.state = SharedState(
            # each apply is its own LMDB transaction (atomic, no fsync): kill -9 safe
            MerkleStore(config.state_dir / "state", applies_per_write=1)
        )
        self.chain = ChainStore(config.state_dir / "chain.sqlite")
        self.intake_service: IntakeService | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deferred_seen: set[bytes] = set()
        self._wake = threading.Event()
        self.recover()
        self.consensus = Consensus(self, config.consensus) if config.consensus else None

    # --- start-up and recovery ----------------------------------------------------------
    @property
    def head(self) -> Block:
        head = self.chain.head
        assert head is not None, "recover() writes block 0"
        return head

    def recover(self) -> None:
        """Write genesis on a new state directory; otherwise realign the state store
        with the last persisted block (re-executing blocks if the store lost roots)."""
        head = self.chain.head
        if head is None:
            with self.state.locked() as store:
                if store.state_root() != smt.EMPTY:
                    store.reset_head(smt.EMPTY)  # genesis was applied, block 0 not written
                block0 = apply_genesis(store, self.config.genesis)
                store.flush()
            self.chain.check_identity(self.config.chain_id, block0)
            self.chain.append(ExecutedBlock(block0, ()))
            self.log("genesis", hash="0x" + block0.hash.hex(),
                     state_root="0x" + block0.state_root.hex(),
                     accounts=len(self.config.genesis.alloc))  # fmt: skip
            return
        self.chain.check_identity(self.config.chain_id, genesis_block_of(self.config.genesis))
        with self.state.locked() as store:
            root = store.state_root()
        if root == head.state_root:
            self.log("resumed", head=head.number, hash="0x" + head.hash.hex())
            return
        if self.state.has_root(head.state_root):
            with self.state.locked() as store:
                store.reset_head(head.state_root)
            self.log("state_realigned", head=head.number, store_root="0x" + root.hex())
            return
        self._reexecute_from_store()

    def _reexecute_from_store(self) -> None:
        head = self.head
        base = head.number - 1
        while base >= 0:
            block = self.chain.block_by_number(base)
            if block is not None and self.state.has_root(block.state_root):
                break
            base -= 1
        else:
            raise RecoveryError("the state store holds no root of any persisted block")
        parent = self.chain.block_by_number(base)
        assert parent is not None
        with self.state.locked() as store:
            store.reset_head(parent.state_root)
        self.log("reexecuting", from_block=base + 1, to_block=head.number)
        for number in range(base + 1, head.number + 1):
            block = self.chain.block_by_number(number)
            assert block is not None
            result = reexecute_block(
                self.state.head_backend(), parent, block, self.chain_config, self.chain.block_hash
            )
            if not result.ok:
                raise RecoveryError(f"re-executing block {number}: {result.mismatches[0]}")
            parent = block
        with self.state.locked() as store:
            store.flush()

    # --- the builder -------------------------------------------------------------------
    def tier1_height(self) -> int:
        """Highest block at tier 1: every block in the chain database (with one producer
        every sealed block; with several, only GRANDPA-finalized blocks are written)."""
        return self.head.number

    def build_once(self) -> Block | None:
        """One builder step: seal a block from the current candidates (``None`` if none).

        With several producers the block is proposed instead (when the slot rule says
        it is our turn) and written once GRANDPA finalizes it.
        """
        if self.consensus is None:
            return self._build()
        if not self.consensus.may_propose():
            return None
        with self.consensus.lock:  # proposals from peers re-execute on the same store
            return self._build()

    def _build(self) -> Block | None:
        assert self.intake_service is not None
        intake = self.intake_service.intake
        started = time.perf_counter()
        candidates = intake.next_block_candidates(self.config.max_block_txs)
        if candidates:
            known = self.chain.known_hashes([c.tx_hash for c in candidates])
            if known:  # sealed before a crash, not yet retired in the intake
                for number in sorted(set(known.values())):
                    intake.mark_included(
                        [c for c in candidates if known.get(c.tx_hash) == number], number
                    )
                self.pending.remove(list(known))
                self.log("retired_known", count=len(known))
                candidates = [c for c in candidates if c.tx_hash not in known]
        if not candidates and not self.config.empty_blocks:
            return None
        head = self.head
        if self.consensus is not None:
            with self.state.locked() as store:
                if store.state_root() != head.state_root:  # after re-executing a proposal
                    store.reset_head(head.state_root)
        context = next_block_context(
            head, self.chain_config, self.clock_ms(), self.config.coinbase, self.chain.block_hash
        )
        executed = execute_block(
            self.state.head_backend(),
            head,
            [c.raw for c in candidates],
            context,
            senders=self.pending.snapshot(),
        )
        deferred: list[SkippedTx] = []
        dropped: list[SkippedTx] = []
        for skip in executed.skipped:
            age = context.timestamp_ms - candidates[skip.position].timestamp_ms
            if skip.retry and age < self.config.defer_timeout_ms:
                deferred.append(skip)
            else:
                dropped.append(skip)
        by_hash = {c.tx_hash: c for c in candidates}
        block = executed.block
        retired = [by_hash[h] for h in block.transaction_hashes()]
        retired += [candidates[d.position] for d in dropped]
        for skip in dropped:
            self._log_skip("tx_dropped", skip)
        for skip in deferred:
            if skip.tx_hash not in self._deferred_seen:  # once per transaction, not per block
                self._deferred_seen.add(skip.tx_hash)
                self._log_skip("tx_deferred", skip)
        if not block.transactions and not self.config.empty_blocks:
            self.chain.record_dropped(dropped, head.number)
            self._retire(intake, retired, head.number)
            return None
        if self.consensus is not None:
            self.chain.record_dropped(dropped, head.number)
            self._retire(intake, [candidates[d.position] for d in dropped], head.number)
            self.consensus.propose(executed)
            return block
        if self.config.sync_state:
            with self.state.locked() as store:
                store.flush()  # fsync before the block is written: power-loss safe
        self.chain.append(executed, dropped)
        self._retire(intake, retired, block.number)
        elapsed = time.perf_counter() - started
        self.metrics.inc("blocks_total")
        self.metrics.inc("transactions_total", len(block.transactions))
        self.metrics.set("head_number", block.number)
        self.metrics.set("block_gas_used", block.gas_used)
        self.metrics.set("block_build_seconds", round(elapsed, 6))
        self.metrics.set("base_fee_wei", block.base_fee)
        self.log(
            "block_sealed", number=block.number, hash="0x" + block.hash.hex(),
            txs=len(block.transactions), gas_used=block.gas_used, base_fee=block.base_fee,
            state_root="0x" + block.state_root.hex(), deferred=len(deferred),
            dropped=len(dropped), build_ms=round(elapsed * 1000, 2),
        )  # fmt: skip
        return block

    def _retire(self, intake: ProducerIntake, txs: list[OrderedTx], number: int) -> None:
        if txs:
            intake.mark_included(txs, number)
            self.pending.remove([t.tx_hash for t in txs])
            self._deferred_seen.difference_update(t.tx_hash for t in txs)

    def _log_skip(self, event: str, skip: SkippedTx) -> None:
        self.metrics.inc(event.removeprefix("tx_") + "_total", reason=skip.reason)
        sender = None if skip.sender is None else "0x" + skip.sender.hex()
        self.log(event, hash="0x" + skip.tx_hash.hex(), sender=sender, reason=skip.reason,
                 detail=skip.detail)  # fmt: skip

    def notify_arrival(self) -> None:
        """A transaction reached the intake: build early if the block time allows."""
        self._wake.set()

    def _builder_loop(self) -> None:
        """Seal at most one block per ``block_time_ms``; wake early when transactions
        arrive after a quiet period (low latency at low load), otherwise every tick
        (deferred transactions, aggregators' ordering cut)."""
        interval = self.config.block_time_ms / 1000
        last = time.monotonic() - interval
        while not self._stop.is_set():
            self._wake.wait(max(0.0, last + interval - time.monotonic()) or interval)
            self._wake.clear()
            remaining = last + interval - time.monotonic()
            if remaining > 0 and self._stop.wait(remaining):
                return
            if self._stop.is_set():
                return
            last = time.monotonic()
            try:
                self.build_once()
            except Exception as exc:  # noqa: BLE001 - keep producing; report it
                self.metrics.inc("builder_errors_total")
                self.log("builder_error", error=repr(exc))
                self._stop.wait(0.5)

    # --- process lifecycle -------------------------------------------------------------
    def admission_state(self, address: bytes) -> AdmissionAccount:
        """Nonce and balance at the head, for the intake's admission checks."""
        record = self.state.record(address, self.head.state_root)
        if record is None:
            return AdmissionAccount(nonce=0, balance=0)
        return AdmissionAccount(nonce=record.nonce, balance=record.balance)

    def start(self) -> str:
        """Serve the intake and the Ethereum API, start the builder; returns the URL."""
        from agents.rpc.eth import EthApi, install

        policy = AdmissionPolicy(
            chain_id=self.config.chain_id,
            allow_unprotected=self.config.allow_unprotected,
            block_gas_limit=self.chain_config.gas_limit,
            min_gas_price=self.config.min_gas_price,
        )

        def metrics_route() -> tuple[int, str, bytes]:
            text = self.metrics.render() + self.intake_metrics.render()
            return 200, "text/plain; version=0.0.4", text.encode()

        self.intake_service = start_intake(
            self.config.state_dir / "intake.sqlite", policy, self.config.producer_id,
            self.config.host, self.config.port, state=self.admission_state,
            clock_ms=self.clock_ms, aggregator_urls=dict(self.config.aggregators),
            silence_timeout_ms=self.config.silence_timeout_ms,
            log_enabled=self.config.log_enabled, metrics=self.intake_metrics,
            get_routes={"/metrics": metrics_route},
        )  # fmt: skip
        install(EthApi(self), self.intake_service)
        for entry in self.intake_service.intake.next_block_candidates(100_000):
            self.pending.add_raw(entry.raw, self.config.chain_id)  # accepted before a restart
        if self.consensus is not None:
            assert self.intake_service.server is not None
            dispatcher = self.intake_service.server.dispatcher
            dispatcher.register("altrollup_proposeBlock", self.consensus.on_proposal)
            dispatcher.register("altrollup_grandpaVote", self.consensus.on_vote)
            dispatcher.register("altrollup_grandpaCertificate", self.consensus.on_certificate)
            dispatcher.register("altrollup_getCandidate", self.consensus.on_get_candidate)
            dispatcher.register(
                "altrollup_getFinalityCertificate", self.consensus.on_get_certificate
            )
            dispatcher.register("altrollup_grandpaVotes", self.consensus.on_get_votes)
            dispatcher.register("altrollup_getEquivocations", self.consensus.on_get_equivocations)
            self.consensus.start()
        self._thread = threading.Thread(target=self._builder_loop, name="builder", daemon=True)
        self._thread.start()
        self.log("started", url=self.url, head=self.head.number, chain_id=self.config.chain_id,
                 block_time_ms=self.config.block_time_ms)  # fmt: skip
        return self.url

    @property
    def url(self) -> str:
        assert self.intake_service is not None
        return self.intake_service.url

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.consensus is not None:
            self.consensus.stop()
        if self.intake_service is not None:
            self.intake_service.stop()
        with self.state.locked() as store:
            store.close()
        self.chain.close()
