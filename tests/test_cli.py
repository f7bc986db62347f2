"""The ``altrollup`` console script: subcommands, help, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.l1.anvil import PROJECT_ROOT

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))
STATE_TESTS = PROJECT_ROOT / "tests" / "fixtures" / "ethereum-tests" / "GeneralStateTests"


def altrollup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALTROLLUP, *args], capture_output=True, text=True, timeout=300)


def test_help_lists_the_roles() -> None:
    out = altrollup("--help")
    assert out.returncode == 0
    for command in ("devnet", "evm", "aggregator", "producer"):
        assert command in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["aggregator", "--id", "a"], "the following arguments are required: --db, --chain-id"),
        (["producer", "intake"], "the following arguments are required"),
        (["evm", "statetest", "/no/such/path"], "/no/such/path"),
        (["devnet", "--sequencers", "0"], "Invalid value for '--sequencers'"),
    ],
)
def test_bad_arguments_fail_without_traceback(args: list[str], message: str) -> None:
    out = altrollup(*args)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_statetest_command_reports_cases_and_summary() -> None:
    fixture = STATE_TESTS / "stExample" / "add11.json"
    out = altrollup("evm", "statetest", str(fixture))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert any("add11" in line and "pass" in line.lower() for line in lines)
    assert lines[-1].endswith("0 failed")
