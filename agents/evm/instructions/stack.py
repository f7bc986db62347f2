"""Stack opcodes: POP, PUSH0..PUSH32, DUP1..DUP16, SWAP1..SWAP16.

PUSHn / DUPn / SWAPn are built by small factories so that each opcode byte still maps
to its own plain function in the dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.evm.exceptions import OutOfGasError, StackOverflowError
from agents.evm.gas import GAS_BASE, GAS_VERY_LOW, STACK_LIMIT
from agents.evm.vm import Frame


def pop(evm: Frame) -> None:
    """POP: discard the top item."""

    # STACK
    evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_BASE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION: none
    # PROGRAM COUNTER
    evm.pc += 1


def push0(evm: Frame) -> None:
    """PUSH0 (EIP-3855): push 0."""

    # STACK
    stack = evm.stack
    if len(stack) >= STACK_LIMIT:
        raise StackOverflowError
    # GAS
    evm.gas_left -= GAS_BASE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    stack.append(0)
    # PROGRAM COUNTER
    evm.pc += 1


def make_push(num_bytes: int) -> Callable[[Frame], None]:
    """PUSH<num_bytes>: push the next ``num_bytes`` code bytes (zero-padded at the end)."""

    def push_n(evm: Frame) -> None:
        """PUSHn: push the n-byte immediate that follows the opcode."""

        # STACK
        stack = evm.stack
        if len(stack) >= STACK_LIMIT:
            raise StackOverflowError
        # GAS
        evm.gas_left -= GAS_VERY_LOW
        if evm.gas_left < 0:
            raise OutOfGasError
        # OPERATION
        pc = evm.pc
        stack.append(evm.push_values[pc])  # immediate decoded once by analyse_code
        # PROGRAM COUNTER
        evm.pc = pc + 1 + num_bytes

    push_n.__name__ = push_n.__qualname__ = f"push{num_bytes}"
    return push_n


def make_dup(item: int) -> Callable[[Frame], None]:
    """DUP<item>: duplicate the ``item``-th stack item (1 = top)."""

    def dup_n(evm: Frame) -> None:
        """DUPn: push a copy of the n-th stack item."""

        # STACK (too few items: stack[-item] raises IndexError = underflow)
        stack = evm.stack
        if len(stack) >= STACK_LIMIT:
            raise StackOverflowError
        # GAS
        evm.gas_left -= GAS_VERY_LOW
        if evm.gas_left < 0:
            raise OutOfGasError
        # OPERATION
        stack.append(stack[-item])
        # PROGRAM COUNTER
        evm.pc += 1

    dup_n.__name__ = dup_n.__qualname__ = f"dup{item}"
    return dup_n


def make_swap(item: int) -> Callable[[Frame], None]:
    """SWAP<item>: exchange the top with the ``item + 1``-th stack item."""
    depth = item + 1

    def swap_n(evm: Frame) -> None:
        """SWAPn: exchange the top and the (n+1)-th stack items."""

        # STACK (too few items: stack[-depth] raises IndexError = underflow)
        stack = evm.stack
        # GAS
        evm.gas_left -= GAS_VERY_LOW
        if evm.gas_left < 0:
            raise OutOfGasError
        # OPERATION
        stack[-1], stack[-depth] = stack[-depth], stack[-1]
        # PROGRAM COUNTER
        evm.pc += 1

    swap_n.__name__ = swap_n.__qualname__ = f"swap{item}"
    return swap_n
