"""Properties of the keccak sparse Merkle tree (agents.evm.smt)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.evm import smt

keys = st.binary(min_size=1, max_size=24)
values = st.binary(min_size=32, max_size=32)
trees = st.dictionaries(keys, values, max_size=40)


def build(items: dict[bytes, bytes]) -> tuple[dict[bytes, bytes], bytes]:
    store: dict[bytes, bytes] = {}
    return store, smt.update(store, smt.EMPTY, items)


@settings(max_examples=150, deadline=None)
@given(trees, st.randoms(use_true_random=False))
def test_root_is_independent_of_insertion_order(items, rnd):
    _, batch_root = build(items)
    store: dict[bytes, bytes] = {}
    root = smt.EMPTY
    shuffled = list(items.items())
    rnd.shuffle(shuffled)
    while shuffled:
        size = rnd.randint(1, 5)
        chunk, shuffled = shuffled[:size], shuffled[size:]
        root = smt.update(store, root, dict(chunk))
    assert root == batch_root


@settings(max_examples=150, deadline=None)
@given(trees, st.lists(keys, max_size=10))
def test_get_matches_model_and_proofs_verify(items, probes):
    store, root = build(items)
    for key in list(items) + probes:
        expected = items.get(key)
        assert smt.get(store, root, key) == expected
        proof = smt.prove(store, root, key)
        assert smt.verify_proof(root, key, expected, proof)
        wrong = b"\x01" * 32 if expected != b"\x01" * 32 else b"\x02" * 32
        assert not smt.verify_proof(root, key, wrong, proof)
        if expected is not None:
            assert not smt.verify_proof(root, key, None, proof)


@settings(max_examples=100, deadline=None)
@given(trees.filter(lambda d: len(d) >= 2), st.data())
def test_tampered_siblings_and_roots_fail(items, data):
    store, root = build(items)
    key = data.draw(st.sampled_from(sorted(items)))
    proof = smt.prove(store, root, key)
    assert proof.siblings, "with two or more leaves a leaf always has a sibling"
    index = data.draw(st.integers(0, len(proof.siblings) - 1))
    siblings = list(proof.siblings)
    siblings[index] = bytes([siblings[index][0] ^ 1]) + siblings[index][1:]
    tampered = dataclasses.replace(proof, siblings=tuple(siblings))
    assert not smt.verify_proof(root, key, items[key], tampered)
    bad_root = bytes([root[0] ^ 0x80]) + root[1:]
    assert not smt.verify_proof(bad_root, key, items[key], proof)
    deeper = dataclasses.replace(proof, depth=proof.depth + 1)
    assert not smt.verify_proof(root, key, items[key], deeper)


@settings(max_examples=200, deadline=None)
@given(trees, keys, st.one_of(st.none(), values))
def test_root_after_update_from_proof_matches_tree(items, key, new_value):
    store, root = build(items)
    old_value = items.get(key)
    proof = smt.prove(store, root, key)
    from_proof = smt.root_after_update_from_proof(root, key, old_value, new_value, proof)
    assert from_proof == smt.update(store, root, {key: new_value})
    model = dict(items)
    if new_value is None:
        model.pop(key, None)
    else:
        model[key] = new_value
    assert from_proof == smt.root_of(model)


@settings(max_examples=100, deadline=None)
@given(trees.filter(bool), st.data())
def test_every_key_deleted_through_proofs(items, data):
    store, root = build(items)
    remaining = dict(items)
    for key in data.draw(st.permutations(sorted(items))):
        proof = smt.prove(store, root, key)
        from_proof = smt.root_after_update_from_proof(root, key, remaining.pop(key), None, proof)
        root = smt.update(store, root, {key: None})
        assert from_proof == root == smt.root_of(remaining)
    assert root == smt.EMPTY


@settings(max_examples=100, deadline=None)
@given(trees)
def test_deleting_everything_gives_the_empty_root(items):
    store, root = build(items)
    assert smt.update(store, root, {k: None for k in items}) == smt.EMPTY


@settings(max_examples=50, deadline=None)
@given(st.lists(st.dictionaries(keys, st.one_of(st.none(), values), max_size=8), max_size=8))
def test_past_roots_stay_readable(batches):
    store: dict[bytes, bytes] = {}
    root = smt.EMPTY
    history: list[tuple[bytes, dict[bytes, bytes]]] = []
    model: dict[bytes, bytes] = {}
    for batch in batches:
        root = smt.update(store, root, batch)
        for k, v in batch.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        history.append((root, dict(model)))
    for past_root, past_model in history:
        assert dict(smt.iter_leaves(store, past_root)) == {
            smt.key_path(k): v for k, v in past_model.items()
        }
        for k, v in past_model.items():
            assert smt.get(store, past_root, k) == v


def test_single_leaf_tree_is_the_leaf_itself():
    store, root = build({b"k": b"\x07" * 32})
    assert root == smt.leaf_hash(smt.key_path(b"k"), b"\x07" * 32)
    proof = smt.prove(store, root, b"k")
    assert proof.depth == 0 and proof.siblings == ()


def test_deletion_without_sibling_opening_is_rejected():
    store, root = build({b"a": b"\x01" * 32, b"b": b"\x02" * 32, b"c": b"\x03" * 32})
    proof = smt.prove(store, root, b"a")
    stripped = dataclasses.replace(proof, deepest_sibling_preimage=None)
    with pytest.raises(ValueError):
        smt.root_after_update_from_proof(root, b"a", b"\x01" * 32, None, stripped)


def test_wrong_old_value_is_rejected():
    store, root = build({b"a": b"\x01" * 32})
    proof = smt.prove(store, root, b"a")
    with pytest.raises(ValueError):
        smt.root_after_update_from_proof(root, b"a", b"\x02" * 32, b"\x03" * 32, proof)


def test_values_must_be_words():
    with pytest.raises(ValueError):
        smt.update({}, smt.EMPTY, {b"a": b"short"})
