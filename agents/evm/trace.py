"""Trace mode: a machine-state commitment after every step, from the fast interpreter.

:func:`trace_transaction` runs :func:`~agents.evm.processing.apply_transaction` - the
very code path of fast mode - with the interpreter's step and exit hooks set, and turns
what the hooks see into the step sequence of ``docs/commitment.md``: one step per
instruction, plus the bounded sub-steps of long operations (sponge blocks of KECCAK256
and LOG data over 1088 bytes, one copy sub-step per destination word of *COPY / MCOPY
and of call output, code-build chunks of CREATE init code, deployed code and creation
transactions, call/create entry, frame exit, and the transaction start/end stages).

Everything is incremental: the stack hash chain pops and pushes only the items an
instruction consumed and produced (:data:`STACK_POPS`), the memory word tree rehashes
only the words the previous instruction wrote (derived from its opcode and operands),
and the world/transaction-context roots are re-read only for the journal entries that
changed (:mod:`agents.evm.trace_world`). The hooks see pre-instruction states, so each
instruction's post-state is committed when the next hook (or the frame's exit hook, or
the end of the transaction) fires; see ``docs/trace-mode.md`` for the places where an
intermediate sub-step state is an approximation.

Proof data for a single step is produced by replaying the transaction up to that step
(:func:`prove_step`, module :mod:`agents.evm.trace_proof`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sha3 import keccak_256

from agents.evm.backend import StateBackend
from agents.evm.commitment import (
    CALL_KIND_CALL,
    CALL_KIND_CALLCODE,
    CALL_KIND_CREATE,
    CALL_KIND_CREATE2,
    CALL_KIND_DELEGATECALL,
    CALL_KIND_STATICCALL,
    CALL_KIND_TX,
    CALL_KIND_TX_CREATE,
    EXIT_HALT,
    EXIT_REVERT,
    EXIT_SUCCESS,
    KECCAK_FOR_LOG,
    KECCAK_FOR_STACK,
    KECCAK_RATE,
    PENDING_CALL,
    PENDING_CODE_BUILD,
    PENDING_COPY_BYTES,
    PENDING_COPY_CODE,
    PENDING_CREATE,
    PENDING_EXIT,
    PENDING_KECCAK,
    PHASE_RUNNING,
    PHASE_TX_END,
    PHASE_TX_START,
    SINGLE_STEP_KECCAK_MAX_BYTES,
    ZERO_WORD,
    ByteView,
    FrameContext,
    KeccakSponge,
    MemoryTree,
    MerkleBuilder,
    PendingCall,
    PendingCodeBuild,
    PendingCopy,
    PendingCreate,
    PendingExit,
    PendingKeccak,
    StackCommitment,
    TxEnv,
    copy_plan,
    hash_words,
    log_entry_hash,
    log_header_hash,
    merkle_root,
    revert_snapshot,
    trace_end_state,
    trace_start_state,
    tx_locator,
    u256,
    view_of_bytes,
)
from agents.evm.exceptions import InvalidTransaction, Revert
from agents.evm.gas import blob_gas_price
from agents.evm.instructions import OPCODE_NAMES
from agents.evm.processing import TxResult, apply_transaction
from agents.evm.state import State
from agents.evm.trace_world import WorldMirror, code_commitment_of, new_world_mirror
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv
from agents.evm.vm import Frame as EvmFrame

# ------------------------------------------------------------------ step kinds

U256 = 1 << 256
KIND_MASK = 0x1FF
PC_SHIFT = 9
PC_MASK = (1 << 32) - 1
DEPTH_SHIFT = 41
"""A step's (depth, pc, kind) are packed into one int: ``(depth + 1) << 41 | pc << 9 | kind``."""

KIND_TX_START = 0x100
"""Sub-step kinds are >= 0x100 (instruction steps use the opcode byte)."""
KIND_CALL_ENTRY = 0x101
KIND_FRAME_EXIT = 0x102
KIND_COPY_WORD = 0x103
KIND_KECCAK_BLOCK = 0x104
KIND_CODE_BUILD = 0x105
KIND_TX_END = 0x106
KIND_NO_CODE_STOP = 0x107
KIND_INVALID_TX = 0x108

SUB_STEP_NAMES = {
    KIND_TX_START: "TX_START",
    KIND_CALL_ENTRY: "CALL_ENTRY",
    KIND_FRAME_EXIT: "FRAME_EXIT",
    KIND_COPY_WORD: "COPY_WORD",
    KIND_KECCAK_BLOCK: "KECCAK_BLOCK",
    KIND_CODE_BUILD: "CODE_BUILD",
    KIND_TX_END: "TX_END",
    KIND_NO_CODE_STOP: "STOP(no code)",
    KIND_INVALID_TX: "INVALID_TX",
}

TX_START_LOAD, TX_START_SIGHASH, TX_START_SIGNATURE, TX_START_VALIDITY = 1, 2, 3, 4
TX_START_INTRINSIC, TX_START_BUY_GAS, TX_START_WARM, TX_START_BUILD, TX_START_ENTER = 5, 6, 7, 8, 9
TX_END_REFUND, TX_END_FEES, TX_END_DESTRUCT, TX_END_TOUCHED = 1, 2, 3, 4

# Items each opcode removes from the top of the stack (the hash chain pops these and
# then pushes whatever the instruction left above them).
STACK_POPS = [0] * 256
for _op, _n in {
    0x01: 2, 0x02: 2, 0x03: 2, 0x04: 2, 0x05: 2, 0x06: 2, 0x07: 2, 0x08: 3, 0x09: 3,
    0x0A: 2, 0x0B: 2, 0x10: 2, 0x11: 2, 0x12: 2, 0x13: 2, 0x14: 2, 0x15: 1, 0x16: 2,
    0x17: 2, 0x18: 2, 0x19: 1, 0x1A: 2, 0x1B: 2, 0x1C: 2, 0x1D: 2, 0x20: 2, 0x31: 1,
    0x35: 1, 0x37: 3, 0x39: 3, 0x3B: 1, 0x3C: 4, 0x3E: 3, 0x3F: 1, 0x40: 1, 0x49: 1,
    0x50: 1, 0x51: 1, 0x52: 2, 0x53: 2, 0x54: 1, 0x55: 2, 0x56: 1, 0x57: 2, 0x5C: 1,
    0x5D: 2, 0x5E: 3, 0xF0: 3, 0xF1: 7, 0xF2: 7, 0xF3: 2, 0xF4: 6, 0xF5: 4, 0xFA: 6,
    0xFD: 2, 0xFF: 1,
}.items():  # fmt: skip
    STACK_POPS[_op] = _n
for _n in range(1, 17):
    STACK_POPS[0x8F + _n] = _n + 1
for _n in range(5):
    STACK_POPS[0xA0 + _n] = _n + 2

CALL_OPCODES = {
    0xF1: CALL_KIND_CALL,
    0xF2: CALL_KIND_CALLCODE,
    0xF4: CALL_KIND_DELEGATECALL,
    0xFA: CALL_KIND_STATICCALL,
}
CREATE_OPCODES = {0xF0: CALL_KIND_CREATE, 0xF5: CALL_KIND_CREATE2}
COPY_OPCODES = {0x37, 0x39, 0x3C, 0x3E, 0x5E}
# Opcodes whose operands the trace must remember from the pre-instruction hook.
NEEDS_OPERANDS = (
    {0x20, 0x52, 0x53, 0xF3, 0xFD, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4}
    | COPY_OPCODES
    | set(CALL_OPCODES)
    | set(CREATE_OPCODES)
)
# Opcodes after which refunds, logs or access sets may have changed without a journal
# entry (the refund counter and logs live on the frames).
CONTEXT_OPCODES = {0x55, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4}


# Instructions whose post-state the hook commits inline when the journal did not move:
# no memory write, no sub-steps, no frame change, no refund/log change.
FAST_FINISH = bytearray(256)
for _op in range(256):
    if (
        _op in OPCODE_NAMES
        and _op not in NEEDS_OPERANDS
        and _op not in CONTEXT_OPCODES
        and _op not in (0x00, 0xFE, 0xFF)
    ):
        FAST_FINISH[_op] = 1


NEEDS_OPERANDS_TABLE = bytearray(256)
for _op in NEEDS_OPERANDS:
    NEEDS_OPERANDS_TABLE[_op] = 1

_SMALL_WORDS = 1 << 15
_WORDS = [_n.to_bytes(32, "big") for _n in range(_SMALL_WORDS)]
"""32-byte words of small integers (pcs, stack heights, memory sizes) without ``to_bytes``."""


def kind_name(kind: int) -> str:
    """Mnemonic of an instruction step or name of a sub-step kind."""
    if kind < 0x100:
        return OPCODE_NAMES.get(kind, f"INVALID(0x{kind:02x})")
    return SUB_STEP_NAMES[kind]


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class TraceStep:
    """Step ``index`` (0-based) takes state ``index`` to state ``index + 1``."""

    index: int
    pc: int
    kind: int
    machine_state_hash: bytes
    depth: int

    @property
    def name(self) -> str:
        return kind_name(self.kind)


@dataclass(slots=True)
class TraceInputs:
    """What is needed to replay the transaction (for per-step proof data)."""

    backend_factory: Callable[[], StateBackend]
    block: BlockEnv
    tx: Transaction
    sender: bytes | None
    trace_context: bytes
    tx_index: int
    cumulative_gas_used: int


@dataclass(slots=True)
class Trace:
    """The per-step commitments of one transaction.

    ``states[0]`` is ``traceStart(context, txIndex, preRoot)`` and ``states[i + 1]`` the
    machine hash after step ``i``; the last is ``traceEnd(context, txIndex, postRoot)``.
    ``pcs`` / ``kinds`` / ``depths`` are per step. ``result`` is the fast-mode-identical
    :class:`TxResult` (``None`` for a rejected transaction, ``error`` says why).
    """

    trace_context: bytes
    tx_index: int
    pre_root: bytes
    post_root: bytes
    states: Sequence[bytes]
    meta: Sequence[int]
    result: TxResult | None
    error: Exception | None
    inputs: TraceInputs | None = None

    @property
    def step_count(self) -> int:
        return len(self.meta)

    @property
    def kinds(self) -> list[int]:
        return [m & KIND_MASK for m in self.meta]

    @property
    def pcs(self) -> list[int]:
        return [(m >> PC_SHIFT) & PC_MASK for m in self.meta]

    @property
    def depths(self) -> list[int]:
        return [(m >> DEPTH_SHIFT) - 1 for m in self.meta]

    @property
    def start_state(self) -> bytes:
        return self.states[0]

    @property
    def end_state(self) -> bytes:
        return self.states[-1]

    def step(self, index: int) -> TraceStep:
        m = self.meta[index]
        return TraceStep(
            index,
            (m >> PC_SHIFT) & PC_MASK,
            m & KIND_MASK,
            self.states[index + 1],
            (m >> DEPTH_SHIFT) - 1,
        )

    def steps(self) -> list[TraceStep]:
        return [self.step(i) for i in range(self.step_count)]

    def state_at(self, index: int, padded_length: int | None = None) -> bytes:
        """State ``index`` (0 = start); past the last step the ``DONE`` state repeats."""
        if padded_length is not None and index > padded_length:
            raise IndexError(f"state {index} beyond the padded length {padded_length}")
        return self.states[min(index, len(self.states) - 1)]


def trace_to_root(states: Sequence[bytes]) -> bytes:
    """The instruction-state Merkle root: the word tree (docs/commitment.md section 3)
    over the machine states ``[start, after step 0, ...]``."""
    if isinstance(states, StreamedStates):
        return states.root()
    return merkle_root(list(states))


class StreamedStates(Sequence[bytes]):
    """The states of a trace run with ``keep_states=False``: O(log n) memory.

    Keeps the first and the last state, the count and the word-tree frontier (so
    :func:`trace_to_root` still works); any other index raises ``IndexError``.
    """

    __slots__ = ("length", "first", "last", "tree")

    def __init__(self) -> None:
        self.length = 0
        self.first = ZERO_WORD
        self.last = ZERO_WORD
        self.tree = MerkleBuilder()

    def append(self, state: bytes) -> None:
        if not self.length:
            self.first = state
        self.length += 1
        self.last = state
        self.tree.append(state)

    def root(self) -> bytes:
        return self.tree.root()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> bytes:  # type: ignore[override]
        position = index + self.length if index < 0 else index
        if position == 0 and self.length:
            return self.first
        if position == self.length - 1 and self.length:
            return self.last
        raise IndexError(f"state {index}: a streamed trace keeps only its first and last states")

    def __iter__(self) -> Iterator[bytes]:
        raise TypeError("a streamed trace keeps only its first and last states")


class StepCounter(Sequence[int]):
    """Step metadata of a trace run with ``keep_states=False``: only the count."""

    __slots__ = ("length",)

    def __init__(self) -> None:
        self.length = 0

    def append(self, _meta: int) -> None:
        self.length += 1

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        raise IndexError(f"step {index}: a streamed trace keeps no per-step metadata")

    def __iter__(self) -> Iterator[int]:
        raise TypeError("a streamed trace keeps no per-step metadata")


# ------------------------------------------------------------------ per-frame tracking


@dataclass(slots=True, eq=False)
class FrameTrack:
    """The commitment-side mirror of one interpreter frame."""

    evm: EvmFrame | None
    code_root: bytes
    code_size: int
    context: FrameContext
    stack: StackCommitment = field(default_factory=StackCommitment)
    memory: MemoryTree = field(default_factory=MemoryTree)
    context_hash: bytes = ZERO_WORD
    # The instruction whose post-state is not yet committed: (opcode, pc, operands).
    last_op: int = -1
    last_pc: int = 0
    operands: tuple[int, ...] = ()
    output_region: tuple[int, int] = (0, 0)
    child: FrameTrack | None = None
    exit_status: int = EXIT_SUCCESS
    code_part: bytes = b""
    meta_base: int = 0
    prefixes: list[bytes] = field(default_factory=list)
    suspended: bytes = ZERO_WORD

    def refresh_context(self) -> None:
        self.context_hash = self.context.hash()


def frame_hash(track: FrameTrack, pc: int, gas: int, pending: bytes) -> bytes:
    """``Frame`` record hash of ``track`` with the given hot fields."""
    stack = track.stack.prefixes
    memory = track.memory
    return keccak_256(
        pc.to_bytes(32, "big")
        + gas.to_bytes(32, "big")
        + track.code_root
        + track.code_size.to_bytes(32, "big")
        + stack[-1]
        + (len(stack) - 1).to_bytes(32, "big")
        + memory.levels[-1][0]
        + memory.size_words.to_bytes(32, "big")
        + pending
        + track.context_hash
    ).digest()


def _sync_stack(track: FrameTrack, pops: int, values: list[int]) -> None:
    """Pop ``pops`` committed items, then push whatever ``values`` holds above them."""
    prefixes = track.stack.prefixes
    keep = len(prefixes) - 1 - pops
    if keep < 0 or keep > len(values):
        keep = 0
    del prefixes[keep + 1 :]
    for value in values[keep:]:
        prefixes.append(keccak_256(prefixes[-1] + value.to_bytes(32, "big")).digest())


def _memory_view(track: FrameTrack, offset: int, length: int) -> ByteView:
    return ByteView(track.memory.root, track.memory.size_words, offset, length)


def _read_word(memory: bytearray, index: int) -> bytes:
    word = bytes(memory[index * 32 : index * 32 + 32])
    return word + b"\x00" * (32 - len(word)) if len(word) < 32 else word


@dataclass(slots=True, eq=False)
class TraceBuilder:
    """Hook state while one transaction runs in trace mode."""

    world: WorldMirror
    tx_env_hash: bytes
    tx: Transaction
    start: bytes
    states: list[bytes] | StreamedStates = field(default_factory=list)
    meta: list[int] | StepCounter = field(default_factory=list)
    tracks: dict[int, FrameTrack] = field(default_factory=dict)
    stack_of_tracks: list[FrameTrack] = field(default_factory=list)
    suspended: list[bytes] = field(default_factory=lambda: [ZERO_WORD])
    tx_context_hash: bytes = ZERO_WORD
    tx_context_words: list[bytes] = field(default_factory=list)
    tx_env_words: list[bytes] = field(default_factory=list)
    state: State | None = None
    top: FrameTrack | None = None
    resumed_child: FrameTrack | None = None
    context_dirty: bool = True
    log_chain: list[tuple[Any, bytes]] = field(default_factory=list)
    stop_at: int | None = None
    on_stop: Callable[[TraceBuilder, EvmFrame, int], None] | None = None
    observer: Callable[[TraceBuilder, EvmFrame, int], None] | None = None
    running_prefix: bytes = b""
    fast_ok: bool = True
    seen: list[Any] = field(default_factory=list)
    current: FrameTrack | None = None
    journal: list[Any] = field(default_factory=list)

    # -------------------------------------------------------------- commitments

    def machine_hash(self, frame_hash_value: bytes, phase: int = PHASE_RUNNING) -> bytes:
        world = self.world
        prefix = (
            phase.to_bytes(32, "big")
            + world.root
            + self.tx_env_hash
            + self.tx_context_hash
            + world.created
        )
        if phase == PHASE_RUNNING:
            self.running_prefix = prefix
        return keccak_256(prefix + frame_hash_value + self.suspended[-1]).digest()

    def emit(self, kind: int, pc: int, frame_hash_value: bytes, phase: int = PHASE_RUNNING) -> None:
        self.states.append(self.machine_hash(frame_hash_value, phase))
        self.meta.append((len(self.stack_of_tracks) << DEPTH_SHIFT) | (pc << PC_SHIFT) | kind)

    def sync_context(self, upto: int | None = None) -> None:
        """Re-read world roots, refunds and logs; rehash ``TxContext`` if anything moved.

        ``upto``: only the first ``upto`` journal entries (see :meth:`WorldMirror.sync`).
        """
        state = self.state
        assert state is not None
        changed = self.world.sync(state, upto)
        if not (changed or self.context_dirty):
            return
        self.context_dirty = False
        frames = self.active_frames()
        refund = sum(f.refund_counter for f in frames) % (1 << 256)
        logs_hash, log_count = self._logs_commitment(frames)
        world = self.world
        words = [
            world.warm_addresses,
            world.warm_slots,
            world.transient,
            u256(refund),
            logs_hash,
            u256(log_count),
            *world.touched.words(),
            *world.destructed.words(),
        ]
        self.tx_context_words = words
        self.tx_context_hash = hash_words(*words)

    def _logs_commitment(self, frames: Sequence[EvmFrame]) -> tuple[bytes, int]:
        logs = [entry for f in frames for entry in f.logs]
        chain = self.log_chain
        keep = 0
        while keep < len(chain) and keep < len(logs) and chain[keep][0] is logs[keep]:
            keep += 1
        del chain[keep:]
        acc = chain[-1][1] if chain else ZERO_WORD
        for entry in logs[keep:]:
            address, topics, data = entry
            header = log_header_hash(address, [int.from_bytes(t, "big") for t in topics])
            acc = keccak_256(
                acc + log_entry_hash(header, len(data), keccak_256(data).digest())
            ).digest()
            chain.append((entry, acc))
        return acc, len(logs)

    def active_frames(self) -> list[EvmFrame]:
        return [t.evm for t in self.stack_of_tracks if t.evm is not None]

    # -------------------------------------------------------------- frame tracks

    def new_track(
        self,
        evm: EvmFrame,
        call_kind: int,
        calldata: ByteView,
        return_region: tuple[int, int],
        snapshot: bytes,
    ) -> FrameTrack:
        code = code_commitment_of(evm.code)
        context = FrameContext(
            calldata=calldata,
            caller=evm.caller,
            address=evm.address,
            code_address=evm.code_address if evm.code_address is not None else evm.address,
            value=evm.value,
            is_static=evm.is_static,
            depth=evm.depth,
            call_kind=call_kind,
            return_offset=return_region[0],
            return_size=return_region[1],
            revert_snapshot=snapshot,
        )
        track = FrameTrack(evm, code.root, code.size, context)
        track.code_part = code.root + code.size.to_bytes(32, "big")
        track.prefixes = track.stack.prefixes
        track.suspended = self.suspended[-1]
        track.meta_base = (evm.depth + 1) << DEPTH_SHIFT
        track.refresh_context()
        self.tracks[id(evm)] = track
        return track

    # -------------------------------------------------------------- hooks

    def on_step(self, evm: EvmFrame, op: int) -> None:
        track = self.current
        if track is not None and track.evm is evm and self.fast_ok:
            last = track.last_op
            journal = self.journal
            seen = self.seen
            if (
                FAST_FINISH[last]
                and len(journal) == len(seen)
                and (not journal or journal[-1] is seen[-1])
            ):
                # The previous instruction of this frame wrote no memory, journal,
                # refund or log: commit its post-state here (stack chain, frame, machine).
                prefixes = track.prefixes
                values = evm.stack
                height = len(values)
                keep = len(prefixes) - 1 - STACK_POPS[last]
                if 0 <= keep <= height:
                    if keep + 1 < len(prefixes):
                        del prefixes[keep + 1 :]
                    top = prefixes[-1]
                    for index in range(keep, height):
                        top = keccak_256(top + values[index].to_bytes(32, "big")).digest()
                        prefixes.append(top)
                else:
                    _sync_stack(track, STACK_POPS[last], values)
                    top = prefixes[-1]
                tree = track.memory
                words = (len(evm.memory) + 31) >> 5
                if words != tree.size_words:
                    tree.expand(words)
                pc = evm.pc
                frame_hash_value = keccak_256(
                    b"".join(
                        (
                            _WORDS[pc] if pc < _SMALL_WORDS else pc.to_bytes(32, "big"),
                            evm.gas_left.to_bytes(32, "big"),
                            track.code_part,
                            top,
                            _WORDS[len(prefixes) - 1],
                            tree.levels[-1][0],
                            _WORDS[words] if words < _SMALL_WORDS else words.to_bytes(32, "big"),
                            ZERO_WORD,
                            track.context_hash,
                        )
                    )
                ).digest()
                self.states.append(
                    keccak_256(self.running_prefix + frame_hash_value + track.suspended).digest()
                )
                self.meta.append(track.meta_base | (track.last_pc << PC_SHIFT) | last)
                track.last_op = op
                track.last_pc = pc
                if NEEDS_OPERANDS_TABLE[op]:
                    n = STACK_POPS[op]
                    track.operands = tuple(reversed(values[-n:])) if height >= n else ()
                if self.observer is not None:
                    self.observer(self, evm, op)
                return
        track = self.tracks.get(id(evm))
        if track is None:
            track = self.enter_frame(evm)
        elif track.child is not None:
            self.resume_after_child(track, evm)
        elif track.last_op >= 0:
            self.finish_instruction(track, evm)
        if self.stop_at is not None and len(self.meta) >= self.stop_at:
            assert self.on_stop is not None
            self.on_stop(self, evm, op)
        self.current = track
        track.last_op = op
        track.last_pc = evm.pc
        if op in NEEDS_OPERANDS:
            stack = evm.stack
            n = STACK_POPS[op]
            track.operands = tuple(reversed(stack[-n:])) if len(stack) >= n else ()
        if self.observer is not None:
            self.observer(self, evm, op)

    def on_exit(self, evm: EvmFrame) -> None:
        track = self.tracks.get(id(evm))
        if track is None:  # precompile or empty code: no instruction ran
            track = self.enter_frame(evm)
            track.exit_status = EXIT_SUCCESS if evm.error is None else EXIT_HALT
            track.output_region = (0, len(evm.output))
            exit_record = PendingExit(PENDING_EXIT, track.exit_status, 0, len(evm.output))
            self.emit(KIND_NO_CODE_STOP, 0, frame_hash(track, 0, evm.gas_left, exit_record.hash()))
        else:
            if track.child is not None:  # halted inside the instruction that ran a child
                self.resume_after_child(track, evm, halted=True)
            self.finish_halt(track, evm)
        self.stack_of_tracks[-1].child = None
        self.stack_of_tracks.pop()
        if self.stack_of_tracks:
            self.stack_of_tracks[-1].child = track
            self.suspended.pop()

    # -------------------------------------------------------------- entering frames

    def entry_boundary(self, is_create: bool) -> int:
        """Journal length at the callee's snapshot (before its touch, transfer, wipe).

        A call frame's entry writes only accounts and the touched set, after the
        caller's warm-set entries; a create frame's entry starts with the storage wipe.
        """
        state = self.state
        assert state is not None
        journal = self.journal
        start = len(self.world.seen)
        if is_create:
            position = start
            while position < len(journal) and not (
                journal[position][0] is state.storage or journal[position][0] is state.wiped
            ):
                position += 1
            return position
        position = len(journal)
        while position > start and (
            journal[position - 1][0] is state.accounts or journal[position - 1][0] is state.touched
        ):
            position -= 1
        return position

    def enter_frame(self, evm: EvmFrame) -> FrameTrack:
        """First sight of a frame: commit the parent's CALL/CREATE step and the entry."""
        if self.state is None:
            self.state = evm.ctx.state
            self.journal = self.state.journal
        if not self.stack_of_tracks:
            return self.enter_top_frame(evm)
        parent = self.stack_of_tracks[-1]
        parent_evm = parent.evm
        assert parent_evm is not None
        op, operands = parent.last_op, parent.operands
        self.context_dirty = True
        self.sync_context(self.entry_boundary(op in CREATE_OPCODES))
        world_before = self.world.root
        context_before = self.tx_context_hash
        _sync_stack(parent, STACK_POPS[op], parent_evm.stack)
        parent.memory.expand((len(parent_evm.memory) + 31) // 32)
        gas = parent_evm.gas_left
        if op in CALL_OPCODES:
            call_kind = CALL_OPCODES[op]
            if op in (0xF1, 0xF2):
                call_gas, to, value, args_off, args_size, ret_off, ret_size = operands
            else:
                call_gas, to, args_off, args_size, ret_off, ret_size = operands
                value = evm.value
            pending = PendingCall(
                PENDING_CALL,
                call_kind,
                evm.gas_left,
                evm.address,
                evm.code_address or evm.address,
                value,
                args_off,
                args_size,
                ret_off,
                ret_size,
            ).hash()
            self.emit(op, parent.last_pc, frame_hash(parent, parent_evm.pc, gas, pending))
            calldata = _memory_view(parent, args_off, args_size)
            return_region = (ret_off, ret_size)
        else:
            call_kind = CREATE_OPCODES[op]
            value, offset, size = operands[0], operands[1], operands[2]
            purpose = 1 if op == 0xF5 else 0
            salt = operands[3] if op == 0xF5 else 0
            source = _memory_view(parent, offset, size)
            purpose_data = hash_words(u256(value), u256(salt), u256(evm.gas_left), ZERO_WORD)
            build = code_build_pendings(
                source, evm.code, purpose, purpose_data, need_hash=op == 0xF5
            )
            self.emit(op, parent.last_pc, frame_hash(parent, parent_evm.pc, gas, build[0]))
            for pending_hash in build[1:]:
                self.emit(
                    KIND_CODE_BUILD,
                    parent.last_pc,
                    frame_hash(parent, parent_evm.pc, gas, pending_hash),
                )
            code = code_commitment_of(evm.code)
            create_record = PendingCreate(
                PENDING_CREATE, call_kind, evm.gas_left, evm.address, value, code.root, code.size
            ).hash()
            self.emit(
                KIND_CODE_BUILD,
                parent.last_pc,
                frame_hash(parent, parent_evm.pc, gas, create_record),
            )
            calldata = ByteView()
            return_region = (0, 0)
        self.suspended.append(
            keccak_256(
                self.suspended[-1] + frame_hash(parent, parent_evm.pc, gas, ZERO_WORD)
            ).digest()
        )
        track = self.new_track(
            evm, call_kind, calldata, return_region, revert_snapshot(world_before, context_before)
        )
        self.stack_of_tracks.append(track)
        self.sync_context()
        self.emit(KIND_CALL_ENTRY, 0, frame_hash(track, 0, evm.gas_left, ZERO_WORD))
        return track

    def enter_top_frame(self, evm: EvmFrame) -> FrameTrack:
        tx = self.tx
        progress = 0

        def stage(kind_stage: int, count: int = 1) -> None:
            nonlocal progress
            for i in range(count):
                progress += 1
                record = hash_words(u256(kind_stage), u256(i))
                self.emit(KIND_TX_START, 0, record, PHASE_TX_START)

        stage(TX_START_LOAD)
        stage(TX_START_SIGHASH, max(1, -(-len(tx.data) // SINGLE_STEP_KECCAK_MAX_BYTES)))
        stage(TX_START_SIGNATURE)
        stage(TX_START_VALIDITY)
        stage(TX_START_INTRINSIC, max(1, -(-len(tx.data) // SINGLE_STEP_KECCAK_MAX_BYTES)))
        state = self.state
        assert state is not None
        bought = 0
        while bought < len(self.journal) and self.journal[bought][0] is state.accounts:
            bought += 1
        self.sync_context(bought)
        stage(TX_START_BUY_GAS)
        self.sync_context(self.entry_boundary(evm.is_create))
        stage(TX_START_WARM, 1 + sum(1 + len(keys) for _, keys in tx.access_list))
        calldata_view = view_of_bytes(tx.data)
        if evm.is_create:
            stage(TX_START_BUILD, max(1, -(-len(tx.data) // 31)))
            call_kind, calldata = CALL_KIND_TX_CREATE, ByteView()
        else:
            call_kind, calldata = CALL_KIND_TX, calldata_view
        snapshot = revert_snapshot(self.world.root, self.tx_context_hash)
        track = self.new_track(evm, call_kind, calldata, (0, 0), snapshot)
        self.top = track
        self.stack_of_tracks.append(track)
        self.sync_context()
        self.emit(KIND_TX_START, 0, frame_hash(track, 0, evm.gas_left, ZERO_WORD))
        return track

    # -------------------------------------------------------------- finishing steps

    def finish_instruction(self, track: FrameTrack, evm: EvmFrame) -> None:
        """Commit the post-state (and sub-steps) of ``track``'s last instruction."""
        op = track.last_op
        pc = track.last_pc
        gas = evm.gas_left
        memory = evm.memory
        tree = track.memory
        if op in COPY_OPCODES or op == 0x20 or 0xA0 <= op <= 0xA4:
            self.finish_long(track, evm, op)
            return
        _sync_stack(track, STACK_POPS[op], evm.stack)
        words = (len(memory) + 31) >> 5
        if words != tree.size_words:
            tree.expand(words)
        if op == 0x52 or op == 0x53:
            offset = track.operands[0]
            first = offset >> 5
            last = (offset + (31 if op == 0x52 else 0)) >> 5
            for index in range(first, last + 1):
                tree.write_word(index, _read_word(memory, index))
        if op in CONTEXT_OPCODES:
            self.context_dirty = True
        self.sync_context()
        self.emit(op, pc, frame_hash(track, evm.pc, gas, ZERO_WORD))

    def finish_long(self, track: FrameTrack, evm: EvmFrame, op: int) -> None:
        """KECCAK256, LOGn and the copies: the opcode step, then bounded sub-steps."""
        pc, gas, memory, tree = track.last_pc, evm.gas_left, evm.memory, track.memory
        operands = track.operands
        pops = STACK_POPS[op]
        _sync_stack(track, pops, evm.stack[: len(evm.stack) - (1 if op == 0x20 else 0)])
        tree.expand((len(memory) + 31) >> 5)
        if op == 0x20 or 0xA0 <= op <= 0xA4:
            offset, size = operands[0], operands[1]
            if size > SINGLE_STEP_KECCAK_MAX_BYTES:
                purpose = KECCAK_FOR_STACK if op == 0x20 else KECCAK_FOR_LOG
                header = (
                    ZERO_WORD if op == 0x20 else log_header_hash(evm.address, list(operands[2:]))
                )
                sponge = KeccakSponge()
                data = bytes(memory[offset : offset + size])
                position = 0
                while True:
                    record = PendingKeccak(
                        PENDING_KECCAK, purpose, offset + position, size - position, size,
                        sponge.commitment(), header,
                    )  # fmt: skip
                    kind = op if position == 0 else KIND_KECCAK_BLOCK
                    self.emit(kind, pc, frame_hash(track, evm.pc, gas, record.hash()))
                    if size - position < KECCAK_RATE:
                        break
                    sponge.absorb_block(data[position : position + KECCAK_RATE])
                    position += KECCAK_RATE
                _sync_stack(track, 0, evm.stack)
                self.context_dirty = True
                self.sync_context()
                self.emit(KIND_KECCAK_BLOCK, pc, frame_hash(track, evm.pc, gas, ZERO_WORD))
                return
            _sync_stack(track, 0, evm.stack)
            self.context_dirty = True
            self.sync_context()
            self.emit(op, pc, frame_hash(track, evm.pc, gas, ZERO_WORD))
            return
        # copies: (dest, source offset, length) except EXTCODECOPY (address first)
        if op == 0x3C:
            address, dest, source_pos, length = operands
        else:
            dest, source_pos, length = operands
        self.sync_context()
        if length == 0 or evm.pc == pc:  # nothing to copy, or the copy itself failed
            self.emit(op, pc, frame_hash(track, evm.pc, gas, ZERO_WORD))
            return
        source = self.copy_source(track, evm, op, operands)
        kind = PENDING_COPY_CODE if op in (0x39, 0x3C) else PENDING_COPY_BYTES
        remaining = length
        first = True
        for word, _start, count in copy_plan(dest, length):
            copy_record = PendingCopy(kind, source, source_pos % U256, dest, remaining).hash()
            self.emit(
                op if first else KIND_COPY_WORD, pc, frame_hash(track, evm.pc, gas, copy_record)
            )
            first = False
            tree.write_word(word, _read_word(memory, word))
            source_pos += count
            dest += count
            remaining -= count
        self.emit(KIND_COPY_WORD, pc, frame_hash(track, evm.pc, gas, ZERO_WORD))

    def copy_source(
        self, track: FrameTrack, evm: EvmFrame, op: int, operands: tuple[int, ...]
    ) -> ByteView:
        if op == 0x37:
            return track.context.calldata
        if op == 0x3E:
            return track.context.returndata
        if op == 0x5E:
            return _memory_view(track, 0, track.memory.size_words * 32)
        if op == 0x39:
            return ByteView(track.code_root, -(-track.code_size // 31), 0, track.code_size)
        state = self.state
        assert state is not None
        code = state.get_code((operands[0] % (1 << 160)).to_bytes(20, "big"))
        info = code_commitment_of(code)
        return ByteView(info.root, len(info.chunks), 0, info.size)

    def finish_halt(self, track: FrameTrack, evm: EvmFrame) -> None:
        """The frame's last instruction: its post-state carries ``PendingExit``."""
        op, operands = track.last_op, track.operands
        if evm.error is None:
            status = EXIT_SUCCESS
        elif isinstance(evm.error, Revert):
            status = EXIT_REVERT
        else:
            status = EXIT_HALT
        if op in (0xF3, 0xFD) and status != EXIT_HALT and len(operands) == 2:
            region = (operands[0], operands[1])
        else:
            region = (0, 0)
        if status != EXIT_HALT:
            _sync_stack(track, STACK_POPS[op], evm.stack)
            track.memory.expand((len(evm.memory) + 31) >> 5)
        track.exit_status = status
        track.output_region = region
        self.sync_context()
        record = PendingExit(PENDING_EXIT, status, region[0], region[1]).hash()
        self.emit(
            op if op >= 0 else 0, track.last_pc, frame_hash(track, evm.pc, evm.gas_left, record)
        )
        if evm.is_create and status == EXIT_SUCCESS and evm.output:
            source = _memory_view(track, region[0], region[1])
            for pending_hash in code_build_pendings(source, evm.output, 2, ZERO_WORD, True)[1:]:
                self.emit(
                    KIND_CODE_BUILD,
                    track.last_pc,
                    frame_hash(track, evm.pc, evm.gas_left, pending_hash),
                )
        track.last_op = -1

    def resume_after_child(self, track: FrameTrack, evm: EvmFrame, halted: bool = False) -> None:
        """The frame-exit step of ``track.child`` and the copy of its output."""
        child = track.child
        assert child is not None
        track.child = None
        child_evm = child.evm
        assert child_evm is not None
        # The child frame is over: forget its track (and with it the frame's memory).
        del self.tracks[id(child_evm)]
        op = track.last_op
        output = child_evm.output
        if not evm.return_data:
            track.context.returndata = ByteView()
        elif child.code_size == 0:
            track.context.returndata = view_of_bytes(evm.return_data)
        else:
            region = child.output_region
            track.context.returndata = _memory_view(child, region[0], region[1])
        track.refresh_context()
        self.context_dirty = True
        self.sync_context()
        if halted:
            return
        _sync_stack(track, 0, evm.stack)
        gas = evm.gas_left
        copy_length = 0
        if op in CALL_OPCODES and output:
            ret_off, ret_size = track.operands[-2], track.operands[-1]
            copy_length = min(ret_size, len(output))
        if copy_length == 0:
            self.emit(KIND_FRAME_EXIT, track.last_pc, frame_hash(track, evm.pc, gas, ZERO_WORD))
            track.last_op = -1
            return
        source = track.context.returndata
        dest, remaining, source_pos = ret_off, copy_length, 0
        record = PendingCopy(PENDING_COPY_BYTES, source, 0, dest, remaining)
        self.emit(KIND_FRAME_EXIT, track.last_pc, frame_hash(track, evm.pc, gas, record.hash()))
        plan = copy_plan(dest, copy_length)
        for i, (word, _start, count) in enumerate(plan):
            track.memory.write_word(word, _read_word(evm.memory, word))
            source_pos += count
            dest += count
            remaining -= count
            pending = (
                ZERO_WORD
                if i == len(plan) - 1
                else PendingCopy(PENDING_COPY_BYTES, source, source_pos, dest, remaining).hash()
            )
            self.emit(KIND_COPY_WORD, track.last_pc, frame_hash(track, evm.pc, gas, pending))
        track.last_op = -1


_BUILD_CACHE: dict[tuple[bytes, bool], tuple[int, list[bytes], list[bytes]]] = {}
_BUILD_CACHE_LIMIT = 256


def _build_commitments(code: bytes, need_hash: bool) -> tuple[int, list[bytes], list[bytes]]:
    """(first hash position, sponge commitment before each hash sub-step, chunk-tree
    commitment after each chunk but the last) of building ``code``; cached per code,
    since the sponge runs a pure-Python keccak-f and loops often create the same code."""
    key = (bytes(code), need_hash)
    found = _BUILD_CACHE.get(key)
    if found is not None:
        return found
    start = 0 if need_hash and len(code) > SINGLE_STEP_KECCAK_MAX_BYTES else len(code)
    sponges: list[bytes] = []
    sponge = KeccakSponge()
    hash_pos = start
    while True:
        sponges.append(sponge.commitment() if hash_pos < len(code) else ZERO_WORD)
        if len(code) - hash_pos < KECCAK_RATE:
            break
        sponge.absorb_block(code[hash_pos : hash_pos + KECCAK_RATE])
        hash_pos += KECCAK_RATE
    builder = MerkleBuilder()
    trees = [builder.commitment()]
    chunks = code_commitment_of(code).chunks
    for chunk in chunks[:-1]:
        builder.append(chunk)
        trees.append(builder.commitment())
    if len(_BUILD_CACHE) >= _BUILD_CACHE_LIMIT:
        _BUILD_CACHE.clear()
    found = _BUILD_CACHE[key] = (start, sponges, trees)
    return found


def code_build_pendings(
    source: ByteView, code: bytes, purpose: int, purpose_data: bytes, need_hash: bool
) -> list[bytes]:
    """``PendingCodeBuild`` hashes before each build sub-step (index 0: after the opcode).

    The hash phase absorbs 136-byte blocks only when a hash is needed and the code is
    longer than 1088 bytes; the chunk phase takes 31 source bytes per sub-step.
    """
    start, sponges, trees = _build_commitments(code, need_hash)
    out = [
        PendingCodeBuild(
            PENDING_CODE_BUILD, purpose, source, start + i * KECCAK_RATE, sponge,
            0, 0, trees[0], purpose_data,
        ).hash()
        for i, sponge in enumerate(sponges)
    ]  # fmt: skip
    chunks = code_commitment_of(code).chunks
    for index in range(len(chunks) - 1):
        out.append(
            PendingCodeBuild(
                PENDING_CODE_BUILD, purpose, source, len(code), ZERO_WORD,
                31 * (index + 1), chunks[index + 1][0], trees[index + 1], purpose_data,
            ).hash()
        )  # fmt: skip
    return out


# ------------------------------------------------------------------ environment


def tx_env_commitment(
    block: BlockEnv, tx: Transaction, sender: bytes, trace_context: bytes, tx_index: int
) -> bytes:
    """``TxEnv`` hash (docs/commitment.md 4.4) of a transaction in its block."""
    return tx_env_record(block, tx, sender, trace_context, tx_index).hash()


_BLOCK_HASHES_ROOTS: dict[bytes, bytes] = {}


def _block_hashes_root(hashes: list[bytes]) -> bytes:
    """Word-tree root of the 256 recent block hashes, cached: every transaction of a
    block has the same window, and rebuilding the tree costs 255 hashes."""
    key = b"".join(hashes)
    root = _BLOCK_HASHES_ROOTS.get(key)
    if root is None:
        root = merkle_root(hashes)
        if len(_BLOCK_HASHES_ROOTS) >= 64:
            _BLOCK_HASHES_ROOTS.clear()
        _BLOCK_HASHES_ROOTS[key] = root
    return root


def tx_env_record(
    block: BlockEnv, tx: Transaction, sender: bytes, trace_context: bytes, tx_index: int
) -> TxEnv:
    """The ``TxEnv`` record of a transaction in its block."""
    if tx.tx_type >= 2:
        priority = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - block.base_fee)
        gas_price = priority + block.base_fee
    else:
        gas_price = tx.gas_price
    hashes: list[bytes] = []
    for i in range(256):
        number = block.number - 256 + i
        if number < 0 or block.block_hashes is None:
            hashes.append(ZERO_WORD)
        else:
            hashes.append(block.block_hashes(number))
    blobs = list(tx.blob_versioned_hashes)
    return TxEnv(
        origin=sender,
        gas_price=gas_price,
        priority_fee_per_gas=max(gas_price - block.base_fee, 0),
        gas_limit=tx.gas_limit,
        blob_hashes_root=merkle_root(blobs),
        blob_hash_count=len(blobs),
        coinbase=block.coinbase,
        timestamp=block.timestamp,
        number=block.number,
        prev_randao=block.prev_randao,
        block_gas_limit=block.gas_limit,
        chain_id=block.chain_id,
        base_fee=block.base_fee,
        blob_base_fee=blob_gas_price(block.excess_blob_gas),
        block_hashes_root=_block_hashes_root(hashes),
        trace_context=trace_context,
        tx_index=tx_index,
    )


# ------------------------------------------------------------------ running


def _finish_transaction(builder: TraceBuilder, result: TxResult) -> None:
    """The top frame's exit step and the transaction-end stages."""
    state = builder.state
    assert state is not None
    builder.stack_of_tracks[:] = [builder.top] if builder.top and result.success else []
    builder.context_dirty = True
    builder.sync_context()
    gas_used = result.gas_used

    def stage(kind_stage: int, index: int = 0) -> None:
        record = hash_words(u256(kind_stage), u256(index), u256(gas_used))
        builder.emit(KIND_TX_END, 0, record, PHASE_TX_END)

    builder.stack_of_tracks.clear()
    stage(TX_END_REFUND)  # the frame-exit step of the top frame lands in TX_END
    stage(TX_END_FEES)
    for i in range(len(state.destroyed)):
        stage(TX_END_DESTRUCT, i)
    for i in range(len(state.touched)):
        stage(TX_END_TOUCHED, i)


def trace_transaction(
    backend: StateBackend,
    block: BlockEnv,
    tx: Transaction,
    sender: bytes | None = None,
    *,
    trace_context: bytes = ZERO_WORD,
    tx_index: int = 0,
    cumulative_gas_used: int = 0,
    gas_available: int | None = None,
    backend_factory: Callable[[], StateBackend] | None = None,
    stop_at: int | None = None,
    on_stop: Callable[[TraceBuilder, EvmFrame, int], None] | None = None,
    observer: Callable[[TraceBuilder, EvmFrame, int], None] | None = None,
    keep_states: bool = True,
) -> Trace:
    """Apply ``tx`` to ``backend`` exactly as fast mode does, committing every step.

    The backend is modified (``apply``) as in fast mode and ``Trace.result`` is the
    same :class:`TxResult`. ``backend_factory`` (optional) rebuilds the pre-state for
    :func:`agents.evm.trace_proof.prove_step` replays. ``keep_states=False`` streams
    the states (:class:`StreamedStates`, :class:`StepCounter`): memory stays bounded
    however many steps run, and the trace keeps its first and last states, step
    count and :func:`trace_to_root`, but no per-step states or metadata.
    """
    if sender is None:
        from agents.evm.transactions import recover_sender

        sender = recover_sender(tx, block.chain_id)
    world = new_world_mirror(backend)
    pre_root = world.root
    start = trace_start_state(trace_context, tx_index, pre_root)
    env = tx_env_record(block, tx, sender, trace_context, tx_index)
    builder = TraceBuilder(
        world=world,
        tx_env_hash=env.hash(),
        tx_env_words=env.encode(),
        tx=tx,
        start=start,
        stop_at=stop_at,
        on_stop=on_stop,
        observer=observer,
    )
    if not keep_states:
        builder.states = StreamedStates()
        builder.meta = StepCounter()
    builder.states.append(start)
    builder.seen = world.seen
    builder.fast_ok = stop_at is None
    inputs = (
        TraceInputs(
            backend_factory, block, tx, sender, trace_context, tx_index, cumulative_gas_used
        )
        if backend_factory is not None
        else None
    )
    try:
        result = apply_transaction(
            backend,
            block,
            tx,
            sender,
            gas_available=gas_available,
            cumulative_gas_used=cumulative_gas_used,
            step_hook=builder.on_step,
            exit_hook=builder.on_exit,
        )
    except InvalidTransaction as error:
        end = trace_end_state(trace_context, tx_index, pre_root)
        builder.states.append(end)
        builder.meta.append(KIND_INVALID_TX)
        return Trace(
            trace_context, tx_index, pre_root, pre_root, builder.states, builder.meta,
            None, error, inputs,
        )  # fmt: skip
    if builder.state is None:
        # No frame ran (a creation transaction whose address collides): buy gas and
        # fail at entry. Commit the start stages and the end with the applied root.
        for stage in (TX_START_LOAD, TX_START_VALIDITY, TX_START_BUY_GAS, TX_START_ENTER):
            record = hash_words(u256(stage), u256(0))
            builder.emit(KIND_TX_START, 0, record, PHASE_TX_START)
        world.root = new_world_mirror(backend).root
        builder.emit(KIND_TX_END, 0, hash_words(u256(TX_END_FEES), u256(0)), PHASE_TX_END)
    else:
        _finish_transaction(builder, result)
    post_root = world.root
    builder.states.append(trace_end_state(trace_context, tx_index, post_root))
    builder.meta.append(KIND_TX_END)
    return Trace(
        trace_context, tx_index, pre_root, post_root, builder.states, builder.meta,
        result, None, inputs,
    )  # fmt: skip


__all__ = [
    "KIND_CALL_ENTRY",
    "KIND_CODE_BUILD",
    "KIND_COPY_WORD",
    "KIND_FRAME_EXIT",
    "KIND_KECCAK_BLOCK",
    "KIND_TX_END",
    "KIND_TX_START",
    "StepCounter",
    "StreamedStates",
    "Trace",
    "TraceBuilder",
    "TraceInputs",
    "TraceStep",
    "kind_name",
    "trace_to_root",
    "trace_transaction",
    "tx_env_commitment",
    "tx_locator",
]
