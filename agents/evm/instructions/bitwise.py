"""Bitwise opcodes: AND, OR, XOR, NOT, BYTE, SHL, SHR, SAR (0x16-0x1d)."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError
from agents.evm.gas import GAS_VERY_LOW
from agents.evm.instructions.common import U255_SIGN, U256_MASK, U256_MODULUS
from agents.evm.vm import Frame


def bitwise_and(evm: Frame) -> None:
    """AND: bitwise ``a & b``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(x & y)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_or(evm: Frame) -> None:
    """OR: bitwise ``a | b``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(x | y)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_xor(evm: Frame) -> None:
    """XOR: bitwise ``a ^ b``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    y = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(x ^ y)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_not(evm: Frame) -> None:
    """NOT: bitwise complement of ``a``."""

    # STACK
    stack = evm.stack
    x = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(U256_MASK ^ x)
    # PROGRAM COUNTER
    evm.pc += 1


def get_byte(evm: Frame) -> None:
    """BYTE: byte ``i`` of ``x`` counting from the most significant; 0 if ``i >= 32``."""

    # STACK
    stack = evm.stack
    index = stack.pop()
    word = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0 if index >= 32 else (word >> (248 - index * 8)) & 0xFF)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_shl(evm: Frame) -> None:
    """SHL (EIP-145): ``value << shift`` modulo 2**256."""

    # STACK
    stack = evm.stack
    shift = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append((value << shift) & U256_MASK if shift < 256 else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_shr(evm: Frame) -> None:
    """SHR (EIP-145): logical ``value >> shift``."""

    # STACK
    stack = evm.stack
    shift = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(value >> shift if shift < 256 else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def bitwise_sar(evm: Frame) -> None:
    """SAR (EIP-145): arithmetic (sign-filling) ``value >> shift``."""

    # STACK
    stack = evm.stack
    shift = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    signed = value - U256_MODULUS if value & U255_SIGN else value
    if shift >= 256:
        result = U256_MASK if signed < 0 else 0
    else:
        result = (signed >> shift) & U256_MASK
    stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1
