"""Select a requested rollup's sequencers as the Beacon validator (ECVRF proof on-chain).

    ape run select-sequencers --rollup-id 1 --network ethereum:local:foundry

The validator is the deployer (account 0 unless ``--account``), whose VRF key the
deploy script registered from ``--validator-seed``.
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from agents.l1 import vrf
from scripts._common import account_option, deployed, readable_errors, test_account


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--rollup-id", type=click.IntRange(min=1), required=True)
@click.option(
    "--validator-seed",
    default="altrollup-devnet-validator",
    show_default=True,
    help="Seed of the validator's VRF key (as given to the deploy script).",
)
@readable_errors
def cli(ecosystem, network, provider, account_index, rollup_id, validator_seed):  # noqa: ANN001
    """Prove the VRF over the rollup's selection input and submit selectSequencers."""
    validator = test_account(account_index)
    elr = deployed("ExecutionLayerRegistry")
    secret, public = vrf.keygen(validator_seed.encode())
    alpha = bytes(elr.selectionAlpha(rollup_id))
    proof = vrf.prove(secret, alpha)
    _, words, witness = vrf.solidity_args(public, proof, alpha)
    elr.selectSequencers(rollup_id, words, witness, sender=validator)
    chosen = list(elr.sequencersOf(rollup_id))
    click.echo(f"rollup {rollup_id}: selected {len(chosen)} sequencers")
    for address in chosen:
        click.echo(f"  {address}")
