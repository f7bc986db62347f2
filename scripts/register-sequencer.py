"""Register a test account as a sequencer operator.

    ape run register-sequencer --account 1 --endpoint http://127.0.0.1:9001 \
        --network ethereum:local:foundry

The signing key is the account's own secp256k1 public key (compressed).
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option
from eth_account import Account

from scripts._common import account_option, deployed, readable_errors, test_account


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--endpoint", required=True, help="The operator's RPC/p2p endpoint URL.")
@readable_errors
def cli(ecosystem, network, provider, account_index, endpoint):  # noqa: ANN001
    """Register an operator in the SequencerRegistry."""
    operator = test_account(account_index)
    signing_key = Account.from_key(operator.private_key)._key_obj.public_key
    registry = deployed("SequencerRegistry")
    registry.register(endpoint, signing_key.to_compressed_bytes(), sender=operator)
    click.echo(f"registered operator {operator.address} at {endpoint}")
