"""Show a rollup's request, status and sequencers.

ape run show-rollup --rollup-id 1 --network ethereum:local:foundry
ape run show-rollup --chain-id 900001 --network ethereum:local:foundry
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, network_option

from agents.l1.registries import DA_LAYERS, KINDS, PURPOSES, SETTLEMENT_LAYERS, RollupStatus
from scripts._common import deployed, fail, readable_errors, token_symbols


def _name(table: dict[str, int], value: int) -> str:
    return next(name for name, number in table.items() if number == value)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--rollup-id", type=click.IntRange(min=1), default=None)
@click.option("--chain-id", type=click.IntRange(min=1), default=None)
@readable_errors
def cli(ecosystem, network, provider, rollup_id, chain_id):  # noqa: ANN001
    """Print what the ExecutionLayerRegistry holds for one rollup."""
    if (rollup_id is None) == (chain_id is None):
        raise fail("give exactly one of --rollup-id and --chain-id")
    elr = deployed("ExecutionLayerRegistry")
    registry = deployed("SequencerRegistry")
    if rollup_id is None:
        rollup_id = int(elr.rollupIdOfChain(chain_id))
        if rollup_id == 0:
            raise fail(f"no rollup has L2 chain id {chain_id}")
    request = elr.getRequest(rollup_id)
    params, requester = request[0], request[1]
    settlement, da, _vm, _type, purpose, kind, min_seq, max_seq, tokens, min_stakes = params
    symbols = {address.lower(): symbol for symbol, address in token_symbols().items()}
    click.echo(f"rollup {rollup_id}  (L2 chain id {elr.chainIdOf(rollup_id)})")
    click.echo(f"  status      {RollupStatus(int(elr.statusOf(rollup_id))).name}")
    click.echo(f"  requester   {requester}")
    click.echo(f"  kind        {_name(KINDS, kind)}, {_name(PURPOSES, purpose)}")
    click.echo(f"  settlement  {_name(SETTLEMENT_LAYERS, settlement)}")
    click.echo(f"  da layer    {_name(DA_LAYERS, da)}")
    click.echo(f"  sequencers  min {min_seq}, max {max_seq}")
    for token, minimum in zip(tokens, min_stakes, strict=True):
        symbol = symbols.get(str(token).lower(), str(token))
        click.echo(f"  min stake   {minimum / 10**18:g} {symbol}")
    for address in elr.sequencersOf(rollup_id):
        stakes = ", ".join(
            f"{registry.activeStake(address, token) / 10**18:g} "
            f"{symbols.get(str(token).lower(), token)}"
            for token in tokens
        )
        click.echo(f"  sequencer   {address}  ({stakes})")
