"""Trace-mode hooks: called before every instruction / at every frame end, and without
any effect on the execution result."""

from __future__ import annotations

from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv, Frame

CALLER = bytes.fromhex("11" * 20)
A = bytes.fromhex("aa" * 20)
B = bytes.fromhex("bb" * 20)
# A: CALL(gas=GAS, to=B, value=0, 0, 0, 0, 0); SSTORE(0, result); STOP
CODE_A = bytes.fromhex("6000600060006000600073" + "bb" * 20 + "5af1600055" + "00")
# B: SSTORE-free: PUSH1 1, PUSH1 0, MSTORE, RETURN(0, 32)
CODE_B = bytes.fromhex("600160005260206000f3")


def _run(step_hook=None, exit_hook=None):  # type: ignore[no-untyped-def]
    backend = MemoryBackend()
    backend.set_account(CALLER, balance=10**18)
    backend.set_account(A, code=CODE_A)
    backend.set_account(B, code=CODE_B)
    tx = Transaction(nonce=0, gas_limit=200_000, to=A, gas_price=1)
    result = apply_transaction(
        backend, BlockEnv(), tx, sender=CALLER, step_hook=step_hook, exit_hook=exit_hook
    )
    return result, backend


def test_hooks_see_every_instruction_and_frame() -> None:
    steps: list[tuple[bytes, int, int, int, int]] = []
    exits: list[tuple[bytes, bytes]] = []

    def step(frame: Frame, opcode: int) -> None:
        assert frame.ctx.frames[-1] is frame
        steps.append((frame.address, frame.depth, frame.pc, opcode, len(frame.ctx.frames)))

    def exit_(frame: Frame) -> None:
        exits.append((frame.address, frame.output))

    traced, traced_backend = _run(step, exit_)
    fast, fast_backend = _run()
    assert traced.gas_used == fast.gas_used
    assert traced_backend.state_root() == fast_backend.state_root()
    assert fast_backend.get_storage(A, 0) == 1
    ops_a = [s[3] for s in steps if s[0] == A]
    ops_b = [s[3] for s in steps if s[0] == B]
    assert ops_a == [0x60] * 5 + [0x73, 0x5A, 0xF1, 0x60, 0x55, 0x00]
    assert ops_b == [0x60, 0x60, 0x52, 0x60, 0x60, 0xF3]
    assert all(s[4] == 2 and s[1] == 1 for s in steps if s[0] == B)
    assert exits == [(B, (1).to_bytes(32, "big")), (A, b"")]
