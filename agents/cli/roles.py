"""``altrollup aggregator`` and ``altrollup producer intake``: run a node role process.

Each role owns its own argument parser (``--help`` shows it); these commands hand the
arguments over unchanged so the role runs the same under ``altrollup`` as under
``python -m``.
"""

from __future__ import annotations

import click

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.command(context_settings=PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def aggregator(args: tuple[str, ...]) -> None:
    """Run an aggregator: JSON-RPC intake, sequencing, forwarding (see --help)."""
    from agents.aggregator.service import main

    raise SystemExit(main(list(args)))


@click.group()
def producer() -> None:
    """Block producer roles."""


@producer.command(context_settings=PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def intake(args: tuple[str, ...]) -> None:
    """Run a producer's transaction intake: batches, gap recovery, ordering (see --help)."""
    from agents.producer.intake import main

    raise SystemExit(main(list(args)))
