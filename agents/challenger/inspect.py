"""Read-only views of a Rollup's dispute games for ``altrollup dispute list / show``.

Everything comes from L1: :func:`game_summaries` reads every game of the Rollup's
DisputeGame; :func:`game_history` rebuilds one game's move history from its events
(``GameCreated``, ``MidpointClaimed``, ``Bisected``, ``TransactionIsolated``,
``StepProven``, ``GameResolved``, ``BondPaid``, ``ClaimDefeated``, ``DefenderSlashed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3.contract import Contract

from agents.dispute.game import (
    GameConfig,
    GameState,
    GameStatus,
    Level,
    Player,
    Resolution,
    read_config,
    read_game,
)
from agents.l1.client import L1Client
from agents.l1.rollup import RollupContract

#: Event arguments shown by name rather than by number.
_ENUM_ARGS = {"level": Level, "status": GameStatus, "resolution": Resolution}

HISTORY_EVENTS = (
    "GameCreated",
    "MidpointClaimed",
    "Bisected",
    "TransactionIsolated",
    "StepProven",
    "GameResolved",
    "BondPaid",
    "DefenderSlashed",
)


@dataclass(frozen=True)
class GameSummary:
    """One game with its clocks at ``now`` and the pack it disputes."""

    state: GameState
    pack_id: int
    now: int
    challenger_clock_left: int
    defender_clock_left: int

    @property
    def status(self) -> str:
        return self.state.phase.value


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a game's history."""

    block: int
    log_index: int
    tx_hash: str
    event: str
    args: dict[str, Any]


@dataclass(frozen=True)
class DisputeSource:
    """A Rollup and its DisputeGame on one L1."""

    client: L1Client
    rollup: RollupContract
    game: Contract
    config: GameConfig


def open_source(client: L1Client, rollup_address: str) -> DisputeSource:
    """Bind to the Rollup at ``rollup_address`` (raises ``ValueError`` if there is none)."""
    code = client.w3.eth.get_code(client.w3.to_checksum_address(rollup_address))
    if not code:
        raise ValueError(f"no contract at {rollup_address} on this L1")
    rollup = RollupContract.at(client, rollup_address)
    game = client.contract("DisputeGame", rollup.dispute_game())
    return DisputeSource(client, rollup, game, read_config(game))


def _now(client: L1Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def summarize(source: DisputeSource, game_id: int, now: int | None = None) -> GameSummary:
    state = read_game(source.game, game_id)
    now = _now(source.client) if now is None else now
    return GameSummary(
        state=state,
        pack_id=int.from_bytes(state.claim_id, "big"),
        now=now,
        challenger_clock_left=state.clock_remaining(source.config, Player.CHALLENGER, now),
        defender_clock_left=state.clock_remaining(source.config, Player.DEFENDER, now),
    )


def game_summaries(source: DisputeSource) -> list[GameSummary]:
    """Every game of the DisputeGame, oldest first."""
    count = int(source.game.functions.gameCount().call())
    now = _now(source.client)
    return [summarize(source, game_id, now) for game_id in range(1, count + 1)]


def _plain(key: str, value: Any) -> Any:
    if key in _ENUM_ARGS and isinstance(value, int):
        return _ENUM_ARGS[key](value).name.lower()
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


def game_history(source: DisputeSource, game_id: int) -> list[HistoryEntry]:
    """The events of game ``game_id`` in chain order."""
    entries: list[HistoryEntry] = []
    for name in HISTORY_EVENTS:
        event = getattr(source.game.events, name)()
        for log in event.get_logs(from_block=0, argument_filters={"gameId": game_id}):
            args = {key: _plain(key, value) for key, value in dict(log["args"]).items()}
            args.pop("gameId", None)
            entries.append(
                HistoryEntry(
                    block=int(log["blockNumber"]),
                    log_index=int(log["logIndex"]),
                    tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                    event=name,
                    args=args,
                )
            )
    entries.sort(key=lambda entry: (entry.block, entry.log_index))
    return entries
