"""Execution-state dataclasses shared by the interpreter and the opcode implementations.

* :class:`BlockEnv` - the block an transaction runs in (read by block opcodes).
* :class:`TxEnv` - per-transaction constants (origin, effective gas price, blob hashes).
* :class:`Frame` - one call frame: code, pc, gas, stack, memory, calldata, return data,
  caller / address / value, depth, static flag, logs and refund counter.
* :class:`Context` - everything of one transaction: state, environments, the stack of
  active frames (``frames[-1]`` is running, the others are suspended) and the optional
  per-step hook used by trace mode.

Data lives here; behaviour lives in :mod:`agents.evm.interpreter` and
:mod:`agents.evm.instructions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agents.evm.state import State

Address = bytes
Log = tuple[bytes, tuple[bytes, ...], bytes]
StepHook = Callable[["Frame", int], None]
ExitHook = Callable[["Frame"], None]


@dataclass(slots=True)
class BlockEnv:
    """Block-level values visible to the EVM, plus fee routing."""

    coinbase: bytes = b"\x00" * 20
    number: int = 0
    timestamp: int = 0
    gas_limit: int = 30_000_000
    prev_randao: bytes = b"\x00" * 32
    base_fee: int = 0
    excess_blob_gas: int = 0
    chain_id: int = 1
    block_hashes: Callable[[int], bytes] | None = None
    # Where the base fee goes; ``None`` burns it (Ethereum). The priority fee goes to
    # ``priority_fee_recipient`` or, when ``None``, to ``coinbase``.
    base_fee_recipient: bytes | None = None
    priority_fee_recipient: bytes | None = None


@dataclass(slots=True)
class TxEnv:
    """Per-transaction values visible to the EVM."""

    origin: bytes
    gas_price: int
    blob_versioned_hashes: tuple[bytes, ...] = ()


@dataclass(slots=True, eq=False)
class Frame:
    """One call frame (execution-specs' ``Evm``)."""

    code: bytes
    gas_left: int
    caller: bytes
    address: bytes  # current target: whose storage / balance this frame acts on
    code_address: bytes | None
    value: int
    calldata: bytes
    depth: int
    is_static: bool
    is_create: bool
    ctx: Context
    pc: int = 0
    stack: list[int] = field(default_factory=list)
    memory: bytearray = field(default_factory=bytearray)
    return_data: bytes = b""
    output: bytes = b""
    running: bool = True
    error: Exception | None = None
    logs: list[Log] = field(default_factory=list)
    refund_counter: int = 0
    jumpdests: frozenset[int] = frozenset()
    push_values: list[int] = field(default_factory=list)
    should_transfer_value: bool = True


@dataclass(slots=True, eq=False)
class Context:
    """Everything one transaction's execution needs."""

    state: State
    block: BlockEnv
    tx: TxEnv
    frames: list[Frame] = field(default_factory=list)
    step_hook: StepHook | None = None
    exit_hook: ExitHook | None = None
