"""``altrollup devnet``: start (or resume) a local devnet and keep it running.

Today the devnet is the Beacon layer: an anvil L1 (or ``--l1-rpc``), the registries,
staked sequencer operators, a rollup requested from a seed-003 JSON file and its
sequencers selected by stake and an on-chain-verified ECVRF. The rollup node roles
(aggregators, producers, verifiers, challenger) join it as they land.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click

from agents.cli import AltrollupError
from agents.devnet.beacon import (
    ETHER,
    DevnetAccounts,
    ensure_contracts,
    ensure_rollup,
    ensure_sequencers,
    vrf_secret,
)
from agents.l1.anvil import PROJECT_ROOT, AnvilError, AnvilProcess, funded_private_keys
from agents.l1.client import L1Client, L1Error, TransactionReverted
from agents.l1.deployments import DeploymentError
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
@click.option("--exit-when-ready", is_flag=True, help="Stop once everything is up (for scripts).")
def devnet(
    state_dir: Path,
    l1_rpc: str | None,
    l1_port: int,
    request_file: Path,
    sequencers: int,
    exit_when_ready: bool,
) -> None:
    """Start (or resume) the devnet and keep it running until Ctrl-C."""
    started = time.monotonic()
    report = _progress(started)
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
                extra_args=["--state", str(state_dir / "l1-state.json")],
            )
            try:
                anvil.start()
            except AnvilError as error:
                raise AltrollupError(f"{error} (is port {l1_port} busy? try --l1-port 0)") from None
            l1_rpc = anvil.url
        client = L1Client.connect(l1_rpc)
        report(f"L1           {l1_rpc} (chain id {client.chain_id})")
        accounts = DevnetAccounts.from_keys(funded_private_keys(10), sequencers)
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
        click.echo(f"ready in {time.monotonic() - started:.2f}s")
        if exit_when_ready:
            return
        stop = _install_stop_handlers()
        click.echo("devnet running; Ctrl-C stops it (state is kept in the state directory)")
        while not stop.is_set():
            stop.wait(0.2)
        click.echo("stopping devnet")
    except (L1Error, TransactionReverted, DeploymentError, RequestError, ValueError) as error:
        raise AltrollupError(str(error)) from None
    finally:
        if anvil is not None:
            anvil.stop()


def _install_stop_handlers() -> threading.Event:
    """SIGINT/SIGTERM set the returned event instead of raising mid-shutdown."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop
