"""Pytest plugin: the per-directory pass-rate table of the official state-test sweeps.

The sweep tests (``test_state_tests.py``: Cancun post-states in fast mode;
``test_trace_equivalence.py``: fast mode against trace mode) attach their counts for
one directory (or one part of it) to their test report as a user property named
:data:`PROPERTY`. Reports travel from pytest-xdist workers to the controller with their
user properties, so the controller - where this plugin is loaded through
``tests/conftest.py`` - can add them up and print one table at the end of the run:
passes / cases and the rate per directory, plus, for trace mode, the cases that hit the
step cap and ran in fast mode only. Nothing is printed when no sweep test ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

PROPERTY = "evm_sweep"
"""User-property name; the value is JSON with sweep, directory, passed, total, capped."""

FAST = "fast"
TRACE = "trace"


@dataclass(slots=True)
class Counts:
    passed: int = 0
    total: int = 0
    capped: int = 0

    def rate(self) -> str:
        percent = 100.0 * self.passed / self.total if self.total else 100.0
        return f"{self.passed}/{self.total} {percent:.1f}%"


@dataclass(slots=True)
class SweepTable:
    """Counts per sweep and directory, added up from the test reports."""

    counts: dict[str, dict[str, Counts]] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        sweep = self.counts.setdefault(record["sweep"], {})
        counts = sweep.setdefault(record["directory"], Counts())
        counts.passed += record["passed"]
        counts.total += record["total"]
        counts.capped += record.get("capped", 0)

    def lines(self) -> list[str]:
        directories = sorted({d for sweep in self.counts.values() for d in sweep})
        fast, trace = self.counts.get(FAST, {}), self.counts.get(TRACE, {})
        width = max(len(d) for d in directories + ["directory"]) + 2
        out = [
            f"{'directory':<{width}}{'fast mode (post state)':>26}"
            f"{'trace == fast':>24}{'over step cap':>15}"
        ]
        totals = {FAST: Counts(), TRACE: Counts()}
        for directory in directories:
            cells = []
            for name, table in ((FAST, fast), (TRACE, trace)):
                counts = table.get(directory)
                cells.append(counts.rate() if counts else "-")
                if counts:
                    totals[name].passed += counts.passed
                    totals[name].total += counts.total
                    totals[name].capped += counts.capped
            capped = str(trace[directory].capped) if directory in trace else "-"
            out.append(f"{directory:<{width}}{cells[0]:>26}{cells[1]:>24}{capped:>15}")
        out.append(
            f"{'all':<{width}}{totals[FAST].rate() if fast else '-':>26}"
            f"{totals[TRACE].rate() if trace else '-':>24}"
            f"{str(totals[TRACE].capped) if trace else '-':>15}"
        )
        return out


def record(
    record_property: Any,
    sweep: str,
    directory: str,
    passed: int,
    total: int,
    capped: int = 0,
) -> None:
    """Attach one directory's (or part's) counts to the running test's report."""
    value = {
        "sweep": sweep,
        "directory": directory,
        "passed": passed,
        "total": total,
        "capped": capped,
    }
    record_property(PROPERTY, json.dumps(value))


class SweepReport:
    """The plugin object: collects the counts from the reports, prints the table."""

    def __init__(self) -> None:
        self.table = SweepTable()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == PROPERTY:
                self.table.add(json.loads(str(value)))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.table.counts:
            return
        terminalreporter.write_sep(
            "=", "official GeneralStateTests (Cancun): pass rate per directory"
        )
        for line in self.table.lines():
            terminalreporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SweepReport(), "evm-sweep-report")
