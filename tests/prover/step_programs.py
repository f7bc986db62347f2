"""Small EVM programs and their traces, shared by the one-step prover tests, the golden
vector generator (``tests/vectors/generate_step_vectors.py``) and the gas benchmark.

:func:`assemble` turns mnemonics and ``push(value)`` items into bytecode;
:func:`trace_program` installs a program as the code of :data:`TARGET` (with the given
storage) in a fresh :class:`~agents.evm.store.MerkleStore` and traces one call to it
from :data:`SENDER`, keeping the replay inputs :func:`~agents.evm.trace_proof.prove_step`
needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sha3 import keccak_256

from agents.evm.backend import Account, StateDiff
from agents.evm.instructions import OPCODE_NAMES
from agents.evm.interpreter import run_in_big_stack
from agents.evm.store import MerkleStore
from agents.evm.trace import Trace, trace_transaction
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv

SENDER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("aa" * 20)
TRACE_CONTEXT = b"\x07" * 32
BLOCK = BlockEnv(
    coinbase=bytes.fromhex("c0" * 20),
    number=77,
    timestamp=1_700_000_000,
    prev_randao=b"\x5a" * 32,
    base_fee=7,
    chain_id=900001,
    block_hashes=lambda number: keccak_256(b"block %d" % number).digest(),
)
OPCODES = {name: code for code, name in OPCODE_NAMES.items()}


@dataclass(frozen=True)
class Push:
    """A PUSH of ``value``: the shortest PUSHn, or PUSH``width`` when given."""

    value: int
    width: int | None = None


def push(value: int, width: int | None = None) -> Push:
    return Push(value, width)


def assemble(items: list[str | int | Push]) -> bytes:
    """Bytecode of mnemonics (``"ADD"``), raw bytes (ints) and :class:`Push` items."""
    out = bytearray()
    for item in items:
        if isinstance(item, Push):
            width = item.width if item.width is not None else (item.value.bit_length() + 7) // 8
            if width == 0:
                out.append(0x5F)
            else:
                out.append(0x5F + width)
                out += item.value.to_bytes(width, "big")
        elif isinstance(item, str):
            out.append(OPCODES[item])
        else:
            out.append(item)
    return bytes(out)


@contextmanager
def trace_program(
    code: bytes,
    directory: Path,
    *,
    calldata: bytes = b"",
    storage: dict[int, int] | None = None,
    gas_limit: int = 1_000_000,
    value: int = 0,
    blob_hashes: tuple[bytes, ...] = (),
) -> Iterator[Trace]:
    """Trace one call of ``code`` (installed at :data:`TARGET`) as transaction 1."""
    store = MerkleStore(directory)
    try:
        diff = StateDiff()
        diff.accounts[SENDER] = Account(0, 10**20)
        code_hash = keccak_256(code).digest()
        diff.accounts[TARGET] = Account(1, 5, code_hash)
        diff.codes[code_hash] = code
        if storage:
            diff.storage[TARGET] = dict(storage)
        store.apply(diff)
        pre_root = store.state_root()
        if blob_hashes:  # an EIP-4844 transaction (BLOBHASH answers from its hashes)
            tx = Transaction(
                tx_type=3, chain_id=BLOCK.chain_id, nonce=0, gas_limit=gas_limit, to=TARGET,
                data=calldata, value=value, max_fee_per_gas=20, max_priority_fee_per_gas=2,
                max_fee_per_blob_gas=10, blob_versioned_hashes=blob_hashes,
            )  # fmt: skip
        else:
            tx = Transaction(
                nonce=0, gas_limit=gas_limit, to=TARGET, gas_price=9, data=calldata, value=value
            )
        trace = run_in_big_stack(
            lambda: trace_transaction(
                store,
                BLOCK,
                tx,
                SENDER,
                trace_context=TRACE_CONTEXT,
                tx_index=1,
                backend_factory=lambda: store.at_root(pre_root),
            )  # fmt: skip
        )
        yield trace
    finally:
        store.close()
