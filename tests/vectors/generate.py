"""Generate the golden vectors shared by the Python agents and the Solidity prover.

``smt.json`` pins the sparse Merkle tree (leaf and internal hashing, roots, inclusion
and non-inclusion proofs, roots recomputed from proofs after an update);
``commitment.json`` pins the machine-state hashing of ``docs/commitment.md`` (word
trees, code chunks and JUMPDEST checks, stack chain, sponge sub-steps, frame, context
and machine records, account records). Everything is derived from keccak counters, so
the output is byte-for-byte deterministic.

    .venv/bin/python tests/vectors/generate.py          # rewrite the JSON files
    .venv/bin/python tests/vectors/generate.py --check  # exit 1 if they are stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from agents.evm import commitment as c  # noqa: E402
from agents.evm import smt  # noqa: E402
from agents.evm.store import AccountRecord  # noqa: E402


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def word(value: int) -> str:
    return hx(value.to_bytes(32, "big"))


def pseudo(label: str, index: int, length: int = 32) -> bytes:
    """Deterministic bytes: keccak(label || index) stretched to ``length``."""
    out = b""
    counter = 0
    while len(out) < length:
        out += c.keccak(f"{label}/{index}/{counter}".encode())
        counter += 1
    return out[:length]


# ================================================================ smt.json


def smt_case(name: str, entries: dict[bytes, bytes], absent: list[bytes]) -> dict[str, Any]:
    store: dict[bytes, bytes] = {}
    root = smt.update(store, smt.EMPTY, entries)
    proofs = []
    for key in list(entries)[:12] + absent:
        value = entries.get(key)
        proof = smt.prove(store, root, key)
        assert smt.verify_proof(root, key, value, proof)
        proofs.append(
            {
                "key": hx(key),
                "path": hx(smt.key_path(key)),
                "value": None if value is None else hx(value),
                "proof": proof.to_json(),
            }
        )
    updates = []
    candidates: list[tuple[bytes, bytes | None]] = []
    for i, key in enumerate(list(entries)[:4]):
        candidates.append((key, pseudo(name + "/new", i)))
        candidates.append((key, None))
    for i, key in enumerate(absent[:4]):
        candidates.append((key, pseudo(name + "/ins", i)))
    for key, new_value in candidates:
        old_value = entries.get(key)
        proof = smt.prove(store, root, key)
        new_root = smt.root_after_update_from_proof(root, key, old_value, new_value, proof)
        assert new_root == smt.update(store, root, {key: new_value})
        updates.append(
            {
                "key": hx(key),
                "oldValue": None if old_value is None else hx(old_value),
                "newValue": None if new_value is None else hx(new_value),
                "proof": proof.to_json(),
                "newRoot": hx(new_root),
            }
        )
    return {
        "name": name,
        "entries": [{"key": hx(k), "value": hx(v)} for k, v in entries.items()],
        "root": hx(root),
        "proofs": proofs,
        "updates": updates,
    }


def smt_vectors() -> dict[str, Any]:
    slot_keys = [i.to_bytes(32, "big") for i in range(40)]
    addresses = [pseudo("address", i, 20) for i in range(60)]
    absent_addresses = [pseudo("absent-address", i, 20) for i in range(6)]
    cases = [
        smt_case("empty", {}, [slot_keys[0], slot_keys[1]]),
        smt_case("one leaf", {slot_keys[1]: pseudo("v1", 1)}, [slot_keys[2], slot_keys[3]]),
        smt_case(
            "two leaves",
            {slot_keys[1]: pseudo("v2", 1), slot_keys[2]: pseudo("v2", 2)},
            [slot_keys[3], slot_keys[4], slot_keys[5]],
        ),
        smt_case(
            "storage slots 0..15",
            {k: pseudo("v16", i) for i, k in enumerate(slot_keys[:16])},
            slot_keys[16:22],
        ),
        smt_case(
            "60 accounts",
            {a: pseudo("acct", i) for i, a in enumerate(addresses)},
            absent_addresses,
        ),
    ]
    key = b"\x2a" * 32
    value = pseudo("leaf", 0)
    return {
        "description": "Keccak sparse Merkle tree: see docs/commitment.md, section 2.",
        "empty": hx(smt.EMPTY),
        "leafHashing": {
            "key": hx(key),
            "path": hx(smt.key_path(key)),
            "value": hx(value),
            "preimage": hx(smt.LEAF_PREFIX + smt.key_path(key) + value),
            "leafHash": hx(smt.leaf_hash(smt.key_path(key), value)),
        },
        "internalHashing": {
            "left": hx(pseudo("left", 0)),
            "right": hx(pseudo("right", 0)),
            "hash": hx(smt.internal_hash(pseudo("left", 0), pseudo("right", 0))),
        },
        "cases": cases,
    }


# ================================================================ commitment.json


def word_tree_vectors() -> list[dict[str, Any]]:
    out = []
    for size in (0, 1, 2, 3, 5, 8, 33):
        leaves = [pseudo("leaf", i) for i in range(size)]
        root = c.merkle_root(leaves)
        out.append(
            {
                "leafCount": size,
                "depth": c.tree_depth(size),
                "leaves": [hx(x) for x in leaves],
                "root": hx(root),
                "proofs": [
                    {"index": i, "siblings": [hx(s) for s in c.merkle_proof(leaves, i)]}
                    for i in sorted({0, size // 2, size - 1})
                    if 0 <= i < size
                ],
                "rangeProofs": [
                    {
                        "first": first,
                        "count": count,
                        "siblings": [hx(x) for x in c.range_proof(leaves, first, count)],
                    }
                    for first, count in ((0, size), (1, 2), (size // 2, 3))
                    if count >= 1 and first + count <= size
                ],
            }
        )
    return out


def code_vectors() -> list[dict[str, Any]]:
    codes = [
        b"",
        bytes.fromhex("600160005260206000f3"),
        bytes([0x5B, 0x60, 0x5B]) + bytes([0x5B]) * 28 + bytes([0x7F]) + bytes([0x5B]) * 40,
        bytes([0x61, 0x5B, 0x5B] * 30) + bytes([0x5B] * 3),
    ]
    out = []
    for code in codes:
        chunks = c.code_chunks(code)
        checks = []
        for pc in range(len(code)):
            if code[pc] == 0x5B:
                index, _ = c.code_chunk_index(pc)
                checks.append(
                    {"pc": pc, "chunk": index, "valid": c.is_jumpdest_in_chunk(chunks[index], pc)}
                )
        out.append(
            {
                "code": hx(code),
                "size": len(code),
                "chunks": [hx(x) for x in chunks],
                "root": hx(c.code_root(code)),
                "jumpdestChecks": checks[:40],
            }
        )
    return out


def record_vector(record: Any) -> dict[str, Any]:
    encoded = record.encode()
    return {"words": [hx(w) for w in encoded], "hash": hx(record.hash())}


def commitment_vectors() -> dict[str, Any]:
    memory = c.MemoryTree()
    memory.expand(5)
    for i in range(5):
        memory.write_word(i, pseudo("mem", i))
    grown_root = c.root_after_growth(memory.root, 5, 40)

    stack_values = [int.from_bytes(pseudo("stack", i), "big") for i in range(5)]
    stack = c.StackCommitment()
    stack.push_many(stack_values)

    sponge_inputs = [b"", b"abc", pseudo("sponge", 0, 136), pseudo("sponge", 1, 300)]
    sponges = []
    for data in sponge_inputs:
        digest, commitments = c.keccak_in_blocks(data)
        sponges.append(
            {
                "data": hx(data),
                "digest": hx(digest),
                "blockCommitments": [hx(x) for x in commitments],
            }
        )
    permutation_in = [int.from_bytes(pseudo("lanes", i, 8), "little") for i in range(25)]
    permutation_out = c.keccak_f1600(permutation_in)

    builder = c.MerkleBuilder()
    builder_steps = []
    for i in range(7):
        builder.append(pseudo("chunk", i))
        builder_steps.append(hx(builder.commitment()))

    log_address = pseudo("log-address", 0, 20)
    topics = [int.from_bytes(pseudo("topic", i), "big") for i in range(2)]
    log_data = pseudo("log-data", 0, 70)
    log_header = c.log_header_hash(log_address, topics)
    entry = c.log_entry_hash(log_header, len(log_data), c.keccak(log_data))

    calldata = c.view_of_bytes(pseudo("calldata", 0, 68))
    context = c.FrameContext(
        calldata=calldata,
        returndata=c.ByteView(memory.root, memory.size_words, 3, 100),
        caller=pseudo("caller", 0, 20),
        address=pseudo("callee", 0, 20),
        code_address=pseudo("callee", 0, 20),
        value=10**18,
        is_static=False,
        depth=1,
        call_kind=c.CALL_KIND_CALL,
        return_offset=64,
        return_size=32,
        revert_snapshot=c.revert_snapshot(pseudo("world", 0), c.TxContext().hash()),
    )
    code = bytes.fromhex("6001600055")
    frame = c.Frame(
        pc=2,
        gas=30_000,
        code_root=c.code_root(code),
        code_size=len(code),
        stack_hash=stack.root,
        stack_size=stack.size,
        memory_root=memory.root,
        memory_words=memory.size_words,
        pending_op=c.ZERO_WORD,
        context_hash=context.hash(),
    )
    tx_context = c.TxContext(
        refund=4800, logs_hash=c.logs_accumulate(c.ZERO_WORD, entry), log_count=1
    )
    tx_env = c.TxEnv(
        origin=pseudo("origin", 0, 20),
        gas_price=7,
        priority_fee_per_gas=2,
        gas_limit=100_000,
        coinbase=pseudo("coinbase", 0, 20),
        timestamp=1_700_000_000,
        number=42,
        prev_randao=pseudo("randao", 0),
        block_gas_limit=30_000_000,
        chain_id=424242,
        base_fee=5,
        blob_base_fee=1,
        trace_context=pseudo("pack", 0),
        tx_index=3,
    )
    suspended = c.frame_stack_push(c.ZERO_WORD, pseudo("parent-frame", 0))
    machine = c.MachineState(
        phase=c.PHASE_RUNNING,
        world_root=pseudo("world", 1),
        tx_env_hash=tx_env.hash(),
        tx_context_hash=tx_context.hash(),
        created_accounts=smt.EMPTY,
        frame_hash=frame.hash(),
        suspended_frames=suspended,
    )
    pending = {
        "copy": c.PendingCopy(c.PENDING_COPY_BYTES, calldata, 4, 96, 64),
        "keccak": c.PendingKeccak(
            c.PENDING_KECCAK,
            c.KECCAK_FOR_LOG,
            0,
            1500,
            1500,
            c.KeccakSponge().commitment(),
            log_header,
        ),
        "codeBuild": c.PendingCodeBuild(
            c.PENDING_CODE_BUILD,
            c.BUILD_FOR_DEPLOY,
            calldata,
            68,
            c.KeccakSponge().commitment(),
            31,
            2,
            builder.commitment(),
            c.ZERO_WORD,
        ),
        "call": c.PendingCall(
            c.PENDING_CALL,
            c.CALL_KIND_CALL,
            50_000,
            pseudo("callee", 0, 20),
            pseudo("callee", 0, 20),
            1,
            0,
            68,
            0,
            32,
        ),
        "exit": c.PendingExit(c.PENDING_EXIT, c.EXIT_REVERT, 0, 100),
        "create": c.PendingCreate(
            c.PENDING_CREATE,
            c.CALL_KIND_CREATE2,
            60_000,
            pseudo("created", 0, 20),
            5,
            c.code_root(code),
            len(code),
        ),
        "selfdestruct": c.PendingSelfdestruct(c.PENDING_SELFDESTRUCT, pseudo("beneficiary", 0, 20)),
    }

    account = AccountRecord(
        nonce=1,
        balance=10**18,
        storage_root=pseudo("storage-root", 0),
        code_hash=c.keccak(code),
        code_root=c.code_root(code),
        code_size=len(code),
    )
    warm = c.SetCommitment()
    for i in range(3):
        warm.add(pseudo("warm", i, 20))

    return {
        "description": "Machine-state hashing: see docs/commitment.md, sections 3-5.",
        "zeroTree": [hx(x) for x in c.ZERO_TREE[:33]],
        "wordTrees": word_tree_vectors(),
        "memoryGrowth": {
            "oldRoot": hx(memory.root),
            "oldWords": 5,
            "newWords": 40,
            "newRoot": hx(grown_root),
        },
        "code": code_vectors(),
        "stack": {
            "values": [word(v) for v in stack_values],
            "prefixes": [hx(p) for p in stack.prefixes],
            "hash": hx(stack.root),
        },
        "keccakF1600": {
            "lanesIn": [hex(v) for v in permutation_in],
            "lanesOut": [hex(v) for v in permutation_out],
        },
        "sponge": sponges,
        "merkleBuilder": {
            "leaves": [hx(pseudo("chunk", i)) for i in range(7)],
            "commitmentsAfterEachAppend": builder_steps,
            "root": hx(builder.root()),
        },
        "log": {
            "address": hx(log_address),
            "topics": [word(t) for t in topics],
            "data": hx(log_data),
            "headerHash": hx(log_header),
            "entryHash": hx(entry),
            "accumulatorAfterOne": hx(c.logs_accumulate(c.ZERO_WORD, entry)),
        },
        "warmAddressSet": {
            "members": [hx(pseudo("warm", i, 20)) for i in range(3)],
            "root": hx(warm.root),
            "chain": hx(warm.chain),
            "count": warm.count,
        },
        "slotKey": {
            "address": hx(pseudo("warm", 0, 20)),
            "slot": word(5),
            "key": hx(c.slot_key(pseudo("warm", 0, 20), 5)),
        },
        "accountRecord": {
            "encoding": hx(account.encode()),
            "leafValue": hx(account.leaf_value()),
        },
        "frameContext": record_vector(context),
        "frame": record_vector(frame),
        "txContext": record_vector(tx_context),
        "txEnv": record_vector(tx_env),
        "suspendedFrames": {
            "below": hx(c.ZERO_WORD),
            "frameHash": hx(pseudo("parent-frame", 0)),
            "hash": hx(suspended),
        },
        "machineState": record_vector(machine),
        "pending": {name: record_vector(record) for name, record in pending.items()},
        "traceBoundaries": {
            "traceContext": hx(pseudo("pack", 0)),
            "txIndex": 3,
            "preTxRoot": hx(pseudo("world", 2)),
            "postTxRoot": hx(pseudo("world", 3)),
            "txLocator": hx(c.tx_locator(pseudo("pack", 0), 3)),
            "startState": hx(c.trace_start_state(pseudo("pack", 0), 3, pseudo("world", 2))),
            "endState": hx(c.trace_end_state(pseudo("pack", 0), 3, pseudo("world", 3))),
        },
    }


# ================================================================ prover.json
# Added for the Solidity prover libraries (contracts/prover/lib): openings the one-step
# prover performs that the two files above do not spell out. New file, so smt.json and
# commitment.json stay byte-identical.


def code_opening_vectors() -> list[dict[str, Any]]:
    """Per instruction: its chunk and leaf proof, and for PUSHn the value, read from the
    opcode's chunk and the next two (zero words past the code, as the prover sees them)."""
    codes = [
        bytes.fromhex("600160005260206000f3"),
        # PUSH32 at a chunk's last byte (its data fills the next chunk and one byte of the
        # one after), PUSH2 at a chunk's last byte, PUSH1 as the very last byte (its
        # missing data reads as zero).
        bytes([0x5B] * 30 + [0x7F])
        + bytes(range(1, 33))
        + bytes([0x5B] * 29 + [0x61, 0xAA, 0xBB, 0x60]),
        # PUSH32 in the middle of a chunk (data over two chunks) and truncated PUSH16.
        bytes([0x5B] * 10 + [0x7F]) + bytes(range(0x40, 0x60)) + bytes([0x6F, 0x01, 0x02]),
        bytes([0x61, 0x5B, 0x5B] * 30) + bytes([0x5B] * 3),
    ]
    out = []
    for code in codes:
        chunks = c.code_chunks(code)
        steps = []
        pc = 0
        while pc < len(code):
            op = code[pc]
            index, _ = c.code_chunk_index(pc)
            following = [
                chunks[i] if i < len(chunks) else c.ZERO_WORD for i in (index + 1, index + 2)
            ]
            n = op - 0x5F if 0x60 <= op <= 0x7F else 0
            data = code[pc + 1 : pc + 1 + n]
            steps.append(
                {
                    "pc": pc,
                    "opcode": op,
                    "chunkIndex": index,
                    "chunk": hx(chunks[index]),
                    "siblings": [hx(x) for x in c.merkle_proof(chunks, index)],
                    "next1": hx(following[0]),
                    "next2": hx(following[1]),
                    "pushSize": n,
                    "pushValue": word(int.from_bytes(data + bytes(n - len(data)), "big")),
                }
            )
            pc += 1 + n
        out.append(
            {
                "code": hx(code),
                "size": len(code),
                "chunkCount": len(chunks),
                "root": hx(c.code_root(code)),
                "steps": steps,
            }
        )
    return out


def word_tree_write_vectors() -> list[dict[str, Any]]:
    """Leaf writes: the proof of the old leaf and the root after the write."""
    out = []
    for size in (1, 2, 3, 5, 8, 33):
        leaves = [pseudo("leaf", i) for i in range(size)]
        root = c.merkle_root(leaves)
        for index in sorted({0, size // 2, size - 1}):
            new_leaf = pseudo("written", index)
            siblings = c.merkle_proof(leaves, index)
            new_root = c.root_after_leaf_write(index, new_leaf, siblings)
            assert new_root == c.merkle_root(leaves[:index] + [new_leaf] + leaves[index + 1 :])
            out.append(
                {
                    "leafCount": size,
                    "root": hx(root),
                    "index": index,
                    "oldLeaf": hx(leaves[index]),
                    "newLeaf": hx(new_leaf),
                    "siblings": [hx(x) for x in siblings],
                    "newRoot": hx(new_root),
                }
            )
    return out


def growth_vectors() -> list[dict[str, Any]]:
    """Memory expansion: the root of `old` words grown to `new` words."""
    out = []
    for old, new in ((0, 1), (0, 7), (1, 2), (3, 4), (5, 40), (33, 33), (64, 65), (100, 3000)):
        leaves = [pseudo("grow", i) for i in range(old)]
        root = c.merkle_root(leaves)
        grown = c.root_after_growth(root, old, new)
        assert grown == c.merkle_root(leaves + [c.ZERO_WORD] * max(new - old, 0)) or new <= old
        out.append({"oldWords": old, "newWords": new, "oldRoot": hx(root), "newRoot": hx(grown)})
    return out


def set_insertion_vectors() -> dict[str, Any]:
    """The warm-address set of commitment.json built insertion by insertion from proofs
    (what the prover does), plus a slot set keyed `address || w(slot)`."""
    out: dict[str, Any] = {}
    for name, keys in (
        ("warmAddresses", [pseudo("warm", i, 20) for i in range(3)]),
        ("warmSlots", [c.slot_key(pseudo("warm", i % 2, 20), i) for i in range(6)]),
    ):
        store: dict[bytes, bytes] = {}
        root = smt.EMPTY
        steps = []
        for key in keys:
            proof = smt.prove(store, root, key)
            new_root = smt.update(store, root, {key: c.ONE_WORD})
            assert smt.root_after_update_from_proof(root, key, None, c.ONE_WORD, proof) == new_root
            steps.append(
                {
                    "key": hx(key),
                    "root": hx(root),
                    "proof": proof.to_json(),
                    "newRoot": hx(new_root),
                }
            )
            root = new_root
        out[name] = steps
    return out


def prover_vectors() -> dict[str, Any]:
    return {
        "description": "Openings of the Solidity prover libraries: docs/commitment.md, 2.2-3.",
        "codeOpenings": code_opening_vectors(),
        "wordTreeWrites": word_tree_write_vectors(),
        "growth": growth_vectors(),
        "setInsertions": set_insertion_vectors(),
    }


# ================================================================ main


def render() -> dict[str, str]:
    return {
        "smt.json": json.dumps(smt_vectors(), indent=1) + "\n",
        "commitment.json": json.dumps(commitment_vectors(), indent=1) + "\n",
        "prover.json": json.dumps(prover_vectors(), indent=1) + "\n",
    }


def main(argv: list[str]) -> int:
    rendered = render()
    if "--check" in argv:
        stale = [
            name
            for name, text in rendered.items()
            if not (HERE / name).exists() or (HERE / name).read_text() != text
        ]
        if stale:
            print("stale golden vectors (run tests/vectors/generate.py):", ", ".join(stale))
            return 1
        return 0
    for name, text in rendered.items():
        (HERE / name).write_text(text)
        print(f"wrote {HERE / name} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
