"""The challenger/defender agent: one loop that watches packs and plays dispute games.

Every :func:`tick` does, in order (each step idempotent, so a crash anywhere is safe):

1. **recover** (first tick only): settle journaled transactions a crash left in flight
   (:func:`~agents.challenger.sender.recover_in_flight`); a ``createGame`` found mined
   records its game;
2. **scan** ``PackPosted`` and ``GameCreated`` logs from the last scanned block (minus a
   re-scan margin) to the head; inserts are idempotent;
3. **judge** every new pack against the agent's own view (the injected
   :data:`~agents.challenger.judge.TraceFactory`): ``valid`` / ``invalid`` /
   ``unjudgeable``; packs the agent posted itself are its to defend;
4. **challenge** (challenger role) each invalid pack once, with the bond, while its
   window is open;
5. **play** every open game: read it from L1 (the source of truth), record its phase
   (checked against the game lifecycle), ask the pure solver for moves and send them,
   never sending an intent (``answer:game=G:moves=M``) that an earlier transaction may
   already have carried out;
6. **invalidate** (challenger role) packs whose claim is defeated and that are still
   valid, so the rollup head reverts;
7. **refresh** pack tiers (invalidated / finalized), **claim credit**, update metrics.

Dependencies are injected (:func:`build_agent`): the L1 client, the signing account, the
store, the trace factory, the clock (L1 seconds), the JSON log and the metrics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from agents.challenger import store as db
from agents.challenger.judge import PackView, TraceFactory, judge_pack, trace_matches_pack
from agents.challenger.sender import CrashPoints, Sender, recover_in_flight, send_journaled
from agents.dispute.game import (
    GameConfig,
    GamePhase,
    GameState,
    GameStatus,
    Player,
    check_transition,
    read_config,
    read_game,
)
from agents.dispute.solver import Answer, Move, ResolveTimeout, SubmitStep, solve
from agents.dispute.trace import TraceProvider
from agents.l1.client import L1Client, L1Error, TransactionReverted
from agents.l1.rollup import RollupContract, Tier, claim_id
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics

Clock = Callable[[], int]
RootsSource = Callable[[PackView], tuple[bytes, ...] | None]


@dataclass(frozen=True)
class AgentConfig:
    """What the agent does and how often."""

    challenge: bool = True
    defend: bool = False
    poll_interval: float = 1.0
    start_block: int = 0
    rescan_margin: int = 8  # blocks re-scanned below the last scanned one (reorg safety)
    scan_chunk: int = 2000
    claim_credit: bool = True


@dataclass
class Agent:
    """A running agent's dependencies and in-memory caches (the store is the memory)."""

    client: L1Client
    rollup: RollupContract
    game: Contract
    game_config: GameConfig
    account: LocalAccount
    store: db.Store
    trace_factory: TraceFactory
    clock: Clock
    log: JsonLog
    metrics: Metrics
    config: AgentConfig
    sender: Sender
    roots_source: RootsSource | None = None
    recovered: bool = False
    views: dict[int, PackView] = field(default_factory=dict)
    traces: dict[int, TraceProvider | None] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return self.account.address


def l1_time(client: L1Client) -> Clock:
    """The timestamp of the L1's latest block (what the game's clocks use)."""
    return lambda: int(client.w3.eth.get_block("latest")["timestamp"])


def build_agent(
    client: L1Client,
    rollup_address: str,
    account: LocalAccount,
    store: db.Store,
    trace_factory: TraceFactory,
    *,
    config: AgentConfig | None = None,
    clock: Clock | None = None,
    log: JsonLog | None = None,
    metrics: Metrics | None = None,
    roots_source: RootsSource | None = None,
    crash: CrashPoints | None = None,
) -> Agent:
    """Bind an agent to a deployed Rollup (its DisputeGame is read from it)."""
    rollup = RollupContract.at(client, rollup_address)
    game = client.contract("DisputeGame", rollup.dispute_game())
    db.bind_identity(
        store,
        {
            "chain_id": str(client.chain_id),
            "rollup": rollup.address,
            "dispute_game": str(game.address),
            "account": account.address,
        },
    )
    sender = Sender(client, account, store, crash or CrashPoints())
    agent = Agent(
        client=client,
        rollup=rollup,
        game=game,
        game_config=read_config(game),
        account=account,
        store=store,
        trace_factory=trace_factory,
        clock=clock or l1_time(client),
        log=log or JsonLog("challenger"),
        metrics=metrics or Metrics(prefix="altrollup_challenger_"),
        config=config or AgentConfig(),
        sender=sender,
        roots_source=roots_source,
    )
    sender.on_receipt = lambda row, receipt: _on_receipt(agent, row, receipt)
    _describe_metrics(agent.metrics)
    return agent


# -- the loop --------------------------------------------------------------------------


def run(agent: Agent, stop: threading.Event, max_ticks: int | None = None) -> int:
    """Tick until ``stop`` is set (or ``max_ticks``); returns the number of ticks."""
    ticks = 0
    agent.log(
        "agent-started",
        account=agent.address,
        rollup=agent.rollup.address,
        game=str(agent.game.address),
        challenge=agent.config.challenge,
        defend=agent.config.defend,
    )
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        try:
            tick(agent)
        except Exception as error:  # noqa: BLE001 - the loop must survive a bad tick
            agent.log("tick-failed", error=f"{type(error).__name__}: {error}")
            agent.metrics.inc("tick_errors_total")
        ticks += 1
        stop.wait(agent.config.poll_interval)
    agent.log("agent-stopped", ticks=ticks)
    return ticks


def tick(agent: Agent) -> None:
    """One pass over everything the agent watches (see the module docstring)."""
    if not agent.recovered:
        recover(agent)
    scan(agent)
    judge_new_packs(agent)
    if agent.config.challenge:
        challenge_invalid_packs(agent)
    play_games(agent)
    if agent.config.challenge:
        invalidate_defeated_packs(agent)
    refresh_pack_tiers(agent)
    if agent.config.claim_credit:
        claim_credit(agent)
    update_metrics(agent)
    agent.metrics.inc("ticks_total")


def recover(agent: Agent) -> None:
    """Settle in-flight transactions from before a crash (L1 decides what happened)."""
    for row in recover_in_flight(agent.sender):
        agent.log(
            "tx-recovered",
            intent=row.intent,
            tx=row.tx_hash,
            status=row.status.value,
            detail=row.detail,
        )
    open_games = [g for g in db.list_games(agent.store) if not _phase_final(g.phase)]
    agent.log("resumed", open_games=[g.game_id for g in open_games])
    agent.recovered = True


# -- scanning --------------------------------------------------------------------------


def scan(agent: Agent) -> None:
    """Read new ``PackPosted`` and ``GameCreated`` logs into the store."""
    latest = int(agent.client.w3.eth.block_number)
    last = db.last_scanned_block(agent.store)
    start = agent.config.start_block if last is None else last + 1
    start = max(agent.config.start_block, start - agent.config.rescan_margin)
    position = start
    while position <= latest:
        end = min(latest, position + agent.config.scan_chunk - 1)
        for event in agent.rollup.contract.events.PackPosted().get_logs(
            from_block=position, to_block=end
        ):
            _record_pack(agent, event)
        for event in agent.game.events.GameCreated().get_logs(from_block=position, to_block=end):
            _record_game_created(agent, event["args"])
        db.set_last_scanned_block(agent.store, end)
        position = end + 1


def _record_pack(agent: Agent, event: Any) -> None:
    args = event["args"]
    header = args["header"]
    pack_id = int(args["packId"])
    record = db.PackRecord(
        pack_id=pack_id,
        poster=str(args["poster"]),
        tx_count=int(header["txCount"]),
        first_block=int(header["firstBlock"]),
        last_block=int(header["lastBlock"]),
        state_root="0x" + bytes(header["stateRoot"]).hex(),
        challenge_deadline=int(args["challengeDeadline"]),
        posting_tx="0x" + bytes(event["transactionHash"]).hex(),
        posted_block=int(event["blockNumber"]),
        status=db.PackStatus.SEEN,
        detail="",
    )
    if db.add_pack(agent.store, record):
        agent.log("pack-seen", pack=pack_id, poster=record.poster, txs=record.tx_count)


def _record_game_created(agent: Agent, args: Any) -> None:
    game_id = int(args["gameId"])
    challenger, defender = str(args["challenger"]), str(args["defender"])
    me = agent.address.lower()
    if challenger.lower() == me:
        role = db.GameRole.CHALLENGER
    elif defender.lower() == me and agent.config.defend:
        role = db.GameRole.DEFENDER
    else:
        return
    pack_id = int.from_bytes(bytes(args["claimId"]), "big")
    record = db.GameRecord(
        game_id, role, pack_id, challenger, defender, GamePhase.BISECTING_TRANSACTIONS.value, 0, {}
    )
    if db.add_game(agent.store, record):
        agent.log("game-tracked", game=game_id, role=role.value, pack=pack_id)
        if role is db.GameRole.CHALLENGER:
            _move_pack(agent, pack_id, db.PackStatus.CHALLENGED, f"game {game_id}")


def _on_receipt(agent: Agent, row: db.TxRecord, receipt: TxReceipt) -> None:
    """Record what a mined transaction created (the game a ``createGame`` opened)."""
    if row.action != "open" or receipt["status"] != 1:
        return
    for event in agent.game.events.GameCreated().process_receipt(receipt, errors=DISCARD):
        _record_game_created(agent, event["args"])


# -- judging ---------------------------------------------------------------------------


def pack_view(agent: Agent, pack_id: int) -> PackView:
    """Everything L1 says about pack ``pack_id`` (cached: a posted pack never changes)."""
    if pack_id in agent.views:
        return agent.views[pack_id]
    info = agent.rollup.pack_info(pack_id)
    record = db.get_pack(agent.store, pack_id)
    proof: tuple[bytes, ...] = ()
    calldata: bytes | None = None
    posting_tx = b""
    if record is not None:
        posting_tx = bytes.fromhex(record.posting_tx[2:])
        tx = agent.client.w3.eth.get_transaction(HexBytes(posting_tx))
        try:
            function, args = agent.rollup.contract.decode_function_input(tx["input"])
            proof = tuple(bytes(node) for node in args.get("stateRootProof", ()))
            if "data" in args:
                calldata = bytes(args["data"])
        except ValueError:
            pass  # posted through another contract: no proof available from the call
    pack = info.pack
    view = PackView(
        pack_id=pack_id,
        parent_id=pack.parent_id,
        poster=pack.poster,
        pre_state_root=info.pre_state_root,
        first_block=pack.first_block,
        last_block=pack.last_block,
        tx_count=pack.tx_count,
        state_root=pack.state_root,
        tx_roots_commitment=pack.tx_roots_commitment,
        da_kind=int(pack.da_kind),
        da_commitment=pack.da_commitment,
        trace_context=info.trace_context,
        challenge_deadline=pack.challenge_deadline,
        claim_id=info.claim_id,
        posting_tx=posting_tx,
        state_root_proof=proof,
        calldata=calldata,
    )
    if agent.roots_source is not None:
        roots = agent.roots_source(view)
        if roots is not None:
            view = PackView(**{**view.__dict__, "claimed_roots": tuple(roots)})
    agent.views[pack_id] = view
    return view


def trace_of(agent: Agent, pack_id: int) -> TraceProvider | None:
    """The agent's trace of pack ``pack_id`` (from its injected view)."""
    if pack_id not in agent.traces:
        agent.traces[pack_id] = agent.trace_factory(pack_view(agent, pack_id))
    return agent.traces[pack_id]


def judge_new_packs(agent: Agent) -> None:
    for record in db.list_packs(agent.store, (db.PackStatus.SEEN,)):
        view = pack_view(agent, record.pack_id)
        trace = trace_of(agent, record.pack_id)
        if view.poster.lower() == agent.address.lower():
            defendable = trace_matches_pack(view, trace) or view.tx_count == 0
            detail = "ours" if defendable else "ours, but our trace does not reproduce it"
            _move_pack(agent, record.pack_id, db.PackStatus.VALID, detail)
            agent.log("pack-judged", pack=record.pack_id, verdict="ours", defendable=defendable)
            continue
        verdict = judge_pack(view, trace)
        status = {
            True: db.PackStatus.VALID,
            False: db.PackStatus.INVALID,
            None: db.PackStatus.UNJUDGEABLE,
        }[verdict.valid]
        _move_pack(agent, record.pack_id, status, verdict.reason)
        agent.log("pack-judged", pack=record.pack_id, verdict=status.value, reason=verdict.reason)


def _move_pack(agent: Agent, pack_id: int, status: db.PackStatus, detail: str = "") -> None:
    record = db.get_pack(agent.store, pack_id)
    if record is None or record.status is status:
        return
    try:
        db.set_pack_status(agent.store, pack_id, status, detail)
    except db.IllegalPackTransition as error:
        agent.log("pack-transition-refused", pack=pack_id, error=str(error))


# -- challenging -----------------------------------------------------------------------


def challenge_invalid_packs(agent: Agent) -> None:
    now = agent.clock()
    for record in db.list_packs(agent.store, (db.PackStatus.INVALID,)):
        intent = f"open:pack={record.pack_id}"
        if db.intent_blocked(agent.store, intent) is not None:
            continue
        cid = claim_id(record.pack_id)
        if agent.game.functions.isDefeated(cid).call():
            continue  # someone else already won; invalidation follows
        if now >= record.challenge_deadline:
            if record.detail != "challenge window closed":
                db.set_pack_detail(agent.store, record.pack_id, "challenge window closed")
                agent.log("window-closed", pack=record.pack_id)
            continue
        verdict = judge_pack(pack_view(agent, record.pack_id), trace_of(agent, record.pack_id))
        if verdict.opening is None:
            continue
        opening = verdict.opening
        call = agent.game.functions.createGame(
            opening.claim_id,
            opening.disputed_tx,
            opening.disputed_root,
            list(opening.root_proof),
            opening.mid_hash,
        )
        try:
            row, _ = send_journaled(
                agent.sender,
                call,
                intent=intent,
                action="open",
                value=agent.game_config.challenger_bond,
                pack_id=record.pack_id,
            )
        except (TransactionReverted, L1Error) as error:
            agent.log("open-failed", pack=record.pack_id, error=str(error))
            continue
        agent.log(
            "game-opened",
            pack=record.pack_id,
            tx=row.tx_hash,
            gas=row.gas_used,
            disputed_tx=opening.disputed_tx,
            bond=agent.game_config.challenger_bond,
        )


# -- playing ---------------------------------------------------------------------------


def _phase_final(phase: str) -> bool:
    return phase in (GamePhase.CHALLENGER_WON.value, GamePhase.DEFENDER_WON.value)


def game_state_json(state: GameState) -> dict[str, Any]:
    """A JSON-friendly copy of a game state (hashes in hex, enums by name)."""
    out: dict[str, Any] = {}
    for key, value in state.__dict__.items():
        if isinstance(value, bytes):
            out[key] = "0x" + value.hex()
        elif hasattr(value, "name"):
            out[key] = value.name
        else:
            out[key] = value
    return out


def intent_of(move: Move, state: GameState) -> tuple[str, str]:
    """(intent, action) of ``move`` decided on ``state``: one intent per game position."""
    if isinstance(move, Answer):
        return f"answer:game={state.game_id}:moves={state.moves}", "answer"
    if isinstance(move, SubmitStep):
        return f"step:game={state.game_id}", "step"
    if isinstance(move, ResolveTimeout):
        return f"resolve:game={state.game_id}", "resolve-timeout"
    raise TypeError(f"unknown move {move!r}")


def _call_of(agent: Agent, move: Move) -> Any:
    functions = agent.game.functions
    if isinstance(move, Answer):
        return functions.move(
            move.game_id, move.agree, move.next_mid_hash, list(move.mid_root_proof)
        )
    if isinstance(move, SubmitStep):
        return functions.step(move.game_id, move.proof)
    return functions.resolveTimeout(move.game_id)


def play_games(agent: Agent) -> None:
    for record in db.list_games(agent.store):
        if _phase_final(record.phase):
            continue
        try:
            play_game(agent, record)
        except (TransactionReverted, L1Error) as error:
            agent.log("move-failed", game=record.game_id, error=str(error))


def play_game(agent: Agent, record: db.GameRecord) -> None:
    """Read one game from L1, record it, and send the solver's moves."""
    state = read_game(agent.game, record.game_id)
    _record_state(agent, record, state)
    if state.phase.final:
        return
    me = Player.CHALLENGER if record.role is db.GameRole.CHALLENGER else Player.DEFENDER
    trace = trace_of(agent, record.pack_id)
    if trace is None:
        agent.log("no-trace", game=record.game_id, pack=record.pack_id)
        return
    for move in solve(state, agent.game_config, me, trace, agent.clock()):
        intent, action = intent_of(move, state)
        blocker = db.intent_blocked(agent.store, intent)
        if blocker is not None:
            continue  # already carried out (or reverted): L1 will show its effect
        row, _ = send_journaled(
            agent.sender, _call_of(agent, move), intent=intent, action=action, game_id=state.game_id
        )
        details: dict[str, Any] = {}
        if isinstance(move, Answer):
            details = {"agree": move.agree, "mid": "0x" + move.next_mid_hash.hex()}
        agent.log(
            "move-sent",
            game=state.game_id,
            role=record.role.value,
            action=action,
            intent=intent,
            tx=row.tx_hash,
            gas=row.gas_used,
            level=state.level.name,
            lo=state.lo,
            hi=state.hi,
            **details,
        )


def _record_state(agent: Agent, record: db.GameRecord, state: GameState) -> None:
    phase = state.phase
    try:
        check_transition(GamePhase(record.phase), phase)
    except Exception as error:  # noqa: BLE001 - report, L1 is still the truth
        agent.log("game-transition-unexpected", game=state.game_id, error=str(error))
    if record.phase == phase.value and record.moves == state.moves and record.state:
        return
    db.update_game(agent.store, state.game_id, phase.value, state.moves, game_state_json(state))
    if not phase.final:
        return
    won = (state.status is GameStatus.CHALLENGER_WON) == (record.role is db.GameRole.CHALLENGER)
    agent.log(
        "game-resolved",
        game=state.game_id,
        role=record.role.value,
        outcome="won" if won else "lost",
        status=state.status.name,
        resolution=state.resolution.name,
        moves=state.moves,
    )
    if record.role is db.GameRole.CHALLENGER:
        _move_pack(agent, record.pack_id, db.PackStatus.WON if won else db.PackStatus.LOST)


# -- after the games -------------------------------------------------------------------


def invalidate_defeated_packs(agent: Agent) -> None:
    candidates = (
        db.PackStatus.WON,
        db.PackStatus.INVALID,
        db.PackStatus.CHALLENGED,
        db.PackStatus.LOST,
    )
    for record in db.list_packs(agent.store, candidates):
        if not agent.game.functions.isDefeated(claim_id(record.pack_id)).call():
            continue
        if not agent.rollup.is_valid(record.pack_id):
            continue
        intent = f"invalidate:pack={record.pack_id}"
        if db.intent_blocked(agent.store, intent) is not None:
            continue
        try:
            row, _ = send_journaled(
                agent.sender,
                agent.rollup.contract.functions.invalidate(record.pack_id),
                intent=intent,
                action="invalidate",
                pack_id=record.pack_id,
            )
        except (TransactionReverted, L1Error) as error:
            agent.log("invalidate-failed", pack=record.pack_id, error=str(error))
            continue
        head_id, head_root, last_block = agent.rollup.head_state()
        agent.log(
            "pack-invalidated",
            pack=record.pack_id,
            tx=row.tx_hash,
            head=head_id,
            head_root="0x" + head_root.hex(),
            last_block=last_block,
        )


def refresh_pack_tiers(agent: Agent) -> None:
    for record in db.list_packs(agent.store):
        if record.status.final or record.status is db.PackStatus.SEEN:
            continue
        tier = agent.rollup.tier_of(record.pack_id)
        if tier is Tier.INVALID:
            _move_pack(agent, record.pack_id, db.PackStatus.INVALIDATED, record.detail)
            agent.log("pack-status", pack=record.pack_id, status="invalidated")
        elif tier is Tier.ROLLUP_FINAL:
            _move_pack(agent, record.pack_id, db.PackStatus.FINALIZED, record.detail)
            agent.log("pack-status", pack=record.pack_id, status="finalized")


def claim_credit(agent: Agent) -> None:
    amount = int(agent.game.functions.credit(agent.address).call())
    if amount == 0:
        return
    claimed = sum(1 for tx in db.list_txs(agent.store) if tx.action == "claim-credit")
    intent = f"claim-credit:{claimed}"
    try:
        row, _ = send_journaled(
            agent.sender, agent.game.functions.claimCredit(), intent=intent, action="claim-credit"
        )
    except (TransactionReverted, L1Error) as error:
        agent.log("claim-credit-failed", error=str(error))
        return
    agent.log("credit-claimed", amount=amount, tx=row.tx_hash)


# -- metrics ---------------------------------------------------------------------------


def _describe_metrics(metrics: Metrics) -> None:
    metrics.describe("games_open", "Games in progress, by role")
    metrics.describe("games_won", "Games resolved in the agent's favour, by role")
    metrics.describe("games_lost", "Games resolved against the agent, by role")
    metrics.describe("moves_sent", "Transactions mined, by action (persisted)")
    metrics.describe("packs", "Packs seen, by lifecycle status")
    metrics.describe("packs_judged", "Packs judged (valid, invalid or unjudgeable)")
    metrics.describe("last_scanned_block", "Last L1 block whose logs were scanned")
    metrics.describe("ticks_total", "Agent loop iterations")
    metrics.describe("tick_errors_total", "Agent loop iterations that failed")


def update_metrics(agent: Agent) -> None:
    """Recompute the gauges from the store (so they survive restarts)."""
    metrics = agent.metrics
    for role in db.GameRole:
        games = [g for g in db.list_games(agent.store) if g.role is role]
        open_count = sum(1 for g in games if not _phase_final(g.phase))
        won = sum(1 for g in games if _phase_final(g.phase) and _won(g))
        lost = sum(1 for g in games if _phase_final(g.phase) and not _won(g))
        metrics.set("games_open", open_count, role=role.value)
        metrics.set("games_won", won, role=role.value)
        metrics.set("games_lost", lost, role=role.value)
    actions = ("open", "answer", "step", "resolve-timeout", "invalidate", "claim-credit")
    txs = db.list_txs(agent.store)
    for action in actions:
        mined = sum(1 for tx in txs if tx.action == action and tx.status is db.TxStatus.MINED)
        metrics.set("moves_sent", mined, action=action)
    packs = db.list_packs(agent.store)
    for status in db.PackStatus:
        metrics.set("packs", sum(1 for p in packs if p.status is status), status=status.value)
    metrics.set("packs_judged", sum(1 for p in packs if p.status is not db.PackStatus.SEEN))
    metrics.set("last_scanned_block", db.last_scanned_block(agent.store) or 0)


def _won(game: db.GameRecord) -> bool:
    challenger_won = game.phase == GamePhase.CHALLENGER_WON.value
    return challenger_won == (game.role is db.GameRole.CHALLENGER)
