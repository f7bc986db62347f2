"""Control-flow opcodes: STOP, JUMP, JUMPI, PC, GAS, JUMPDEST."""

from __future__ import annotations

from agents.evm.exceptions import Halt, InvalidJumpDestError, OutOfGasError, StackOverflowError
from agents.evm.gas import GAS_BASE, GAS_HIGH, GAS_JUMPDEST, GAS_MID, STACK_LIMIT
from agents.evm.vm import Frame


def stop(evm: Frame) -> None:
    """STOP: halt successfully with no output."""

    # STACK / GAS: none
    # OPERATION
    evm.running = False
    # PROGRAM COUNTER
    evm.pc += 1
    raise Halt


def jump(evm: Frame) -> None:
    """JUMP: continue at a JUMPDEST."""

    # STACK
    destination = evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_MID
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    if destination not in evm.jumpdests:
        raise InvalidJumpDestError
    # PROGRAM COUNTER
    evm.pc = destination


def jumpi(evm: Frame) -> None:
    """JUMPI: continue at a JUMPDEST if the condition is non-zero."""

    # STACK
    stack = evm.stack
    destination = stack.pop()
    condition = stack.pop()
    # GAS
    evm.gas_left -= GAS_HIGH
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION / PROGRAM COUNTER
    if condition == 0:
        evm.pc += 1
    elif destination in evm.jumpdests:
        evm.pc = destination
    else:
        raise InvalidJumpDestError


def pc(evm: Frame) -> None:
    """PC: the offset of this instruction."""

    # STACK
    stack = evm.stack
    if len(stack) >= STACK_LIMIT:
        raise StackOverflowError
    # GAS
    evm.gas_left -= GAS_BASE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(evm.pc)
    # PROGRAM COUNTER
    evm.pc += 1


def gas_left(evm: Frame) -> None:
    """GAS: gas remaining after this instruction."""

    # STACK
    stack = evm.stack
    if len(stack) >= STACK_LIMIT:
        raise StackOverflowError
    # GAS
    evm.gas_left -= GAS_BASE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(evm.gas_left)
    # PROGRAM COUNTER
    evm.pc += 1


def jumpdest(evm: Frame) -> None:
    """JUMPDEST: mark a valid jump target."""

    # STACK: none
    # GAS
    evm.gas_left -= GAS_JUMPDEST
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION: none
    # PROGRAM COUNTER
    evm.pc += 1
