"""Comparison opcodes: LT, GT, SLT, SGT, EQ, ISZERO (0x10-0x15)."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError
from agents.evm.gas import GAS_VERY_LOW
from agents.evm.instructions.common import U255_SIGN
from agents.evm.vm import Frame


def less_than(evm: Frame) -> None:
    """LT: 1 if ``a < b`` (unsigned) else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(1 if x < y else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def greater_than(evm: Frame) -> None:
    """GT: 1 if ``a > b`` (unsigned) else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(1 if x > y else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def signed_less_than(evm: Frame) -> None:
    """SLT: 1 if ``a < b`` as two's-complement integers else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop() ^ U255_SIGN
    y = stack.pop() ^ U255_SIGN
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION (flipping the sign bit maps two's complement order onto unsigned order)
    stack.append(1 if x < y else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def signed_greater_than(evm: Frame) -> None:
    """SGT: 1 if ``a > b`` as two's-complement integers else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop() ^ U255_SIGN
    y = stack.pop() ^ U255_SIGN
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(1 if x > y else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def equal(evm: Frame) -> None:
    """EQ: 1 if ``a == b`` else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(1 if x == y else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def is_zero(evm: Frame) -> None:
    """ISZERO: 1 if ``a == 0`` else 0."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(1 if x == 0 else 0)
    # PROGRAM COUNTER
    evm.pc += 1
