"""Mode equivalence: trace mode ends exactly where fast mode does.

For every Cancun case of every official GeneralStateTests fixture (except
``VMTests/vmPerformance``, below), the transaction is applied once in fast mode and once
in trace mode (same interpreter, plus the hooks); both must give the same post-state
root, logs, gas and success, and the trace must start in ``traceStart(context, txIndex,
preRoot)`` and end in ``traceEnd(context, txIndex, postRoot)`` where ``postRoot`` is the
SMT root of the post-state computed from scratch. The sweep traces with
``keep_states=False`` (memory bounded whatever the step count) and a step cap: a case
still running after :data:`STEP_CAP` steps is counted as "over step cap" in the
per-directory table (``tests/evm/sweep_report.py``) instead of being compared; none of
the copied fixtures outside vmPerformance comes near it (the longest, the EIP-1153 DoS
tests, take ~3.2M steps).

``VMTests/vmPerformance`` (loops of up to ~250M instructions: hours in trace mode) is
opt-in: ``pytest -m slow tests/evm/test_trace_equivalence.py``.

A hypothesis property runs random small programs and, at every instruction, recomputes
the machine state non-incrementally (stack hash chain and memory tree rebuilt from the
frame) and compares it with the incremental one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.evm.commitment import (
    Frame,
    MachineState,
    MemoryTree,
    stack_hash_of,
    trace_end_state,
    trace_start_state,
)
from agents.evm.exceptions import InvalidTransaction, TransactionDecodingError
from agents.evm.interpreter import run_in_big_stack
from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction, logs_hash
from agents.evm.statetest import (
    Case,
    _sender,
    build_backend,
    build_block,
    build_transaction,
)
from agents.evm.trace import StreamedStates, TraceBuilder, trace_to_root, trace_transaction
from agents.evm.trace_world import code_commitment_of, pre_state_of
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv
from agents.evm.vm import Frame as EvmFrame

from .sweep_groups import Group, groups
from .sweep_report import TRACE, record

CONTEXT = b"\x42" * 32
STEP_CAP = 5_000_000
PART_FILES = 12
SLOW_DIRECTORY = "VMTests/vmPerformance"
# Long cases get a test of their own so that pytest-xdist can balance the workers.
PER_CASE = {
    SLOW_DIRECTORY,
    "stCreateTest/CreateOOGafterMaxCodesize.json",
    "Cancun/stEIP1153-transientStorage/15_tstoreCannotBeDosd.json",
    "Cancun/stEIP1153-transientStorage/21_tstoreCannotBeDosdOOO.json",
    "stCreate2/Create2Recursive.json",
}
OVER_CAP = "over step cap"


class StepCapReached(Exception):
    """Raised by the step-cap observer: the trace ran more than the cap."""


def _step_cap(cap: int) -> Any:
    def observe(builder: TraceBuilder, evm: EvmFrame, op: int) -> None:
        if len(builder.meta) > cap:
            raise StepCapReached(f"more than {cap} steps")

    return observe


def compare_modes(
    case: Case, *, keep_states: bool = True, step_cap: int | None = None
) -> str | None:
    """None if fast and trace mode agree on ``case``, :data:`OVER_CAP` if the trace ran
    past ``step_cap`` steps, else a description of the mismatch."""
    test = case.test
    try:
        tx = build_transaction(test["transaction"], case.d, case.g, case.v)
    except TransactionDecodingError:
        return None
    sender = _sender(test["transaction"])
    block = build_block(test["env"])
    fast_backend = build_backend(test["pre"])
    trace_backend = build_backend(test["pre"])
    try:
        fast = apply_transaction(fast_backend, block, tx, sender=sender)
    except InvalidTransaction as error:
        fast = None
        fast_error: Exception | None = error
    else:
        fast_error = None
    try:
        trace = trace_transaction(
            trace_backend, block, tx, sender, trace_context=CONTEXT, tx_index=3,
            keep_states=keep_states, observer=None if step_cap is None else _step_cap(step_cap),
        )  # fmt: skip
    except StepCapReached:
        return OVER_CAP
    if trace.states[0] != trace_start_state(CONTEXT, 3, trace.pre_root):
        return "start state is not traceStart(preRoot)"
    if fast is None or trace.result is None:
        if (fast is None) != (trace.result is None):
            return f"rejection differs: fast {fast_error!r}, trace {trace.error!r}"
        if trace.end_state != trace_end_state(CONTEXT, 3, trace.pre_root):
            return "rejected transaction does not end in traceEnd(preRoot)"
        return None
    result = trace.result
    if result.state_root != fast.state_root:
        return f"post root {result.state_root.hex()} != fast {fast.state_root.hex()}"
    if logs_hash(result.logs) != logs_hash(fast.logs):
        return "logs differ"
    if (result.gas_used, result.success) != (fast.gas_used, fast.success):
        return "gas or status differ"
    _, scratch_root, _ = pre_state_of(trace_backend)
    if trace.post_root != scratch_root:
        return f"trace world root {trace.post_root.hex()} != SMT of post-state {scratch_root.hex()}"
    if trace.end_state != trace_end_state(CONTEXT, 3, scratch_root):
        return "last state is not traceEnd(postRoot)"
    return None


def _sweep(group: Group, step_cap: int | None) -> tuple[list[str], int, int]:
    """(mismatches, cases compared, cases over the cap) of one group, streamed traces."""
    cases = group.cases()
    outcomes = run_in_big_stack(
        lambda: [(c, compare_modes(c, keep_states=False, step_cap=step_cap)) for c in cases]
    )
    capped = sum(1 for _, m in outcomes if m == OVER_CAP)
    failures = [f"{c.file}::{c.label}: {m}" for c, m in outcomes if m not in (None, OVER_CAP)]
    return failures, len(cases) - capped, capped


def _params(slow: bool) -> list[Any]:
    out = []
    for group in groups(PART_FILES, PER_CASE):
        if (group.directory == SLOW_DIRECTORY) == slow:
            out.append(pytest.param(group, id=group.id))
    return out


@pytest.mark.parametrize("group", _params(slow=False))
def test_trace_equals_fast(group: Group, record_property: Any) -> None:
    failures, compared, capped = _sweep(group, STEP_CAP)
    record(record_property, TRACE, group.directory, compared - len(failures), compared, capped)
    assert compared + capped > 0
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("group", _params(slow=True))
def test_trace_equals_fast_vm_performance(group: Group, record_property: Any) -> None:
    failures, compared, _capped = _sweep(group, None)
    record(record_property, TRACE, group.directory, compared - len(failures), compared)
    assert failures == [], "\n".join(failures)


def test_step_cap_is_enforced() -> None:
    """The cap really stops a long trace (so the sweep's bound on time is real)."""
    case = groups(PART_FILES, {"stExample/add11.json"})[0].cases()[0]
    assert compare_modes(case, step_cap=1) == OVER_CAP
    assert compare_modes(case, step_cap=10_000) is None


@pytest.mark.parametrize("relative", ["stExample/add11.json", "Cancun/stEIP5656-MCOPY/MCOPY.json"])
def test_streamed_trace_matches_kept_trace(relative: str) -> None:
    """``keep_states=False`` keeps the first and last states, the count and the root."""
    for case in groups(PART_FILES, {relative})[0].cases()[:3]:
        test = case.test
        tx = build_transaction(test["transaction"], case.d, case.g, case.v)
        sender, block = _sender(test["transaction"]), build_block(test["env"])
        kept = trace_transaction(build_backend(test["pre"]), block, tx, sender)
        streamed = trace_transaction(
            build_backend(test["pre"]), block, tx, sender, keep_states=False
        )
        assert isinstance(streamed.states, StreamedStates)
        assert streamed.step_count == kept.step_count > 3
        assert len(streamed.states) == len(kept.states)
        assert (streamed.states[0], streamed.states[-1]) == (kept.states[0], kept.states[-1])
        assert trace_to_root(streamed.states) == trace_to_root(kept.states)
        with pytest.raises(IndexError):
            streamed.states[1]
        with pytest.raises(TypeError):
            list(streamed.states)


# ------------------------------------------------------------------ random programs

SENDER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("aa" * 20)

_SIMPLE_OPS = [
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x50, 0x58, 0x59, 0x5A, 0x5F,
    0x80, 0x81, 0x82, 0x83, 0x90, 0x91, 0x92, 0x30, 0x33, 0x34, 0x36, 0x38, 0x3D,
]  # fmt: skip


@st.composite
def programs(draw: st.DrawFn) -> bytes:
    """Random straight-line programs of stack, arithmetic, memory and storage ops."""
    out = bytearray()
    for _ in range(draw(st.integers(1, 40))):
        choice = draw(st.integers(0, 9))
        if choice <= 3:
            value = draw(st.integers(0, 2**256 - 1) | st.integers(0, 300))
            size = max(1, (value.bit_length() + 7) // 8)
            out += bytes([0x5F + size]) + value.to_bytes(size, "big")
        elif choice <= 6:
            out.append(draw(st.sampled_from(_SIMPLE_OPS)))
        elif choice == 7:  # bounded memory op
            offset = draw(st.integers(0, 200))
            op = draw(st.sampled_from([0x51, 0x52, 0x53, 0x20]))
            if op == 0x20:
                out += bytes([0x61]) + draw(st.integers(0, 1500)).to_bytes(2, "big")
            elif op != 0x51:
                out += bytes([0x61]) + draw(st.integers(0, 2**16 - 1)).to_bytes(2, "big")
            out += bytes([0x61]) + offset.to_bytes(2, "big") + bytes([op])
        elif choice == 8:  # bounded copy
            op = draw(st.sampled_from([0x37, 0x39, 0x5E]))
            length, source, dest = (draw(st.integers(0, 100)) for _ in range(3))
            out += bytes([0x60, length, 0x60, source, 0x60, dest, op])
        else:  # storage
            op = draw(st.sampled_from([0x54, 0x55, 0x5C, 0x5D]))
            if op in (0x55, 0x5D):
                out += bytes([0x60, draw(st.integers(0, 3))])
            out += bytes([0x60, draw(st.integers(0, 3)), op])
    return bytes(out)


def _scratch_check(failures: list[str]) -> Any:
    def check(builder: TraceBuilder, evm: EvmFrame, op: int) -> None:
        track = builder.tracks[id(evm)]
        code = code_commitment_of(evm.code)
        memory = MemoryTree.from_bytes(bytes(evm.memory))
        memory.expand((len(evm.memory) + 31) // 32)
        frame = Frame(
            evm.pc, evm.gas_left, code.root, code.size, stack_hash_of(evm.stack),
            len(evm.stack), memory.root, memory.size_words, b"\x00" * 32,
            track.context.hash(),
        )  # fmt: skip
        world = builder.world
        expected = MachineState(
            1, world.root, builder.tx_env_hash, builder.tx_context_hash, world.created,
            frame.hash(), builder.suspended[-1],
        ).hash()  # fmt: skip
        if builder.states[-1] != expected:
            failures.append(f"state before pc {evm.pc} (op 0x{op:02x}) differs from scratch")

    return check


def _run_program(code: bytes, calldata: bytes, traced: bool, failures: list[str]) -> Any:
    backend = MemoryBackend()
    backend.set_account(SENDER, balance=10**20)
    backend.set_account(TARGET, code=code, storage={1: 5, 2: 7})
    tx = Transaction(nonce=0, gas_limit=1_000_000, to=TARGET, gas_price=1, data=calldata)
    if not traced:
        return apply_transaction(backend, BlockEnv(), tx, sender=SENDER), backend
    trace = trace_transaction(backend, BlockEnv(), tx, SENDER, observer=_scratch_check(failures))
    return trace, backend


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=programs(), calldata=st.binary(max_size=70))
def test_random_programs_agree_and_match_scratch(code: bytes, calldata: bytes) -> None:
    failures: list[str] = []
    fast, fast_backend = _run_program(code, calldata, False, failures)
    trace, trace_backend = _run_program(code, calldata, True, failures)
    assert failures == []
    assert trace.result.state_root == fast.state_root
    assert trace.result.gas_used == fast.gas_used
    _, scratch_root, _ = pre_state_of(trace_backend)
    assert trace.post_root == scratch_root
