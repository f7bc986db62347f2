"""Message-call and contract-creation processing, and the one instruction loop.

:func:`execute_code` is the only place where instructions are dispatched. It picks one
of two loop variants once per frame, so fast mode pays nothing for tracing:

* fast mode (``ctx.step_hook is None``): ``dispatch[pc](frame)`` and nothing else, where
  ``dispatch`` is the per-code list of opcode functions in which hot runs of pure
  stack/arithmetic opcodes are replaced by compiled equivalents
  (:mod:`agents.evm.fastblocks`; ``ALTROLLUP_EVM_FUSE=0`` turns that off);
* trace mode: ``ctx.step_hook(frame, opcode)`` is called **before** each instruction
  (always one opcode function per instruction, never a compiled run),
  with the frame in its pre-instruction state (``frame.pc`` points at ``opcode``, its
  gas not yet charged, its operands still on ``frame.stack``). The post-state of an
  instruction is the pre-state seen by the next hook call; when a frame ends (STOP,
  RETURN, REVERT, SELFDESTRUCT, exceptional halt) ``ctx.exit_hook(frame)`` - if set -
  is called with the final ``frame.output`` / ``frame.gas_left`` / ``frame.error``,
  after which the parent's next hook call shows the CALL/CREATE completed.
  ``ctx.frames`` is the stack of active frames (``frames[-1]`` is the running one, the
  others are suspended inside a CALL/CREATE instruction), so a hook can commit to all
  of them; world state, warm sets, transient storage and the journal are reachable via
  ``frame.ctx.state``; logs and refunds of each frame are on the frame.

Precompiles and empty code run no instructions (no step hook call; the exit hook is
still called for their frames).

Frames end normally by raising :class:`~agents.evm.exceptions.Halt` (after setting
``frame.running = False``), so the fast loop has no per-instruction ``running`` check.
Calls recurse in Python (one ``process_message`` per EVM frame); the depth limit of
1024 is enforced by the CALL/CREATE opcodes, and :func:`run_in_big_stack` gives the
recursion the stack it needs.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from agents.evm.exceptions import (
    ExceptionalHalt,
    Halt,
    InvalidContractPrefix,
    OutOfGasError,
    Revert,
    StackDepthLimitError,
    StackUnderflowError,
)
from agents.evm.fastblocks import install_stubs
from agents.evm.gas import GAS_CODE_DEPOSIT, MAX_CODE_SIZE, STACK_DEPTH_LIMIT
from agents.evm.instructions import OPS, Instruction
from agents.evm.vm import Frame

try:  # the precompile package is written separately; run without it if absent
    from agents.evm.precompiles import PRECOMPILE_ADDRESSES, call_precompile

    PRECOMPILES: frozenset[bytes] = frozenset(a.to_bytes(20, "big") for a in PRECOMPILE_ADDRESSES)
except ImportError:  # pragma: no cover
    PRECOMPILES = frozenset()

    def call_precompile(address: int, data: bytes, gas_available: int) -> tuple[bool, int, bytes]:
        raise NotImplementedError


class PrecompileFailure(ExceptionalHalt):
    """A precompile rejected its input or ran out of gas."""


_ANALYSIS_CACHE: dict[bytes, tuple[bytes, frozenset[int], list[int], list[Instruction]]] = {}
_CACHE_LIMIT = 4096
# Fast mode compiles hot runs of pure stack/arithmetic opcodes (agents.evm.fastblocks).
FUSE_RUNS = os.environ.get("ALTROLLUP_EVM_FUSE", "1") != "0"
# 33 STOP bytes after the code: PUSH32 at the very end can step pc past the code and
# the byte there must still decode to STOP.
_PADDING = bytes(33)


def analyse_code(code: bytes) -> tuple[bytes, frozenset[int], list[int], list[Instruction]]:
    """(padded code, JUMPDEST offsets, PUSH immediates, dispatch list), cached per code.

    ``push_values[pc]`` is the (zero-padded) immediate of the PUSHn at ``pc``; other
    entries are 0. PUSHn reads it instead of slicing the code on every execution.
    ``dispatch[pc]`` is ``OPS[padded[pc]]``, saving the fast loop one indexing per step.
    """
    cached = _ANALYSIS_CACHE.get(code)
    if cached is not None:
        return cached
    padded = bytes(code) + _PADDING
    dests = []
    push_values = [0] * len(padded)
    i = 0
    n = len(code)
    from_bytes = int.from_bytes
    while i < n:
        op = code[i]
        if op == 0x5B:
            dests.append(i)
        elif 0x60 <= op <= 0x7F:
            size = op - 0x5F
            push_values[i] = from_bytes(padded[i + 1 : i + 1 + size], "big")
            i += size
        i += 1
    jumpdests = frozenset(dests)
    dispatch = [OPS[b] for b in padded]
    if FUSE_RUNS:
        install_stubs(bytes(code), dispatch, push_values, jumpdests)
    result = (padded, jumpdests, push_values, dispatch)
    if len(_ANALYSIS_CACHE) >= _CACHE_LIMIT:
        _ANALYSIS_CACHE.clear()
    _ANALYSIS_CACHE[bytes(code)] = result
    return result


def execute_code(evm: Frame) -> Frame:
    """Run ``evm`` until it stops; exceptional halts zero the gas and the output."""
    ctx = evm.ctx
    code_address = evm.code_address
    if code_address is not None and code_address in PRECOMPILES:
        ok, used, output = call_precompile(
            int.from_bytes(code_address, "big"), evm.calldata, evm.gas_left
        )
        if ok:
            evm.gas_left -= used
            evm.output = output
        else:
            evm.gas_left = 0
            evm.output = b""
            evm.error = PrecompileFailure()
        if ctx.exit_hook is not None:
            ctx.exit_hook(evm)
        return evm
    if not evm.code:
        if ctx.exit_hook is not None:
            ctx.exit_hook(evm)
        return evm
    code, evm.jumpdests, evm.push_values, dispatch = analyse_code(evm.code)
    ops = OPS
    hook = ctx.step_hook
    ctx.frames.append(evm)
    try:
        if hook is None:
            while True:
                dispatch[evm.pc](evm)
        else:
            while True:
                op = code[evm.pc]
                hook(evm, op)
                ops[op](evm)
    except Halt:
        pass
    except ExceptionalHalt as error:
        evm.gas_left = 0
        evm.output = b""
        evm.error = error
    except Revert as error:
        evm.error = error
    except IndexError:  # list.pop() on an empty stack
        evm.gas_left = 0
        evm.output = b""
        evm.error = StackUnderflowError()
    finally:
        ctx.frames.pop()
    if ctx.exit_hook is not None:
        ctx.exit_hook(evm)
    return evm


def process_message(evm: Frame) -> Frame:
    """Execute a message call frame: touch, transfer value, run, revert on error."""
    if evm.depth > STACK_DEPTH_LIMIT:
        raise StackDepthLimitError
    state = evm.ctx.state
    snapshot = state.snapshot()
    state.touch(evm.address)
    if evm.should_transfer_value and evm.value:
        state.move_ether(evm.caller, evm.address, evm.value)
    execute_code(evm)
    if evm.error is not None:
        state.revert(snapshot)
    return evm


def process_create_message(evm: Frame) -> Frame:
    """Execute init code and deposit the returned code at ``evm.address``."""
    state = evm.ctx.state
    snapshot = state.snapshot()
    state.destroy_storage(evm.address)
    state.mark_created(evm.address)
    state.increment_nonce(evm.address)
    process_message(evm)
    if evm.error is None:
        code = evm.output
        try:
            if code and code[0] == 0xEF:
                raise InvalidContractPrefix
            deposit = len(code) * GAS_CODE_DEPOSIT
            if evm.gas_left < deposit:
                raise OutOfGasError
            evm.gas_left -= deposit
            if len(code) > MAX_CODE_SIZE:
                raise OutOfGasError
        except ExceptionalHalt as error:
            state.revert(snapshot)
            evm.gas_left = 0
            evm.output = b""
            evm.error = error
        else:
            state.set_code(evm.address, code)
    else:
        state.revert(snapshot)
    return evm


T = TypeVar("T")


def run_in_big_stack(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread with a large C stack and recursion limit (1024-deep calls)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    old_size = threading.stack_size()
    threading.stack_size(512 * 1024 * 1024)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_size)
    if errors:
        raise errors[0]
    return result[0]


if sys.getrecursionlimit() < 100_000:
    sys.setrecursionlimit(100_000)
