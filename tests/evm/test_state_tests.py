"""Official GeneralStateTests: every Cancun post-state of every copied fixture, in fast mode.

Every case of every file under ``tests/fixtures/ethereum-tests/GeneralStateTests`` runs
on a fresh in-memory backend; its Ethereum MPT state root and logs hash must equal the
fixture's (``agents.evm.statetest.run_case``). One test per directory (directories
with many files in parts, ``VMTests/vmPerformance`` one test per case: those loops are
most of the CPU time) so that pytest-xdist spreads the sweep over its workers. Each test
records its directory's counts; the pass rate per directory is printed as a table at
the end of the run (``tests/evm/sweep_report.py``). Target and requirement: 100 %.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.evm.statetest import CaseResult, load_cases, run_case, run_cases

from .sweep_groups import ROOT, Group, fixture_files, groups
from .sweep_report import FAST, record

PART_FILES = 12
PER_CASE = {"VMTests/vmPerformance"}


def _describe(results: list[CaseResult]) -> list[str]:
    return [
        f"{r.case.file}::{r.case.label}: root {r.actual_root} (expected {r.expected_root}), "
        f"logs {r.actual_logs} (expected {r.expected_logs}) {r.message}"
        for r in results
        if not r.passed
    ]


def test_fixtures_present() -> None:
    files = fixture_files()
    assert len(files) > 900
    assert (ROOT.parents[0] / "LICENSE").is_file()


def test_groups_cover_every_case_once() -> None:
    all_groups = groups(PART_FILES, PER_CASE)
    seen = [(c.file, c.name, c.index) for g in all_groups for c in g.cases()]
    expected = [(c.file, c.name, c.index) for path in fixture_files() for c in load_cases(path)[0]]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(expected)


@pytest.mark.parametrize("group", [pytest.param(g, id=g.id) for g in groups(PART_FILES, PER_CASE)])
def test_state_tests(group: Group, record_property: Any) -> None:
    cases = group.cases()
    results = run_cases(cases)
    failures = _describe(results)
    record(record_property, FAST, group.directory, len(results) - len(failures), len(results))
    assert results
    assert not failures, "\n".join(failures)


def test_detects_wrong_root() -> None:
    """The runner must be able to fail: tamper with an expected root."""
    path = ROOT / "stExample" / "add11.json"
    cases, _ = load_cases(path)
    case = cases[0]
    case.post = dict(case.post, hash="0x" + "00" * 32)
    assert not run_case(case).passed
