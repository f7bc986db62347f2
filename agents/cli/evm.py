"""``altrollup evm ...``: tools around the rollup EVM (official state tests)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click


@click.group()
def evm() -> None:
    """Rollup EVM tools."""


@evm.command("statetest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summaries.")
def statetest(paths: tuple[Path, ...], quiet: bool) -> None:
    """Run the Cancun post-states of official state tests in FILE_OR_DIR...

    Prints one line per case, a pass rate per directory, the number of tests skipped
    for having no Cancun post-state, and finally ``N passed, M failed``. Exits non-zero
    if any case failed.
    """
    from agents.cli import AltrollupError
    from agents.evm.statetest import (
        StateTestFormatError,
        find_test_files,
        load_cases,
        run_cases,
    )

    for path in paths:
        if not path.exists():
            raise AltrollupError(f"no such file or directory: {path}")
    passed = failed = skipped = 0
    per_dir: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    files = list(find_test_files(list(paths)))
    if not files:
        raise AltrollupError("no *.json state tests found")
    for file in files:
        try:
            cases, skipped_here = load_cases(file)
            results = run_cases(cases)
        except StateTestFormatError as exc:
            raise AltrollupError(f"bad state test file: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise AltrollupError(
                f"bad state test file {file}: {type(exc).__name__}: {exc}"
            ) from None
        skipped += skipped_here
        counts = per_dir[str(file.parent)]
        for r in results:
            if r.passed:
                passed += 1
                counts[0] += 1
                if not quiet:
                    click.echo(f"PASS {file.name}::{r.case.label}")
            else:
                failed += 1
                counts[1] += 1
                details = []
                if r.actual_root != r.expected_root:
                    details.append(f"root expected {r.expected_root} got {r.actual_root}")
                if r.actual_logs != r.expected_logs:
                    details.append(f"logs expected {r.expected_logs} got {r.actual_logs}")
                if r.message:
                    details.append(r.message)
                click.echo(f"FAIL {file.name}::{r.case.label}: " + "; ".join(details))
    for directory in sorted(per_dir):
        ok, bad = per_dir[directory]
        total = ok + bad
        rate = 100.0 * ok / total if total else 100.0
        click.echo(f"{directory}: {ok}/{total} passed ({rate:.1f}%)")
    click.echo(f"{skipped} tests skipped (no {'Cancun'} post-state)")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
