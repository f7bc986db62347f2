"""Deploy the Beacon-layer registries and write the deployments file.

    ape run deploy --network ethereum:local:foundry [--token ALT --token stSOL]

Deploys SequencerRegistry, one faucet ERC-20 (DevnetToken) per ``--token`` symbol,
ExecutionLayerRegistry, allows ETH and the tokens as stake, registers the deployer as
a Beacon validator with a VRF key derived from ``--validator-seed``, and records the
addresses under the chain id in ``deployments.json`` (or ``$ALTROLLUP_DEPLOYMENTS``).
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from agents.l1 import vrf
from agents.l1.deployments import Deployment, deployments_path, record_deployments
from agents.l1.registries import ETH, SettlementConfig
from scripts._common import account_option, fail, readable_errors, test_account


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option(
    "--token",
    "tokens",
    multiple=True,
    default=["ALT"],
    show_default=True,
    help="Symbol of a faucet stake token to deploy (repeatable).",
)
@click.option(
    "--unbonding-delay",
    type=click.IntRange(1, 365 * 86400),
    default=120,
    show_default=True,
    help="Seconds a withdrawal waits before it can be claimed.",
)
@click.option(
    "--validator-seed",
    default="altrollup-devnet-validator",
    show_default=True,
    help="Seed of the Beacon validator's VRF key (the deployer is the validator).",
)
@readable_errors
def cli(ecosystem, network, provider, account_index, tokens, unbonding_delay, validator_seed):  # noqa: ANN001
    """Deploy SequencerRegistry and ExecutionLayerRegistry."""
    from ape import chain, project

    for symbol in tokens:
        if not symbol.isalnum() or len(symbol) > 11 or symbol.upper() == "ETH":
            raise fail(f"--token {symbol!r}: expected 1-11 letters/digits, not ETH")
    deployer = test_account(account_index)
    config = SettlementConfig(unbonding_delay=unbonding_delay)
    registry = project.SequencerRegistry.deploy(deployer.address, unbonding_delay, sender=deployer)
    registry.allowToken(ETH, sender=deployer)
    deployed: dict[str, Deployment] = {}
    for symbol in dict.fromkeys(tokens):
        token = project.DevnetToken.deploy(f"{symbol} (altrollup devnet)", symbol, sender=deployer)
        registry.allowToken(token.address, sender=deployer)
        deployed[f"token:{symbol}"] = Deployment(
            f"token:{symbol}", token.address, chain.blocks.height
        )
    elr = project.ExecutionLayerRegistry.deploy(
        deployer.address, registry.address, config.as_abi(), sender=deployer
    )
    _, public = vrf.keygen(validator_seed.encode())
    elr.registerValidator(deployer.address, list(public), sender=deployer)
    height = chain.blocks.height
    deployed["SequencerRegistry"] = Deployment("SequencerRegistry", registry.address, height)
    deployed["ExecutionLayerRegistry"] = Deployment("ExecutionLayerRegistry", elr.address, height)
    record_deployments(chain.chain_id, deployed)
    click.echo(f"chain {chain.chain_id}: deployments written to {deployments_path()}")
    for name, entry in sorted(deployed.items()):
        click.echo(f"  {name:<24} {entry.address}")
    click.echo(f"  beacon validator         {deployer.address}")
