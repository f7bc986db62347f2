"""``altrollup evm statetest``: output format, exit status, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from agents.cli.evm import evm

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "GeneralStateTests"


def test_passing_directory() -> None:
    result = CliRunner().invoke(evm, ["statetest", str(ROOT / "stExample")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "39 passed, 0 failed"
    assert "skipped" in lines[-2]
    assert any("stExample: 39/39 passed (100.0%)" in line for line in lines)


def test_failure_is_reported(tmp_path: Path) -> None:
    doc = json.loads((ROOT / "stExample" / "add11.json").read_text())
    for post in doc["add11"]["post"]["Cancun"]:
        post["hash"] = "0x" + "11" * 32
    bad = tmp_path / "add11_tampered.json"
    bad.write_text(json.dumps(doc))
    result = CliRunner().invoke(evm, ["statetest", str(bad)])
    assert result.exit_code != 0
    assert "FAIL add11_tampered.json::add11" in result.output
    assert "root expected 0x1111" in result.output
    assert result.output.strip().splitlines()[-1].endswith("failed")
    assert "0 passed" in result.output.strip().splitlines()[-1]


def test_bad_inputs_give_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args in (["statetest", str(tmp_path / "missing")], ["statetest", str(bad)]):
        result = CliRunner().invoke(evm, args)
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_rate_per_directory_and_per_case_lines() -> None:
    dirs = [ROOT / "Shanghai" / "stEIP3855-push0", ROOT / "stExample"]
    result = CliRunner().invoke(evm, ["statetest", *map(str, dirs)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    case_lines = [line for line in lines if line.startswith("PASS ")]
    assert len(case_lines) == 9 + 39
    assert f"{dirs[0]}: 9/9 passed (100.0%)" in lines
    assert f"{dirs[1]}: 39/39 passed (100.0%)" in lines
    assert lines[-1] == "48 passed, 0 failed"
