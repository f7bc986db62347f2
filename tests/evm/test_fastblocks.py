"""Fused runs (agents.evm.fastblocks) give exactly the results of step-by-step execution.

The threshold is forced to 1 so every run is compiled on first use, then state tests
and random programs are checked (random programs also against the unfused interpreter,
comparing success, gas, output and storage).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.evm import fastblocks, interpreter
from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction
from agents.evm.statetest import load_cases, run_cases
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "GeneralStateTests"
DIRS = [
    "VMTests/vmArithmeticTest",
    "VMTests/vmBitwiseLogicOperation",
    "VMTests/vmIOandFlowOperations",
    "VMTests/vmTests",
    "stStackTests",
]
CALLER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("22" * 20)


@pytest.fixture
def eager_fusion() -> Iterator[None]:
    saved = (fastblocks.HOT_THRESHOLD, fastblocks.MIN_RUN, interpreter.FUSE_RUNS)
    fastblocks.HOT_THRESHOLD, fastblocks.MIN_RUN, interpreter.FUSE_RUNS = 1, 1, True
    interpreter._ANALYSIS_CACHE.clear()
    yield
    fastblocks.HOT_THRESHOLD, fastblocks.MIN_RUN, interpreter.FUSE_RUNS = saved
    interpreter._ANALYSIS_CACHE.clear()


@pytest.mark.parametrize("directory", DIRS)
def test_state_tests_with_every_run_compiled(eager_fusion: None, directory: str) -> None:
    failures = []
    total = 0
    for path in sorted((ROOT / directory).rglob("*.json")):
        cases, _ = load_cases(path)
        total += len(cases)
        failures += [r.case.label for r in run_cases(cases) if not r.passed]
    assert total > 0
    assert not failures


def _run(code: bytes, fuse: bool) -> tuple[bool, int, bytes, dict[int, int]]:
    interpreter.FUSE_RUNS = fuse
    interpreter._ANALYSIS_CACHE.clear()
    backend = MemoryBackend()
    backend.set_account(CALLER, balance=10**20)
    backend.set_account(TARGET, code=code)
    tx = Transaction(nonce=0, gas_limit=300_000, to=TARGET, gas_price=0)
    r = apply_transaction(backend, BlockEnv(), tx, sender=CALLER)
    return r.success, r.gas_used, r.output, dict(backend.storage.get(TARGET, {}))


PURE_OPS = sorted(fastblocks.PURE) + [0x56, 0x57, 0x55, 0x52, 0x5A, 0x58]
_item = st.one_of(
    st.integers(0, 40).map(lambda v: bytes([0x60, v])),
    st.sampled_from(PURE_OPS).map(
        lambda op: bytes([op]) + bytes(max(0, op - 0x5F) * (0x60 <= op <= 0x7F))
    ),
    st.just(b"\x5b"),
)
_programs = st.lists(_item, min_size=1, max_size=60).map(
    lambda parts: b"".join(parts) + bytes.fromhex("60206000f3")
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(code=_programs)
def test_random_programs_fused_equals_unfused(eager_fusion: None, code: bytes) -> None:
    assert _run(code, True) == _run(code, False)
