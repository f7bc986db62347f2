"""Official GeneralStateTests, Cancun post-states.

``test_smoke_*`` runs a few small directories on every test run. The full sweep over
every fixture file is marked ``slow``; run it with
``pytest -m slow -n 2 --dist worksteal tests/evm/test_state_tests.py``.
Heavy files (VMTests/vmPerformance, ~80% of the CPU time) are split per case and
collected first, so xdist starts them first and fills in with the light files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.evm.statetest import Case, CaseResult, load_cases, run_case, run_cases

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "GeneralStateTests"
HEAVY_DIRS = {"vmPerformance"}
SMOKE_DIRS = ["stExample", "Cancun/stEIP1153-transientStorage", "Cancun/stEIP5656-MCOPY"]


def _describe(results: list[CaseResult]) -> list[str]:
    lines = []
    for r in results:
        if not r.passed:
            lines.append(
                f"{r.case.label}: root {r.actual_root} (expected {r.expected_root}), "
                f"logs {r.actual_logs} (expected {r.expected_logs}) {r.message}"
            )
    return lines


def _files() -> list[Path]:
    return sorted(ROOT.rglob("*.json"))


def _light_params() -> list[Any]:
    return [
        pytest.param(p, id=str(p.relative_to(ROOT)))
        for p in _files()
        if p.parent.name not in HEAVY_DIRS
    ]


def _heavy_params() -> list[Any]:
    out = []
    for p in _files():
        if p.parent.name in HEAVY_DIRS:
            cases, _ = load_cases(p)
            for case in cases:
                out.append(pytest.param(case, id=f"{p.relative_to(ROOT)}::{case.label}"))
    return out


def test_fixtures_present() -> None:
    assert len(_files()) > 900


@pytest.mark.parametrize("directory", SMOKE_DIRS)
def test_smoke(directory: str) -> None:
    failures: list[str] = []
    total = 0
    for path in sorted((ROOT / directory).rglob("*.json")):
        cases, _ = load_cases(path)
        total += len(cases)
        failures += _describe(run_cases(cases))
    assert total > 0
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("case", _heavy_params())
def test_heavy_case(case: Case) -> None:
    result = run_cases([case])[0]
    assert result.passed, "\n".join(_describe([result]))


@pytest.mark.slow
@pytest.mark.parametrize("path", _light_params())
def test_state_file(path: Path) -> None:
    cases, _skipped = load_cases(path)
    failures = _describe(run_cases(cases))
    assert not failures, "\n".join(failures)


def test_detects_wrong_root() -> None:
    """The runner must be able to fail: tamper with an expected root."""
    path = ROOT / "stExample" / "add11.json"
    cases, _ = load_cases(path)
    case = cases[0]
    case.post = dict(case.post, hash="0x" + "00" * 32)
    assert not run_case(case).passed
