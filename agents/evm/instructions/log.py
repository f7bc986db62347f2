"""LOG0..LOG4."""

from __future__ import annotations

from collections.abc import Callable

from agents.evm.exceptions import OutOfGasError, StackUnderflowError, WriteInStaticContext
from agents.evm.gas import GAS_LOG, GAS_LOG_DATA, GAS_LOG_TOPIC
from agents.evm.instructions.common import expand_memory
from agents.evm.vm import Frame


def make_log(num_topics: int) -> Callable[[Frame], None]:
    """LOG<num_topics>."""

    def log_n(evm: Frame) -> None:
        """LOGn: append a log with n topics and ``memory[start:start + size]`` as data."""

        # STACK
        stack = evm.stack
        if len(stack) < 2 + num_topics:
            raise StackUnderflowError
        start = stack.pop()
        size = stack.pop()
        topics = tuple(stack.pop().to_bytes(32, "big") for _ in range(num_topics))
        # GAS
        evm.gas_left -= GAS_LOG + GAS_LOG_DATA * size + GAS_LOG_TOPIC * num_topics
        if evm.gas_left < 0:
            raise OutOfGasError
        expand_memory(evm, start, size)
        # OPERATION
        if evm.is_static:
            raise WriteInStaticContext
        data = bytes(evm.memory[start : start + size]) if size else b""
        evm.logs.append((evm.address, topics, data))
        # PROGRAM COUNTER
        evm.pc += 1

    log_n.__name__ = log_n.__qualname__ = f"log{num_topics}"
    return log_n
