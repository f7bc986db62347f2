"""Request a rollup from a JSON file in the Beacon-layer format (seed 003).

ape run request-rollup --file config/rollup-request.json --network ethereum:local:foundry
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option
from ape.logging import logger

from agents.l1.registries import request_params
from agents.l1.rollup_request import load_request
from scripts._common import account_option, deployed, readable_errors, test_account, token_symbols


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option(
    "--file",
    "request_file",
    type=click.Path(path_type=Path),
    required=True,
    help="JSON file with an execution_layer_req.",
)
@readable_errors
def cli(ecosystem, network, provider, account_index, request_file):  # noqa: ANN001
    """Submit requestExecutionLayer and print the rollup id and L2 chain id."""
    request = load_request(request_file)
    params = request_params(request, token_symbols())
    requester = test_account(account_index)
    elr = deployed("ExecutionLayerRegistry")
    receipt = elr.requestExecutionLayer(params, sender=requester)
    logger.debug(f"request tx {receipt.txn_hash}")
    rollup_id = int(receipt.events.filter(elr.ExecutionLayerRequested)[0].rollupId)
    click.echo(f"rollup {rollup_id} requested: L2 chain id {elr.chainIdOf(rollup_id)}")
