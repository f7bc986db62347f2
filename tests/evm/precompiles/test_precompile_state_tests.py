"""The official precompile state tests, run through the rollup EVM's state-test runner.

These exercise every precompile from bytecode (CALL/STATICCALL/DELEGATECALL with
various gas and input sizes) and compare post-state roots with the reference clients'.
Skipped while the interpreter's runner is not importable.
"""

from pathlib import Path

import pytest

statetest = pytest.importorskip("agents.evm.statetest")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ethereum-tests" / "GeneralStateTests"
FILES = sorted((FIXTURES / "stPreCompiledContracts").glob("*.json")) + sorted(
    (FIXTURES / "Cancun" / "stEIP4844-blobtransactions").glob("*.json")
)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_state_test_file(path: Path) -> None:
    cases, _ = statetest.load_cases(path)
    assert cases
    failures = [
        f"{result.case.label}: {result.message or result.actual_root}"
        for result in (statetest.run_case(case) for case in cases)
        if not result.passed
    ]
    assert not failures, "\n".join(failures[:10])
