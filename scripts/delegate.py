"""Delegate stake to an operator.

    ape run delegate --account 5 --operator 0x7099... --token ETH --amount 3 \
        --network ethereum:local:foundry
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option
from eth_utils import is_address, to_checksum_address

from agents.l1.registries import ETH
from scripts._common import (
    account_option,
    deployed,
    fail,
    parse_amount,
    readable_errors,
    test_account,
    token_address,
)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--operator", required=True, help="Address of a registered operator.")
@click.option("--token", default="ETH", show_default=True, help="Stake token symbol.")
@click.option("--amount", required=True, help="Whole tokens, e.g. 10 or 2.5.")
@click.option("--mint", is_flag=True, help="Mint the tokens from the devnet faucet first.")
@readable_errors
def cli(ecosystem, network, provider, account_index, operator, token, amount, mint):  # noqa: ANN001
    """Delegate to an operator in the SequencerRegistry."""
    if not is_address(operator):
        raise fail(f"--operator {operator!r} is not an address")
    operator = to_checksum_address(operator)
    holder = test_account(account_index)
    value = parse_amount(amount)
    address = token_address(token)
    registry = deployed("SequencerRegistry")
    if address == ETH:
        # `delegate` is shadowed by an attribute of ape contract instances; call it by name.
        registry.invoke_transaction("delegate", operator, ETH, value, value=value, sender=holder)
    else:
        erc20 = deployed(f"token:{token}")
        if mint:
            erc20.mint(holder.address, value, sender=test_account(0))
        erc20.approve(registry.address, value, sender=holder)
        registry.invoke_transaction("delegate", operator, address, value, sender=holder)
    click.echo(
        f"{holder.address} delegated {amount} {token} to {operator}; its stake there is "
        f"{registry.stakeOf(operator, address, holder.address) / 10**18} {token}"
    )
