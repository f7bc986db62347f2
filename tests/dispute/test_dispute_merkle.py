"""agents.dispute.merkle against the golden vectors TxRootsMerkle.sol is tested with."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.dispute import merkle

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "dispute_merkle.json"
GENERATOR = ROOT / "tests" / "vectors" / "generate_dispute_merkle.py"


def _b(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads(VECTORS.read_text())


def test_vectors_file_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def test_hash_primitives_match_vectors(vectors: dict) -> None:
    assert merkle.leaf_hash(b"\x11" * 32) == _b(vectors["leafHashOf0x11"])
    assert merkle.node_hash(b"\x11" * 32, b"\x22" * 32) == _b(vectors["nodeHashOf0x11And0x22"])


def test_roots_and_proofs_match_vectors(vectors: dict) -> None:
    assert vectors["count"] == len(vectors["vectors"]) > 5
    for vector in vectors["vectors"]:
        leaves = [_b(leaf) for leaf in vector["leaves"]]
        assert len(leaves) == vector["count"]
        assert merkle.tree_depth(len(leaves)) == vector["depth"]
        root = merkle.commitment(leaves)
        assert root == _b(vector["root"])
        for case in vector["proofs"]:
            siblings = [_b(s) for s in case["siblings"]]
            assert merkle.proof(leaves, case["index"]) == siblings
            assert merkle.verify(root, len(leaves), case["index"], _b(case["leaf"]), siblings)


def test_known_layout() -> None:
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    assert merkle.commitment([a]) == merkle.leaf_hash(a)
    assert merkle.commitment([a, b]) == merkle.node_hash(merkle.leaf_hash(a), merkle.leaf_hash(b))
    left = merkle.node_hash(merkle.leaf_hash(a), merkle.leaf_hash(b))
    right = merkle.node_hash(merkle.leaf_hash(c), merkle.EMPTY_HASH)
    assert merkle.commitment([a, b, c]) == merkle.node_hash(left, right)


def test_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError):
        merkle.commitment([])
    with pytest.raises(ValueError):
        merkle.leaf_hash(b"short")
    with pytest.raises(IndexError):
        merkle.proof([b"\x00" * 32], 1)
    root = merkle.commitment([b"\x01" * 32] * 3)
    assert not merkle.verify(root, 3, 3, b"\x00" * 32, [merkle.EMPTY_HASH] * 2)
    assert not merkle.verify(root, 0, 0, b"\x01" * 32, [])
    assert not merkle.verify(root, 3, 0, b"\x01" * 32, [])


words = st.binary(min_size=32, max_size=32)


@given(st.lists(words, min_size=1, max_size=40), st.data())
def test_every_leaf_opens_and_nothing_else_does(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = merkle.commitment(leaves)
    siblings = merkle.proof(leaves, index)
    assert len(siblings) == merkle.tree_depth(len(leaves))
    assert merkle.verify(root, len(leaves), index, leaves[index], siblings)
    other = data.draw(words.filter(lambda w: w != leaves[index]))
    assert not merkle.verify(root, len(leaves), index, other, siblings)
