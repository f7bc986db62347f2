"""Environment opcodes (0x30-0x3f, 0x47, 0x48, 0x49, 0x4a): who, what, how much."""

from __future__ import annotations

from sha3 import keccak_256

from agents.evm.exceptions import OutOfBoundsRead, OutOfGasError, StackOverflowError
from agents.evm.gas import (
    GAS_BASE,
    GAS_BASE_FEE,
    GAS_BLOBHASH_OPCODE,
    GAS_COLD_ACCOUNT_ACCESS,
    GAS_COPY,
    GAS_RETURN_DATA_COPY,
    GAS_SELF_BALANCE,
    GAS_VERY_LOW,
    GAS_WARM_ACCESS,
    STACK_LIMIT,
    blob_gas_price,
)
from agents.evm.instructions.common import expand_memory, pad_slice, to_address
from agents.evm.vm import Frame


def _push_constant(evm: Frame, value: int, gas: int) -> None:
    stack = evm.stack
    if len(stack) >= STACK_LIMIT:
        raise StackOverflowError
    evm.gas_left -= gas
    if evm.gas_left < 0:
        raise OutOfGasError
    stack.append(value)
    evm.pc += 1


def address(evm: Frame) -> None:
    """ADDRESS: the executing account."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, int.from_bytes(evm.address, "big"), GAS_BASE)


def balance(evm: Frame) -> None:
    """BALANCE: balance of an account (EIP-2929 warm/cold)."""

    # STACK
    target = to_address(evm.stack.pop())
    # GAS
    state = evm.ctx.state
    cost = GAS_WARM_ACCESS if state.warm_address(target) else GAS_COLD_ACCOUNT_ACCESS
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    evm.stack.append(state.get_balance(target))
    # PROGRAM COUNTER
    evm.pc += 1


def origin(evm: Frame) -> None:
    """ORIGIN: the transaction sender."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, int.from_bytes(evm.ctx.tx.origin, "big"), GAS_BASE)


def caller(evm: Frame) -> None:
    """CALLER: the account that made this call."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, int.from_bytes(evm.caller, "big"), GAS_BASE)


def callvalue(evm: Frame) -> None:
    """CALLVALUE: wei sent with this call."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.value, GAS_BASE)


def calldataload(evm: Frame) -> None:
    """CALLDATALOAD: 32 bytes of calldata from ``start``, zero-padded."""

    # STACK
    start = evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    evm.stack.append(int.from_bytes(pad_slice(evm.calldata, start, 32), "big"))
    # PROGRAM COUNTER
    evm.pc += 1


def calldatasize(evm: Frame) -> None:
    """CALLDATASIZE: length of the calldata."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, len(evm.calldata), GAS_BASE)


def calldatacopy(evm: Frame) -> None:
    """CALLDATACOPY: copy calldata (zero-padded) to memory."""

    # STACK
    stack = evm.stack
    memory_start = stack.pop()
    data_start = stack.pop()
    size = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW + GAS_COPY * ((size + 31) >> 5)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, size)
    # OPERATION
    if size:
        evm.memory[memory_start : memory_start + size] = pad_slice(evm.calldata, data_start, size)
    # PROGRAM COUNTER
    evm.pc += 1


def codesize(evm: Frame) -> None:
    """CODESIZE: length of the executing code."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, len(evm.code), GAS_BASE)


def codecopy(evm: Frame) -> None:
    """CODECOPY: copy the executing code (zero-padded) to memory."""

    # STACK
    stack = evm.stack
    memory_start = stack.pop()
    code_start = stack.pop()
    size = stack.pop()
    # GAS
    evm.gas_left -= GAS_VERY_LOW + GAS_COPY * ((size + 31) >> 5)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, size)
    # OPERATION
    if size:
        evm.memory[memory_start : memory_start + size] = pad_slice(evm.code, code_start, size)
    # PROGRAM COUNTER
    evm.pc += 1


def gasprice(evm: Frame) -> None:
    """GASPRICE: the transaction's effective gas price."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.tx.gas_price, GAS_BASE)


def extcodesize(evm: Frame) -> None:
    """EXTCODESIZE: code length of an account (EIP-2929 warm/cold)."""

    # STACK
    target = to_address(evm.stack.pop())
    # GAS
    state = evm.ctx.state
    cost = GAS_WARM_ACCESS if state.warm_address(target) else GAS_COLD_ACCOUNT_ACCESS
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    evm.stack.append(len(state.get_code(target)))
    # PROGRAM COUNTER
    evm.pc += 1


def extcodecopy(evm: Frame) -> None:
    """EXTCODECOPY: copy an account's code to memory (EIP-2929 warm/cold)."""

    # STACK
    stack = evm.stack
    target = to_address(stack.pop())
    memory_start = stack.pop()
    code_start = stack.pop()
    size = stack.pop()
    # GAS
    state = evm.ctx.state
    access = GAS_WARM_ACCESS if state.warm_address(target) else GAS_COLD_ACCOUNT_ACCESS
    evm.gas_left -= access + GAS_COPY * ((size + 31) >> 5)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, size)
    # OPERATION
    if size:
        code = state.get_code(target)
        evm.memory[memory_start : memory_start + size] = pad_slice(code, code_start, size)
    # PROGRAM COUNTER
    evm.pc += 1


def returndatasize(evm: Frame) -> None:
    """RETURNDATASIZE (EIP-211): length of the last call's return data."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, len(evm.return_data), GAS_BASE)


def returndatacopy(evm: Frame) -> None:
    """RETURNDATACOPY (EIP-211): copy return data; reading past its end halts."""

    # STACK
    stack = evm.stack
    memory_start = stack.pop()
    data_start = stack.pop()
    size = stack.pop()
    # GAS
    evm.gas_left -= GAS_RETURN_DATA_COPY + GAS_COPY * ((size + 31) >> 5)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, size)
    # OPERATION
    if data_start + size > len(evm.return_data):
        raise OutOfBoundsRead
    if size:
        evm.memory[memory_start : memory_start + size] = evm.return_data[
            data_start : data_start + size
        ]
    # PROGRAM COUNTER
    evm.pc += 1


def extcodehash(evm: Frame) -> None:
    """EXTCODEHASH (EIP-1052): code hash of an account, 0 if it is empty or absent."""

    # STACK
    target = to_address(evm.stack.pop())
    # GAS
    state = evm.ctx.state
    cost = GAS_WARM_ACCESS if state.warm_address(target) else GAS_COLD_ACCOUNT_ACCESS
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    acct = state.get_account(target)
    if acct is None or acct.is_empty():
        result = 0
    else:
        result = int.from_bytes(acct.code_hash, "big")
    evm.stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1


def self_balance(evm: Frame) -> None:
    """SELFBALANCE (EIP-1884): balance of the executing account."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.state.get_balance(evm.address), GAS_SELF_BALANCE)


def base_fee(evm: Frame) -> None:
    """BASEFEE (EIP-3198): the block's base fee."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.block.base_fee, GAS_BASE_FEE)


def blob_hash(evm: Frame) -> None:
    """BLOBHASH (EIP-4844): the transaction's i-th blob versioned hash, or 0."""

    # STACK
    index = evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_BLOBHASH_OPCODE
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    hashes = evm.ctx.tx.blob_versioned_hashes
    evm.stack.append(int.from_bytes(hashes[index], "big") if index < len(hashes) else 0)
    # PROGRAM COUNTER
    evm.pc += 1


def blob_base_fee(evm: Frame) -> None:
    """BLOBBASEFEE (EIP-7516): the block's blob base fee."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, blob_gas_price(evm.ctx.block.excess_blob_gas), GAS_BASE)


def code_hash(code: bytes) -> bytes:
    """keccak256 of ``code`` (helper for callers outside the opcode table)."""
    return keccak_256(code).digest()
