"""Parity of the Solidity prover libraries' algorithms with the Python scheme.

The forge tests (``tests/forge/prover``) check the Solidity code against the golden
vectors. These tests check, on the Python side, that

* ``tests/vectors/prover.json`` (the vectors added for the Solidity libraries) agrees
  with ``agents/evm/commitment.py`` and ``agents/evm/smt.py``;
* the places where the Solidity code computes something differently from Python (in
  closed form instead of a loop, or from fewer inputs) give Python's answers: the
  depth a lone leaf rises to after a deletion, PUSH data read from chunk bodies, the
  range-proof fold done in one buffer, the JUMPDEST check against a linear scan.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from agents.evm import commitment as c
from agents.evm import smt

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def _b(h: str) -> bytes:
    return bytes.fromhex(h[2:])


def _proof(obj: dict) -> smt.SmtProof:
    leaf = obj["terminalLeaf"]
    opening = obj["deepestSiblingPreimage"]
    return smt.SmtProof(
        obj["depth"],
        int(obj["siblingBitmap"], 16),
        tuple(_b(s) for s in obj["siblings"]),
        None if leaf is None else (_b(leaf["path"]), _b(leaf["value"])),
        None if opening is None else _b(opening),
    )


# ---------------------------------------------------------------- prover.json


def test_code_openings_match_python() -> None:
    for case in _load("prover.json")["codeOpenings"]:
        code = _b(case["code"])
        chunks = c.code_chunks(code)
        assert _b(case["root"]) == c.code_root(code)
        assert case["chunkCount"] == len(chunks)
        for step in case["steps"]:
            pc = step["pc"]
            assert step["opcode"] == code[pc]
            index = step["chunkIndex"]
            assert _b(step["chunk"]) == chunks[index]
            siblings = [_b(s) for s in step["siblings"]]
            assert c.verify_leaf(c.code_root(code), len(chunks), index, chunks[index], siblings)
            n = step["pushSize"]
            assert int(step["pushValue"], 16) == int.from_bytes(
                code[pc + 1 : pc + 1 + n].ljust(n, b"\x00"), "big"
            )


def test_word_tree_writes_and_growth_match_python() -> None:
    data = _load("prover.json")
    for w in data["wordTreeWrites"]:
        siblings = [_b(s) for s in w["siblings"]]
        assert c.verify_leaf(_b(w["root"]), w["leafCount"], w["index"], _b(w["oldLeaf"]), siblings)
        new_root = c.root_after_leaf_write(w["index"], _b(w["newLeaf"]), siblings)
        assert new_root == _b(w["newRoot"])
    for g in data["growth"]:
        grown = c.root_after_growth(_b(g["oldRoot"]), g["oldWords"], g["newWords"])
        assert grown == _b(g["newRoot"])


def test_set_insertions_match_python_and_commitment_vectors() -> None:
    data = _load("prover.json")["setInsertions"]
    for steps in data.values():
        root = smt.EMPTY
        for step in steps:
            assert _b(step["root"]) == root
            key = _b(step["key"])
            new_root = smt.root_after_update_from_proof(
                root, key, None, c.ONE_WORD, _proof(step["proof"])
            )
            assert new_root == _b(step["newRoot"])
            root = new_root
    warm = _load("commitment.json")["warmAddressSet"]
    assert _b(data["warmAddresses"][-1]["newRoot"]) == _b(warm["root"])


# ---------------------------------------------------------------- Solidity algorithms


def _rise_depth_solidity(bitmap: int, depth: int) -> int:
    """SparseMerkle._afterDelete: bit length of the bitmap bits below depth - 1."""
    return (bitmap & ((1 << (depth - 1)) - 1)).bit_length()


def _rise_depth_python(siblings: list[bytes], depth: int) -> int:
    """smt.root_after_update_from_proof's loop."""
    d = depth - 1
    while d > 0 and siblings[d - 1] == smt.EMPTY:
        d -= 1
    return d


def _all_update_proofs() -> list[smt.SmtProof]:
    out = []
    for case in _load("smt.json")["cases"]:
        for u in case["updates"] + case["proofs"]:
            out.append(_proof(u["proof"]))
    return out


def test_deletion_rise_depth_closed_form() -> None:
    proofs = [p for p in _all_update_proofs() if p.depth > 0]
    assert proofs
    rng = random.Random(7)
    for _ in range(2000):
        depth = rng.randint(1, 40)
        bitmap = rng.getrandbits(depth) | (1 << (depth - 1))
        siblings = [b"\x01" * 32 if (bitmap >> d) & 1 else smt.EMPTY for d in range(depth)]
        proofs.append(smt.SmtProof(depth, bitmap, tuple(s for s in siblings if s != smt.EMPTY)))
    for p in proofs:
        assert _rise_depth_solidity(p.sibling_bitmap, p.depth) == _rise_depth_python(
            p.expanded_siblings(), p.depth
        )


def _read_bytes(chunk_a: bytes, chunk_b: bytes, start: int, n: int) -> int:
    """CodeChunks.readBytes: `n` bytes from body offset `start` of A, continuing into B."""
    body = chunk_a[1:] + chunk_b[1:]
    return int.from_bytes(body[start : start + n], "big") if n else 0


def _push_data(op_chunk: bytes, next1: bytes, next2: bytes, pc: int) -> tuple[int, int]:
    """CodeChunks.pushData, transcribed."""
    op = op_chunk[1 + pc % 31]
    if not 0x60 <= op <= 0x7F:
        return 0, 0
    n = op - 0x5F
    s = pc % 31 + 1
    return n, _read_bytes(op_chunk, next1, s, n) if s < 31 else _read_bytes(next1, next2, 0, n)


@pytest.mark.parametrize("seed", range(40))
def test_push_data_from_chunks_matches_code(seed: int) -> None:
    rng = random.Random(seed)
    code = bytes(
        rng.choice([0x5B, 0x7F, 0x60, 0x6F, rng.randrange(256)]) for _ in range(rng.randint(1, 200))
    )
    chunks = c.code_chunks(code)
    zero = c.ZERO_WORD

    def chunk(i: int) -> bytes:
        return chunks[i] if i < len(chunks) else zero

    pc = 0
    while pc < len(code):
        op = code[pc]
        i = pc // 31
        n, value = _push_data(chunk(i), chunk(i + 1), chunk(i + 2), pc)
        expected_n = op - 0x5F if 0x60 <= op <= 0x7F else 0
        assert n == expected_n
        assert value == int.from_bytes(code[pc + 1 : pc + 1 + n].ljust(n, b"\x00"), "big")
        # The JUMPDEST check from one chunk agrees with the linear scan.
        assert c.is_jumpdest_in_chunk(chunks[i], pc) == (op == 0x5B)
        pc += 1 + expected_n
    for q in range(len(code)):
        starts = set()
        p = 0
        while p < len(code):
            starts.add(p)
            p += 1 + (code[p] - 0x5F if 0x60 <= code[p] <= 0x7F else 0)
        assert c.is_jumpdest_in_chunk(chunks[q // 31], q) == (q in starts and code[q] == 0x5B)


def _root_from_range_one_buffer(
    leaf_count: int, first: int, leaves: list[bytes], proof: list[bytes]
):
    """WordTree.rootFromRange, transcribed: one buffer with a spare slot in front."""
    depth = c.tree_depth(leaf_count)
    count = len(leaves)
    if count == 0 or first >= (1 << depth) or count > (1 << depth) - first:
        return None
    buf = [b""] + list(leaves) + [b""]
    lo, hi, p = first, first + count, 0
    for _ in range(depth):
        start = 1
        if lo & 1:
            if p >= len(proof):
                return None
            start = 0
            buf[0] = proof[p]
            p += 1
            lo -= 1
        if hi & 1:
            if p >= len(proof):
                return None
            buf[start + hi - lo] = proof[p]
            p += 1
            hi += 1
        for i in range((hi - lo) // 2):
            buf[1 + i] = c.keccak(buf[start + 2 * i] + buf[start + 2 * i + 1])
        lo >>= 1
        hi >>= 1
    return buf[1] if p == len(proof) else None


def test_range_fold_in_one_buffer_matches_python() -> None:
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 70)
        leaves = [rng.randbytes(32) for _ in range(n)]
        first = rng.randrange(n)
        count = rng.randint(1, n - first)
        proof = c.range_proof(leaves, first, count)
        part = leaves[first : first + count]
        assert _root_from_range_one_buffer(n, first, part, proof) == c.merkle_root(leaves)
        assert c.root_from_range(n, first, part, proof) == c.merkle_root(leaves)
        assert _root_from_range_one_buffer(n, first, part, proof + [b"\x00" * 32]) is None
