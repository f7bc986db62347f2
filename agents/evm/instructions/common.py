"""Helpers shared by opcode implementations: 256-bit masks, gas charging, memory."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError, StackOverflowError
from agents.evm.gas import STACK_LIMIT, memory_cost
from agents.evm.vm import Frame

U256_MASK = (1 << 256) - 1
U255_SIGN = 1 << 255
U256_MODULUS = 1 << 256
ADDRESS_MASK = (1 << 160) - 1


def charge_gas(evm: Frame, amount: int) -> None:
    """Deduct ``amount`` gas or halt with out-of-gas."""
    if evm.gas_left < amount:
        raise OutOfGasError
    evm.gas_left -= amount


def check_stack_room(evm: Frame, pushes: int = 1) -> None:
    """Raise if pushing ``pushes`` more items would exceed 1024."""
    if len(evm.stack) + pushes > STACK_LIMIT:
        raise StackOverflowError


def to_address(value: int) -> bytes:
    """The low 160 bits of a stack word as a 20-byte address."""
    return (value & ADDRESS_MASK).to_bytes(20, "big")


def to_signed(value: int) -> int:
    return value - U256_MODULUS if value & U255_SIGN else value


def memory_extension_cost(current: int, start: int, size: int) -> tuple[int, int]:
    """(gas, new length) to make ``[start, start + size)`` addressable; size 0 is free."""
    if size == 0:
        return 0, current
    end = start + size
    if end <= current:
        return 0, current
    new = (end + 31) & ~31
    return memory_cost(new) - memory_cost(current), new


def memory_extension_cost2(
    current: int, start1: int, size1: int, start2: int, size2: int
) -> tuple[int, int]:
    """Like :func:`memory_extension_cost` for two regions (CALL input and output)."""
    new = current
    if size1:
        new = max(new, (start1 + size1 + 31) & ~31)
    if size2:
        new = max(new, (start2 + size2 + 31) & ~31)
    if new == current:
        return 0, current
    return memory_cost(new) - memory_cost(current), new


def expand_memory(evm: Frame, start: int, size: int) -> None:
    """Charge for and perform the memory expansion covering one region."""
    if size == 0:
        return
    memory = evm.memory
    current = len(memory)
    end = start + size
    if end <= current:
        return
    new = (end + 31) & ~31
    cost = memory_cost(new) - memory_cost(current)
    if evm.gas_left < cost:
        raise OutOfGasError
    evm.gas_left -= cost
    memory.extend(bytes(new - current))


def memory_read(memory: bytearray, start: int, size: int) -> bytes:
    """``size`` bytes from memory (already expanded)."""
    if size == 0:
        return b""
    return bytes(memory[start : start + size])


def pad_slice(data: bytes, start: int, size: int) -> bytes:
    """``data[start:start + size]`` right-padded with zeros to ``size`` bytes."""
    if size == 0:
        return b""
    chunk = data[start : start + size]
    if len(chunk) < size:
        chunk = bytes(chunk) + bytes(size - len(chunk))
    return bytes(chunk)
