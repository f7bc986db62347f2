"""Proof data for one trace step, and the dispute-game adapter over EVM traces.

:func:`prove_step` replays a traced transaction (same interpreter, same hooks) until the
pre-state of the requested step and collects what the Solidity one-step prover opens
(``docs/commitment.md`` sections 5 and 8): the ``MachineState`` and ``Frame``
preimages, the code chunk at ``pc`` with its leaf proof (plus PUSH-data and JUMP-target
chunks), the opened stack items with the hash below them, and per instruction class
the ``FrameContext`` / ``TxContext`` / ``TxEnv`` preimages, memory range proofs
against the grown memory root, calldata range proofs, and account / storage / warm-slot
SMT proofs. Sponge sub-steps of KECCAK256 get their memory block and sponge state.

Covered: arithmetic, comparison, bitwise, PUSH0/PUSHn, POP, DUPn, SWAPn, PC, GAS, MSIZE,
JUMPDEST, JUMP, JUMPI, MLOAD, MSTORE, MSTORE8, KECCAK256 and LOGn (one step, or sponge
sub-steps), CALLDATALOAD, the copies (CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY,
MCOPY) and
their COPY_WORD sub-steps, SLOAD, SSTORE, TLOAD, TSTORE, BALANCE, EXTCODESIZE,
EXTCODEHASH, SELFBALANCE, BLOCKHASH, BLOBHASH, the environment opcodes, and the halting
steps (STOP, RETURN, REVERT, INVALID, undefined opcodes, exceptional halts). Other steps
raise :class:`ProofNotSupported` (``docs/one-step-prover.md`` lists them).
:func:`agents.evm.proof_abi.encode_step_proof` turns a :class:`StepProof` into the bytes
``EvmStepVerifier.step`` takes.

:class:`EvmTraceProvider` answers :class:`agents.dispute.trace.TraceProvider` from
:class:`~agents.evm.trace.Trace` objects, padding each transaction to
``2**step_depth`` steps with its ``DONE`` state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sha3 import keccak_256

from agents.evm import smt
from agents.evm.commitment import (
    CODE_CHUNK_DATA,
    KECCAK_FOR_LOG,
    KECCAK_FOR_STACK,
    KECCAK_RATE,
    PENDING_COPY_BYTES,
    PENDING_COPY_CODE,
    PENDING_KECCAK,
    SINGLE_STEP_KECCAK_MAX_BYTES,
    ZERO_WORD,
    ByteView,
    Frame,
    KeccakSponge,
    MemoryTree,
    PendingCopy,
    PendingKeccak,
    copy_plan,
    hash_words,
    log_header_hash,
    merkle_proof,
    slot_key,
    u256,
)
from agents.evm.instructions import OPCODE_NAMES
from agents.evm.store import AccountRecord, storage_key
from agents.evm.trace import (
    KIND_COPY_WORD,
    KIND_KECCAK_BLOCK,
    STACK_POPS,
    Trace,
    TraceBuilder,
    kind_name,
    trace_transaction,
)
from agents.evm.trace_world import code_commitment_of
from agents.evm.vm import Frame as EvmFrame

ARITHMETIC_LIKE = set(range(0x01, 0x0C)) | set(range(0x10, 0x1E))
STACK_ONLY = ARITHMETIC_LIKE | {0x50, 0x58, 0x59, 0x5A, 0x5B, 0x5F} | set(range(0x60, 0xA0))
FRAME_CONTEXT_OPS = {0x30, 0x33, 0x34, 0x35, 0x36, 0x3D, 0x54, 0x55}
TX_ENV_OPS = {0x32, 0x3A, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48, 0x4A}
HALTING = {0x00, 0xF3, 0xFD} | (set(range(256)) - set(OPCODE_NAMES)) | {0xFE}
"""STOP, RETURN, REVERT, INVALID and undefined opcodes: the halting step (``PendingExit``)."""
LOG_OPS = set(range(0xA0, 0xA5))
ACCOUNT_OPS = {0x31, 0x3B, 0x3C, 0x3F, 0x47}
SUPPORTED = (
    STACK_ONLY
    | {0x20, 0x51, 0x52, 0x53, 0x56, 0x57}
    | FRAME_CONTEXT_OPS
    | TX_ENV_OPS
    | HALTING
    | LOG_OPS
    | {0x5C, 0x5D}
    | ACCOUNT_OPS
    | {0x37, 0x39, 0x3E, 0x5E, 0x40, 0x49}
)


class ProofNotSupported(NotImplementedError):
    """No proof-data producer exists yet for this step kind."""


@dataclass(slots=True)
class ChunkOpening:
    """Code chunk ``index`` and its bottom-up leaf proof against ``codeRoot``."""

    index: int
    chunk: bytes
    proof: list[bytes]


@dataclass(slots=True)
class RangeOpening:
    """Words ``[first, first + len(words))`` of a word tree of ``tree_words`` leaves."""

    root: bytes
    tree_words: int
    first: int
    words: list[bytes]
    proof: list[bytes]


@dataclass(slots=True)
class SmtOpening:
    """An SMT key's value (``None``: absent) and proof against ``root``."""

    root: bytes
    key: bytes
    value: bytes | None
    proof: smt.SmtProof


@dataclass(slots=True)
class StepProof:
    """Everything the one-step prover needs to execute step ``index``."""

    index: int
    kind: int
    pre_state: bytes
    post_state: bytes
    machine_record: list[bytes]
    frame_record: list[bytes]
    code_chunks: list[ChunkOpening] = field(default_factory=list)
    stack_items: list[int] = field(default_factory=list)
    stack_below: bytes = ZERO_WORD
    frame_context: list[bytes] | None = None
    tx_context: list[bytes] | None = None
    tx_env: list[bytes] | None = None
    memory: RangeOpening | None = None
    calldata: RangeOpening | None = None
    account_record: AccountRecord | None = None
    account: SmtOpening | None = None
    storage: SmtOpening | None = None
    warm_slot: SmtOpening | None = None
    warm_address: SmtOpening | None = None
    transient: SmtOpening | None = None
    pending_record: list[bytes] | None = None
    sponge_state: bytes | None = None

    def encode(self) -> bytes:
        """A flat byte encoding (records, then openings) for transport and sizing."""
        out = bytearray(self.pre_state + b"".join(self.machine_record + self.frame_record))
        for chunk in self.code_chunks:
            out += chunk.index.to_bytes(32, "big") + chunk.chunk + b"".join(chunk.proof)
        out += self.stack_below + b"".join(v.to_bytes(32, "big") for v in self.stack_items)
        for words in (self.frame_context, self.tx_context, self.tx_env, self.pending_record):
            if words:
                out += b"".join(words)
        for opening in (self.memory, self.calldata):
            if opening is not None:
                out += opening.root + b"".join(opening.words + opening.proof)
        openings = (self.account, self.storage, self.warm_slot, self.warm_address, self.transient)
        for smt_opening in openings:
            if smt_opening is not None:
                out += smt_opening.key + (smt_opening.value or b"")
                out += b"".join(smt_opening.proof.siblings)
        if self.sponge_state is not None:
            out += self.sponge_state
        return bytes(out)


class _Captured(Exception):
    """Raised from the replay's hook once the proof is collected."""

    def __init__(self, proof: StepProof) -> None:
        super().__init__("captured")
        self.proof = proof


def _chunk(code: bytes, pc: int) -> ChunkOpening:
    chunks = code_commitment_of(code).chunks
    index = pc // CODE_CHUNK_DATA
    return ChunkOpening(index, chunks[index], merkle_proof(chunks, index))


def _range(tree: MemoryTree, first: int, last: int) -> RangeOpening:
    words = [tree.word(i) for i in range(first, last + 1)]
    return RangeOpening(
        tree.root, tree.size_words, first, words, tree.prove_range(first, last - first + 1)
    )


def _grown(tree: MemoryTree, offset: int, size: int) -> MemoryTree:
    grown = tree.snapshot()
    if size:
        grown.expand(max(tree.size_words, (offset + size + 31) // 32))
    return grown


def _base_proof(builder: TraceBuilder, evm: EvmFrame, trace: Trace, index: int) -> StepProof:
    track = builder.tracks[id(evm)]
    world = builder.world
    frame = Frame(
        evm.pc, evm.gas_left, track.code_root, track.code_size, track.stack.root,
        track.stack.size, track.memory.root, track.memory.size_words, ZERO_WORD,
        track.context_hash,
    )  # fmt: skip
    frame_words = frame.encode()
    machine = [
        (1).to_bytes(32, "big"), world.root, builder.tx_env_hash, builder.tx_context_hash,
        world.created, frame.hash(), builder.suspended[-1],
    ]  # fmt: skip
    return StepProof(
        index=index,
        kind=trace.step(index).kind,
        pre_state=trace.states[index],
        post_state=trace.states[index + 1],
        machine_record=machine,
        frame_record=frame_words,
    )


def _instruction_proof(
    builder: TraceBuilder, evm: EvmFrame, op: int, trace: Trace, index: int, base_only: bool
) -> StepProof:
    if op not in SUPPORTED and not base_only:
        raise ProofNotSupported(f"no proof data for opcode 0x{op:02x} yet")
    proof = _base_proof(builder, evm, trace, index)
    track = builder.tracks[id(evm)]
    code = evm.code
    if evm.pc < len(code):
        proof.code_chunks.append(_chunk(code, evm.pc))
    if 0x60 <= op <= 0x7F:  # PUSH data chunks
        last = min(evm.pc + op - 0x5F, max(len(code) - 1, 0))
        for c in range(evm.pc // CODE_CHUNK_DATA + 1, last // CODE_CHUNK_DATA + 1):
            proof.code_chunks.append(_chunk(code, c * CODE_CHUNK_DATA))
    stack = evm.stack
    if 0x80 <= op <= 0x8F:
        opened = op - 0x7F
    else:
        opened = STACK_POPS[op]
    opened = min(opened, len(stack))
    proof.stack_items = list(reversed(stack[len(stack) - opened :]))
    proof.stack_below = track.stack.hash_below_top(opened)
    if op in (0x56, 0x57) and stack:
        target = stack[-1]
        if target < len(code):
            proof.code_chunks.append(_chunk(code, target))
    if op in FRAME_CONTEXT_OPS:
        proof.frame_context = track.context.encode()
    if op in TX_ENV_OPS:
        proof.tx_env = list(builder.tx_env_words)
    if op in (0x51, 0x52, 0x53, 0x20) and len(stack) >= 2 - (op == 0x51):
        offset = stack[-1]
        size = {0x51: 32, 0x52: 32, 0x53: 1}.get(op, stack[-2] if len(stack) >= 2 else 0)
        if size and offset + size <= len(evm.memory) + (1 << 20):
            if op == 0x20 and size > SINGLE_STEP_KECCAK_MAX_BYTES:
                proof.memory = None  # the opcode step only grows memory and records
            else:
                grown = _grown(track.memory, offset, size)
                proof.memory = _range(grown, offset // 32, (offset + size - 1) // 32)
    if 0xA0 <= op <= 0xA4:
        proof.frame_context = track.context.encode()
        if len(stack) >= 2 and stack[-2] <= SINGLE_STEP_KECCAK_MAX_BYTES:
            proof.tx_context = list(builder.tx_context_words)
            offset, size = stack[-1], stack[-2]
            if size:
                grown = _grown(track.memory, offset, size)
                proof.memory = _range(grown, offset // 32, (offset + size - 1) // 32)
    if op == 0x35 and stack:
        proof.calldata = _calldata_opening(builder, track, stack[-1])
    if op in (0x54, 0x55) and stack:
        _storage_openings(builder, evm, proof, stack[-1])
    if op in ACCOUNT_OPS and (stack or op == 0x47):
        _account_openings(builder, evm, proof, op, stack[-1] if op != 0x47 else 0)
    if op in (0x37, 0x3E):
        proof.frame_context = track.context.encode()
    if op in (0x40, 0x49) and stack:
        proof.tx_env = list(builder.tx_env_words)
        proof.calldata = _env_array_opening(builder, trace, op, stack[-1])
    if op in (0x5C, 0x5D) and stack:
        proof.frame_context = track.context.encode()
        proof.tx_context = list(builder.tx_context_words)
        nodes, root = builder.world.nodes, builder.world.transient
        key = slot_key(evm.address, stack[-1])
        proof.transient = SmtOpening(
            root, key, smt.get(nodes, root, key), smt.prove(nodes, root, key)
        )
    return proof


def _calldata_opening(builder: TraceBuilder, track: Any, offset: int) -> RangeOpening | None:
    view = track.context.calldata
    indices = view.source_word_indices(offset, 32)
    if not indices:
        return None
    tree: MemoryTree | None = None
    tracks = builder.stack_of_tracks
    position = tracks.index(track)
    if position == 0:
        tree = MemoryTree.from_bytes(builder.tx.data)
    elif tracks[position - 1].memory.root == view.root:
        tree = tracks[position - 1].memory
    if tree is None:
        return None
    return _range(tree, indices[0], indices[-1])


def _env_array_opening(
    builder: TraceBuilder, trace: Trace, op: int, query: int
) -> RangeOpening | None:
    """BLOCKHASH: leaf ``query - (number - 256)`` of the 256 recent block hashes;
    BLOBHASH: leaf ``query`` of the versioned hashes; None when out of range."""
    assert trace.inputs is not None
    block = trace.inputs.block
    if op == 0x40:
        if not block.number - 256 <= query < block.number:
            return None
        hashes = [
            ZERO_WORD
            if block.number - 256 + i < 0 or block.block_hashes is None
            else block.block_hashes(block.number - 256 + i)
            for i in range(256)
        ]
        index = query - (block.number - 256)
    else:
        hashes = list(builder.tx.blob_versioned_hashes)
        if query >= len(hashes):
            return None
        index = query
    return _range(MemoryTree.from_bytes(b"".join(hashes)), index, index)


def _account_openings(
    builder: TraceBuilder, evm: EvmFrame, proof: StepProof, op: int, target_word: int
) -> None:
    """BALANCE / EXTCODESIZE / EXTCODEHASH: the target's account and warm-set openings;
    SELFBALANCE: the executing account (and the frame context naming it)."""
    world = builder.world
    nodes = world.nodes
    if op == 0x47:
        proof.frame_context = builder.tracks[id(evm)].context.encode()
        address = evm.address
    else:
        proof.tx_context = list(builder.tx_context_words)
        address = (target_word % (1 << 160)).to_bytes(20, "big")
        root = world.warm_addresses
        proof.warm_address = SmtOpening(
            root, address, smt.get(nodes, root, address), smt.prove(nodes, root, address)
        )
    record = world.record(address)
    proof.account_record = record
    proof.account = SmtOpening(
        world.root,
        address,
        None if record is None else record.leaf_value(),
        smt.prove(nodes, world.root, address),
    )


def _storage_openings(builder: TraceBuilder, evm: EvmFrame, proof: StepProof, slot: int) -> None:
    world = builder.world
    nodes = world.nodes
    address = evm.address
    record = world.record(address)
    proof.tx_context = list(builder.tx_context_words)
    proof.account_record = record
    proof.account = SmtOpening(
        world.root,
        address,
        None if record is None else record.leaf_value(),
        smt.prove(nodes, world.root, address),
    )
    storage_root = smt.EMPTY if record is None else record.storage_root
    key = storage_key(slot)
    proof.storage = SmtOpening(
        storage_root,
        key,
        smt.get(nodes, storage_root, key),
        smt.prove(nodes, storage_root, key),
    )
    warm_key = slot_key(address, slot)
    proof.warm_slot = SmtOpening(
        world.warm_slots,
        warm_key,
        smt.get(nodes, world.warm_slots, warm_key),
        smt.prove(nodes, world.warm_slots, warm_key),
    )


def _keccak_block_proof(
    builder: TraceBuilder, evm: EvmFrame, trace: Trace, index: int
) -> StepProof:
    """Sponge sub-step ``index`` of a KECCAK256 or LOGn over more than 1088 bytes, found
    by walking back to its opcode step. The replay stops after the whole operation, so
    the pre-state is rebuilt: the digest not yet pushed (KECCAK256), the log not yet
    appended to ``TxContext`` (LOGn; its final sub-step opens that context)."""
    kinds = trace.kinds
    op_step = index
    while kinds[op_step] == KIND_KECCAK_BLOCK:
        op_step -= 1
    op = kinds[op_step]
    if op != 0x20 and not 0xA0 <= op <= 0xA4:
        raise ProofNotSupported(f"sponge sub-step {index} does not follow KECCAK256 or LOGn")
    block = index - op_step - 1
    track = builder.tracks[id(evm)]
    if track.last_op != op or len(track.operands) < 2:
        raise ProofNotSupported(f"replay did not stop right after the {kind_name(op)}")
    offset, size = track.operands[0], track.operands[1]
    data = bytes(evm.memory[offset : offset + size])
    sponge = KeccakSponge()
    for b in range(block):
        sponge.absorb_block(data[b * KECCAK_RATE : (b + 1) * KECCAK_RATE])
    position = block * KECCAK_RATE
    if op == 0x20:
        purpose, header = KECCAK_FOR_STACK, ZERO_WORD
        pushed = 1  # the digest is not pushed yet
        context_words = list(builder.tx_context_words)
    else:
        purpose, header = KECCAK_FOR_LOG, log_header_hash(evm.address, list(track.operands[2:]))
        pushed = 0
        context_words = _before_last_log(builder)
    pending = PendingKeccak(
        PENDING_KECCAK, purpose, offset + position, size - position, size, sponge.commitment(),
        header,
    )  # fmt: skip
    stack_hash = track.stack.hash_below_top(pushed)
    frame = Frame(
        evm.pc, evm.gas_left, track.code_root, track.code_size, stack_hash,
        track.stack.size - pushed, track.memory.root, track.memory.size_words, pending.hash(),
        track.context_hash,
    )  # fmt: skip
    world = builder.world
    machine = [
        (1).to_bytes(32, "big"), world.root, builder.tx_env_hash, hash_words(*context_words),
        world.created, frame.hash(), builder.suspended[-1],
    ]  # fmt: skip
    start = offset + position
    end = min(start + KECCAK_RATE, offset + size)
    memory = _range(track.memory, start // 32, (end - 1) // 32) if end > start else None
    final = size - position < KECCAK_RATE
    return StepProof(
        index=index,
        kind=KIND_KECCAK_BLOCK,
        pre_state=trace.states[index],
        post_state=trace.states[index + 1],
        machine_record=machine,
        frame_record=frame.encode(),
        memory=memory,
        pending_record=pending.encode(),
        stack_below=stack_hash,
        tx_context=context_words if final and purpose == KECCAK_FOR_LOG else None,
        sponge_state=sponge.state_bytes() + sponge.absorbed.to_bytes(32, "big"),
    )


def _before_last_log(builder: TraceBuilder) -> list[bytes]:
    """``TxContext`` words as they were before the newest log was appended."""
    words = list(builder.tx_context_words)
    chain = builder.log_chain
    words[4] = chain[-2][1] if len(chain) >= 2 else ZERO_WORD
    words[5] = u256(int.from_bytes(words[5], "big") - 1)
    return words


@dataclass(slots=True)
class _CopyReplay:
    """Proof of a copy sub-step: the replay stops at the copy instruction (to keep the
    memory before it) and again right after its last sub-step (gas, pc, stack and the
    written words); the sub-step's pre-state memory is rebuilt in between."""

    trace: Trace
    index: int
    op_step: int = 0
    op: int = 0
    operands: tuple[int, int, int] = (0, 0, 0)
    memory_before: bytes = b""
    code: bytes = b""

    def __post_init__(self) -> None:
        kinds = self.trace.kinds
        step = self.index
        while kinds[step] == KIND_COPY_WORD:
            step -= 1
        if kinds[step] not in (0x37, 0x39, 0x3C, 0x3E, 0x5E):
            raise ProofNotSupported(f"copy sub-step {self.index} follows {kind_name(kinds[step])}")
        self.op_step, self.op = step, kinds[step]

    def observe(self, builder: TraceBuilder, evm: EvmFrame) -> None:
        if len(builder.meta) == self.op_step:  # at the copy instruction itself
            stack = evm.stack
            if self.op == 0x3C:  # EXTCODECOPY: the target's address comes first
                self.code = evm.ctx.state.get_code((stack[-1] % (1 << 160)).to_bytes(20, "big"))
                stack = stack[:-1]
            else:
                self.code = evm.code
            self.operands = (stack[-1], stack[-2], stack[-3])
            self.memory_before = bytes(evm.memory)
            return
        raise _Captured(self.prove(builder, evm))

    def prove(self, builder: TraceBuilder, evm: EvmFrame) -> StepProof:
        track = builder.tracks[id(evm)]
        dest, source_pos, length = self.operands
        final = bytes(evm.memory)
        plan = copy_plan(dest, length)
        done = self.index - self.op_step - 1
        before = bytearray(self.memory_before.ljust(len(final), b"\0"))
        source_memory = bytes(before)
        for word, _start, _count in plan[:done]:
            before[word * 32 : word * 32 + 32] = final[word * 32 : word * 32 + 32]
        memory = MemoryTree.from_bytes(bytes(before))
        consumed = sum(count for _word, _start, count in plan[:done])
        view = self.source_view(track, source_memory)
        kind = PENDING_COPY_CODE if self.op in (0x39, 0x3C) else PENDING_COPY_BYTES
        pending = PendingCopy(
            kind, view, (source_pos + consumed) % (1 << 256), dest + consumed, length - consumed
        )
        frame = Frame(
            evm.pc, evm.gas_left, track.code_root, track.code_size, track.stack.root,
            track.stack.size, memory.root, memory.size_words, pending.hash(), track.context_hash,
        )  # fmt: skip
        world = builder.world
        machine = [
            (1).to_bytes(32, "big"), world.root, builder.tx_env_hash, builder.tx_context_hash,
            world.created, frame.hash(), builder.suspended[-1],
        ]  # fmt: skip
        word, _start, count = plan[done]
        proof = StepProof(
            index=self.index,
            kind=KIND_COPY_WORD,
            pre_state=self.trace.states[self.index],
            post_state=self.trace.states[self.index + 1],
            machine_record=machine,
            frame_record=frame.encode(),
            stack_below=track.stack.root,
            pending_record=pending.encode(),
            memory=_range(memory, word, word),
        )
        position = pending.source_pos
        available = max(0, min(count, view.length - position))
        if available and kind == PENDING_COPY_CODE:
            for chunk in range(position // CODE_CHUNK_DATA, (position + available - 1) // 31 + 1):
                proof.code_chunks.append(_chunk(self.code, chunk * CODE_CHUNK_DATA))
        elif available:
            tree = self.source_tree(builder, track, source_memory)
            start = view.offset + position
            proof.calldata = _range(tree, start // 32, (start + available - 1) // 32)
        return proof

    def source_view(self, track: Any, source_memory: bytes) -> ByteView:
        if self.op == 0x37:
            return track.context.calldata  # type: ignore[no-any-return]
        if self.op == 0x3E:
            return track.context.returndata  # type: ignore[no-any-return]
        if self.op == 0x39:
            return ByteView(track.code_root, -(-track.code_size // 31), 0, track.code_size)
        if self.op == 0x3C:
            info = code_commitment_of(self.code)
            return ByteView(info.root, len(info.chunks), 0, info.size)
        tree = MemoryTree.from_bytes(source_memory)
        return ByteView(tree.root, tree.size_words, 0, tree.size_words * 32)

    def source_tree(self, builder: TraceBuilder, track: Any, source_memory: bytes) -> MemoryTree:
        if self.op == 0x5E:
            return MemoryTree.from_bytes(source_memory)
        if self.op == 0x37:
            tracks = builder.stack_of_tracks
            position = tracks.index(track)
            if position == 0:
                return MemoryTree.from_bytes(builder.tx.data)
            if tracks[position - 1].memory.root == track.context.calldata.root:
                return tracks[position - 1].memory  # type: ignore[no-any-return]
        raise ProofNotSupported("the source tree of this copy is not kept by the replay")


def prove_step(trace: Trace, index: int, *, base_only: bool = False) -> StepProof:
    """Proof data for step ``index`` of ``trace`` (which must carry replay inputs).

    The replay uses the same interpreter and hooks and stops at the step's pre-state;
    the collected ``MachineState`` preimage is checked against ``trace.states[index]``.
    ``base_only`` also answers instruction steps of uncovered classes, with the common
    openings only (machine, frame, code chunk, stack): what a rejection test sends.
    """
    if trace.inputs is None:
        raise ValueError("trace_transaction(..., backend_factory=...) is needed for proofs")
    if not 0 <= index < trace.step_count:
        raise IndexError(f"step {index} outside 0..{trace.step_count - 1}")
    kind = trace.step(index).kind
    if kind >= 0x100 and kind not in (KIND_KECCAK_BLOCK, KIND_COPY_WORD):
        raise ProofNotSupported(f"no proof data for sub-step kind {trace.step(index).name} yet")
    inputs = trace.inputs
    stop_at = index
    copy = _CopyReplay(trace, index) if kind == KIND_COPY_WORD else None
    if copy is not None:
        stop_at = copy.op_step

    def capture(builder: TraceBuilder, evm: EvmFrame, op: int) -> None:
        if copy is not None:
            copy.observe(builder, evm)
            return
        if kind == KIND_KECCAK_BLOCK:
            raise _Captured(_keccak_block_proof(builder, evm, trace, index))
        if len(builder.meta) != index:
            raise ProofNotSupported(f"step {index} is not an instruction step")
        raise _Captured(_instruction_proof(builder, evm, op, trace, index, base_only))

    from agents.evm.interpreter import run_in_big_stack

    def replay() -> StepProof:
        try:
            trace_transaction(
                inputs.backend_factory(), inputs.block, inputs.tx, inputs.sender,
                trace_context=inputs.trace_context, tx_index=inputs.tx_index,
                cumulative_gas_used=inputs.cumulative_gas_used,
                stop_at=stop_at, on_stop=capture,
            )  # fmt: skip
        except _Captured as done:
            return done.proof
        raise ProofNotSupported(f"replay never reached step {index}")

    proof = run_in_big_stack(replay)
    if keccak_256(b"".join(proof.machine_record)).digest() != proof.pre_state:
        raise AssertionError("replayed pre-state does not match the trace")
    return proof


# ------------------------------------------------------------------ dispute adapter


@dataclass(slots=True)
class EvmTraceProvider:
    """:class:`agents.dispute.trace.TraceProvider` over per-transaction EVM traces.

    ``traces[i]`` is transaction ``i + 1`` of the pack; each must have been traced with
    the game's ``trace_context`` and its 1-based ``tx_index`` so that its first and last
    states are the ``ITraceBinding`` start and end states.
    """

    traces: list[Trace]
    step_depth: int

    def __post_init__(self) -> None:
        for trace in self.traces:
            if trace.step_count > (1 << self.step_depth):
                raise ValueError(
                    f"a trace of {trace.step_count} steps does not fit 2**{self.step_depth}"
                )

    @property
    def tx_count(self) -> int:
        return len(self.traces)

    def tx_root(self, tx_index: int) -> bytes:
        if tx_index == 0:
            return self.traces[0].pre_root
        return self.traces[tx_index - 1].post_root

    def tx_roots(self) -> list[bytes]:
        return [t.post_root for t in self.traces]

    def step_state(self, tx_index: int, step: int) -> bytes:
        if not 1 <= tx_index <= len(self.traces):
            raise IndexError(f"tx {tx_index} outside 1..{len(self.traces)}")
        return self.traces[tx_index - 1].state_at(step, 1 << self.step_depth)

    def step_proof(self, tx_index: int, step: int) -> bytes:
        trace = self.traces[tx_index - 1]
        if step >= 1 << self.step_depth:
            raise IndexError("the last state of a trace has no step after it")
        from agents.evm.proof_abi import encode_done_proof, encode_step_proof

        if step >= trace.step_count:  # DONE steps to itself: its record is the proof
            return encode_done_proof(trace.trace_context, trace.tx_index, trace.post_root)
        return encode_step_proof(prove_step(trace, step))
