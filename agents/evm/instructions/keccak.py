"""KECCAK256 (0x20)."""

from __future__ import annotations

from sha3 import keccak_256

from agents.evm.exceptions import OutOfGasError
from agents.evm.gas import GAS_KECCAK256, GAS_KECCAK256_WORD
from agents.evm.instructions.common import expand_memory
from agents.evm.vm import Frame


def keccak(evm: Frame) -> None:
    """KECCAK256: hash of ``memory[start:start + size]``."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    size = stack.pop()
    # GAS
    evm.gas_left -= GAS_KECCAK256 + GAS_KECCAK256_WORD * ((size + 31) >> 5)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, start, size)
    # OPERATION
    data = evm.memory[start : start + size] if size else b""
    stack.append(int.from_bytes(keccak_256(data).digest(), "big"))
    # PROGRAM COUNTER
    evm.pc += 1
