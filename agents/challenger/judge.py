"""Judging packs: the agent's own view of the rollup, behind one injected factory.

The agent never executes anything itself. It asks a :data:`TraceFactory` for *its* trace
of a pack (:class:`PackView` in, :class:`~agents.dispute.trace.TraceProvider` out, or
None when its view does not contain the pack's pre-state), then compares:

- valid: the commitment of its per-tx roots equals the pack's ``txRootsCommitment``;
- invalid: it differs. The game is opened against the pack's **final root** r_n, whose
  Merkle proof every poster publishes in the posting call (``stateRootProof``), so no
  other pack data is needed; when a factory also knows the pack's claimed per-tx roots
  (:attr:`PackView.claimed_roots`, e.g. decoded from its DA data) the game is opened at
  the first wrong root instead (``solver.plan_challenge``: a shorter transaction level).
  A pack whose final root is right but an intermediate root is wrong can only be
  challenged with the claimed roots.

Two factories ship here: :func:`alphabet_trace_factory` (the AlphabetVM, for tests and
devnets) and :func:`load_trace_factory` (``module:function`` plug-ins: the EVM-backed
provider implements the same protocol).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.dispute import merkle
from agents.dispute.solver import ClaimView, OpenGame, first_midpoint, plan_challenge
from agents.dispute.trace import AlphabetTraceProvider, TraceProvider


@dataclass(frozen=True)
class PackView:
    """Everything L1 says about one posted pack (plus its posting call's arguments)."""

    pack_id: int
    parent_id: int
    poster: str
    pre_state_root: bytes
    first_block: int
    last_block: int
    tx_count: int
    state_root: bytes
    tx_roots_commitment: bytes
    da_kind: int
    da_commitment: bytes
    trace_context: bytes
    challenge_deadline: int
    claim_id: bytes
    posting_tx: bytes
    state_root_proof: tuple[bytes, ...]
    #: The pack's DA payload when it travelled as calldata (None for blobs).
    calldata: bytes | None = None
    #: The pack's claimed r_1..r_n, when some source publishes them.
    claimed_roots: tuple[bytes, ...] | None = None


#: The agent's view of the rollup: its trace for a pack, or None ("not my history").
TraceFactory = Callable[[PackView], TraceProvider | None]


@dataclass(frozen=True)
class Verdict:
    """What the agent concluded about a pack."""

    valid: bool | None  # None: cannot judge (pre-state not in our view)
    reason: str
    opening: OpenGame | None = None


def judge_pack(view: PackView, trace: TraceProvider | None) -> Verdict:
    """Compare a pack with our trace of it (pure)."""
    if view.tx_count == 0:
        return Verdict(True, "empty pack (checked by the contract)")
    if trace is None:
        return Verdict(None, "pre-state not in our view")
    if trace.tx_root(0) != view.pre_state_root:
        return Verdict(None, "pre-state differs from our view")
    if trace.tx_count != view.tx_count:
        return Verdict(None, f"our trace has {trace.tx_count} txs, the pack {view.tx_count}")
    if merkle.commitment(trace.tx_roots()) == view.tx_roots_commitment:
        return Verdict(True, "roots match")
    if view.claimed_roots is not None:
        claim = ClaimView(
            view.claim_id,
            view.poster,
            view.pre_state_root,
            view.claimed_roots,
            view.tx_roots_commitment,
        )
        opening = plan_challenge(claim, trace)
        if opening is not None:
            return Verdict(False, f"first wrong root r_{opening.disputed_tx}", opening)
    last = view.tx_count
    if trace.tx_root(last) != view.state_root:
        opening = OpenGame(
            claim_id=view.claim_id,
            disputed_tx=last,
            disputed_root=view.state_root,
            root_proof=view.state_root_proof,
            mid_hash=first_midpoint(trace, last),
        )
        return Verdict(False, f"final root r_{last} differs", opening)
    return Verdict(False, "an intermediate root differs but the claimed roots are unknown")


def trace_matches_pack(view: PackView, trace: TraceProvider | None) -> bool:
    """Whether ``trace`` reproduces the pack's commitment (a defender can defend it)."""
    if trace is None or trace.tx_count != view.tx_count or view.tx_count == 0:
        return False
    return merkle.commitment(trace.tx_roots()) == view.tx_roots_commitment


# -- AlphabetVM view -------------------------------------------------------------------


@dataclass(frozen=True)
class PackTraceWindow:
    """Transactions ``offset + 1 .. offset + tx_count`` of a long trace, as one pack."""

    base: AlphabetTraceProvider
    offset: int
    tx_count: int

    @property
    def step_depth(self) -> int:
        return self.base.step_depth

    def tx_root(self, tx_index: int) -> bytes:
        if not 0 <= tx_index <= self.tx_count:
            raise IndexError(f"tx {tx_index} outside 0..{self.tx_count}")
        return self.base.tx_root(self.offset + tx_index)

    def tx_roots(self) -> list[bytes]:
        return [self.tx_root(index) for index in range(1, self.tx_count + 1)]

    def step_state(self, tx_index: int, step: int) -> bytes:
        return self.base.step_state(self.offset + tx_index, step)

    def step_proof(self, tx_index: int, step: int) -> bytes:
        return self.base.step_proof(self.offset + tx_index, step)


@dataclass
class AlphabetHistory:
    """One long AlphabetVM execution; packs are windows of it found by pre-state root."""

    base: AlphabetTraceProvider
    _index: dict[bytes, int] = field(default_factory=dict)

    def offset_of(self, root: bytes) -> int | None:
        if not self._index:
            self._index = {self.base.tx_root(i): i for i in range(self.base.tx_count + 1)}
        return self._index.get(root)

    def trace_for(self, view: PackView) -> TraceProvider | None:
        offset = self.offset_of(view.pre_state_root)
        if offset is None or offset + view.tx_count > self.base.tx_count:
            return None
        return PackTraceWindow(self.base, offset, view.tx_count)


def alphabet_trace_factory(
    step_depth: int,
    *,
    history_txs: int = 4096,
    start_value: int = 1000,
    lie_from: int | None = None,
    lie_to: int | None = None,
) -> TraceFactory:
    """The AlphabetVM view: the rollup's history is one AlphabetVM run of
    ``history_txs`` transactions; ``lie_from`` makes a deliberately faulty agent
    (wrong from that global step on) for demonstrations and tests."""
    base = AlphabetTraceProvider(
        history_txs, step_depth, start_value, lie_from=lie_from, lie_to=lie_to
    )
    return AlphabetHistory(base).trace_for


def load_trace_factory(spec: str, **context: Any) -> TraceFactory:
    """Import ``module:function`` and call it with ``context`` (``client``, ``rollup``,
    ``game_config``); it returns the :data:`TraceFactory`."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"trace plug-in must be 'module:function', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import trace plug-in module {module_name!r}: {error}") from None
    builder = getattr(module, attribute, None)
    if builder is None:
        raise ValueError(f"{module_name} has no {attribute!r}")
    factory = builder(**context)
    if not callable(factory):
        raise ValueError(f"{spec} did not return a callable trace factory")
    return factory  # type: ignore[no-any-return]
