"""Stake on yourself as an operator, in ETH or a devnet token.

    ape run stake --account 1 --token ETH --amount 10 --network ethereum:local:foundry
    ape run stake --account 1 --token ALT --amount 150 --mint --network ethereum:local:foundry

``--mint`` first mints the tokens from the devnet faucet (the deployer, account 0).
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from agents.l1.registries import ETH
from scripts._common import (
    account_option,
    deployed,
    parse_amount,
    readable_errors,
    test_account,
    token_address,
)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--token", default="ETH", show_default=True, help="Stake token symbol.")
@click.option("--amount", required=True, help="Whole tokens, e.g. 10 or 2.5.")
@click.option("--mint", is_flag=True, help="Mint the tokens from the devnet faucet first.")
@readable_errors
def cli(ecosystem, network, provider, account_index, token, amount, mint):  # noqa: ANN001
    """Stake in the SequencerRegistry."""
    operator = test_account(account_index)
    value = parse_amount(amount)
    address = token_address(token)
    registry = deployed("SequencerRegistry")
    if address == ETH:
        registry.stake(ETH, value, value=value, sender=operator)
    else:
        erc20 = deployed(f"token:{token}")
        if mint:
            erc20.mint(operator.address, value, sender=test_account(0))
        erc20.approve(registry.address, value, sender=operator)
        registry.stake(address, value, sender=operator)
    click.echo(
        f"{operator.address} staked {amount} {token}; active stake now "
        f"{registry.activeStake(operator.address, address) / 10**18} {token}"
    )
