"""The fast paths added for speed compute exactly what the plain definitions compute.

* ``smt.update`` with many keys (one grouped pass, cached key paths) equals one-key
  updates applied in sequence and the tree built from scratch;
* ``MerkleStore``'s head storage cache returns what the storage tree holds, through
  applies with wipes, deletions, re-creations and ``reset_head``;
* ``MerkleStore``'s node log (nodes merged into the node table every few applies)
  loses nothing: after a crash every durable root reads as in a store without it;
* the signing hash taken from the received RLP bytes equals the one re-encoded from
  the fields, and recovery through libsecp256k1 directly equals coincurve's public API;
* the cached log bloom equals the bloom computed from scratch;
* trace mode's cached block-hash window root equals the word-tree root.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from coincurve import PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sha3 import keccak_256

from agents.evm import smt
from agents.evm.backend import Account, StateDiff
from agents.evm.commitment import merkle_root
from agents.evm.processing import logs_bloom
from agents.evm.store import MerkleStore, storage_key
from agents.evm.trace import _block_hashes_root
from agents.evm.transactions import (
    Transaction,
    _recover_public_key,
    decode_transaction,
    encode_transaction,
    recover_sender,
    sign_transaction,
    signing_hash,
)

REPO = Path(__file__).resolve().parents[2]
KEYS = [bytes([i]) * 20 for i in range(12)] + [i.to_bytes(32, "big") for i in range(12)]
words = st.binary(min_size=32, max_size=32)
change_sets = st.dictionaries(st.sampled_from(KEYS), st.one_of(st.none(), words), max_size=10)


def _reference_root(leaves: dict[bytes, bytes]) -> bytes:
    """The canonical tree of ``leaves`` built from scratch in a fresh node store."""
    return smt.update({}, smt.EMPTY, dict(leaves))


@settings(max_examples=60, deadline=None)
@given(st.lists(change_sets, min_size=1, max_size=6))
def test_grouped_smt_update_equals_sequential_updates(batches):
    grouped_store: dict[bytes, bytes] = {}
    sequential_store: dict[bytes, bytes] = {}
    grouped = sequential = smt.EMPTY
    model: dict[bytes, bytes] = {}
    for changes in batches:
        grouped = smt.update(grouped_store, grouped, changes)
        for key, value in changes.items():
            sequential = smt.update(sequential_store, sequential, {key: value})
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        assert grouped == sequential == _reference_root(model)
        for key in KEYS:
            assert smt.get(grouped_store, grouped, key) == model.get(key)


ADDRESSES = [bytes([0xA0 + i]) * 20 for i in range(4)]
slots = st.integers(0, 6)
store_steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("apply"),
            st.builds(
                StateDiff,
                accounts=st.dictionaries(
                    st.sampled_from(ADDRESSES),
                    st.one_of(st.none(), st.builds(Account, nonce=st.integers(0, 3))),
                    max_size=2,
                ),
                storage=st.dictionaries(
                    st.sampled_from(ADDRESSES),
                    st.dictionaries(slots, st.integers(0, 3), max_size=3),
                    max_size=2,
                ),
                wiped_storage=st.sets(st.sampled_from(ADDRESSES), max_size=1),
            ),
        ),
        st.tuples(st.just("read"), st.tuples(st.sampled_from(ADDRESSES), slots)),
        st.tuples(st.just("reset"), st.integers(0, 10)),
    ),
    min_size=1,
    max_size=14,
)


def _tree_value(store: MerkleStore, address: bytes, slot: int) -> int:
    """The slot's value read from the storage tree itself (no cache)."""
    record = store.account_record(address)
    if record is None:
        return 0
    found = smt.get(store.nodes, record.storage_root, storage_key(slot))
    return 0 if found is None else int.from_bytes(found, "big")


@settings(max_examples=40, deadline=None)
@given(store_steps)
def test_head_storage_cache_matches_the_tree(steps):
    with tempfile.TemporaryDirectory() as directory, MerkleStore(directory) as store:
        roots = [store.state_root()]
        for kind, argument in steps:
            if kind == "apply":
                roots.append(store.apply(argument))
            elif kind == "read":
                address, slot = argument
                assert store.get_storage(address, slot) == _tree_value(store, address, slot)
            else:
                store.reset_head(roots[argument % len(roots)])
            for address in ADDRESSES:
                for slot in range(7):
                    assert store.get_storage(address, slot) == _tree_value(store, address, slot)


KEY = (0xC0FFEE).to_bytes(32, "big")
transactions = st.builds(
    Transaction,
    tx_type=st.sampled_from([0, 1, 2]),
    chain_id=st.just(1),
    nonce=st.integers(0, 2**64 - 2),
    gas_limit=st.integers(21_000, 2**63),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
    value=st.integers(0, 2**256 - 1),
    data=st.binary(max_size=300),
    gas_price=st.integers(0, 2**128),
    max_priority_fee_per_gas=st.integers(0, 2**64),
    max_fee_per_gas=st.integers(0, 2**64),
    access_list=st.lists(
        st.tuples(st.binary(min_size=20, max_size=20), st.tuples(st.integers(0, 2**256 - 1))),
        max_size=2,
    ).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(transactions, st.sampled_from([None, 1, 2**40]))
def test_signing_hash_from_received_bytes_equals_reencoding(tx, legacy_chain_id):
    if tx.tx_type == 0:
        tx = Transaction(**{**_fields(tx), "access_list": (), "chain_id": None})
    chain_id = legacy_chain_id if tx.tx_type == 0 else tx.chain_id
    signed = sign_transaction(tx, KEY, chain_id)
    decoded = decode_transaction(encode_transaction(signed))
    assert decoded.unsigned_rlp is not None and signed.unsigned_rlp is None
    for hash_chain_id in (None, 1, 2**40):
        assert signing_hash(decoded, hash_chain_id) == signing_hash(signed, hash_chain_id)
    expected_chain = 1 if chain_id is None else chain_id
    sender = recover_sender(decoded, expected_chain)
    public = PublicKey.from_valid_secret(KEY).format(compressed=False)
    assert sender == keccak_256(public[1:]).digest()[12:]


def _fields(tx: Transaction) -> dict[str, object]:
    names = ("tx_type", "chain_id", "nonce", "gas_limit", "to", "value", "data", "gas_price",
             "max_priority_fee_per_gas", "max_fee_per_gas", "access_list")  # fmt: skip
    return {name: getattr(tx, name) for name in names}


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=64, max_size=64), st.integers(0, 3))
def test_direct_recovery_equals_the_coincurve_api(message, compact, parity):
    try:
        expected = PublicKey.from_signature_and_message(
            compact + bytes([parity]), message, hasher=None
        ).format(compressed=False)
    except Exception:
        expected = None
    assert _recover_public_key(compact, parity, message) == expected


def _bloom_from_scratch(logs):
    bloom = bytearray(256)
    for address, topics, _ in logs:
        for item in (address, *topics):
            h = keccak_256(item).digest()
            for i in (0, 2, 4):
                bit = ((h[i] << 8) | h[i + 1]) & 2047
                bloom[255 - bit // 8] |= 1 << (bit % 8)
    return bytes(bloom)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.binary(min_size=20, max_size=20),
            st.lists(words, max_size=4).map(tuple),
            st.binary(max_size=8),
        ),
        max_size=4,
    )
)
def test_cached_bloom_equals_bloom_from_scratch(logs):
    assert logs_bloom(logs) == _bloom_from_scratch(logs)
    assert logs_bloom(logs) == _bloom_from_scratch(logs)  # second time from the cache


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 256))
def test_block_hash_window_root_cache(seed, known):
    hashes = [
        keccak_256(seed.to_bytes(8, "big") + i.to_bytes(2, "big")).digest() if i >= 256 - known
        else b"\x00" * 32
        for i in range(256)
    ]  # fmt: skip
    assert _block_hashes_root(hashes) == merkle_root(hashes)
    assert _block_hashes_root(list(hashes)) == merkle_root(hashes)


@settings(max_examples=30, deadline=None)
@given(store_steps, st.integers(1, 3), st.integers(1, 4))
def test_node_log_keeps_every_root_across_a_crash(steps, per_write, per_merge):
    diffs = [argument for kind, argument in steps if kind == "apply"]
    if not diffs:
        return
    with (
        tempfile.TemporaryDirectory() as directory,
        tempfile.TemporaryDirectory() as reference_directory,
        MerkleStore(reference_directory) as reference,
    ):
        store = MerkleStore(
            directory, applies_per_write=per_write, applies_per_node_merge=per_merge
        )
        roots = [store.apply(diff) for diff in diffs]
        assert roots == [reference.apply(diff) for diff in diffs]
        store._env.close()  # die without flushing: only whole write groups are durable
        durable = len(diffs) - len(diffs) % per_write
        with MerkleStore(directory) as reopened:
            assert reopened.applied_count == durable
            if durable:
                assert reopened.state_root() == roots[durable - 1]
            for root in roots[:durable]:
                view, expected = reopened.at_root(root), reference.at_root(root)
                for address in ADDRESSES:
                    assert view.get_account(address) == expected.get_account(address)
                    for slot in range(7):
                        assert view.get_storage(address, slot) == expected.get_storage(
                            address, slot
                        )


def test_another_process_reads_every_root_while_the_writer_runs(tmp_path):
    address = ADDRESSES[0]
    writer = MerkleStore(tmp_path, applies_per_node_merge=100)
    first = [writer.apply(StateDiff(accounts={address: Account(i, i)})) for i in range(1, 4)]
    reader_script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from agents.evm.store import MerkleStore
        store = MerkleStore({str(tmp_path)!r})
        for root in {[r.hex() for r in first]!r}:
            print(store.at_root(bytes.fromhex(root)).get_account({address!r}).nonce)
        print("open", flush=True)
        later = sys.stdin.readline().split()  # roots the writer applied meanwhile
        for root in later:  # logged, not merged: read from the node log
            print(store.at_root(bytes.fromhex(root)).get_account({address!r}).nonce)
        print("done", flush=True)
        store.close()
        """
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", reader_script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdin is not None
    seen = [reader.stdout.readline().strip() for _ in range(4)]
    assert seen == ["1", "2", "3", "open"], reader.stderr.read() if reader.stderr else ""
    later = [writer.apply(StateDiff(accounts={address: Account(i, i)})) for i in range(4, 6)]
    reader.stdin.write(" ".join(root.hex() for root in later) + "\n")
    reader.stdin.flush()
    seen = [reader.stdout.readline().strip() for _ in range(3)]
    assert seen == ["4", "5", "done"], reader.stderr.read() if reader.stderr else ""
    assert reader.wait(timeout=60) == 0
    writer._env.close()  # the writer dies without flushing
    with MerkleStore(tmp_path) as reopened:
        assert reopened.state_root() == later[-1]  # the reader did not move the head
        for nonce, root in enumerate(first + later, start=1):
            assert reopened.at_root(root).get_account(address) == Account(nonce, nonce)
