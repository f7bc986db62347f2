"""``altrollup evm ...``: tools around the rollup EVM (official state tests)."""

from __future__ import annotations

import click


@click.group()
def evm() -> None:
    """Rollup EVM tools."""
