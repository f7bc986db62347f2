"""The dispute solver: a pure decision function from game state to moves.

:func:`solve` takes what a player knows (the game as read from L1, the game contract's
configuration, which player it is, its trace provider and the current time) and returns
the moves to send, without doing any I/O. :func:`plan_challenge` decides whether, and
against which root, to open a game on a claim. The responder (``responder.py``) sends
the moves; keeping the two apart lets the same decisions be tested without a chain and
replayed after a restart.

Honest play (see DisputeGame.sol for why it wins):

- answer a pending midpoint by agreeing exactly when the claimed state equals ours, then
  claim our own state at the new midpoint (with a Merkle proof when we defend at the
  transaction level: our claims there are the roots our pack committed to);
- at the single step, submit the step proof when the VM will decide in our favour;
- when the player to move is the opponent and its clock has run out, resolve by timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.dispute import merkle
from agents.dispute.game import GameConfig, GamePhase, GameState, Level, Player
from agents.dispute.trace import TraceProvider, first_wrong_root, tx_root_proof

ZERO_HASH = bytes(32)


@dataclass(frozen=True)
class OpenGame:
    """Open a game against root r_``disputed_tx`` of claim ``claim_id``."""

    claim_id: bytes
    disputed_tx: int
    disputed_root: bytes
    root_proof: tuple[bytes, ...]
    mid_hash: bytes


@dataclass(frozen=True)
class Answer:
    """Answer the pending midpoint of ``game_id`` and claim the next one."""

    game_id: int
    agree: bool
    next_mid_hash: bytes
    mid_root_proof: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class SubmitStep:
    """Execute the final step of ``game_id`` on-chain."""

    game_id: int
    proof: bytes


@dataclass(frozen=True)
class ResolveTimeout:
    """Resolve ``game_id`` because the player to move ran out of time."""

    game_id: int


Move = Answer | SubmitStep | ResolveTimeout


@dataclass(frozen=True)
class ClaimView:
    """What a challenger knows about a claim: its fields plus the published roots."""

    claim_id: bytes
    defender: str
    pre_state_root: bytes
    tx_roots: tuple[bytes, ...]
    tx_roots_commitment: bytes


def state_at(trace: TraceProvider, level: Level, tx_index: int, position: int) -> bytes:
    """Our state at ``position`` of ``level`` (a tx root, or a step of ``tx_index``)."""
    if level is Level.TRANSACTIONS:
        return trace.tx_root(position)
    return trace.step_state(tx_index, position)


def first_midpoint(trace: TraceProvider, disputed_tx: int) -> bytes:
    """The challenger's claim at the first midpoint of a game opened against ``disputed_tx``."""
    if disputed_tx == 1:
        if trace.step_depth == 0:
            return ZERO_HASH
        return trace.step_state(1, (1 << trace.step_depth) // 2)
    return trace.tx_root(disputed_tx // 2)


def plan_challenge(claim: ClaimView, trace: TraceProvider) -> OpenGame | None:
    """The game to open against ``claim``, or None when its roots match ``trace``.

    The challenger disputes the first committed root that differs from its own: the
    root before it is then true, which is all honest play needs.
    """
    if claim.pre_state_root != trace.tx_root(0):
        return None  # not our chain's history: nothing this trace can prove
    disputed = first_wrong_root(trace, list(claim.tx_roots))
    if disputed is None:
        return None
    proof = merkle.proof(list(claim.tx_roots), disputed - 1)
    return OpenGame(
        claim_id=claim.claim_id,
        disputed_tx=disputed,
        disputed_root=claim.tx_roots[disputed - 1],
        root_proof=tuple(proof),
        mid_hash=first_midpoint(trace, disputed),
    )


@dataclass(frozen=True)
class Segment:
    """The disputed segment after an answer: ``[lo, hi]`` at ``level`` (of ``tx_index``)."""

    level: Level
    tx_index: int
    lo: int
    hi: int

    @property
    def needs_midpoint(self) -> bool:
        """Whether the answering player must claim a midpoint (the segment is > 1 long)."""
        return self.hi - self.lo > 1

    @property
    def mid_position(self) -> int:
        return self.lo + (self.hi - self.lo) // 2


def segment_after(state: GameState, config: GameConfig, agree: bool) -> Segment:
    """The segment the contract will hold after answering ``agree`` (levels switched)."""
    mid = state.mid_position
    lo, hi = (mid, state.hi) if agree else (state.lo, mid)
    if state.level is Level.TRANSACTIONS and hi - lo == 1:
        return Segment(Level.STEPS, hi, 0, 1 << config.step_depth)
    return Segment(state.level, state.tx_index, lo, hi)


def answer(state: GameState, config: GameConfig, me: Player, trace: TraceProvider) -> Answer:
    """The honest answer to ``state``'s pending midpoint (``me`` must be to move)."""
    agree = state_at(trace, state.level, state.tx_index, state.mid_position) == state.mid_hash
    segment = segment_after(state, config, agree)
    if not segment.needs_midpoint:
        return Answer(state.game_id, agree, ZERO_HASH)
    position = segment.mid_position
    next_hash = state_at(trace, segment.level, segment.tx_index, position)
    proof: tuple[bytes, ...] = ()
    if segment.level is Level.TRANSACTIONS and me is Player.DEFENDER:
        proof = tuple(tx_root_proof(trace, position))
    return Answer(state.game_id, agree, next_hash, proof)


def step_outcome(state: GameState, trace: TraceProvider) -> Player | None:
    """Who the final step will declare the winner, by ``trace`` (None: cannot open it)."""
    if trace.step_state(state.tx_index, state.lo) != state.lo_hash:
        return None
    post = trace.step_state(state.tx_index, state.lo + 1)
    return state.hi_claimant if post == state.hi_hash else state.hi_claimant.opponent


def solve(
    state: GameState, config: GameConfig, me: Player, trace: TraceProvider, now: int
) -> list[Move]:
    """The moves ``me`` should send now in the game ``state`` (empty: wait)."""
    phase = state.phase
    if phase.final:
        return []
    if state.clock_expired(config, state.turn, now):
        # The player to move is out of time: only a timeout can end the game now.
        return [ResolveTimeout(state.game_id)] if state.turn is not me else []
    if phase is GamePhase.AWAITING_STEP:
        if step_outcome(state, trace) is me:
            return [SubmitStep(state.game_id, trace.step_proof(state.tx_index, state.lo))]
        return []
    if state.turn is me:
        return [answer(state, config, me, trace)]
    return []
