"""Arithmetic opcodes: ADD .. SIGNEXTEND (0x01-0x0b)."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError
from agents.evm.gas import (
    GAS_EXPONENTIATION,
    GAS_EXPONENTIATION_PER_BYTE,
    GAS_LOW,
    GAS_MID,
    GAS_VERY_LOW,
)
from agents.evm.instructions.common import U255_SIGN, U256_MASK, U256_MODULUS
from agents.evm.vm import Frame


def add(evm: Frame) -> None:
    """ADD: ``a + b`` modulo 2**256."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append((x + y) & U256_MASK)
    # PROGRAM COUNTER
    evm.pc += 1


def sub(evm: Frame) -> None:
    """SUB: ``a - b`` modulo 2**256."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append((x - y) & U256_MASK)
    # PROGRAM COUNTER
    evm.pc += 1


def mul(evm: Frame) -> None:
    """MUL: ``a * b`` modulo 2**256."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append((x * y) & U256_MASK)
    # PROGRAM COUNTER
    evm.pc += 1


def div(evm: Frame) -> None:
    """DIV: unsigned ``a // b``; 0 when ``b == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0 if y == 0 else x // y)
    # PROGRAM COUNTER
    evm.pc += 1


def sdiv(evm: Frame) -> None:
    """SDIV: two's-complement division truncated toward zero; 0 when ``b == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    if y == 0:
        result = 0
    else:
        sx = x - U256_MODULUS if x & U255_SIGN else x
        sy = y - U256_MODULUS if y & U255_SIGN else y
        quotient = abs(sx) // abs(sy)
        if (sx < 0) != (sy < 0):
            quotient = -quotient
        result = quotient & U256_MASK
    stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1


def mod(evm: Frame) -> None:
    """MOD: unsigned ``a % b``; 0 when ``b == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0 if y == 0 else x % y)
    # PROGRAM COUNTER
    evm.pc += 1


def smod(evm: Frame) -> None:
    """SMOD: signed remainder taking the sign of ``a``; 0 when ``b == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    if y == 0:
        result = 0
    else:
        sx = x - U256_MODULUS if x & U255_SIGN else x
        sy = y - U256_MODULUS if y & U255_SIGN else y
        remainder = abs(sx) % abs(sy)
        if sx < 0:
            remainder = -remainder
        result = remainder & U256_MASK
    stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1


def addmod(evm: Frame) -> None:
    """ADDMOD: ``(a + b) % n`` without intermediate overflow; 0 when ``n == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    z = stack.pop()
    # GAS
    evm.gas_left -= GAS_MID
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0 if z == 0 else (x + y) % z)
    # PROGRAM COUNTER
    evm.pc += 1


def mulmod(evm: Frame) -> None:
    """MULMOD: ``(a * b) % n`` without intermediate overflow; 0 when ``n == 0``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    z = stack.pop()
    # GAS
    evm.gas_left -= GAS_MID
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0 if z == 0 else (x * y) % z)
    # PROGRAM COUNTER
    evm.pc += 1


def exp(evm: Frame) -> None:
    """EXP: ``a ** b`` modulo 2**256; 50 gas per byte of the exponent."""

    # STACK
    stack = evm.stack
    base = stack.pop()
    exponent = stack.pop()
    # GAS
    exponent_bytes = (exponent.bit_length() + 7) >> 3
    evm.gas_left -= GAS_EXPONENTIATION + GAS_EXPONENTIATION_PER_BYTE * exponent_bytes
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(pow(base, exponent, U256_MODULUS))
    # PROGRAM COUNTER
    evm.pc += 1


def signextend(evm: Frame) -> None:
    """SIGNEXTEND: extend the sign bit of byte ``b`` (0 = lowest) of ``x``."""

    # STACK
    stack = evm.stack
    byte_num = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    if byte_num > 30:
        result = value
    else:
        bits = (byte_num + 1) * 8
        low = value & ((1 << bits) - 1)
        if low >> (bits - 1):
            result = low | (U256_MASK ^ ((1 << bits) - 1))
        else:
            result = low
    stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1
