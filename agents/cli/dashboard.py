"""``altrollup dashboard``: serve the live dashboard of a rollup (see docs/dashboard.md).

Reads blocks, transactions and finality tiers from the rollup RPC (``--rpc``), and
packs, disputes and the sequencer set from L1 (``--l1-rpc`` with ``--deployments``
and/or ``--rollup``). Prints one JSON line ``{"dashboard": URL}`` on stdout when it
serves; stops on SIGTERM / Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from agents.cli import AltrollupError


@click.command("dashboard")
@click.option(
    "--rpc", default=None, help="The rollup's JSON-RPC URL (blocks, transactions, tiers)."
)
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=None, help="The L1 JSON-RPC URL.")
@click.option(
    "--deployments",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Deployments file (registries, and the Rollup under the name 'Rollup').",
)
@click.option("--rollup", "rollup_address", default=None, help="The Rollup contract on L1.")
@click.option("--rollup-id", type=click.IntRange(1), default=None, help="Default: the Rollup's.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8600, show_default=True)
def dashboard(
    rpc: str | None,
    l1_rpc: str | None,
    deployments: Path | None,
    rollup_address: str | None,
    rollup_id: int | None,
    host: str,
    port: int,
) -> None:
    """Serve the live dashboard: blocks with tiers, packs, disputes, sequencers, throughput."""
    from agents.dashboard.server import Dashboard
    from agents.dashboard.sources import DashboardConfig

    if rpc is None and l1_rpc is None:
        raise AltrollupError("give --rpc (the rollup) and/or --l1-rpc (the settlement layer)")
    for name, url in (("--rpc", rpc), ("--l1-rpc", l1_rpc)):
        if url is not None and not url.startswith("http://"):
            raise AltrollupError(f"{name} expects http://HOST:PORT, got {url!r}")
    if deployments is not None and not deployments.is_file():
        raise AltrollupError(f"--deployments: no file {deployments}")
    if rollup_address is not None and not (
        rollup_address.startswith("0x") and len(rollup_address) == 42
    ):
        raise AltrollupError(f"--rollup {rollup_address!r} is not a 0x-prefixed 20-byte address")
    if deployments is not None and l1_rpc is None:
        raise AltrollupError("--deployments needs --l1-rpc")
    config = DashboardConfig(
        rpc_url=rpc,
        l1_rpc_url=l1_rpc,
        deployments=deployments,
        rollup_address=rollup_address,
        rollup_id=rollup_id,
    )
    try:
        server = Dashboard(config, host=host, port=port)
    except OSError as error:
        raise AltrollupError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    click.echo(json.dumps({"dashboard": server.url + "/"}))
    sys.stdout.flush()
    stop.wait()
    server.stop()
