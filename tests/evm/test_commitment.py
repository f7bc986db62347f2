"""Per-step commitment primitives (agents.evm.commitment): incremental == from scratch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sha3 import keccak_256

from agents.evm import commitment as c

REPO = Path(__file__).resolve().parents[2]
words256 = st.integers(0, 2**256 - 1)


# ------------------------------------------------------------------ stack

stack_ops = st.lists(
    st.one_of(
        st.tuples(st.just("push"), words256),
        st.tuples(st.just("pop"), st.integers(1, 3)),
        st.tuples(st.just("dup"), st.integers(1, 16)),
        st.tuples(st.just("swap"), st.integers(1, 16)),
        st.tuples(st.just("binop"), words256),
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(stack_ops)
def test_stack_commitment_incremental_equals_from_scratch(ops):
    values: list[int] = []
    stack = c.StackCommitment()
    for op, arg in ops:
        if op == "push" and len(values) < 1024:
            values.append(arg)
            stack.push(arg)
        elif op == "pop" and len(values) >= arg:
            del values[-arg:]
            stack.pop(arg)
        elif op == "dup" and len(values) >= arg:
            values.append(values[-arg])
            stack.push(values[-1])
        elif op == "swap" and len(values) > arg:
            values[-1], values[-1 - arg] = values[-1 - arg], values[-1]
            stack.replace_top(values[-1 - arg :])
        elif op == "binop" and len(values) >= 2:
            del values[-2:]
            values.append(arg)
            stack.pop(2)
            stack.push(arg)
        assert stack.size == len(values)
        assert stack.root == c.stack_hash_of(values)
    for count in range(min(len(values), 17) + 1):
        below = stack.hash_below_top(count)
        rebuilt = below
        for v in values[len(values) - count :]:
            rebuilt = c.stack_push_hash(rebuilt, v)
        assert rebuilt == stack.root


# ------------------------------------------------------------------ memory

memory_writes = st.lists(
    st.tuples(st.integers(0, 3000), st.binary(min_size=1, max_size=100)), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(memory_writes)
def test_memory_tree_incremental_equals_from_scratch(writes):
    memory = bytearray()
    tree = c.MemoryTree()
    for offset, data in writes:
        end = offset + len(data)
        if end > len(memory):
            memory.extend(b"\x00" * (-(-end // 32) * 32 - len(memory)))
        memory[offset:end] = data
        tree.sync(memory, offset, len(data))
        assert tree.size_words == len(memory) // 32
        assert tree.root == c.merkle_root(c.words_of(bytes(memory)))
    for index in range(0, tree.size_words, 7):
        siblings = tree.prove_word(index)
        assert c.verify_leaf(tree.root, tree.size_words, index, tree.word(index), siblings)
        new_word = keccak_256(bytes([index % 256])).digest()
        expected = tree.snapshot()
        expected.write_word(index, new_word)
        assert c.root_after_leaf_write(index, new_word, siblings) == expected.root


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 600), st.integers(0, 600), st.binary(min_size=1, max_size=64))
def test_memory_growth_from_root_alone(old_words, extra, first_word):
    old = c.MemoryTree()
    old.expand(old_words)
    if old_words:
        old.write_word(0, first_word.ljust(32, b"\x00")[:32])
    grown = old.snapshot()
    grown.expand(old_words + extra)
    assert c.root_after_growth(old.root, old_words, old_words + extra) == grown.root


def test_snapshot_is_independent():
    tree = c.MemoryTree.from_bytes(b"\x01" * 64)
    frozen = tree.snapshot()
    tree.write_word(1, b"\x02" * 32)
    assert frozen.root == c.merkle_root([b"\x01" * 32, b"\x01" * 32])
    assert tree.root != frozen.root


def test_leaf_proof_rejects_wrong_shapes():
    leaves = [bytes([i]) * 32 for i in range(5)]
    root = c.merkle_root(leaves)
    proof = c.merkle_proof(leaves, 3)
    assert c.verify_leaf(root, 5, 3, leaves[3], proof)
    assert not c.verify_leaf(root, 5, 3, leaves[2], proof)
    assert not c.verify_leaf(root, 4, 3, leaves[3], proof[:-1])
    assert not c.verify_leaf(root, 5, 8, leaves[3], proof)


# ------------------------------------------------------------------ code


def jumpdests_by_scan(code: bytes) -> set[int]:
    valid, pc = set(), 0
    while pc < len(code):
        op = code[pc]
        if op == 0x5B:
            valid.add(pc)
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return valid


bytecode = st.lists(
    st.sampled_from([0x5B, 0x60, 0x61, 0x7F, 0x7E, 0x00, 0x01, 0x56, 0x6F]), max_size=300
).map(bytes)


@settings(max_examples=200, deadline=None)
@given(bytecode)
def test_jumpdest_from_one_chunk_matches_full_analysis(code):
    chunks = c.code_chunks(code)
    assert len(chunks) == -(-len(code) // 31)
    valid = jumpdests_by_scan(code)
    for pc in range(len(code)):
        index, position = c.code_chunk_index(pc)
        assert chunks[index][position] == code[pc]
        assert c.is_jumpdest_in_chunk(chunks[index], pc) == (pc in valid)
    assert c.code_root(code) == c.merkle_root(chunks)


# ------------------------------------------------------------------ builders and sponge


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_append_only_builder_matches_merkle_root(leaves):
    builder = c.MerkleBuilder()
    commitments = {builder.commitment()}
    for leaf in leaves:
        builder.append(leaf)
        commitments.add(builder.commitment())
        assert len(builder.frontier) <= max(1, builder.count.bit_length())
    assert builder.root() == c.merkle_root(leaves)
    assert len(commitments) == len(leaves) + 1


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=700))
def test_sponge_in_blocks_equals_keccak(data):
    digest, commitments = c.keccak_in_blocks(data)
    assert digest == keccak_256(data).digest()
    assert len(commitments) == len(data) // c.KECCAK_RATE + 1


# ------------------------------------------------------------------ copies, sets, records


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 500))
def test_copy_plan_covers_destination_once(dest, length):
    plan = c.copy_plan(dest, length)
    covered = []
    for word, start, count in plan:
        assert 0 < count <= 32 and start + count <= 32
        covered.extend(range(word * 32 + start, word * 32 + start + count))
    assert covered == list(range(dest, dest + length))
    assert len(plan) == (0 if length == 0 else (dest + length - 1) // 32 - dest // 32 + 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=20, max_size=20), max_size=20), st.randoms())
def test_set_root_is_order_independent(members, rnd):
    forward, shuffled = c.SetCommitment(), c.SetCommitment()
    for m in members:
        forward.add(m)
    reordered = list(members)
    rnd.shuffle(reordered)
    for m in reordered:
        shuffled.add(m)
    assert forward.root == shuffled.root
    assert forward.count == len(set(members))
    assert all(forward.contains(m) for m in members)
    assert not forward.add(members[0]) if members else True


def test_records_hash_their_word_encoding():
    frame = c.Frame(pc=7, gas=100, stack_size=1, stack_hash=c.stack_hash_of([5]))
    assert frame.hash() == keccak_256(b"".join(frame.encode())).digest()
    assert len(frame.encode()) == 10
    context = c.FrameContext(caller=b"\x01" * 20, calldata=c.view_of_bytes(b"hello"))
    assert len(context.encode()) == 18
    assert len(c.TxContext().encode()) == 12
    assert len(c.TxEnv().encode()) == 17
    assert len(c.MachineState().encode()) == 7
    machine = c.MachineState(phase=2, world_root=b"\x07" * 32, frame_hash=frame.hash())
    assert machine.hash() == keccak_256(b"".join(machine.encode())).digest()
    snapshot = c.revert_snapshot(b"\x01" * 32, c.TxContext().hash())
    assert len(snapshot) == 32


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70), st.data())
def test_range_proofs_open_contiguous_words(size, data):
    leaves = [keccak_256(bytes([i])).digest() for i in range(size)]
    root = c.merkle_root(leaves)
    first = data.draw(st.integers(0, size - 1))
    count = data.draw(st.integers(1, size - first))
    proof = c.range_proof(leaves, first, count)
    assert len(proof) <= 2 * c.tree_depth(size)
    assert c.root_from_range(size, first, leaves[first : first + count], proof) == root
    tree = c.MemoryTree.from_bytes(b"".join(leaves))
    assert tree.prove_range(first, count) == proof
    tampered = list(leaves[first : first + count])
    tampered[0] = b"\x00" * 32 if tampered[0] != b"\x00" * 32 else b"\x01" * 32
    assert c.root_from_range(size, first, tampered, proof) != root
    assert c.root_from_range(size, first, leaves[first : first + count], proof + [root]) is None


def test_trace_boundaries_are_distinct_and_bind_the_root():
    context = b"\x05" * 32
    start = c.trace_start_state(context, 1, b"\x01" * 32)
    assert start != c.trace_end_state(context, 1, b"\x01" * 32)
    assert start != c.trace_start_state(context, 1, b"\x02" * 32)
    assert start != c.trace_start_state(context, 2, b"\x01" * 32)


def test_pending_records_commit_every_field():
    record = c.PendingCall(
        c.PENDING_CALL, c.CALL_KIND_CALL, 1, b"\x01" * 20, b"\x01" * 20, 0, 0, 0, 0, 0
    )
    assert len(record.encode()) == 10
    assert (
        record.hash()
        != c.PendingCall(
            c.PENDING_CALL, c.CALL_KIND_CALL, 2, b"\x01" * 20, b"\x01" * 20, 0, 0, 0, 0, 0
        ).hash()
    )
    copy = c.PendingCopy(c.PENDING_COPY_BYTES, c.view_of_bytes(b"abc"), 0, 0, 3)
    assert len(copy.encode()) == 8


def test_golden_vectors_are_up_to_date():
    generator = REPO / "tests" / "vectors" / "generate.py"
    result = subprocess.run(
        [sys.executable, str(generator), "--check"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("smt.json", "commitment.json"):
        json.loads((REPO / "tests" / "vectors" / name).read_text())


# ------------------------------------------------------------------ worked example


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 50), st.integers(1, 2**256 - 1), max_size=12),
    st.integers(0, 50),
    st.integers(0, 2**256 - 1),
)
def test_sstore_step_from_proofs_matches_direct_recomputation(slots, key, new_value):
    """docs/commitment.md section 8: the post-state from proofs equals a full rebuild."""
    from agents.evm import smt
    from agents.evm.store import AccountRecord, storage_key

    contract, other = b"\xaa" * 20, b"\xbb" * 20
    nodes: dict[bytes, bytes] = {}

    def word_or_none(value: int) -> bytes | None:
        return None if value == 0 else value.to_bytes(32, "big")

    def world_of(storage: dict[int, int]) -> tuple[bytes, AccountRecord]:
        storage_root = smt.update(
            nodes, smt.EMPTY, {storage_key(k): word_or_none(v) for k, v in storage.items()}
        )
        record = AccountRecord(1, 10, storage_root)
        other_record = AccountRecord(5, 99)
        root = smt.update(
            nodes,
            smt.EMPTY,
            {contract: record.leaf_value(), other: other_record.leaf_value()},
        )
        return root, record

    world_root, record = world_of(slots)
    stack = c.StackCommitment()
    stack.push_many([123, new_value, key])  # SSTORE pops key (top) then value
    tx_context = c.TxContext(refund=0)
    frame = c.Frame(pc=0, gas=100_000, stack_hash=stack.root, stack_size=stack.size)

    # --- proofs the honest party supplies
    account_proof = smt.prove(nodes, world_root, contract)
    storage_proof = smt.prove(nodes, record.storage_root, storage_key(key))
    warm_proof = smt.prove(nodes, tx_context.warm_slots, c.slot_key(contract, key))
    below = stack.hash_below_top(2)

    # --- what the on-chain prover does
    assert c.stack_push_hash(c.stack_push_hash(below, new_value), key) == frame.stack_hash
    assert smt.verify_proof(world_root, contract, record.leaf_value(), account_proof)
    current = slots.get(key, 0)
    assert smt.verify_proof(
        record.storage_root, storage_key(key), word_or_none(current), storage_proof
    )
    warm_slots = smt.root_after_update_from_proof(
        tx_context.warm_slots, c.slot_key(contract, key), None, c.u256(current), warm_proof
    )
    storage_root = smt.root_after_update_from_proof(
        record.storage_root,
        storage_key(key),
        word_or_none(current),
        word_or_none(new_value),
        storage_proof,
    )
    new_record = AccountRecord(
        record.nonce, record.balance, storage_root, record.code_hash, record.code_root, 0
    )
    new_world = smt.root_after_update_from_proof(
        world_root, contract, record.leaf_value(), new_record.leaf_value(), account_proof
    )

    # --- the same post-state computed from scratch
    expected_slots = dict(slots)
    expected_slots[key] = new_value
    expected_world, expected_record = world_of(expected_slots)
    assert new_world == expected_world
    assert storage_root == expected_record.storage_root
    assert warm_slots == smt.root_of({c.slot_key(contract, key): c.u256(current)})
    assert below == c.stack_hash_of([123])
