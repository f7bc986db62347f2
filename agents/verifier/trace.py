"""The challenger/defender agent's EVM view, backed by a verifier's state directory.

``altrollup challenger run --trace agents.verifier.trace:evm_trace_factory`` (with
``ALTROLLUP_VERIFIER_STATE_DIR`` naming the verifier's ``--state-dir``) makes the agent of
docs/challenger.md judge, challenge and defend packs with the verifier's own re-execution:

- :func:`evm_trace_factory` returns the :data:`~agents.challenger.judge.TraceFactory`: for a
  pack whose pre-state root is the verifier's root after block ``first_block - 1``, a
  :class:`VerifierTrace` over the verifier's blocks ``first_block..last_block``; None
  ("not my history") otherwise;
- :class:`VerifierTrace` answers the per-transaction roots from the verifier's store at
  once, and the per-step states and proofs by tracing one transaction on demand with
  :func:`agents.evm.trace.trace_transaction` (trace mode of the same interpreter) on a
  read-only view of the verifier's state at the root before it, in the block environment
  :func:`agents.producer.blocks.execute_block` used, with the pack's trace context and the
  transaction's 1-based index in the pack (so its first and last states are the
  ``ITraceBinding.traceStart`` / ``traceEnd`` states of ``EvmStepVerifier``);
- :func:`claimed_roots_source` decodes a calldata pack's DA payload (docs/verifier.md) into
  the per-transaction roots it claims, so the agent opens a game at the first wrong root.

Step proofs come from :mod:`agents.evm.trace_proof` and cover the instruction classes it
lists; a step outside them raises its ``ProofNotSupported``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sha3 import keccak_256

from agents.challenger.judge import PackView, TraceFactory
from agents.dispute.trace import TraceProvider
from agents.evm.backend import StateDiff
from agents.evm.processing import apply_transaction
from agents.evm.store import MerkleStore, StateView
from agents.evm.trace import Trace, trace_transaction
from agents.evm.trace_proof import EvmTraceProvider
from agents.evm.transactions import decode_transaction, recover_sender
from agents.evm.vm import BlockEnv
from agents.producer.blocks import Block
from agents.verifier.da import PackDataError, decode_pack_data
from agents.verifier.store import Store, open_store

ENV_STATE_DIR = "ALTROLLUP_VERIFIER_STATE_DIR"


class DiscardingView(StateView):
    """The verifier's state at one root; ``apply`` computes nothing and keeps nothing (the
    trace computes its own post-state root)."""

    def apply(self, diff: StateDiff) -> bytes:  # noqa: ARG002 - the diff is discarded
        return keccak_256(b"discarded").digest()


@dataclass(frozen=True)
class TxSite:
    """Where pack transaction ``index`` (1-based) lives."""

    block: Block
    parent_hash: bytes
    position: int  # index within its block


@dataclass
class VerifierTrace:
    """A :class:`~agents.dispute.trace.TraceProvider` over the verifier's re-execution of
    one pack."""

    state: MerkleStore
    sites: list[TxSite]
    roots: tuple[bytes, ...]  # r_0 (pre-state) .. r_n, the verifier's own
    trace_context: bytes
    step_depth: int
    chain_id: int
    block_hash: Callable[[int], bytes]
    _traces: dict[int, Trace] = field(default_factory=dict)
    _gas_before: dict[int, int] = field(default_factory=dict)

    @property
    def tx_count(self) -> int:
        return len(self.sites)

    def tx_root(self, tx_index: int) -> bytes:
        if not 0 <= tx_index <= self.tx_count:
            raise IndexError(f"tx {tx_index} outside 0..{self.tx_count}")
        return self.roots[tx_index]

    def tx_roots(self) -> list[bytes]:
        return list(self.roots[1:])

    def _env(self, site: TxSite) -> BlockEnv:
        block = site.block
        return BlockEnv(
            coinbase=block.producer,
            number=block.number,
            timestamp=block.timestamp,
            gas_limit=block.gas_limit,
            prev_randao=site.parent_hash,
            base_fee=block.base_fee,
            chain_id=self.chain_id,
            block_hashes=self.block_hash,
        )

    def _cumulative_gas_before(self, tx_index: int) -> int:
        """Gas used in its block by the transactions before pack transaction ``tx_index``
        (fast re-execution of those, each on the root before it)."""
        site = self.sites[tx_index - 1]
        if site.position == 0:
            return 0
        if tx_index not in self._gas_before:
            previous = tx_index - 1
            before = self._cumulative_gas_before(previous)
            prev_site = self.sites[previous - 1]
            raw = prev_site.block.transactions[prev_site.position]
            tx = decode_transaction(raw)
            sender = recover_sender(tx, self.chain_id)
            result = apply_transaction(
                DiscardingView(self.state, self.roots[previous - 1]),
                self._env(prev_site),
                tx,
                sender,
                cumulative_gas_used=before,
            )
            self._gas_before[tx_index] = before + result.gas_used
        return self._gas_before[tx_index]

    def trace(self, tx_index: int) -> Trace:
        """The instruction trace of pack transaction ``tx_index`` (cached)."""
        if not 1 <= tx_index <= self.tx_count:
            raise IndexError(f"tx {tx_index} outside 1..{self.tx_count}")
        cached = self._traces.get(tx_index)
        if cached is not None:
            return cached
        site = self.sites[tx_index - 1]
        tx = decode_transaction(site.block.transactions[site.position])
        sender = recover_sender(tx, self.chain_id)
        pre = self.roots[tx_index - 1]
        trace = trace_transaction(
            DiscardingView(self.state, pre),
            self._env(site),
            tx,
            sender,
            trace_context=self.trace_context,
            tx_index=tx_index,
            cumulative_gas_used=self._cumulative_gas_before(tx_index),
            backend_factory=lambda: DiscardingView(self.state, pre),
        )
        if trace.post_root != self.roots[tx_index]:
            raise ValueError(
                f"tracing pack tx {tx_index} gives root 0x{trace.post_root.hex()}, the "
                f"verifier recorded 0x{self.roots[tx_index].hex()}"
            )
        if trace.step_count > 1 << self.step_depth:
            raise ValueError(
                f"pack tx {tx_index} takes {trace.step_count} steps; the game pads to "
                f"2**{self.step_depth}"
            )
        self._traces[tx_index] = trace
        return trace

    def step_state(self, tx_index: int, step: int) -> bytes:
        return self.trace(tx_index).state_at(step, 1 << self.step_depth)

    def step_proof(self, tx_index: int, step: int) -> bytes:
        return EvmTraceProvider([self.trace(tx_index)], self.step_depth).step_proof(1, step)


def pack_trace(
    store: Store, state: MerkleStore, view: PackView, step_depth: int, chain_id: int
) -> VerifierTrace | None:
    """The verifier's trace of the pack ``view`` describes, or None when the pack does not
    start from a state of the verifier's chain (or its blocks are not verified yet)."""
    parent = store.block(view.first_block - 1)
    if parent is None or parent.status != "verified" or parent.state_root != view.pre_state_root:
        return None
    rows = store.blocks(view.first_block, view.last_block)
    if len(rows) != view.last_block - view.first_block + 1:
        return None
    if any(row.status != "verified" for row in rows):
        return None
    sites: list[TxSite] = []
    roots: list[bytes] = [parent.state_root]
    parent_hash = parent.hash
    for row in rows:
        block = Block.decode(row.encoded)
        for position in range(len(block.transactions)):
            sites.append(TxSite(block, parent_hash, position))
        roots.extend(row.tx_roots)
        parent_hash = block.hash

    def block_hash(number: int) -> bytes:
        row = store.block(number)
        return row.hash if row is not None and row.status == "verified" else bytes(32)

    return VerifierTrace(
        state, sites, tuple(roots), view.trace_context, step_depth, chain_id, block_hash
    )


def claimed_roots_source(view: PackView) -> tuple[bytes, ...] | None:
    """The per-transaction roots a calldata pack claims in its DA payload (None for blob
    packs and for data that is not a pack payload)."""
    if view.calldata is None:
        return None
    try:
        data = decode_pack_data(view.calldata)
    except PackDataError:
        return None
    if (data.first_block, data.last_block) != (view.first_block, view.last_block):
        return None
    return data.tx_roots if data.tx_count == view.tx_count else None


def evm_trace_factory(
    *,
    game_config: Any,
    rollup: Any = None,
    client: Any = None,  # noqa: ARG001 - the plug-in signature of docs/challenger.md
    state_dir: Path | None = None,
    store: Store | None = None,
    state: MerkleStore | None = None,
    chain_id: int | None = None,
) -> TraceFactory:
    """The plug-in: a TraceFactory over a verifier's state (``state_dir``, or
    ``ALTROLLUP_VERIFIER_STATE_DIR``; in-process callers may pass the open ``store`` and
    ``state`` instead — LMDB allows one open per process)."""
    if store is None or state is None:
        directory = state_dir or (
            Path(os.environ[ENV_STATE_DIR]) if os.environ.get(ENV_STATE_DIR) else None
        )
        if directory is None:
            raise ValueError(f"set {ENV_STATE_DIR} to the verifier's --state-dir")
        if not (directory / "verifier.sqlite3").exists():
            raise ValueError(f"no verifier state in {directory}")
        store = open_store(directory)
        state = MerkleStore(directory / "state")
    if chain_id is None:
        recorded = store.meta("l2_chain_id")
        chain_id = int(recorded) if recorded is not None else int(rollup.l2_chain_id())
    step_depth = int(game_config.step_depth)
    verifier_store, verifier_state, l2_chain = store, state, chain_id

    def factory(view: PackView) -> TraceProvider | None:
        return pack_trace(verifier_store, verifier_state, view, step_depth, l2_chain)

    return factory
