"""``altrollup load``: drive a workload scenario against a rollup RPC.

Deploys the scenario's contract (or reuses ``--contract``), funds ``--accounts``
senders from ``--key``, pre-signs ``tps x duration`` transactions, sends them at the
offered rate, waits for the receipts, and prints achieved throughput, latency p50/p99
from submission to receipt, and the failed transactions. See ``docs/load.md``.
"""

from __future__ import annotations

import json
import sys

import click

from agents.cli import AltrollupError

SCENARIO_NAMES = ("nft-mint", "ticketing", "game", "erc20")


@click.command("load")
@click.option(
    "--rpc",
    envvar="ALTROLLUP_RPC",
    default="http://127.0.0.1:8545",
    show_default=True,
    help="The rollup's Ethereum JSON-RPC (any Ethereum node works).",
)
@click.option(
    "--send-rpc",
    "send_rpcs",
    multiple=True,
    help="Send the transactions here instead (e.g. an aggregator; repeat for several: "
    "each sender sticks to one). --rpc still deploys, funds and follows the blocks.",
)
@click.option("--scenario", type=click.Choice(SCENARIO_NAMES), required=True)
@click.option(
    "--tps", type=click.FloatRange(0, min_open=True), required=True, help="Offered rate (tx/s)."
)
@click.option(
    "--duration",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds of sending (tps x duration transactions).",
)
@click.option(
    "--accounts",
    type=click.IntRange(1, 10_000),
    default=8,
    show_default=True,
    help="Sender accounts, derived from --key and funded by it (game: an even number).",
)
@click.option(
    "--key",
    envvar="ALTROLLUP_LOAD_KEY",
    default=None,
    help="Funded hex private key (default: account 0 of the test mnemonic).",
)
@click.option("--contract", default=None, help="Reuse this deployed scenario contract.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="Most transactions per eth_sendRawTransaction batch request.",
)
@click.option(
    "--receipt-timeout",
    type=click.FloatRange(0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the last receipts after sending.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def load(
    rpc: str,
    send_rpcs: tuple[str, ...],
    scenario: str,
    tps: float,
    duration: float,
    accounts: int,
    key: str | None,
    contract: str | None,
    batch_size: int,
    receipt_timeout: float,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Send a flash-layer workload at an offered rate and report throughput and latency."""
    from agents.load.chain import LoadError
    from agents.load.progress import NoProgress, default_progress
    from agents.load.runner import DEFAULT_KEY, LoadConfig, run_load
    from agents.load.signing import parse_private_key

    try:
        private_key = parse_private_key(key if key is not None else DEFAULT_KEY)
    except ValueError as error:
        raise AltrollupError(f"--key: {error}") from None
    if contract is not None and not (contract.startswith("0x") and len(contract) == 42):
        raise AltrollupError(f"--contract {contract!r} is not a 0x-prefixed 20-byte address")
    config = LoadConfig(
        rpc=rpc,
        scenario=scenario,
        tps=tps,
        duration=duration,
        accounts=accounts,
        key=private_key,
        contract=contract,
        batch_size=batch_size,
        receipt_timeout=receipt_timeout,
        send_rpcs=send_rpcs,
    )
    progress = NoProgress() if no_progress else default_progress()
    try:
        report = run_load(config, progress, say=lambda line: click.echo(line, err=True))
    except LoadError as error:
        raise AltrollupError(str(error)) from None
    click.echo(json.dumps(report.as_json()) if as_json else report.summary())
    sys.stdout.flush()
