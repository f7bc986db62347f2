"""``altrollup challenger run``, ``altrollup dispute list`` and ``altrollup dispute show``.

``challenger run`` starts the long-running agent (:mod:`agents.challenger.agent`):
it challenges wrong packs and, with ``--defend``, defends the packs its key posted.
Its state lives in ``--state-dir`` (SQLite); run it again on the same directory after a
crash and it resumes every open game from L1. One JSON line per action on stderr;
``--metrics-port`` serves Prometheus metrics at ``/metrics``.

``dispute list`` / ``dispute show ID`` read the games from L1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from agents.cli import AltrollupError
from agents.cli.process import serve_metrics, stop_on_signals

DEFAULT_L1 = "http://127.0.0.1:8545"


def _connect(url: str) -> object:
    from agents.l1.client import L1Client, L1Error

    try:
        return L1Client.connect(url)
    except L1Error as error:
        raise AltrollupError(str(error)) from None


@click.group()
def challenger() -> None:
    """The challenger/defender agent."""


@challenger.command("run")
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=DEFAULT_L1, show_default=True)
@click.option("--rollup", "rollup_address", envvar="ALTROLLUP_ROLLUP", required=True)
@click.option(
    "--key", envvar="ALTROLLUP_KEY", required=True, help="Hex private key (or ALTROLLUP_KEY)."
)
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--defend", is_flag=True, help="Also answer every challenge to packs we posted.")
@click.option(
    "--no-challenge", is_flag=True, help="Do not open games (defender only, with --defend)."
)
@click.option("--poll-interval", type=click.FloatRange(0, 3600), default=1.0, show_default=True)
@click.option("--start-block", type=click.IntRange(0), default=0, show_default=True)
@click.option(
    "--trace",
    default="alphabet",
    show_default=True,
    help="The agent's view of the rollup: 'alphabet' or a 'module:function' plug-in.",
)
@click.option("--alphabet-history", type=click.IntRange(1), default=4096, show_default=True)
@click.option("--alphabet-start-value", type=int, default=1000, show_default=True)
@click.option("--alphabet-lie-from", type=click.IntRange(1), default=None, hidden=True)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0: any free port).",
)
@click.option("--max-ticks", type=click.IntRange(1), default=None, hidden=True)
def run_command(
    l1_rpc: str,
    rollup_address: str,
    key: str,
    state_dir: Path,
    defend: bool,
    no_challenge: bool,
    poll_interval: float,
    start_block: int,
    trace: str,
    alphabet_history: int,
    alphabet_start_value: int,
    alphabet_lie_from: int | None,
    metrics_port: int | None,
    max_ticks: int | None,
) -> None:
    """Watch the Rollup, challenge wrong packs, play every game to the end."""
    from eth_account import Account

    from agents.challenger import store as db
    from agents.challenger.agent import AgentConfig, build_agent, run
    from agents.challenger.judge import alphabet_trace_factory, load_trace_factory
    from agents.challenger.sender import CrashPoints
    from agents.dispute.game import read_config
    from agents.l1.client import L1Client
    from agents.l1.rollup import RollupContract
    from agents.rpc.jsonlog import JsonLog
    from agents.rpc.metrics import Metrics

    client = _connect(l1_rpc)
    assert isinstance(client, L1Client)
    try:
        account = Account.from_key(key)
    except (ValueError, TypeError) as error:
        raise AltrollupError(f"--key is not a valid private key: {error}") from None
    try:
        if not client.w3.eth.get_code(client.w3.to_checksum_address(rollup_address)):
            raise AltrollupError(f"no contract at {rollup_address} on {l1_rpc}")
        rollup = RollupContract.at(client, rollup_address)
        game_config = read_config(client.contract("DisputeGame", rollup.dispute_game()))
    except AltrollupError:
        raise
    except Exception as error:  # noqa: BLE001 - one line for the user
        raise AltrollupError(f"{rollup_address} is not a Rollup: {error}") from None
    try:
        if trace == "alphabet":
            factory = alphabet_trace_factory(
                game_config.step_depth,
                history_txs=alphabet_history,
                start_value=alphabet_start_value,
                lie_from=alphabet_lie_from,
            )
        else:
            factory = load_trace_factory(
                trace, client=client, rollup=rollup, game_config=game_config
            )
        store = db.open_store(state_dir)
    except (ValueError, OSError) as error:
        raise AltrollupError(str(error)) from None
    log = JsonLog("challenger")
    metrics = Metrics(prefix="altrollup_challenger_")
    try:
        agent = build_agent(
            client,
            rollup_address,
            account,
            store,
            factory,
            config=AgentConfig(
                challenge=not no_challenge,
                defend=defend,
                poll_interval=poll_interval,
                start_block=start_block,
            ),
            log=log,
            metrics=metrics,
            crash=CrashPoints.from_env(),
        )
    except ValueError as error:
        raise AltrollupError(str(error)) from None
    server = None
    if metrics_port is not None:
        server = serve_metrics(metrics, metrics_port, log, on_error=lambda: db.close_store(store))
    stop = stop_on_signals()
    try:
        run(agent, stop, max_ticks=max_ticks)
    finally:
        if server is not None:
            server.stop()
        db.close_store(store)


# -- dispute list / show ---------------------------------------------------------------


@click.group()
def dispute() -> None:
    """Inspect dispute games on L1."""


def _source(l1_rpc: str, rollup_address: str | None, state_dir: Path | None) -> object:
    from agents.challenger import store as db
    from agents.challenger.inspect import open_source

    if rollup_address is None and state_dir is not None:
        if not (state_dir / "challenger.sqlite3").exists():
            raise AltrollupError(f"no challenger state in {state_dir}")
        store = db.open_store(state_dir)
        rollup_address = db.get_meta(store, "rollup")
        db.close_store(store)
    if rollup_address is None:
        raise AltrollupError("give --rollup ADDRESS (or ALTROLLUP_ROLLUP, or --state-dir)")
    client = _connect(l1_rpc)
    try:
        return open_source(client, rollup_address)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - one line for the user
        raise AltrollupError(f"cannot read the Rollup at {rollup_address}: {error}") from None


_SOURCE_OPTIONS = [
    click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=DEFAULT_L1, show_default=True),
    click.option("--rollup", "rollup_address", envvar="ALTROLLUP_ROLLUP", default=None),
    click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Take the Rollup address from a challenger state directory.",
    ),
]


def _with_source(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_SOURCE_OPTIONS):
        command = option(command)
    return command


def _short(address: str) -> str:
    return address[:6] + ".." + address[-4:]


def _clock(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@dispute.command("list")
@_with_source
@click.option("--json", "as_json", is_flag=True, help="One JSON object per game.")
def list_command(
    l1_rpc: str, rollup_address: str | None, state_dir: Path | None, as_json: bool
) -> None:
    """Every game of the Rollup's DisputeGame."""
    from agents.challenger.inspect import DisputeSource, game_summaries

    source = _source(l1_rpc, rollup_address, state_dir)
    assert isinstance(source, DisputeSource)
    summaries = game_summaries(source)
    if as_json:
        for summary in summaries:
            state = summary.state
            click.echo(
                json.dumps(
                    {
                        "game": state.game_id,
                        "pack": summary.pack_id,
                        "challenger": state.challenger,
                        "defender": state.defender,
                        "level": state.level.name.lower(),
                        "lo": state.lo,
                        "hi": state.hi,
                        "challenger_clock_left": summary.challenger_clock_left,
                        "defender_clock_left": summary.defender_clock_left,
                        "status": summary.status,
                        "moves": state.moves,
                    }
                )
            )
        return
    if not summaries:
        click.echo("no games")
        return
    header = (
        f"{'GAME':>4}  {'PACK':>4}  {'CHALLENGER':<12}  {'DEFENDER':<12}  {'LEVEL':<12}  "
        f"{'RANGE':<13}  {'CH CLOCK':>8}  {'DEF CLOCK':>9}  {'MOVES':>5}  STATUS"
    )
    click.echo(header)
    for summary in summaries:
        state = summary.state
        level = (
            "transactions" if state.level.name == "TRANSACTIONS" else f"steps@tx{state.tx_index}"
        )
        click.echo(
            f"{state.game_id:>4}  {summary.pack_id:>4}  {_short(state.challenger):<12}  "
            f"{_short(state.defender):<12}  {level:<12}  {f'[{state.lo}, {state.hi}]':<13}  "
            f"{_clock(summary.challenger_clock_left):>8}  "
            f"{_clock(summary.defender_clock_left):>9}  {state.moves:>5}  {summary.status}"
        )


@dispute.command("show")
@click.argument("game_id", type=click.IntRange(1))
@_with_source
def show_command(
    game_id: int, l1_rpc: str, rollup_address: str | None, state_dir: Path | None
) -> None:
    """Full detail of game GAME_ID, with its move history from L1 events."""
    from agents.challenger.inspect import DisputeSource, game_history, summarize

    source = _source(l1_rpc, rollup_address, state_dir)
    assert isinstance(source, DisputeSource)
    count = int(source.game.functions.gameCount().call())
    if game_id > count:
        raise AltrollupError(f"no game {game_id} (the DisputeGame has {count})")
    summary = summarize(source, game_id)
    state = summary.state
    tier = source.rollup.tier_of(summary.pack_id).name.lower()
    lines = [
        f"game {state.game_id}: {summary.status}"
        + (f" by {state.resolution.name.lower()}" if state.phase.final else ""),
        f"  dispute game   {source.game.address}",
        f"  pack           {summary.pack_id} (tier: {tier})",
        f"  challenger     {state.challenger}",
        f"  defender       {state.defender}",
        f"  bond           {state.bond} wei",
        f"  disputed root  r_{state.disputed_tx} of {state.tx_count} transactions",
        f"  level          {state.level.name.lower()}"
        + (f" (transaction {state.tx_index})" if state.level.name == "STEPS" else ""),
        f"  segment        [{state.lo}, {state.hi}] lo=0x{state.lo_hash.hex()}",
        f"                 hi=0x{state.hi_hash.hex()} claimed by {state.hi_claimant.name.lower()}",
        f"  pending mid    {'0x' + state.mid_hash.hex() if state.mid_pending else '-'}"
        + (f" at {state.mid_position}" if state.mid_pending else ""),
        f"  turn           {state.turn.name.lower()}",
        f"  moves          {state.moves}",
        f"  clocks left    challenger {_clock(summary.challenger_clock_left)}, "
        f"defender {_clock(summary.defender_clock_left)} "
        f"(budgets {source.config.challenger_clock}s / {source.config.defender_clock}s)",
        "history:",
    ]
    for entry in game_history(source, game_id):
        details = " ".join(f"{key}={value}" for key, value in entry.args.items())
        lines.append(f"  block {entry.block:>5}  {entry.event:<19} {details}")
    click.echo("\n".join(lines))
