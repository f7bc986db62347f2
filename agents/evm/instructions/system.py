"""System opcodes: CREATE, CALL, CALLCODE, RETURN, DELEGATECALL, CREATE2, STATICCALL,
REVERT, INVALID, SELFDESTRUCT (EIP-6780)."""

from __future__ import annotations

from sha3 import keccak_256

from agents.evm import rlp
from agents.evm.exceptions import (
    Halt,
    InvalidOpcode,
    OutOfGasError,
    Revert,
    WriteInStaticContext,
)
from agents.evm.gas import (
    GAS_CALL_VALUE,
    GAS_COLD_ACCOUNT_ACCESS,
    GAS_CREATE,
    GAS_KECCAK256_WORD,
    GAS_NEW_ACCOUNT,
    GAS_SELF_DESTRUCT,
    GAS_SELF_DESTRUCT_NEW_ACCOUNT,
    GAS_WARM_ACCESS,
    MAX_INIT_CODE_SIZE,
    STACK_DEPTH_LIMIT,
    calculate_message_call_gas,
    init_code_cost,
    max_message_call_gas,
)
from agents.evm.instructions.common import (
    expand_memory,
    memory_extension_cost2,
    memory_read,
    to_address,
)
from agents.evm.vm import Frame

NONCE_LIMIT = 2**64 - 1


def compute_contract_address(sender: bytes, nonce: int) -> bytes:
    """CREATE address: keccak(rlp([sender, nonce]))[12:]."""
    return keccak_256(rlp.encode([sender, nonce])).digest()[12:]


def compute_create2_address(sender: bytes, salt: int, init_code: bytes) -> bytes:
    """CREATE2 address (EIP-1014)."""
    preimage = b"\xff" + sender + salt.to_bytes(32, "big") + keccak_256(init_code).digest()
    return keccak_256(preimage).digest()[12:]


def _generic_create(
    evm: Frame, endowment: int, contract_address: bytes, memory_start: int, memory_size: int
) -> None:
    from agents.evm.interpreter import process_create_message

    state = evm.ctx.state
    init_code = memory_read(evm.memory, memory_start, memory_size)
    if len(init_code) > MAX_INIT_CODE_SIZE:
        raise OutOfGasError
    state.warm_address(contract_address)
    create_gas = max_message_call_gas(evm.gas_left)
    evm.gas_left -= create_gas
    if evm.is_static:
        raise WriteInStaticContext
    evm.return_data = b""
    sender = state.get_or_empty(evm.address)
    if (
        sender.balance < endowment
        or sender.nonce >= NONCE_LIMIT
        or evm.depth + 1 > STACK_DEPTH_LIMIT
    ):
        evm.gas_left += create_gas
        evm.stack.append(0)
        return
    if state.has_collision(contract_address):
        state.increment_nonce(evm.address)
        evm.stack.append(0)
        return
    state.increment_nonce(evm.address)
    child = Frame(
        code=init_code,
        gas_left=create_gas,
        caller=evm.address,
        address=contract_address,
        code_address=None,
        value=endowment,
        calldata=b"",
        depth=evm.depth + 1,
        is_static=False,
        is_create=True,
        ctx=evm.ctx,
    )
    process_create_message(child)
    evm.gas_left += child.gas_left
    if child.error is not None:
        evm.return_data = child.output
        evm.stack.append(0)
    else:
        evm.logs.extend(child.logs)
        evm.refund_counter += child.refund_counter
        evm.return_data = b""
        evm.stack.append(int.from_bytes(contract_address, "big"))


def create(evm: Frame) -> None:
    """CREATE: deploy a contract at keccak(rlp([sender, nonce]))[12:]."""

    # STACK
    stack = evm.stack
    endowment = stack.pop()
    memory_start = stack.pop()
    memory_size = stack.pop()
    # GAS
    evm.gas_left -= GAS_CREATE + init_code_cost(memory_size)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, memory_size)
    # OPERATION
    nonce = evm.ctx.state.get_or_empty(evm.address).nonce
    contract_address = compute_contract_address(evm.address, nonce)
    _generic_create(evm, endowment, contract_address, memory_start, memory_size)
    # PROGRAM COUNTER
    evm.pc += 1


def create2(evm: Frame) -> None:
    """CREATE2 (EIP-1014): deploy a contract at a salt-determined address."""

    # STACK
    stack = evm.stack
    endowment = stack.pop()
    memory_start = stack.pop()
    memory_size = stack.pop()
    salt = stack.pop()
    # GAS
    words = (memory_size + 31) >> 5
    evm.gas_left -= GAS_CREATE + GAS_KECCAK256_WORD * words + init_code_cost(memory_size)
    if evm.gas_left < 0:
        raise OutOfGasError
    expand_memory(evm, memory_start, memory_size)
    # OPERATION
    init_code = memory_read(evm.memory, memory_start, memory_size)
    contract_address = compute_create2_address(evm.address, salt, init_code)
    _generic_create(evm, endowment, contract_address, memory_start, memory_size)
    # PROGRAM COUNTER
    evm.pc += 1


def _generic_call(
    evm: Frame,
    gas: int,
    value: int,
    caller: bytes,
    to: bytes,
    code_address: bytes,
    should_transfer_value: bool,
    is_staticcall: bool,
    in_start: int,
    in_size: int,
    out_start: int,
    out_size: int,
) -> None:
    from agents.evm.interpreter import process_message

    evm.return_data = b""
    if evm.depth + 1 > STACK_DEPTH_LIMIT:
        evm.gas_left += gas
        evm.stack.append(0)
        return
    calldata = memory_read(evm.memory, in_start, in_size)
    child = Frame(
        code=evm.ctx.state.get_code(code_address),
        gas_left=gas,
        caller=caller,
        address=to,
        code_address=code_address,
        value=value,
        calldata=calldata,
        depth=evm.depth + 1,
        is_static=is_staticcall or evm.is_static,
        is_create=False,
        ctx=evm.ctx,
        should_transfer_value=should_transfer_value,
    )
    process_message(child)
    evm.gas_left += child.gas_left
    if child.error is not None:
        evm.stack.append(0)
    else:
        evm.logs.extend(child.logs)
        evm.refund_counter += child.refund_counter
        evm.stack.append(1)
    output = child.output
    evm.return_data = output
    if out_size and output:
        n = min(out_size, len(output))
        evm.memory[out_start : out_start + n] = output[:n]


def _call_memory(evm: Frame, in_start: int, in_size: int, out_start: int, out_size: int) -> int:
    cost, new_size = memory_extension_cost2(len(evm.memory), in_start, in_size, out_start, out_size)
    return cost


def _grow(evm: Frame, in_start: int, in_size: int, out_start: int, out_size: int) -> None:
    _, new_size = memory_extension_cost2(len(evm.memory), in_start, in_size, out_start, out_size)
    if new_size > len(evm.memory):
        evm.memory.extend(bytes(new_size - len(evm.memory)))


def call(evm: Frame) -> None:
    """CALL: message call with value transfer."""

    # STACK
    stack = evm.stack
    gas = stack.pop()
    to = to_address(stack.pop())
    value = stack.pop()
    in_start = stack.pop()
    in_size = stack.pop()
    out_start = stack.pop()
    out_size = stack.pop()
    # GAS
    state = evm.ctx.state
    memory_cost_ = _call_memory(evm, in_start, in_size, out_start, out_size)
    access = GAS_WARM_ACCESS if state.warm_address(to) else GAS_COLD_ACCOUNT_ACCESS
    create_cost = 0 if value == 0 or state.is_alive(to) else GAS_NEW_ACCOUNT
    transfer_cost = 0 if value == 0 else GAS_CALL_VALUE
    cost, child_gas = calculate_message_call_gas(
        value, gas, evm.gas_left, memory_cost_, access + create_cost + transfer_cost
    )
    evm.gas_left -= cost + memory_cost_
    if evm.gas_left < 0:
        raise OutOfGasError
    if evm.is_static and value != 0:
        raise WriteInStaticContext
    _grow(evm, in_start, in_size, out_start, out_size)
    # OPERATION
    if state.get_balance(evm.address) < value:
        stack.append(0)
        evm.return_data = b""
        evm.gas_left += child_gas
    else:
        _generic_call(
            evm, child_gas, value, evm.address, to, to, True, False,
            in_start, in_size, out_start, out_size,
        )  # fmt: skip
    # PROGRAM COUNTER
    evm.pc += 1


def callcode(evm: Frame) -> None:
    """CALLCODE: run another account's code in this account's context, with value."""

    # STACK
    stack = evm.stack
    gas = stack.pop()
    code_address = to_address(stack.pop())
    value = stack.pop()
    in_start = stack.pop()
    in_size = stack.pop()
    out_start = stack.pop()
    out_size = stack.pop()
    # GAS
    state = evm.ctx.state
    memory_cost_ = _call_memory(evm, in_start, in_size, out_start, out_size)
    access = GAS_WARM_ACCESS if state.warm_address(code_address) else GAS_COLD_ACCOUNT_ACCESS
    transfer_cost = 0 if value == 0 else GAS_CALL_VALUE
    cost, child_gas = calculate_message_call_gas(
        value, gas, evm.gas_left, memory_cost_, access + transfer_cost
    )
    evm.gas_left -= cost + memory_cost_
    if evm.gas_left < 0:
        raise OutOfGasError
    _grow(evm, in_start, in_size, out_start, out_size)
    # OPERATION
    if state.get_balance(evm.address) < value:
        stack.append(0)
        evm.return_data = b""
        evm.gas_left += child_gas
    else:
        _generic_call(
            evm, child_gas, value, evm.address, evm.address, code_address, True, False,
            in_start, in_size, out_start, out_size,
        )  # fmt: skip
    # PROGRAM COUNTER
    evm.pc += 1


def delegatecall(evm: Frame) -> None:
    """DELEGATECALL (EIP-7): run another account's code keeping caller and value."""

    # STACK
    stack = evm.stack
    gas = stack.pop()
    code_address = to_address(stack.pop())
    in_start = stack.pop()
    in_size = stack.pop()
    out_start = stack.pop()
    out_size = stack.pop()
    # GAS
    state = evm.ctx.state
    memory_cost_ = _call_memory(evm, in_start, in_size, out_start, out_size)
    access = GAS_WARM_ACCESS if state.warm_address(code_address) else GAS_COLD_ACCOUNT_ACCESS
    cost, child_gas = calculate_message_call_gas(0, gas, evm.gas_left, memory_cost_, access)
    evm.gas_left -= cost + memory_cost_
    if evm.gas_left < 0:
        raise OutOfGasError
    _grow(evm, in_start, in_size, out_start, out_size)
    # OPERATION
    _generic_call(
        evm, child_gas, evm.value, evm.caller, evm.address, code_address, False, False,
        in_start, in_size, out_start, out_size,
    )  # fmt: skip
    # PROGRAM COUNTER
    evm.pc += 1


def staticcall(evm: Frame) -> None:
    """STATICCALL (EIP-214): message call that may not modify state."""

    # STACK
    stack = evm.stack
    gas = stack.pop()
    to = to_address(stack.pop())
    in_start = stack.pop()
    in_size = stack.pop()
    out_start = stack.pop()
    out_size = stack.pop()
    # GAS
    state = evm.ctx.state
    memory_cost_ = _call_memory(evm, in_start, in_size, out_start, out_size)
    access = GAS_WARM_ACCESS if state.warm_address(to) else GAS_COLD_ACCOUNT_ACCESS
    cost, child_gas = calculate_message_call_gas(0, gas, evm.gas_left, memory_cost_, access)
    evm.gas_left -= cost + memory_cost_
    if evm.gas_left < 0:
        raise OutOfGasError
    _grow(evm, in_start, in_size, out_start, out_size)
    # OPERATION
    _generic_call(
        evm, child_gas, 0, evm.address, to, to, True, True,
        in_start, in_size, out_start, out_size,
    )  # fmt: skip
    # PROGRAM COUNTER
    evm.pc += 1


def return_(evm: Frame) -> None:
    """RETURN: halt successfully with ``memory[start:start + size]`` as output."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    size = stack.pop()
    # GAS
    expand_memory(evm, start, size)
    # OPERATION
    evm.output = memory_read(evm.memory, start, size)
    evm.running = False
    # PROGRAM COUNTER: unchanged (execution stops)
    raise Halt


def revert(evm: Frame) -> None:
    """REVERT (EIP-140): undo this frame's changes, keep its remaining gas, return data."""

    # STACK
    stack = evm.stack
    start = stack.pop()
    size = stack.pop()
    # GAS
    expand_memory(evm, start, size)
    # OPERATION
    evm.output = memory_read(evm.memory, start, size)
    raise Revert
    # PROGRAM COUNTER: unreachable


def invalid(evm: Frame) -> None:
    """INVALID (0xFE) and every undefined opcode: exceptional halt."""

    # OPERATION
    raise InvalidOpcode


def selfdestruct(evm: Frame) -> None:
    """SELFDESTRUCT (EIP-6780): send all ether to the beneficiary.

    The account itself is deleted only if it was created in this transaction.
    """

    # STACK
    beneficiary = to_address(evm.stack.pop())
    # GAS
    state = evm.ctx.state
    cost = GAS_SELF_DESTRUCT
    if not state.warm_address(beneficiary):
        cost += GAS_COLD_ACCOUNT_ACCESS
    if not state.is_alive(beneficiary) and state.get_balance(evm.address) != 0:
        cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    evm.gas_left -= cost
    if evm.gas_left < 0:
        raise OutOfGasError
    if evm.is_static:
        raise WriteInStaticContext
    # OPERATION
    originator = evm.address
    originator_balance = state.get_balance(originator)
    state.move_ether(originator, beneficiary, originator_balance)
    if originator in state.created:
        # EIP-6780: only accounts created in this transaction are really destroyed;
        # a self-beneficiary's ether is burnt.
        state.set_balance(originator, 0)
        state.mark_destroyed(originator)
    if state.exists_and_empty(beneficiary):
        state.mark_touched(beneficiary)
    evm.running = False
    # PROGRAM COUNTER
    evm.pc += 1
    raise Halt
