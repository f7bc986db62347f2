"""Storage opcodes: SLOAD, SSTORE (EIP-2200/2929/3529) and TLOAD, TSTORE (EIP-1153)."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError, WriteInStaticContext
from agents.evm.gas import (
    GAS_CALL_STIPEND,
    GAS_COLD_SLOAD,
    GAS_STORAGE_CLEAR_REFUND,
    GAS_STORAGE_SET,
    GAS_STORAGE_UPDATE,
    GAS_TLOAD,
    GAS_TSTORE,
    GAS_WARM_ACCESS,
)
from agents.evm.vm import Frame


def sload(evm: Frame) -> None:
    """SLOAD: read a storage slot (EIP-2929 warm/cold)."""

    # STACK
    key = evm.stack.pop()
    # GAS
    state = evm.ctx.state
    address = evm.address
    cost = GAS_WARM_ACCESS if state.warm_slot(address, key) else GAS_COLD_SLOAD
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    evm.stack.append(state.get_storage(address, key))
    # PROGRAM COUNTER
    evm.pc += 1


def sstore(evm: Frame) -> None:
    """SSTORE: write a storage slot (EIP-2200 net metering, EIP-2929, EIP-3529 refunds)."""

    # STACK
    stack = evm.stack
    key = stack.pop()
    new_value = stack.pop()
    # GAS
    if evm.gas_left <= GAS_CALL_STIPEND:
        raise OutOfGasError
    state = evm.ctx.state
    address = evm.address
    original = state.get_storage_original(address, key)
    current = state.get_storage(address, key)
    cost = 0
    if not state.warm_slot(address, key):
        cost += GAS_COLD_SLOAD
    if original == current and current != new_value:
        cost += GAS_STORAGE_SET if original == 0 else GAS_STORAGE_UPDATE - GAS_COLD_SLOAD
    else:
        cost += GAS_WARM_ACCESS
    if current != new_value:
        if original != 0 and current != 0 and new_value == 0:
            evm.refund_counter += GAS_STORAGE_CLEAR_REFUND
        if original != 0 and current == 0:
            evm.refund_counter -= GAS_STORAGE_CLEAR_REFUND
        if original == new_value:
            if original == 0:
                evm.refund_counter += GAS_STORAGE_SET - GAS_WARM_ACCESS
            else:
                evm.refund_counter += GAS_STORAGE_UPDATE - GAS_COLD_SLOAD - GAS_WARM_ACCESS
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    if evm.is_static:
        raise WriteInStaticContext
    # OPERATION
    if current != new_value:
        state.set_storage(address, key, new_value)
    # PROGRAM COUNTER
    evm.pc += 1


def tload(evm: Frame) -> None:
    """TLOAD (EIP-1153): read transient storage."""

    # STACK
    key = evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_TLOAD
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    evm.stack.append(evm.ctx.state.get_transient(evm.address, key))
    # PROGRAM COUNTER
    evm.pc += 1


def tstore(evm: Frame) -> None:
    """TSTORE (EIP-1153): write transient storage."""

    # STACK
    stack = evm.stack
    key = stack.pop()
    value = stack.pop()
    # GAS
    evm.gas_left -= GAS_TSTORE
    if evm.gas_left < 0:
        raise OutOfGasError
    if evm.is_static:
        raise WriteInStaticContext
    # OPERATION
    evm.ctx.state.set_transient(evm.address, key, value)
    # PROGRAM COUNTER
    evm.pc += 1
