"""What the dashboard shows, read from the rollup RPC and from L1.

Every reader returns a JSON-ready dict and never raises for an unreachable or
misbehaving source: it returns ``{"error": "..."}`` for its panel instead, so one dead
endpoint does not blank the whole page.

Finality tier of an L2 block: the node's ``altrollup_getFinality`` gives the heights of
tiers 1, 2 and 3 (a block at or below a height has that tier). Tiers 2 and 3 are facts
of L1, so with a Rollup configured the page also reads their heights from the Rollup
(:class:`~agents.verifier.finality.L1Finality`, the producers' own oracle) and takes the
higher of the two: a node started without an L1 oracle still shows final blocks as
final. When the node does not offer ``altrollup_getFinality`` (a plain Ethereum node),
each block's tier comes from L1: ``Rollup.tierOfBlock`` for blocks covered by a posted
pack (posted = tier 1 with a pack, verified = 2, final = 3, invalid), tier 1 for blocks
not posted yet.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from agents.challenger.inspect import DisputeSource, open_source, summarize
from agents.dispute.game import GameStatus, Level
from agents.l1.client import L1Client, L1Error
from agents.l1.deployments import DeploymentError, load_deployments
from agents.l1.registries import (
    ETH,
    ExecutionLayerRegistry,
    RollupStatus,
    SequencerRegistry,
)
from agents.l1.rollup import RollupContract, Tier
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.verifier.finality import L1Finality

METHOD_NOT_FOUND = -32601
TIER_NAMES = {0: "pending", 1: "execution", 2: "verification", 3: "rollup", 4: "invalid"}


class SourceError(RuntimeError):
    """A source could not be read (shown in its panel)."""


@dataclass(frozen=True)
class DashboardConfig:
    """Where the dashboard reads from and how much it shows."""

    rpc_url: str | None
    l1_rpc_url: str | None
    deployments: Path | None = None
    rollup_address: str | None = None
    rollup_id: int | None = None
    blocks: int = 24
    transactions: int = 20
    packs: int = 16
    games: int = 12
    throughput_blocks: int = 120
    cache_seconds: float = 0.5


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    raise SourceError(f"expected a quantity, got {value!r}")


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


# -- L2 --------------------------------------------------------------------------------


@dataclass
class L2Source:
    """The rollup's Ethereum JSON-RPC."""

    url: str
    client: JsonRpcClient = field(init=False)
    has_finality: bool | None = None  # None: not probed yet

    def __post_init__(self) -> None:
        self.client = JsonRpcClient(self.url, timeout=5.0)

    def call(self, method: str, *params: Any) -> Any:
        try:
            return self.client.call(method, *params)
        except RpcTransportError as error:
            raise SourceError(f"rollup RPC unreachable: {error}") from None
        except RpcCallError as error:
            raise SourceError(f"rollup RPC {method}: {error.message}") from None

    def blocks(self, count: int, full_from: int) -> list[dict[str, Any]]:
        """The last ``count`` blocks, newest first; the newest ``full_from`` of them with
        full transaction objects."""
        head = _int(self.call("eth_blockNumber"))
        numbers = list(range(head, max(-1, head - count), -1))
        calls = [
            ("eth_getBlockByNumber", [hex(n), index < full_from]) for index, n in enumerate(numbers)
        ]
        try:
            answers = self.client.batch(calls) if calls else []
        except RpcTransportError as error:
            raise SourceError(f"rollup RPC unreachable: {error}") from None
        blocks = []
        for answer in answers:
            block = answer.get("result")
            if isinstance(block, dict):
                blocks.append(block)
        return blocks

    def finality_heights(self, head_hash: str) -> tuple[int, int, int] | None:
        """(tier-1, tier-2, tier-3 heights) from ``altrollup_getFinality``, or None."""
        if self.has_finality is False:
            return None
        try:
            answer = self.client.call("altrollup_getFinality", head_hash)
        except RpcCallError as error:
            if error.code == METHOD_NOT_FOUND:
                self.has_finality = False
                return None
            raise SourceError(f"altrollup_getFinality: {error.message}") from None
        except RpcTransportError as error:
            raise SourceError(f"rollup RPC unreachable: {error}") from None
        self.has_finality = True
        heights = answer.get("heights", {}) if isinstance(answer, dict) else {}
        return (
            _int(heights.get("tier1", "0x0")),
            _int(heights.get("tier2", "0x0")),
            _int(heights.get("tier3", "0x0")),
        )


def tier_from_heights(number: int, heights: tuple[int, int, int]) -> int:
    tier1, tier2, tier3 = heights
    if number <= tier3:
        return 3
    if number <= tier2:
        return 2
    return 1 if number <= tier1 else 0


# -- L1 --------------------------------------------------------------------------------


@dataclass
class L1Source:
    """The settlement contracts of one rollup on L1."""

    client: L1Client
    rollup: RollupContract | None
    disputes: DisputeSource | None
    elr: ExecutionLayerRegistry | None
    registry: SequencerRegistry | None
    rollup_id: int | None
    token_symbols: dict[str, str]
    final_tiers: dict[int, tuple[int, int]] = field(default_factory=dict)
    finality: L1Finality | None = None

    def tier_heights(self) -> tuple[int, int] | None:
        """(tier-2, tier-3 heights) of L2 blocks according to the Rollup, or None."""
        if self.finality is None:
            return None
        heights = self.finality.refresh()
        return heights.tier2, heights.tier3

    def tier_of_block(self, number: int) -> tuple[int, int | None]:
        """(tier, covering pack or None) of L2 block ``number`` from the Rollup contract."""
        if number in self.final_tiers:
            return self.final_tiers[number]
        if self.rollup is None:
            return 1, None
        found = self.rollup.tier_of_block(number)
        if found is None:
            return 1, None
        tier, pack_id = found
        value = {Tier.POSTED: 1, Tier.EXECUTION_FINAL: 1}.get(tier, int(tier))
        if tier is Tier.ROLLUP_FINAL:
            self.final_tiers[number] = (value, pack_id)  # irreversible: cache it
        return value, pack_id


def connect_l1(config: DashboardConfig) -> L1Source:
    """Bind to L1 from the configuration; :class:`SourceError` with the reason if not."""
    if config.l1_rpc_url is None:
        raise SourceError("no --l1-rpc given")
    try:
        client = L1Client.connect(config.l1_rpc_url, timeout=5.0)
    except L1Error as error:
        raise SourceError(str(error)) from None
    chain_id = client.chain_id
    entries: dict[str, Any] = {}
    if config.deployments is not None:
        try:
            entries = load_deployments(config.deployments).get(str(chain_id), {})
        except DeploymentError as error:
            raise SourceError(str(error)) from None
    symbols = {ETH: "ETH"}
    for name, entry in entries.items():
        if name.startswith("token:"):
            symbols[Web3.to_checksum_address(entry.address)] = name.split(":", 1)[1]
    rollup_address = config.rollup_address or (
        entries["Rollup"].address if "Rollup" in entries else None
    )
    rollup = disputes = None
    elr = registry = None
    rollup_id = config.rollup_id
    if rollup_address is not None:
        try:
            disputes = open_source(client, rollup_address)
        except ValueError as error:
            raise SourceError(str(error)) from None
        rollup = disputes.rollup
        rollup_id = int(client.call(rollup.contract.functions.ROLLUP_ID()))
        elr_address = str(client.call(rollup.contract.functions.EXECUTION_LAYER_REGISTRY()))
        registry_address = str(client.call(rollup.contract.functions.SEQUENCER_REGISTRY()))
    elif "ExecutionLayerRegistry" in entries and "SequencerRegistry" in entries:
        elr_address = entries["ExecutionLayerRegistry"].address
        registry_address = entries["SequencerRegistry"].address
    else:
        raise SourceError(
            "no Rollup address (--rollup or a 'Rollup' entry in the deployments file) "
            f"and no registries recorded for L1 chain {chain_id}"
        )
    elr = ExecutionLayerRegistry(client, client.contract("ExecutionLayerRegistry", elr_address))
    registry = SequencerRegistry(client, client.contract("SequencerRegistry", registry_address))
    if rollup_id is None:
        rollup_id = int(client.call(elr.contract.functions.rollupCount())) or None
    finality = L1Finality(rollup) if rollup is not None else None
    return L1Source(client, rollup, disputes, elr, registry, rollup_id, symbols, finality=finality)


# -- the collector ---------------------------------------------------------------------


@dataclass
class Collector:
    """Reads every panel, caching each for ``cache_seconds`` (many browsers, one read)."""

    config: DashboardConfig
    clock: Callable[[], float] = time.monotonic
    l2: L2Source | None = field(init=False, default=None)
    l1: L1Source | None = field(init=False, default=None)
    l1_error: str | None = field(init=False, default=None)
    errors: dict[str, int] = field(init=False, default_factory=dict)
    _cache: dict[str, tuple[float, dict[str, Any]]] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _l1_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.config.rpc_url is not None:
            self.l2 = L2Source(self.config.rpc_url)

    def panel(self, name: str) -> dict[str, Any]:
        """The JSON of panel ``name`` (``overview``, ``blocks``, ``packs``, ...)."""
        readers: dict[str, Callable[[], dict[str, Any]]] = {
            "overview": self._overview,
            "blocks": self._blocks,
            "packs": self._packs,
            "disputes": self._disputes,
            "sequencers": self._sequencers,
        }
        reader = readers[name]
        now = self.clock()
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None and now - cached[0] < self.config.cache_seconds:
                return cached[1]
        try:
            value = reader()
        except (SourceError, L1Error) as error:
            value = {"error": str(error)}
        except Exception as error:  # noqa: BLE001 - a panel shows the failure, the page lives
            value = {"error": f"{type(error).__name__}: {error}"}
        if "error" in value:
            self.errors[name] = self.errors.get(name, 0) + 1
        with self._lock:
            self._cache[name] = (self.clock(), value)
        return value

    def _l1(self) -> L1Source:
        with self._l1_lock:
            if self.l1 is None:
                self.l1 = connect_l1(self.config)  # retried on the next poll if it fails
            return self.l1

    def _l2(self) -> L2Source:
        if self.l2 is None:
            raise SourceError("no --rpc given")
        return self.l2

    # -- panels -------------------------------------------------------------------------

    def _overview(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.l2 is not None:
            try:
                out["l2ChainId"] = _int(self.l2.call("eth_chainId"))
                out["l2Head"] = _int(self.l2.call("eth_blockNumber"))
            except SourceError as error:
                out["l2Error"] = str(error)
        try:
            l1 = self._l1()
        except SourceError as error:
            out["l1Error"] = str(error)
            return out
        out["l1ChainId"] = l1.client.chain_id
        out["l1Block"] = int(l1.client.w3.eth.block_number)
        out["rollupId"] = l1.rollup_id
        if l1.rollup is not None:
            rollup = l1.rollup
            out["rollup"] = rollup.address
            out["disputeGame"] = rollup.dispute_game()
            out["challengeWindow"] = rollup.challenge_window()
            out["headPack"] = rollup.head()
            out["finalizedPack"] = rollup.last_finalized()
            out["packCount"] = rollup.pack_count()
        if l1.elr is not None and l1.rollup_id is not None:
            status = int(l1.client.call(l1.elr.contract.functions.statusOf(l1.rollup_id)))
            out["rollupStatus"] = RollupStatus(status).name
        return out

    def _blocks(self) -> dict[str, Any]:
        l2 = self._l2()
        config = self.config
        window = max(config.blocks, config.throughput_blocks)
        blocks = l2.blocks(window, full_from=config.blocks)
        if not blocks:
            return {"blocks": [], "transactions": [], "throughput": throughput([]), "source": ""}
        heights = l2.finality_heights(str(blocks[0]["hash"]))
        l1: L1Source | None = None
        if self.config.l1_rpc_url is not None:
            try:
                l1 = self._l1()
            except SourceError:
                l1 = None
        l1_heights = l1.tier_heights() if l1 is not None and heights is not None else None
        if heights is not None and l1_heights is not None:
            heights = (heights[0], max(heights[1], l1_heights[0]), max(heights[2], l1_heights[1]))
        rows: list[dict[str, Any]] = []
        transactions: list[dict[str, Any]] = []
        for block in blocks[: config.blocks]:
            number = _int(block["number"])
            pack_id: int | None = None
            if heights is not None:
                tier = tier_from_heights(number, heights)
            elif l1 is not None:
                tier, pack_id = l1.tier_of_block(number)
            else:
                tier = 1
            txs = block.get("transactions", [])
            rows.append(
                {
                    "number": number,
                    "hash": block["hash"],
                    "timestamp": _int(block["timestamp"]),
                    "txCount": len(txs),
                    "gasUsed": _int(block.get("gasUsed", "0x0")),
                    "tier": tier,
                    "tierName": TIER_NAMES.get(tier, str(tier)),
                    "pack": pack_id,
                }
            )
            for tx in txs:
                if len(transactions) >= config.transactions or not isinstance(tx, dict):
                    continue
                transactions.append(
                    {
                        "hash": tx["hash"],
                        "from": tx.get("from"),
                        "to": tx.get("to"),
                        "value": str(_int(tx.get("value", "0x0"))),
                        "block": number,
                        "tier": tier,
                        "tierName": TIER_NAMES.get(tier, str(tier)),
                    }
                )
        if heights is None:
            source = "L1 Rollup.tierOfBlock"
        elif l1_heights is not None:
            source = "altrollup_getFinality and the L1 Rollup"
        else:
            source = "altrollup_getFinality"
        out: dict[str, Any] = {
            "blocks": rows,
            "transactions": transactions,
            "throughput": throughput(blocks),
            "tierSource": source if (heights is not None or l1 is not None) else "none",
        }
        if heights is not None:
            out["tierHeights"] = {"tier1": heights[0], "tier2": heights[1], "tier3": heights[2]}
        return out

    def _packs(self) -> dict[str, Any]:
        l1 = self._l1()
        if l1.rollup is None or l1.disputes is None:
            return {"packs": [], "note": "no Rollup contract configured"}
        rollup = l1.rollup
        count = rollup.pack_count()
        now = int(l1.client.w3.eth.get_block("latest")["timestamp"])
        game = l1.disputes.game
        rows = []
        for pack_id in range(count, max(0, count - self.config.packs), -1):
            info = rollup.pack_info(pack_id)
            pack = info.pack
            record = game.functions.claimRecord(info.claim_id).call()
            rows.append(
                {
                    "id": pack_id,
                    "firstBlock": pack.first_block,
                    "lastBlock": pack.last_block,
                    "txCount": pack.tx_count,
                    "tier": int(info.tier),
                    "status": info.tier.name.replace("_", " ").lower(),
                    "poster": pack.poster,
                    "da": pack.da_kind.name.lower(),
                    "affirmations": pack.affirmations,
                    "rejections": pack.rejections,
                    "postedAt": pack.posted_at,
                    "challengeDeadline": pack.challenge_deadline,
                    "windowLeft": max(0, pack.challenge_deadline - now),
                    "openGames": int(record[0]),
                    "games": int(record[1]),
                    "defeated": bool(record[2]),
                    "stateRoot": _hex(pack.state_root),
                }
            )
        return {
            "packs": rows,
            "head": rollup.head(),
            "finalized": rollup.last_finalized(),
            "l1Time": now,
        }

    def _disputes(self) -> dict[str, Any]:
        l1 = self._l1()
        if l1.disputes is None:
            return {"games": [], "note": "no Rollup contract configured"}
        source = l1.disputes
        count = int(source.game.functions.gameCount().call())
        now = int(l1.client.w3.eth.get_block("latest")["timestamp"])
        rows = []
        for game_id in range(count, max(0, count - self.config.games), -1):
            summary = summarize(source, game_id, now)
            state = summary.state
            rows.append(
                {
                    "id": game_id,
                    "pack": summary.pack_id,
                    "challenger": state.challenger,
                    "defender": state.defender,
                    "status": GameStatus(state.status).name.lower(),
                    "phase": summary.status,
                    "level": Level(state.level).name.lower(),
                    "lo": state.lo,
                    "hi": state.hi,
                    "txCount": state.tx_count,
                    "disputedTx": state.disputed_tx,
                    "moves": state.moves,
                    "turn": state.turn.name.lower(),
                    "challengerClockLeft": summary.challenger_clock_left,
                    "defenderClockLeft": summary.defender_clock_left,
                    "progress": bisection_progress(
                        state.level,
                        state.lo,
                        state.hi,
                        state.disputed_tx,
                        source.config.step_depth,
                        state.status is not GameStatus.IN_PROGRESS,
                    ),  # fmt: skip
                }
            )
        return {"games": rows, "stepDepth": source.config.step_depth, "l1Time": now}

    def _equivocations(self) -> list[dict[str, Any]]:
        """GRANDPA equivocations the producer detected (``altrollup_getEquivocations``;
        a single producer, or a plain Ethereum node, has none)."""
        try:
            found = self._l2().call("altrollup_getEquivocations")
        except SourceError:
            return []
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []

    def _sequencers(self) -> dict[str, Any]:
        l1 = self._l1()
        if l1.elr is None or l1.registry is None:
            return {"sequencers": []}
        selected: tuple[str, ...] = ()
        tokens = [ETH]
        minimums: tuple[int, ...] = ()
        status = None
        chain_id = None
        if l1.rollup_id is not None:
            info = l1.elr.info(l1.rollup_id)
            selected = info.sequencers
            tokens = list(info.allowed_tokens) or [ETH]
            minimums = info.min_stakes
            status = info.status.name
            chain_id = info.chain_id
        symbols = [l1.token_symbols.get(Web3.to_checksum_address(t), t[:10]) for t in tokens]
        rows = []
        for operator in l1.registry.operators():
            stakes = {
                symbol: str(l1.registry.active_stake(operator, token))
                for symbol, token in zip(symbols, tokens, strict=True)
            }
            rows.append(
                {
                    "address": operator,
                    "endpoint": l1.registry.endpoint_of(operator),
                    "stakes": stakes,
                    "selected": operator in selected,
                    "order": selected.index(operator) if operator in selected else None,
                }
            )
        rows.sort(key=lambda r: (r["order"] is None, r["order"] or 0, r["address"]))
        equivocations = self._equivocations()
        offenders = [str(e.get("offender", "")).lower() for e in equivocations]
        for row in rows:
            row["equivocations"] = offenders.count(str(row["address"]).lower())
        return {
            "sequencers": rows,
            "equivocations": equivocations,
            "tokens": symbols,
            "minStakes": {s: str(m) for s, m in zip(symbols, minimums, strict=False)},
            "rollupId": l1.rollup_id,
            "rollupStatus": status,
            "l2ChainId": chain_id,
        }


def throughput(blocks: list[dict[str, Any]], window: int = 10) -> dict[str, Any]:
    """tx/s over the last ``window`` seconds of block time (``blocks`` newest first; the
    genesis block, timestamp 0, is left out), plus a per-block series for the chart."""
    series = [
        {"number": _int(b["number"]), "txCount": len(b.get("transactions", [])),
         "timestamp": _int(b["timestamp"])}
        for b in reversed(blocks)
        if _int(b["timestamp"]) > 0
    ]  # fmt: skip
    if not series:
        return {"tps": 0.0, "window": 0, "txs": 0, "series": series}
    latest = series[-1]["timestamp"]
    recent = [p for p in series if p["timestamp"] > latest - window]
    span = min(window, latest - series[0]["timestamp"] + 1)
    txs = sum(point["txCount"] for point in recent)
    return {"tps": round(txs / span, 2), "window": span, "txs": txs, "series": series}


def bisection_progress(
    level: Level, lo: int, hi: int, disputed_tx: int, step_depth: int, finished: bool
) -> float:
    """How far the bisection is, from 0 (opened) to 1 (one step left or resolved):
    halvings done over halvings needed. A game opened against root ``disputed_tx``
    starts on the segment [0, disputed_tx] of transactions, then bisects the
    2**step_depth instruction steps of one transaction."""
    if finished:
        return 1.0
    tx_rounds = math.ceil(math.log2(disputed_tx)) if disputed_tx > 1 else 0
    total = tx_rounds + step_depth
    if total == 0:
        return 1.0
    width = max(1, hi - lo)
    left = math.ceil(math.log2(width)) if width > 1 else 0
    done = (tx_rounds - left) if level is Level.TRANSACTIONS else (tx_rounds + step_depth - left)
    return round(min(1.0, max(0.0, done / total)), 3)
