"""Memory opcodes: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY (EIP-5656)."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError, StackOverflowError
from agents.evm.gas import GAS_BASE, GAS_COPY, GAS_VERY_LOW, STACK_LIMIT
from agents.evm.instructions.common import expand_memory, memory_extension_cost2
from agents.evm.vm import Frame


def mstore(evm: Frame) -> None:
    """MSTORE: write a 32-byte word to memory."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    if start + 32 > len(evm.memory):  # the common case (no expansion) skips the call
        expand_memory(evm, start, 32)
    # OPERATION
    evm.memory[start : start + 32] = value.to_bytes(32, "big")
    # PROGRAM COUNTER
    evm.pc += 1


def mstore8(evm: Frame) -> None:
    """MSTORE8: write the low byte of a word to memory."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, start, 1)
    # OPERATION
    evm.memory[start] = value & 0xFF
    # PROGRAM COUNTER
    evm.pc += 1


def mload(evm: Frame) -> None:
    """MLOAD: read a 32-byte word from memory."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    if start + 32 > len(evm.memory):  # the common case (no expansion) skips the call
        expand_memory(evm, start, 32)
    # OPERATION
    stack.append(int.from_bytes(evm.memory[start : start + 32], "big"))
    # PROGRAM COUNTER
    evm.pc += 1


def msize(evm: Frame) -> None:
    """MSIZE: current memory size in bytes (a multiple of 32)."""

    # STACK
    stack = evm.stack
    if len(stack) >= STACK_LIMIT:
        raise StackOverflowError
    # GAS
    evm.gas_left -= GAS_BASE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(len(evm.memory))
    # PROGRAM COUNTER
    evm.pc += 1


def mcopy(evm: Frame) -> None:
    """MCOPY (EIP-5656): copy within memory (overlap-safe)."""

    # STACK
    stack = evm.stack
    destination = stack.pop()
    source = stack.pop()
    size = stack.pop()
    # GAS
    memory = evm.memory
    extend_cost, new_size = memory_extension_cost2(len(memory), source, size, destination, size)
    evm.gas_left -= GAS_VERY_LOW + GAS_COPY * ((size + 31) >> 5) + extend_cost
    if evm.gas_left < 0:
        raise OutOfGasError
    if new_size > len(memory):
        memory.extend(bytes(new_size - len(memory)))
    # OPERATION
    if size:
        memory[destination : destination + size] = memory[source : source + size]
    # PROGRAM COUNTER
    evm.pc += 1


__all__ = ["expand_memory", "mcopy", "mload", "msize", "mstore", "mstore8"]
