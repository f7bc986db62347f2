"""A withdrawal through the real producer node, claimed on L1 with ``altrollup withdraw``.

The node (``altrollup producer run``, started with the helpers of tests/node) boots from
a genesis file built by :func:`agents.l2.predeploys.genesis_alloc`; a user calls the
predeploy through the node's JSON-RPC with web3.py; the node's per-transaction roots
(receipts' ``stateRoot``) are posted as a pack on a real Rollup whose genesis root is the
node's block 0; after the 2 s window the pack is finalized and the withdrawal is claimed
with ``altrollup withdraw --l2-rpc`` (lookup by nonce and ``eth_getProof`` from the
node, no state store).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client
from agents.l1.deployments import Deployment, record_deployments
from agents.l1.lifecycle import portal_entry_name, rollup_entry_name
from agents.l1.rollup import GameParams, RollupParams, build_pack, deploy_rollup
from agents.l1.testing import bootstrap_active_rollup
from agents.l1.withdrawals import (
    Withdrawal,
    WithdrawalError,
    deploy_portal,
    find_withdrawals,
    withdrawal_proof_from_rpc,
)
from agents.l2.predeploys import L2_WITHDRAWALS_ADDRESS, genesis_alloc
from agents.l2.sandbox import withdraw_calldata

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))
from node_helpers import ALTROLLUP, CHAIN_ID, DEV_ADDRESSES, DEV_KEYS, NodeProcess  # noqa: E402

pytestmark = pytest.mark.xdist_group("withdrawals")

ETHER = 10**18
WINDOW = 2


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeProcess]:
    genesis = tmp_path / "genesis.json"
    alloc = genesis_alloc({address: 100 * ETHER for address in DEV_ADDRESSES[:3]})
    genesis.write_text(json.dumps({"chainId": CHAIN_ID, "alloc": alloc}))
    process = NodeProcess(tmp_path / "node", ["--genesis", str(genesis), "--block-time", "100"])
    process.start()
    yield process
    process.stop()


def rpc(l2: Web3, method: str, *params: Any) -> Any:
    answer = l2.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, answer
    return answer["result"]


def test_withdrawal_through_the_producer_node(
    node: NodeProcess, l1: L1Client, funded_keys: list[str], tmp_path: Path
) -> None:
    l2 = Web3(HTTPProvider(node.url))
    code = rpc(l2, "eth_getCode", L2_WITHDRAWALS_ADDRESS, "latest")
    assert len(code) > 1000, "the genesis holds the predeploy"

    user = Account.from_key(DEV_KEYS[1])
    recipient = Account.create().address
    tx = {
        "type": 2, "chainId": CHAIN_ID, "nonce": 0, "to": L2_WITHDRAWALS_ADDRESS,
        "value": 2 * ETHER, "data": withdraw_calldata(recipient), "gas": 200_000,
        "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9,
    }  # fmt: skip
    tx_hash = l2.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction)
    receipt = l2.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    assert receipt["status"] == 1
    last_block = int(receipt["blockNumber"])
    (found,) = find_withdrawals(l2, l2_sender=user.address)
    assert found.withdrawal.amount == 2 * ETHER and found.l2_block == last_block

    # The pack: every transaction's root from block 1 to the withdrawal's block.
    roots: list[bytes] = []
    for number in range(1, last_block + 1):
        block = rpc(l2, "eth_getBlockByNumber", hex(number), False)
        for h in block["transactions"]:
            roots.append(bytes.fromhex(rpc(l2, "eth_getTransactionReceipt", h)["stateRoot"][2:]))
    genesis_root = bytes.fromhex(rpc(l2, "eth_getBlockByNumber", "0x0", False)["stateRoot"][2:])

    owner = Account.from_key(funded_keys[0])
    verifier = Account.from_key(funded_keys[1])
    active = bootstrap_active_rollup(
        l1,
        owner,
        [verifier],
        Account.from_key(funded_keys[9]),
        endpoint_port_base=9600,
        vrf_seed=b"withdrawal node test validator",
    )
    alphabet = l1.deploy(load_artifact("AlphabetVM"), owner)
    rollup = deploy_rollup(
        l1,
        owner,
        execution_layer_registry=active.settlement.execution_layer_registry.address,
        rollup_id=active.rollup_id,
        sequencer_registry=active.settlement.sequencer_registry.address,
        params=RollupParams(genesis_state_root=genesis_root, challenge_window=WINDOW),
        game=GameParams(alphabet.address, alphabet.address, step_depth=4),
        registry_owner=owner,
    ).rollup
    portal = deploy_portal(l1, owner, rollup.address)
    portal.fund(owner, 3 * ETHER)
    pack = build_pack(0, 1, last_block, roots, genesis_root)
    pack_id = rollup.post_pack(verifier, pack, b"node blocks").pack_id
    node_root = bytes.fromhex(
        rpc(l2, "eth_getBlockByNumber", hex(last_block), False)["stateRoot"][2:]
    )
    assert rollup.state_root_at(pack_id) == node_root

    deadline = rollup.pack(pack_id).challenge_deadline
    while int(l1.w3.eth.get_block("latest")["timestamp"]) < deadline:
        time.sleep(0.25)
        l1.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    assert rollup.finalize_ready(owner) == [pack_id]

    # Nothing the RPC says is trusted: another root, or other details, are refused.
    w = found.withdrawal
    with pytest.raises(WithdrawalError, match="follows another chain"):
        withdrawal_proof_from_rpc(l2, last_block - 1 if last_block > 1 else 0, w, node_root)
    with pytest.raises(WithdrawalError, match="not recorded with this hash"):
        greedy = Withdrawal(w.nonce, w.l2_sender, w.l1_recipient, w.amount + 1)
        withdrawal_proof_from_rpc(l2, last_block, greedy, node_root)
    assert withdrawal_proof_from_rpc(l2, last_block, w, node_root).state_root == node_root

    deployments = tmp_path / "deployments.json"
    entries = {rollup_entry_name(active.rollup_id): rollup.address,
               portal_entry_name(active.rollup_id): portal.address}  # fmt: skip
    record_deployments(
        l1.chain_id, {n: Deployment(n, a, 0) for n, a in entries.items()}, deployments
    )
    l1_url = l1.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    out = subprocess.run(
        [ALTROLLUP, "withdraw", "--l1-rpc", l1_url, "--deployments", str(deployments),
         "--rollup-id", str(active.rollup_id), "--l2-rpc", node.url, "--nonce", "0",
         "--key", funded_keys[5]],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"withdrawal 0: paid {2 * ETHER} wei to {recipient}" in out.stdout
    assert l1.w3.eth.get_balance(recipient) == 2 * ETHER
    assert portal.is_claimed(0)
