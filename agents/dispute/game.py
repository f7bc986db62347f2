"""Dispute-game state as read from L1, and the game's lifecycle as a state machine.

:class:`GameState` mirrors ``Game`` in ``contracts/dispute/lib/DisputeTypes.sol`` field
for field (plus the game id); :class:`GameConfig` holds the DisputeGame immutables.
:func:`phase_of` maps a state to a :class:`GamePhase`, and :data:`TRANSITIONS` lists the
only phase changes a game can make, so an agent can tell an expected change from a bug
(:func:`check_transition`)::

    BISECTING_TRANSACTIONS -> BISECTING_TRANSACTIONS | BISECTING_STEPS | resolved (timeout)
                              | AWAITING_STEP (only when STEP_DEPTH == 0)
    BISECTING_STEPS        -> BISECTING_STEPS | AWAITING_STEP | resolved (timeout)
    AWAITING_STEP          -> resolved (step proof or timeout)
    CHALLENGER_WON, DEFENDER_WON: final

Reading from L1 (:func:`read_game`, :func:`read_config`) is the only I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

from web3.contract import Contract


class Player(IntEnum):
    """``Player`` in Solidity."""

    CHALLENGER = 0
    DEFENDER = 1

    @property
    def opponent(self) -> Player:
        return Player.DEFENDER if self is Player.CHALLENGER else Player.CHALLENGER


class Level(IntEnum):
    """``Level`` in Solidity."""

    TRANSACTIONS = 0
    STEPS = 1


class GameStatus(IntEnum):
    """``GameStatus`` in Solidity."""

    NONE = 0
    IN_PROGRESS = 1
    CHALLENGER_WON = 2
    DEFENDER_WON = 3


class Resolution(IntEnum):
    """``Resolution`` in Solidity."""

    NONE = 0
    STEP_PROOF = 1
    TIMEOUT = 2


class GamePhase(Enum):
    """Lifecycle phase of a game (derived from its state)."""

    BISECTING_TRANSACTIONS = "bisecting-transactions"
    BISECTING_STEPS = "bisecting-steps"
    AWAITING_STEP = "awaiting-step"
    CHALLENGER_WON = "challenger-won"
    DEFENDER_WON = "defender-won"

    @property
    def final(self) -> bool:
        return self in (GamePhase.CHALLENGER_WON, GamePhase.DEFENDER_WON)


_RESOLVED = frozenset({GamePhase.CHALLENGER_WON, GamePhase.DEFENDER_WON})

#: Every phase change a game can make (staying in a phase is always allowed).
TRANSITIONS: dict[GamePhase, frozenset[GamePhase]] = {
    # AWAITING_STEP directly only when STEP_DEPTH == 0 (one step per transaction).
    GamePhase.BISECTING_TRANSACTIONS: frozenset(
        {GamePhase.BISECTING_STEPS, GamePhase.AWAITING_STEP}
    )
    | _RESOLVED,
    GamePhase.BISECTING_STEPS: frozenset({GamePhase.AWAITING_STEP}) | _RESOLVED,
    GamePhase.AWAITING_STEP: _RESOLVED,
    GamePhase.CHALLENGER_WON: frozenset(),
    GamePhase.DEFENDER_WON: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A game moved between phases in a way the contract cannot produce."""


def check_transition(before: GamePhase, after: GamePhase) -> None:
    """Raise :class:`IllegalTransition` unless ``before -> after`` is possible."""
    if before is not after and after not in TRANSITIONS[before]:
        raise IllegalTransition(f"{before.value} -> {after.value}")


@dataclass(frozen=True)
class GameConfig:
    """The DisputeGame immutables a player needs."""

    address: str
    step_depth: int
    challenger_clock: int
    defender_clock: int
    challenger_bond: int
    slash_token: str
    slash_amount: int

    def budget(self, player: Player) -> int:
        """``player``'s total clock, in seconds."""
        return self.challenger_clock if player is Player.CHALLENGER else self.defender_clock


@dataclass(frozen=True)
class GameState:
    """One game as stored on L1 (see ``Game`` in DisputeTypes.sol)."""

    game_id: int
    claim_id: bytes
    challenger: str
    defender: str
    bond: int
    status: GameStatus
    level: Level
    turn: Player
    hi_claimant: Player
    mid_pending: bool
    resolution: Resolution
    last_move_at: int
    challenger_clock_used: int
    defender_clock_used: int
    moves: int
    disputed_tx: int
    tx_index: int
    tx_count: int
    lo: int
    hi: int
    lo_hash: bytes
    hi_hash: bytes
    mid_hash: bytes
    tx_roots_commitment: bytes
    trace_context: bytes

    @property
    def mid_position(self) -> int:
        """Position of the pending midpoint."""
        return self.lo + (self.hi - self.lo) // 2

    @property
    def segment_length(self) -> int:
        return self.hi - self.lo

    @property
    def phase(self) -> GamePhase:
        return phase_of(self)

    def address_of(self, player: Player) -> str:
        return self.challenger if player is Player.CHALLENGER else self.defender

    def player_of(self, address: str) -> Player | None:
        """Which player ``address`` is in this game (None: neither)."""
        if address.lower() == self.challenger.lower():
            return Player.CHALLENGER
        if address.lower() == self.defender.lower():
            return Player.DEFENDER
        return None

    def clock_used(self, player: Player, now: int) -> int:
        """Seconds ``player`` has used at time ``now``, the running turn included."""
        used = (
            self.challenger_clock_used if player is Player.CHALLENGER else self.defender_clock_used
        )
        if self.status is GameStatus.IN_PROGRESS and self.turn is player:
            used += max(0, now - self.last_move_at)
        return used

    def clock_remaining(self, config: GameConfig, player: Player, now: int) -> int:
        return max(0, config.budget(player) - self.clock_used(player, now))

    def clock_expired(self, config: GameConfig, player: Player, now: int) -> bool:
        """Whether ``player`` is out of time (the contract's ``elapsed > budget``)."""
        return self.clock_used(player, now) > config.budget(player)


def phase_of(state: GameState) -> GamePhase:
    """The lifecycle phase of ``state``."""
    if state.status is GameStatus.CHALLENGER_WON:
        return GamePhase.CHALLENGER_WON
    if state.status is GameStatus.DEFENDER_WON:
        return GamePhase.DEFENDER_WON
    if state.status is not GameStatus.IN_PROGRESS:
        raise ValueError(f"game {state.game_id} does not exist")
    if state.level is Level.TRANSACTIONS:
        return GamePhase.BISECTING_TRANSACTIONS
    if state.mid_pending:
        return GamePhase.BISECTING_STEPS
    return GamePhase.AWAITING_STEP


def game_from_tuple(game_id: int, raw: Any) -> GameState:
    """Build a :class:`GameState` from the tuple ``getGame`` returns (struct order)."""
    (
        claim_id,
        challenger,
        defender,
        bond,
        status,
        level,
        turn,
        hi_claimant,
        mid_pending,
        resolution,
        last_move_at,
        challenger_clock_used,
        defender_clock_used,
        moves,
        disputed_tx,
        tx_index,
        tx_count,
        lo,
        hi,
        lo_hash,
        hi_hash,
        mid_hash,
        tx_roots_commitment,
        trace_context,
    ) = raw
    return GameState(
        game_id=game_id,
        claim_id=bytes(claim_id),
        challenger=challenger,
        defender=defender,
        bond=int(bond),
        status=GameStatus(status),
        level=Level(level),
        turn=Player(turn),
        hi_claimant=Player(hi_claimant),
        mid_pending=bool(mid_pending),
        resolution=Resolution(resolution),
        last_move_at=int(last_move_at),
        challenger_clock_used=int(challenger_clock_used),
        defender_clock_used=int(defender_clock_used),
        moves=int(moves),
        disputed_tx=int(disputed_tx),
        tx_index=int(tx_index),
        tx_count=int(tx_count),
        lo=int(lo),
        hi=int(hi),
        lo_hash=bytes(lo_hash),
        hi_hash=bytes(hi_hash),
        mid_hash=bytes(mid_hash),
        tx_roots_commitment=bytes(tx_roots_commitment),
        trace_context=bytes(trace_context),
    )


def read_game(contract: Contract, game_id: int) -> GameState:
    """Read game ``game_id`` from the DisputeGame ``contract``."""
    return game_from_tuple(game_id, contract.functions.getGame(game_id).call())


@dataclass(frozen=True)
class ClaimGames:
    """The games against one claim and its record (``claimRecord`` + ``gamesOf``)."""

    claim_id: bytes
    game_ids: tuple[int, ...]
    open_games: int
    total_games: int
    defeated: bool

    @property
    def may_finalize(self) -> bool:
        """No game open and none lost (``isUndisputed``)."""
        return self.open_games == 0 and not self.defeated


def read_claim_games(contract: Contract, claim_id: bytes) -> ClaimGames:
    """Read the games opened against ``claim_id`` and its record."""
    open_games, total_games, defeated = contract.functions.claimRecord(claim_id).call()
    game_ids = tuple(int(i) for i in contract.functions.gamesOf(claim_id).call())
    return ClaimGames(claim_id, game_ids, int(open_games), int(total_games), bool(defeated))


def read_config(contract: Contract) -> GameConfig:
    """Read the DisputeGame ``contract``'s immutables."""
    functions = contract.functions
    return GameConfig(
        address=contract.address,
        step_depth=int(functions.STEP_DEPTH().call()),
        challenger_clock=int(functions.CHALLENGER_CLOCK().call()),
        defender_clock=int(functions.DEFENDER_CLOCK().call()),
        challenger_bond=int(functions.CHALLENGER_BOND().call()),
        slash_token=functions.SLASH_TOKEN().call(),
        slash_amount=int(functions.SLASH_AMOUNT().call()),
    )
