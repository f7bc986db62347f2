"""The ``altrollup`` console script: one click group, one module per subcommand family.

Every subcommand reports bad input as a single line on stderr and a non-zero exit
status; tracebacks are reserved for genuine bugs.
"""

from __future__ import annotations

import sys

import click


class AltrollupError(click.ClickException):
    """A user-facing failure: printed as ``error: <message>`` with exit status 1."""

    def show(self, file: object = None) -> None:  # noqa: ARG002 - click signature
        click.echo(f"error: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """altrollup: an optimistic rollup stack (L1 contracts + Python agents)."""


def _register_subcommands() -> None:
    from agents.cli import dashboard as dashboard_commands
    from agents.cli import devnet as devnet_commands
    from agents.cli import dispute as dispute_commands
    from agents.cli import evm as evm_commands
    from agents.cli import lifecycle as lifecycle_commands
    from agents.cli import load as load_commands
    from agents.cli import node as node_commands
    from agents.cli import roles
    from agents.cli import verifier as verifier_commands

    cli.add_command(evm_commands.evm)
    cli.add_command(devnet_commands.devnet)
    cli.add_command(roles.aggregator)
    cli.add_command(roles.producer)
    roles.producer.add_command(node_commands.run)
    cli.add_command(dispute_commands.challenger)
    cli.add_command(dispute_commands.dispute)
    cli.add_command(lifecycle_commands.rollup)
    cli.add_command(lifecycle_commands.withdraw_command)
    cli.add_command(load_commands.load)
    cli.add_command(dashboard_commands.dashboard)
    cli.add_command(verifier_commands.verifier)
    cli.add_command(verifier_commands.verify)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    _register_subcommands()
    try:
        cli.main(args=argv, standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
