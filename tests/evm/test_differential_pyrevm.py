"""Differential test: random small bytecode programs in our EVM and in revm (pyrevm).

Each program is a random sequence of PUSHes and opcodes from a broad subset (arithmetic,
bitwise, comparison, KECCAK256, memory, storage, transient storage, MCOPY, stack
manipulation, calldata) followed by ``RETURN(0, 64)``. Both EVMs run it as the callee
of a Cancun transaction; we compare success, gas used (intrinsic gas included),
return data and the storage slots the program wrote.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv

pyrevm = pytest.importorskip("pyrevm")

CALLER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("22" * 20)
GAS = 1_000_000

OPCODES = [
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D,
    0x20, 0x30, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3D, 0x47,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x58, 0x59, 0x5A, 0x5C, 0x5D, 0x5E, 0x5F,
    0x80, 0x81, 0x82, 0x83, 0x90, 0x91, 0x92, 0x93,
]  # fmt: skip

small = st.integers(min_value=0, max_value=64)
word = st.one_of(small, st.integers(min_value=0, max_value=2**256 - 1))
item = st.one_of(
    small.map(lambda v: bytes([0x60, v])),
    word.map(lambda v: bytes([0x7F]) + v.to_bytes(32, "big")),
    st.sampled_from(OPCODES).map(lambda op: bytes([op])),
)
programs = st.lists(item, min_size=1, max_size=40).map(
    lambda parts: b"".join(parts) + bytes.fromhex("60406000f3")
)


def _ours(code: bytes, calldata: bytes) -> tuple[bool, int, bytes, dict[int, int]]:
    backend = MemoryBackend()
    backend.set_account(CALLER, balance=10**20)
    backend.set_account(TARGET, code=code)
    block = BlockEnv(gas_limit=30_000_000, base_fee=0)
    tx = Transaction(tx_type=0, nonce=0, gas_limit=GAS, to=TARGET, data=calldata, gas_price=0)
    result = apply_transaction(backend, block, tx, sender=CALLER)
    return result.success, result.gas_used, result.output, dict(backend.storage.get(TARGET, {}))


def _revm(code: bytes, calldata: bytes) -> tuple[bool, int, bytes, object]:
    evm = pyrevm.EVM(spec_id="CANCUN")
    caller = "0x" + CALLER.hex()
    target = "0x" + TARGET.hex()
    evm.set_balance(caller, 10**20)
    evm.insert_account_info(target, pyrevm.AccountInfo(code=code))
    try:
        output = evm.message_call(caller, target, calldata, gas=GAS)
    except RuntimeError:
        output = b""
    result = evm.result
    return bool(result.is_success), int(result.gas_used), bytes(output), evm


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(code=programs, calldata=st.binary(max_size=40))
def test_random_programs_match_revm(code: bytes, calldata: bytes) -> None:
    ok, gas_used, output, storage = _ours(code, calldata)
    event("success" if ok else "failure")
    r_ok, r_gas, r_output, evm = _revm(code, calldata)
    assert ok == r_ok, f"success differs for {code.hex()}"
    assert gas_used == r_gas, f"gas differs for {code.hex()}: ours {gas_used}, revm {r_gas}"
    if ok:
        assert output == r_output
        for slot, value in storage.items():
            assert evm.storage("0x" + TARGET.hex(), slot) == value  # type: ignore[attr-defined]


def test_differential_harness_detects_difference() -> None:
    """Sanity: the two sides are really compared (SSTORE 1 at slot 0)."""
    code = bytes.fromhex("600160005560406000f3")
    ok, gas_used, _, storage = _ours(code, b"")
    r_ok, r_gas, _, evm = _revm(code, b"")
    assert ok and r_ok and gas_used == r_gas
    assert storage == {0: 1}
    assert evm.storage("0x" + TARGET.hex(), 0) == 1  # type: ignore[attr-defined]
    assert _ours(bytes.fromhex("600260005560406000f3"), b"")[3] != {0: 1}
