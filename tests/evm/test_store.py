"""The LMDB-backed Merkle state store (agents.evm.store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sha3 import keccak_256

from agents.evm import smt
from agents.evm.backend import EMPTY_CODE_HASH, Account, StateDiff
from agents.evm.commitment import code_root
from agents.evm.store import (
    AccountRecord,
    MerkleStore,
    verify_account_proof,
    verify_storage_proof,
)

REPO = Path(__file__).resolve().parents[2]
ADDRESSES = [bytes([i]) * 20 for i in range(1, 7)]
CODES = [b"", bytes.fromhex("6001600055"), bytes.fromhex("7f" + "5b" * 32 + "5b00")]

addresses = st.sampled_from(ADDRESSES)
accounts = st.builds(
    Account,
    nonce=st.integers(0, 2**64 - 1),
    balance=st.integers(0, 2**256 - 1),
    code_hash=st.sampled_from([keccak_256(c).digest() for c in CODES]),
)
diffs = st.builds(
    StateDiff,
    accounts=st.dictionaries(addresses, st.one_of(st.none(), accounts), max_size=4),
    storage=st.dictionaries(
        addresses,
        st.dictionaries(st.integers(0, 2**256 - 1) | st.integers(0, 5), st.integers(0, 3)),
        max_size=3,
    ),
    wiped_storage=st.sets(addresses, max_size=2),
)


class Model:
    """A plain-dict world state with the StateDiff semantics, hashed from scratch."""

    def __init__(self) -> None:
        self.accounts: dict[bytes, Account] = {}
        self.storage: dict[bytes, dict[int, int]] = {}

    def apply(self, diff: StateDiff) -> None:
        touched = set(diff.accounts) | set(diff.storage) | diff.wiped_storage
        for address in touched:
            if address in diff.accounts and diff.accounts[address] is None:
                self.accounts.pop(address, None)
                self.storage.pop(address, None)
                continue
            if address in diff.wiped_storage or address not in self.accounts:
                self.storage[address] = {}
            slots = self.storage.setdefault(address, {})
            for k, v in diff.storage.get(address, {}).items():
                if v:
                    slots[k] = v
                else:
                    slots.pop(k, None)
            self.accounts[address] = diff.accounts.get(address) or self.accounts.get(
                address, Account()
            )

    def root(self) -> bytes:
        leaves = {}
        for address, account in self.accounts.items():
            slots = self.storage.get(address, {})
            storage_root = smt.root_of(
                {k.to_bytes(32, "big"): v.to_bytes(32, "big") for k, v in slots.items()}
            )
            code = next(c for c in CODES if keccak_256(c).digest() == account.code_hash)
            record = AccountRecord(
                account.nonce,
                account.balance,
                storage_root,
                account.code_hash,
                code_root(code),
                len(code),
            )
            leaves[address] = record.leaf_value()
        return smt.root_of(leaves)


def all_codes() -> dict[bytes, bytes]:
    return {keccak_256(c).digest(): c for c in CODES}


@settings(max_examples=60, deadline=None)
@given(st.lists(diffs, max_size=6))
def test_store_matches_model_and_reopens(diff_list):
    with tempfile.TemporaryDirectory() as directory:
        model = Model()
        roots = []
        with MerkleStore(directory) as store:
            for diff in diff_list:
                diff.codes = all_codes()
                model.apply(diff)
                roots.append(store.apply(diff))
                assert roots[-1] == store.state_root() == model.root()
                for address in ADDRESSES:
                    assert store.get_account(address) == model.accounts.get(address)
                    for slot, value in model.storage.get(address, {}).items():
                        assert store.get_storage(address, slot) == value
        with MerkleStore(directory) as reopened:
            assert reopened.state_root() == (roots[-1] if roots else smt.EMPTY)
            for root in roots:
                view = reopened.at_root(root)
                assert view.state_root() == root
                for address in ADDRESSES:
                    proof = view.get_proof(address, [0, 1, 2])
                    assert verify_account_proof(root, proof.account)
                    record = proof.account.record
                    storage_root = smt.EMPTY if record is None else record.storage_root
                    for storage_proof in proof.storage:
                        assert verify_storage_proof(storage_root, storage_proof)


def test_historical_roots_stay_readable_after_overwrites(tmp_path):
    address = ADDRESSES[0]
    with MerkleStore(tmp_path) as store:
        first = store.apply(
            StateDiff(accounts={address: Account(1, 100)}, storage={address: {7: 1}})
        )
        second = store.apply(
            StateDiff(accounts={address: Account(2, 50)}, storage={address: {7: 2}})
        )
        third = store.apply(StateDiff(accounts={address: None}))
        assert third == smt.EMPTY
        assert store.at_root(first).get_account(address) == Account(1, 100)
        assert store.at_root(first).get_storage(address, 7) == 1
        assert store.at_root(second).get_storage(address, 7) == 2
        assert store.get_account(address) is None
        with pytest.raises(PermissionError):
            store.at_root(first).apply(StateDiff())
        with pytest.raises(KeyError):
            store.at_root(b"\x42" * 32)
        store.reset_head(second)
        assert store.get_account(address) == Account(2, 50)
    with MerkleStore(tmp_path) as reopened:
        assert reopened.state_root() == second


def test_wiped_storage_and_code_commitment(tmp_path):
    address = ADDRESSES[1]
    code = CODES[2]
    code_hash = keccak_256(code).digest()
    with MerkleStore(tmp_path) as store:
        store.apply(
            StateDiff(
                accounts={address: Account(1, 0, code_hash)},
                storage={address: {1: 5, 2: 6}},
                codes={code_hash: code},
            )
        )
        store.apply(StateDiff(storage={address: {3: 7}}, wiped_storage={address}))
        assert store.get_storage(address, 1) == 0
        assert store.get_storage(address, 3) == 7
        record = store.account_record(address)
        assert record is not None
        assert (record.code_root, record.code_size) == (code_root(code), len(code))
        assert store.get_code(code_hash) == code
        assert store.get_code(EMPTY_CODE_HASH) == b""


def test_group_commit_keeps_a_prefix_of_applies(tmp_path):
    address = ADDRESSES[2]
    store = MerkleStore(tmp_path, applies_per_write=4)
    roots = [store.apply(StateDiff(accounts={address: Account(i, i)})) for i in range(1, 7)]
    store._env.close()  # simulate dying without flush: only the first four are written
    with MerkleStore(tmp_path) as reopened:
        assert reopened.state_root() == roots[3]
        assert reopened.applied_count == 4


def test_survives_kill_9(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from agents.evm.backend import Account, StateDiff
        from agents.evm.store import MerkleStore
        store = MerkleStore({str(tmp_path)!r})
        for i in range(50):
            root = store.apply(StateDiff(accounts={{bytes([i % 256]) * 20: Account(i, i)}},
                                         storage={{bytes([i % 256]) * 20: {{i: i + 1}}}}))
        print(root.hex(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    last_root = bytes.fromhex(result.stdout.strip())
    with MerkleStore(tmp_path) as reopened:
        assert reopened.state_root() == last_root
        assert reopened.get_storage(bytes([49]) * 20, 49) == 50
        assert reopened.applied_count == 50


def test_storage_on_missing_account_creates_it(tmp_path):
    address = ADDRESSES[3]
    with MerkleStore(tmp_path) as store:
        store.apply(StateDiff(storage={address: {1: 1}}))
        assert store.get_account(address) == Account()
        assert store.get_storage(address, 1) == 1


def test_failed_apply_leaves_state_untouched(tmp_path):
    address = ADDRESSES[4]
    with MerkleStore(tmp_path) as store:
        before = store.apply(StateDiff(accounts={address: Account(1, 1)}))
        with pytest.raises(KeyError):
            store.apply(StateDiff(accounts={address: Account(2, 2, b"\x99" * 32)}))
        assert store.state_root() == before
        assert store.get_account(address) == Account(1, 1)
    assert os.path.isdir(tmp_path)


def test_cold_reads_between_group_writes_do_not_lose_nodes(tmp_path):
    first, second = ADDRESSES[0], ADDRESSES[1]
    with MerkleStore(tmp_path) as store:
        store.apply(StateDiff(accounts={first: Account(1, 1)}, storage={first: {1: 1}}))
    with MerkleStore(tmp_path, applies_per_write=3) as store:
        store.apply(StateDiff(accounts={second: Account(1, 2)}))
        assert store.get_storage(first, 1) == 1  # cold read while a write is pending
        store.apply(StateDiff(accounts={second: Account(2, 2)}, storage={second: {5: 5}}))
        root = store.state_root()
    with MerkleStore(tmp_path) as store:
        assert store.state_root() == root
        assert store.get_storage(second, 5) == 5
        assert store.get_storage(first, 1) == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(diffs, min_size=1, max_size=8), st.integers(1, 4))
def test_head_only_persistence_reopens_at_the_last_written_root(diff_list, per_write):
    with tempfile.TemporaryDirectory() as directory:
        model = Model()
        with MerkleStore(
            directory, applies_per_write=per_write, keep_intermediate_roots=False
        ) as store:
            for diff in diff_list:
                diff.codes = all_codes()
                model.apply(diff)
                assert store.apply(diff) == model.root()
        with MerkleStore(directory) as reopened:
            assert reopened.state_root() == model.root()
            for address in ADDRESSES:
                proof = reopened.get_proof(address, [0, 1, 2, 3, 4, 5])
                assert verify_account_proof(model.root(), proof.account)
                assert reopened.get_account(address) == model.accounts.get(address)
                for slot, value in model.storage.get(address, {}).items():
                    assert reopened.get_storage(address, slot) == value


def test_map_grows_when_full(tmp_path):
    with MerkleStore(tmp_path, map_size=1 << 16) as store:
        diff = StateDiff(storage={ADDRESSES[5]: {i: i + 1 for i in range(3000)}})
        root = store.apply(diff)
    with MerkleStore(tmp_path, map_size=1 << 16) as reopened:
        assert reopened.state_root() == root
        assert reopened.get_storage(ADDRESSES[5], 2999) == 3000
