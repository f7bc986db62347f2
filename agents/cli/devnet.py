"""``altrollup devnet``: start (or resume) a local devnet and keep it running.

The Beacon layer first (:mod:`agents.devnet.beacon`): an anvil L1 (or ``--l1-rpc``), the
registries, staked sequencer operators, a rollup requested from a seed-003 JSON file and
its sequencers selected by stake and an on-chain-verified ECVRF. Then the rollup's own
contracts and L2 genesis (:mod:`agents.devnet.stack`), and its roles as separate
processes (:mod:`agents.devnet.topology`, :mod:`agents.devnet.supervisor`): producers
(the selected sequencers), aggregators, verifiers with their defenders, a challenger and
the dashboard. A role that exits is restarted; Ctrl-C stops everything; a restart with
the same ``--state-dir`` resumes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click
from eth_account.signers.local import LocalAccount

from agents.cli import AltrollupError
from agents.cli.process import stop_on_signals
from agents.devnet.beacon import (
    ETHER,
    DevnetAccounts,
    ensure_contracts,
    ensure_rollup,
    ensure_sequencers,
    vrf_secret,
)
from agents.devnet.stack import RollupStack, StackConfig, ensure_rollup_stack
from agents.devnet.supervisor import Supervisor, SupervisorError
from agents.devnet.topology import (
    DevnetSettings,
    Operator,
    assign_ports,
    plan_processes,
    url,
)
from agents.l1.anvil import PROJECT_ROOT, AnvilError, AnvilProcess, funded_private_keys
from agents.l1.client import L1Client, L1Error, TransactionReverted
from agents.l1.deployments import DeploymentError
from agents.l1.registries import RollupInfo
from agents.l1.rollup_request import RequestError, load_request

DEFAULT_REQUEST = PROJECT_ROOT / "config" / "rollup-request.json"


def _progress(started: float) -> Callable[[str], None]:
    def report(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.2f}s] {message}")

    return report


@click.command()
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("state"),
    show_default=True,
    help="Where the devnet keeps its L1 state, deployments, keys and logs.",
)
@click.option("--l1-rpc", default=None, help="Use this L1 JSON-RPC instead of starting anvil.")
@click.option(
    "--l1-port",
    type=click.IntRange(0, 65535),
    default=8545,
    show_default=True,
    help="Port of the embedded anvil (0 picks a free one).",
)
@click.option(
    "--request",
    "request_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_REQUEST,
    show_default=True,
    help="Rollup request (seed 003 execution_layer_req JSON).",
)
@click.option(
    "--sequencers",
    type=click.IntRange(1, 8),
    default=5,
    show_default=True,
    help="How many sequencer operators to register (funded test accounts 1..N).",
)
@click.option(
    "--producers",
    type=click.IntRange(0, 8),
    default=1,
    show_default=True,
    help="How many of the selected sequencers run a producer (GRANDPA when > 1; 0: none).",
)
@click.option("--aggregators", type=click.IntRange(0, 8), default=1, show_default=True)
@click.option(
    "--verifiers",
    type=click.IntRange(0, 4),
    default=2,
    show_default=True,
    help="Staked operators running a verifier (and a defender).",
)
@click.option(
    "--base-port",
    type=click.IntRange(0, 65000),
    default=8547,
    show_default=True,
    help="First port of the rollup's endpoints (producers, aggregators, dashboard, "
    "metrics); 0 picks free ports.",
)
@click.option("--da", type=click.Choice(["calldata", "blobs"]), default="calldata")
@click.option(
    "--challenge-window",
    type=click.IntRange(1, 86400),
    default=30,
    show_default=True,
    help="Seconds a pack can be challenged (tier 3 after it).",
)
@click.option("--block-time", type=click.IntRange(10, 60000), default=250, show_default=True)
@click.option(
    "--dispute-clock",
    type=click.IntRange(5, 86400),
    default=120,
    show_default=True,
    help="Seconds each player of a dispute game has on its chess clock.",
)
@click.option(
    "--faulty-producer",
    is_flag=True,
    help="Fault injection: the last producer equivocates in GRANDPA (needs --producers 4 "
    "or more so that finality survives it).",
)
@click.option(
    "--faulty-verifier",
    "faulty_verifier",
    default=None,
    metavar="TX|random",
    help="Fault injection: the last verifier posts a wrong root from L2 transaction TX "
    "(or a random one of the first 20); the challenger must win and the rollup revert.",
)
@click.option("--exit-when-ready", is_flag=True, help="Stop once everything is up (for scripts).")
def devnet(
    state_dir: Path,
    l1_rpc: str | None,
    l1_port: int,
    request_file: Path,
    sequencers: int,
    producers: int,
    aggregators: int,
    verifiers: int,
    base_port: int,
    da: str,
    challenge_window: int,
    block_time: int,
    dispute_clock: int,
    faulty_producer: bool,
    faulty_verifier: str | None,
    exit_when_ready: bool,
) -> None:
    """Start (or resume) the devnet and keep it running until Ctrl-C."""
    started = time.monotonic()
    report = _progress(started)
    lie_at_tx = _faulty_transaction(faulty_verifier, verifiers)
    if faulty_producer and producers < 4:
        raise AltrollupError("--faulty-producer needs --producers 4 or more (f < n/3)")
    try:
        request = load_request(request_file)
    except RequestError as error:
        raise AltrollupError(str(error)) from None
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "logs").mkdir(exist_ok=True)
    anvil: AnvilProcess | None = None
    try:
        if l1_rpc is None:
            anvil = AnvilProcess(
                port=l1_port,
                log_path=state_dir / "logs" / "anvil.log",
                # Transactions mine at once, and an (empty) L1 block comes every second
                # besides: verifiers judge an L2 block only once the L1 has moved past
                # its time (deposits and forced transactions up to it are final).
                extra_args=[
                    "--state",
                    str(state_dir / "l1-state.json"),
                    "--block-time",
                    "1",
                    "--mixed-mining",
                ],
            )
            try:
                anvil.start()
            except AnvilError as error:
                raise AltrollupError(f"{error} (is port {l1_port} busy? try --l1-port 0)") from None
            l1_rpc = anvil.url
        client = L1Client.connect(l1_rpc)
        report(f"L1           {l1_rpc} (chain id {client.chain_id})")
        keys = funded_private_keys(10)
        accounts = DevnetAccounts.from_keys(keys, sequencers)
        deployments = state_dir / "deployments.json"
        contracts = ensure_contracts(client, accounts, request, deployments, report)
        ensure_sequencers(client, contracts, accounts, request, report)
        info = ensure_rollup(contracts, accounts, request, vrf_secret(state_dir), report)
        registry = contracts.sequencer_registry
        symbols = {address: symbol for symbol, address in contracts.tokens.items()}
        click.echo("")
        click.echo(f"rollup {info.rollup_id} ({info.kind}) is {info.status.name}")
        click.echo(f"  L2 chain id   {info.chain_id}")
        click.echo(f"  L1 RPC        {l1_rpc}")
        click.echo(f"  deployments   {deployments}")
        click.echo(f"  VRF output    0x{info.vrf_output.hex()} (validator {info.selected_by})")
        for address in info.sequencers:
            stakes = ", ".join(
                f"{registry.active_stake(address, token) / ETHER:g} {symbols.get(token, token)}"
                for token in info.allowed_tokens
            )
            click.echo(f"  sequencer     {address}  {stakes}")
        stack = ensure_rollup_stack(
            client,
            accounts.governance,
            contracts,
            info,
            deployments,
            state_dir,
            StackConfig(
                challenge_window=challenge_window,
                challenger_clock=dispute_clock,
                defender_clock=dispute_clock,
            ),
            report,
        )
        click.echo(f"  Rollup        {stack.rollup} (genesis root 0x{stack.genesis_root.hex()})")
        registry = contracts.sequencer_registry
        settings = _settings(
            state_dir,
            l1_rpc,
            info,
            stack,
            accounts,
            deployments,
            (producers, aggregators, verifiers),
            da,
            block_time,
            challenger_key=keys[8],
            stake_of=lambda address: registry.active_stake(address, stack.stake_token),
        )
        if faulty_producer:
            settings = replace(settings, faulty_producer=True)
            report(f"fault        producer-{producers - 1} will equivocate in every GRANDPA vote")
        if lie_at_tx is not None:
            settings = replace(settings, faulty_verifier_lie_at_tx=lie_at_tx)
            report(
                f"fault        verifier-{verifiers - 1} will lie from L2 transaction {lie_at_tx}"
            )
        if settings.producers:
            supervisor = Supervisor(state_dir)
            leftovers = supervisor.stop_leftovers()
            if leftovers:
                report(f"stopped leftovers of a previous run: {', '.join(leftovers)}")
            ports = assign_ports(settings, base_port)
            try:
                for stage in plan_processes(settings, ports):
                    supervisor.start_all(stage, report)
            except SupervisorError as error:
                supervisor.stop_all()
                raise AltrollupError(str(error)) from None
            click.echo("")
            click.echo(f"rollup {info.rollup_id} is running (L2 chain id {info.chain_id})")
            click.echo(f"  RPC URL       {url(ports.producers[0])}")
            for index, port in enumerate(ports.aggregators):
                click.echo(f"  aggregator    {url(port)} (aggregator-{index})")
            click.echo(f"  dashboard     {url(ports.dashboard)}/")
            click.echo(f"  logs          {state_dir / 'logs'}")
        else:
            supervisor = None
        click.echo(f"ready in {time.monotonic() - started:.2f}s")
        if exit_when_ready:
            if supervisor is not None:
                supervisor.stop_all()
            return
        stop = stop_on_signals()
        click.echo("devnet running; Ctrl-C stops it (state is kept in the state directory)")
        try:
            while not stop.is_set():
                stop.wait(0.2)
                if supervisor is not None:
                    for child in supervisor.exited():
                        report(
                            f"{child.spec.name} exited with status {child.process.returncode}; "
                            "restarting it"
                        )
                        supervisor.start(child.spec)
        finally:
            click.echo("stopping devnet")
            if supervisor is not None:
                supervisor.stop_all()
    except (L1Error, TransactionReverted, DeploymentError, RequestError, ValueError) as error:
        raise AltrollupError(str(error)) from None
    finally:
        if anvil is not None:
            anvil.stop()


def _faulty_transaction(value: str | None, verifiers: int) -> int | None:
    """``--faulty-verifier``: a transaction ordinal, or a random one of the first 20."""
    if value is None:
        return None
    if verifiers < 2:
        raise AltrollupError("--faulty-verifier needs --verifiers 2 or more (one must be honest)")
    if value == "random":
        return random.randint(1, 20)
    if not value.isdigit() or int(value) < 1:
        raise AltrollupError(
            f"--faulty-verifier expects a transaction number >= 1 or 'random', got {value!r}"
        )
    return int(value)


def _settings(
    state_dir: Path,
    l1_rpc: str,
    info: RollupInfo,
    stack: RollupStack,
    accounts: DevnetAccounts,
    deployments: Path,
    counts: tuple[int, int, int],
    da: str,
    block_time: int,
    *,
    challenger_key: str,
    stake_of: Callable[[str], int],
) -> DevnetSettings:
    """Who runs what: producers from the selected sequencers, verifiers from the
    operators staked in the Rollup's token, the challenger from an unstaked key."""
    producers, aggregators, verifiers = counts
    by_address: dict[str, LocalAccount] = {o.address: o for o in accounts.operators}
    selected = [by_address[address] for address in info.sequencers if address in by_address]
    if producers > len(selected):
        raise AltrollupError(
            f"--producers {producers}: only {len(selected)} sequencers were selected"
        )
    eligible = [
        operator
        for operator in accounts.operators
        if stake_of(operator.address) >= stack.min_verifier_stake
    ]
    if verifiers > len(eligible):
        raise AltrollupError(
            f"--verifiers {verifiers}: only {len(eligible)} operators are staked enough"
        )
    return DevnetSettings(
        state_dir=state_dir.resolve(),
        l1_rpc=l1_rpc,
        chain_id=info.chain_id,
        rollup=stack.rollup,
        bridge=stack.bridge,
        deployments=deployments.resolve(),
        rollup_id=info.rollup_id,
        genesis=stack.genesis_path.resolve(),
        producers=[Operator(o.address, "0x" + bytes(o.key).hex()) for o in selected[:producers]],
        verifiers=[Operator(o.address, "0x" + bytes(o.key).hex()) for o in eligible[:verifiers]],
        challenger_key=challenger_key,
        aggregators=aggregators if producers else 0,
        block_time_ms=block_time,
        da=da,
    )
