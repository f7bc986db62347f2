"""Trace mode's memory stays bounded: streamed states, dropped frame tracks, node GC.

* The world mirror's SMT node overlay is garbage-collected (``WorldMirror.collect_garbage``):
  forced to collect at every doubling from a tiny size, a trace must commit exactly the
  same states as without collection, and a loop rewriting one slot must leave far fewer
  nodes behind.
* A finished child frame's track (with its memory tree and the frame itself) is dropped.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.evm import trace_world
from agents.evm.interpreter import run_in_big_stack
from agents.evm.memory_backend import MemoryBackend
from agents.evm.statetest import _sender, build_backend, build_block, build_transaction
from agents.evm.trace import Trace, TraceBuilder, trace_transaction
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv
from agents.evm.vm import Frame as EvmFrame

from .sweep_groups import groups

SENDER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("aa" * 20)
CALLEE = bytes.fromhex("bb" * 20)
# n = 600; do { SSTORE(0, n); n -= 1 } while n
SSTORE_LOOP = bytes.fromhex("6102585b80600055600190038060035700")
# 40 times: CALL the callee (which expands its memory to 64 KiB and returns)
CALL_LOOP = bytes.fromhex(
    "60285b6000600060006000600073" + CALLEE.hex() + "5af150600190038060025700"
)
CALLEE_CODE = bytes.fromhex("6001620100005200")  # MSTORE(0x10000, 1); STOP


def _trace_program(code: bytes, extra: dict[bytes, bytes] | None = None) -> tuple[Trace, Any]:
    backend = MemoryBackend()
    backend.set_account(SENDER, balance=10**20)
    backend.set_account(TARGET, code=code)
    for address, callee_code in (extra or {}).items():
        backend.set_account(address, code=callee_code)
    tx = Transaction(nonce=0, gas_limit=20_000_000, to=TARGET, gas_price=1)
    seen: dict[str, Any] = {"tracks": 0}

    def observe(builder: TraceBuilder, evm: EvmFrame, op: int) -> None:
        seen["builder"] = builder
        seen["tracks"] = max(seen["tracks"], len(builder.tracks))

    trace = run_in_big_stack(
        lambda: trace_transaction(backend, BlockEnv(), tx, SENDER, observer=observe)
    )
    return trace, seen


def test_node_collection_keeps_every_state_and_bounds_the_overlay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain, plain_seen = _trace_program(SSTORE_LOOP)
    monkeypatch.setattr(trace_world, "COLLECT_MIN_NODES", 64)
    collected, collected_seen = _trace_program(SSTORE_LOOP)
    assert plain.result is not None and plain.result.success
    assert list(collected.states) == list(plain.states)
    plain_nodes = len(plain_seen["builder"].world.nodes)
    collected_nodes = len(collected_seen["builder"].world.nodes)
    assert plain_nodes > 2_000
    assert collected_nodes < plain_nodes // 4


@pytest.mark.parametrize(
    "relative",
    [
        "stRevertTest/LoopCallsDepthThenRevert2.json",
        "stCreate2/Create2Recursive.json",
        "Cancun/stEIP1153-transientStorage/10_revertUndoesStoreAfterReturn.json",
        "stSStoreTest/SstoreCallToSelfSubRefundBelowZero.json",
    ],
)
def test_node_collection_on_state_tests(relative: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reverts, creates, transient storage, storage wipes: identical states with GC."""
    case = groups(1, {relative})[0].cases()[0]
    test = case.test
    tx = build_transaction(test["transaction"], case.d, case.g, case.v)
    sender, block = _sender(test["transaction"]), build_block(test["env"])

    def run() -> Trace:
        return trace_transaction(build_backend(test["pre"]), block, tx, sender)

    plain = run_in_big_stack(run)
    monkeypatch.setattr(trace_world, "COLLECT_MIN_NODES", 16)
    collected = run_in_big_stack(run)
    assert list(collected.states) == list(plain.states)
    assert collected.post_root == plain.post_root


def test_finished_frames_are_forgotten() -> None:
    trace, seen = _trace_program(CALL_LOOP, {CALLEE: CALLEE_CODE})
    assert trace.result is not None and trace.result.success
    assert sum(1 for k in trace.kinds if k == 0xF1) == 40
    assert seen["tracks"] <= 2  # the caller and at most one callee at a time
