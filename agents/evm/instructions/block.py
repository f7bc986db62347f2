"""Block opcodes: BLOCKHASH, COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, CHAINID."""

from __future__ import annotations

from agents.evm.exceptions import OutOfGasError
from agents.evm.gas import GAS_BASE, GAS_BLOCK_HASH
from agents.evm.instructions.environment import _push_constant
from agents.evm.vm import Frame


def block_hash(evm: Frame) -> None:
    """BLOCKHASH: hash of one of the 256 most recent blocks, else 0."""

    # STACK
    number = evm.stack.pop()
    # GAS
    evm.gas_left -= GAS_BLOCK_HASH
    if evm.gas_left < 0:
        raise OutOfGasError
    # OPERATION
    block = evm.ctx.block
    current = block.number
    if number >= current or number + 256 < current or block.block_hashes is None:
        result = 0
    else:
        result = int.from_bytes(block.block_hashes(number), "big")
    evm.stack.append(result)
    # PROGRAM COUNTER
    evm.pc += 1


def coinbase(evm: Frame) -> None:
    """COINBASE: the block's beneficiary."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, int.from_bytes(evm.ctx.block.coinbase, "big"), GAS_BASE)


def timestamp(evm: Frame) -> None:
    """TIMESTAMP: the block's timestamp."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.block.timestamp, GAS_BASE)


def number(evm: Frame) -> None:
    """NUMBER: the block number."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.block.number, GAS_BASE)


def prev_randao(evm: Frame) -> None:
    """PREVRANDAO (EIP-4399): the beacon chain randomness."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, int.from_bytes(evm.ctx.block.prev_randao, "big"), GAS_BASE)


def gas_limit(evm: Frame) -> None:
    """GASLIMIT: the block gas limit."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.block.gas_limit, GAS_BASE)


def chain_id(evm: Frame) -> None:
    """CHAINID (EIP-1344): the chain id."""

    # STACK / GAS / OPERATION / PROGRAM COUNTER
    _push_constant(evm, evm.ctx.block.chain_id, GAS_BASE)
