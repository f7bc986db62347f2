"""The Python side of withdrawals without an L1: genesis allocation, proofs built from a
real MerkleStore, their rejections, log decoding, the golden vectors' freshness, and
``find_withdrawals`` over JSON-RPC against the predeploy's code on anvil."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3.types import RPCEndpoint, Wei

from agents.evm import smt
from agents.evm.store import AccountProof, verify_account_proof
from agents.l1.client import L1Client
from agents.l1.withdrawals import (
    Withdrawal,
    WithdrawalError,
    build_withdrawal_proof,
    decode_withdrawal_log,
    find_withdrawals,
    recorded_hash,
    recorded_withdrawal_count,
    withdrawals_from_logs,
)
from agents.l2.predeploys import (
    L2_WITHDRAWALS_ADDRESS,
    PredeployError,
    genesis_alloc,
    runtime_code,
    withdrawal_slot,
)
from agents.l2.sandbox import Sandbox, withdraw_calldata
from agents.producer.genesis import parse_genesis

ROOT = Path(__file__).resolve().parents[2]
ETHER = 10**18
USER_KEY = keccak(b"withdrawal proofs user")
USER = Account.from_key(USER_KEY).address


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox.create(tmp_path / "state", 900_001, {USER: 10 * ETHER})
    yield box
    box.close()


def test_golden_vectors_are_fresh() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "vectors" / "generate_withdrawals.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr


def test_genesis_alloc_holds_the_predeploy_and_parses() -> None:
    alloc = genesis_alloc({USER.lower(): 5})
    assert alloc[USER] == {"balance": "0x5"}
    entry = alloc[L2_WITHDRAWALS_ADDRESS]
    assert entry["code"] == "0x" + runtime_code("L2Withdrawals").hex()
    assert entry["balance"] == "0x0" and entry["storage"] == {}
    genesis = parse_genesis({"alloc": alloc})  # the producer's own parser accepts it
    assert bytes.fromhex(L2_WITHDRAWALS_ADDRESS[2:]) in genesis.alloc


@pytest.mark.parametrize(
    ("funded", "message"),
    [
        ({"0x1234": 1}, "not a 20-byte hex address"),
        ({USER: -1}, "balance must be an integer >= 0"),
        ({USER: True}, "balance must be an integer >= 0"),
        ({USER: 1, USER.lower(): 2}, "listed twice"),
        ({L2_WITHDRAWALS_ADDRESS: 1}, "reserved for the L2Withdrawals predeploy"),
    ],
)
def test_genesis_alloc_rejects_bad_input(funded: dict[str, int], message: str) -> None:
    with pytest.raises(PredeployError, match=message):
        genesis_alloc(funded)


def test_proof_verifies_in_python_and_store_reads_match(sandbox: Sandbox) -> None:
    recipient = "0x000000000000000000000000000000000000bEEF"
    first = withdrawals_from_logs(sandbox.withdraw(USER_KEY, recipient, ETHER).logs)[0]
    root_after_first = sandbox.store.state_root()
    second = withdrawals_from_logs(sandbox.withdraw(USER_KEY, USER, 2).logs)[0]
    root = sandbox.store.state_root()
    assert (first.nonce, second.nonce) == (0, 1)
    assert recorded_withdrawal_count(sandbox.store, root) == 2
    assert recorded_withdrawal_count(sandbox.store, root_after_first) == 1
    assert recorded_hash(sandbox.store, root, 1) == second.hash
    assert recorded_hash(sandbox.store, root_after_first, 1) is None
    assert sandbox.balance(L2_WITHDRAWALS_ADDRESS) == ETHER + 2

    proof = build_withdrawal_proof(sandbox.store, root, first)
    assert proof.state_root == root
    assert smt.verify_proof(
        proof.account.storage_root,
        withdrawal_slot(0).to_bytes(32, "big"),
        first.hash,
        proof.storage_proof,
    )
    assert proof.size_bytes() > 192
    # An account proof for another address does not pass as the predeploy's.
    forged = AccountProof(bytes.fromhex(USER[2:]), proof.account, proof.account_proof)
    assert not verify_account_proof(root, forged)


def test_proof_builder_rejections(sandbox: Sandbox) -> None:
    result = sandbox.withdraw(USER_KEY, USER, 7)
    (withdrawal,) = withdrawals_from_logs(result.logs)
    root = result.state_root
    with pytest.raises(WithdrawalError, match="does not hold state root"):
        build_withdrawal_proof(sandbox.store, b"\x11" * 32, withdrawal)
    with pytest.raises(WithdrawalError, match="is not recorded"):
        build_withdrawal_proof(sandbox.store, sandbox.genesis_root, withdrawal)
    greedy = Withdrawal(withdrawal.nonce, withdrawal.l2_sender, withdrawal.l1_recipient, 8)
    with pytest.raises(WithdrawalError, match="recorded with another hash"):
        build_withdrawal_proof(sandbox.store, root, greedy)
    with pytest.raises(WithdrawalError, match="no predeploy"):
        build_withdrawal_proof(sandbox.store, root, withdrawal, predeploy=USER[:-4] + "0000")


def test_failed_withdraw_records_nothing(sandbox: Sandbox) -> None:
    result = sandbox.withdraw(USER_KEY, USER, 0)  # ZeroAmount: reverts on L2
    assert not result.success
    assert withdrawals_from_logs(result.logs) == []
    assert recorded_withdrawal_count(sandbox.store, result.state_root) == 0


def test_log_decoding_checks_emitter_and_hash() -> None:
    w = Withdrawal(3, USER, "0x000000000000000000000000000000000000bEEF", 5)
    topics = [
        keccak(text="WithdrawalInitiated(uint256,address,address,uint256,bytes32)"),
        (3).to_bytes(32, "big"),
        bytes(12) + bytes.fromhex(USER[2:]),
        bytes(12) + bytes.fromhex(w.l1_recipient[2:]),
    ]
    data = (5).to_bytes(32, "big") + w.hash
    assert decode_withdrawal_log(L2_WITHDRAWALS_ADDRESS, topics, data) == w
    assert decode_withdrawal_log(USER, topics, data) is None  # another emitter
    assert decode_withdrawal_log(L2_WITHDRAWALS_ADDRESS, topics[:3], data) is None
    with pytest.raises(WithdrawalError, match="does not match"):
        decode_withdrawal_log(L2_WITHDRAWALS_ADDRESS, topics, (6).to_bytes(32, "big") + w.hash)


def test_find_withdrawals_over_json_rpc(l1: L1Client, funded_keys: list[str]) -> None:
    """The predeploy's runtime code at its address on an anvil node: eth_getLogs finds
    the withdrawals by nonce, sender and recipient."""
    w3 = l1.w3
    code = "0x" + runtime_code("L2Withdrawals").hex()
    w3.provider.make_request(RPCEndpoint("anvil_setCode"), [L2_WITHDRAWALS_ADDRESS, code])
    alice = Account.from_key(funded_keys[7])
    bob = Account.from_key(funded_keys[8])
    for sender, recipient, amount in ((alice, bob, 10), (bob, alice, 20), (alice, alice, 30)):
        tx_hash = w3.eth.send_transaction(  # anvil holds the test mnemonic's keys
            {
                "from": sender.address,
                "to": L2_WITHDRAWALS_ADDRESS,
                "value": Wei(amount),
                "data": withdraw_calldata(recipient.address),
                "gas": 200_000,
            }
        )
        assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    everything = find_withdrawals(w3)
    assert [f.withdrawal.nonce for f in everything] == [0, 1, 2]
    assert [f.withdrawal.amount for f in find_withdrawals(w3, l2_sender=alice.address)] == [10, 30]
    to_alice = find_withdrawals(w3, l1_recipient=alice.address)
    assert [f.withdrawal.nonce for f in to_alice] == [1, 2]
    (one,) = find_withdrawals(w3, nonce=1)
    assert one.withdrawal == Withdrawal(1, bob.address, alice.address, 20)
    assert one.l2_block > 0 and len(one.l2_tx_hash) == 32
