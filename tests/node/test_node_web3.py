"""A real producer process driven by unmodified web3.py: transfers, a contract, logs,
calls, fee data, block tags, proofs, batches and parameter errors."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
import requests
import solcx
from eth_account import Account
from eth_typing import HexStr
from node_helpers import CHAIN_ID, DEV_ADDRESSES, DEV_KEYS, NodeProcess
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.types import RPCEndpoint, TxParams

from agents.evm import smt
from agents.evm.store import AccountRecord
from agents.l1.anvil import PROJECT_ROOT
from agents.producer.blocks import Block, check_block_body
from agents.producer.finality.messages import block_hash
from agents.rpc.eth import decode_smt_proof

SOURCE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Counter {
    uint256 public count;
    mapping(address => uint256) public credits;
    event Bumped(address indexed by, uint256 indexed newCount, bytes32 note);
    error TooBig(uint256 value);
    constructor(uint256 start) { count = start; }
    function bump(bytes32 note) external {
        count += 1;
        credits[msg.sender] += 1;
        emit Bumped(msg.sender, count, note);
    }
    function add(uint256 x) external {
        if (x > 1000) revert TooBig(x);
        count += x;
    }
    function fail() external pure { require(false, "nope"); }
    function env() external view returns (uint256, uint256, uint256) {
        return (block.number, block.timestamp, block.chainid);
    }
}
"""


@pytest.fixture(scope="module")
def counter_artifact() -> dict[str, Any]:
    result = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Counter.sol": {"content": SOURCE}},
            "settings": {
                "evmVersion": "cancun",
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        },
        solc_binary=str(PROJECT_ROOT / "tools" / "solc"),
    )
    contract = result["contracts"]["Counter.sol"]["Counter"]
    return {"abi": contract["abi"], "bytecode": "0x" + contract["evm"]["bytecode"]["object"]}


@pytest.fixture(scope="module")
def w3(node: NodeProcess) -> Web3:
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


def send(w3: Web3, key: str, tx: dict[str, Any]) -> Any:
    """Sign with web3's own defaults (nonce, fees, gas estimate) and wait for the receipt."""
    account = Account.from_key(key)
    tx = {"from": account.address, "chainId": CHAIN_ID, **tx}
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(cast(TxParams, tx))
    tx.setdefault("maxFeePerGas", 2 * w3.eth.gas_price)
    tx.setdefault("maxPriorityFeePerGas", w3.eth.max_priority_fee)
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)


def rpc(node: NodeProcess, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer: dict[str, Any] = requests.post(node.url, json=body, timeout=30).json()
    return answer


def test_chain_identity(w3: Web3, node: NodeProcess) -> None:
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.net.version == str(CHAIN_ID)
    assert w3.client_version.startswith("altrollup-producer/")
    assert w3.eth.syncing is False
    genesis = w3.eth.get_block(0)
    assert genesis["number"] == 0 and genesis["transactions"] == []
    assert w3.eth.get_block("earliest")["hash"] == genesis["hash"]


def test_eth_transfer_receipt_balances_and_tiers(w3: Web3, node: NodeProcess) -> None:
    recipient = "0x" + "ab" * 20
    before_block = w3.eth.block_number
    sender_before = w3.eth.get_balance(DEV_ADDRESSES[0])
    receipt = send(w3, DEV_KEYS[0], {"to": Web3.to_checksum_address(recipient), "value": 10**18})
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert w3.eth.get_balance(Web3.to_checksum_address(recipient)) == 10**18
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(DEV_ADDRESSES[0]) == sender_before - 10**18 - fee
    # state at an earlier block is still readable (past roots of the MerkleStore)
    assert w3.eth.get_balance(Web3.to_checksum_address(recipient), before_block) == 0
    assert w3.eth.get_balance(DEV_ADDRESSES[0], "earliest") == 10_000 * 10**18

    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["from"] == DEV_ADDRESSES[0] and tx["blockNumber"] == receipt["blockNumber"]
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"]
    assert block["transactions"][receipt["transactionIndex"]]["hash"] == tx["hash"]
    assert w3.eth.get_block(receipt["blockHash"])["number"] == receipt["blockNumber"]
    assert w3.eth.get_transaction_count(DEV_ADDRESSES[0]) == tx["nonce"] + 1

    finality = rpc(node, "altrollup_getFinality", receipt["transactionHash"].to_0x_hex())
    assert finality["result"]["tier"] == 1 and finality["result"]["status"] == "included"
    assert int(finality["result"]["blockNumber"], 16) == receipt["blockNumber"]
    by_block = rpc(node, "altrollup_getFinality", receipt["blockHash"].to_0x_hex())["result"]
    assert by_block["kind"] == "block" and by_block["tier"] == 1
    metrics = requests.get(node.url + "/metrics", timeout=10).text
    assert "altrollup_producer_blocks_total" in metrics
    assert "altrollup_producer_intake_direct_accepted_total" in metrics
    sealed_lines = node.log_events("block_sealed")
    assert any(line["number"] == receipt["blockNumber"] for line in sealed_lines)
    # tags: no verifier feeds tiers 2/3 here, so safe and finalized are genesis
    assert w3.eth.get_block("safe")["number"] == 0
    assert w3.eth.get_block("finalized")["number"] == 0
    assert w3.eth.get_block("pending")["number"] == w3.eth.get_block("latest")["number"]

    # the verifier's view of the block: header fields, raw transactions, per-tx roots
    raw = rpc(node, "altrollup_getBlockForVerifier", hex(receipt["blockNumber"]))["result"]
    sealed = Block.from_json(raw)
    assert sealed.hash == bytes(block["hash"])
    assert sealed.hash == block_hash(sealed.parent_hash, sealed.number, sealed.body_root)
    assert check_block_body(sealed) == []
    assert sealed.tx_state_roots[receipt["transactionIndex"]] == bytes.fromhex(
        receipt["stateRoot"][2:]
    )
    assert Block.decode(bytes.fromhex(raw["rlp"][2:])) == sealed


def test_contract_deploy_calls_logs_and_errors(
    w3: Web3, node: NodeProcess, counter_artifact: dict[str, Any]
) -> None:
    factory = w3.eth.contract(abi=counter_artifact["abi"], bytecode=counter_artifact["bytecode"])
    deploy = factory.constructor(41).build_transaction(
        {"from": DEV_ADDRESSES[1], "nonce": w3.eth.get_transaction_count(DEV_ADDRESSES[1])}
    )
    receipt = send(w3, DEV_KEYS[1], deploy)
    assert receipt["status"] == 1 and receipt["contractAddress"]
    address = receipt["contractAddress"]
    counter = w3.eth.contract(address=address, abi=counter_artifact["abi"])
    assert w3.eth.get_code(address) != b""
    assert counter.functions.count().call() == 41

    note = b"\x07" * 32
    bumps = []
    for key in DEV_KEYS[1:3]:
        account = Account.from_key(key).address
        tx = counter.functions.bump(note).build_transaction({"from": account})
        assert tx["gas"] > 21_000  # filled in by eth_estimateGas
        bumps.append(send(w3, key, tx))
    assert counter.functions.count().call() == 43
    assert counter.functions.credits(DEV_ADDRESSES[2]).call() == 1
    assert counter.functions.count().call(block_identifier=receipt["blockNumber"]) == 41
    assert w3.eth.get_storage_at(address, 0) == (43).to_bytes(32, "big")

    events = counter.events.Bumped().process_receipt(bumps[1])
    assert events[0]["args"]["by"] == DEV_ADDRESSES[2] and events[0]["args"]["newCount"] == 43
    logs = w3.eth.get_logs({"fromBlock": receipt["blockNumber"], "toBlock": "latest",
                            "address": address})  # fmt: skip
    assert [int.from_bytes(log["topics"][2], "big") for log in logs] == [42, 43]
    topic_by = "0x" + bytes(12).hex() + DEV_ADDRESSES[2][2:].lower()
    only_second = w3.eth.get_logs({"fromBlock": 0, "address": address,
                                   "topics": [None, topic_by]})  # fmt: skip
    assert [log["transactionHash"] for log in only_second] == [bumps[1]["transactionHash"]]
    nobody = Web3.to_checksum_address("0x" + "99" * 20)
    assert w3.eth.get_logs({"fromBlock": 0, "address": nobody}) == []
    assert bumps[1]["logs"][0]["logIndex"] == logs[1]["logIndex"]

    number, _, chain_id = counter.functions.env().call()
    assert chain_id == CHAIN_ID and number == w3.eth.block_number

    with pytest.raises(ContractLogicError, match="nope"):
        counter.functions.fail().call()
    with pytest.raises(ContractCustomError):
        counter.functions.add(5000).call()
    with pytest.raises(ContractCustomError):
        counter.functions.add(5000).estimate_gas({"from": DEV_ADDRESSES[1]})
    estimate = counter.functions.add(7).estimate_gas({"from": DEV_ADDRESSES[1]})
    tight = send(w3, DEV_KEYS[1], counter.functions.add(7).build_transaction(
        {"from": DEV_ADDRESSES[1], "gas": estimate}))  # fmt: skip
    assert tight["status"] == 1 and counter.functions.count().call() == 50

    # eth_getProof against the rollup's SMT commitment, checked with the SMT verifier
    proof = w3.provider.make_request(RPCEndpoint("eth_getProof"), [address, ["0x0"], "latest"])[
        "result"
    ]
    record = AccountRecord(
        int(proof["nonce"], 16), int(proof["balance"], 16), bytes.fromhex(proof["storageHash"][2:]),
        bytes.fromhex(proof["codeHash"][2:]), bytes.fromhex(proof["codeRoot"][2:]),
        int(proof["codeSize"], 16),
    )  # fmt: skip
    state_root = bytes(w3.eth.get_block("latest")["stateRoot"])
    assert proof["stateRoot"] == "0x" + state_root.hex()
    account_proof = decode_smt_proof([bytes.fromhex(p[2:]) for p in proof["accountProof"]])
    assert smt.verify_proof(state_root, bytes.fromhex(address[2:]), record.leaf_value(),
                            account_proof)  # fmt: skip
    slot = proof["storageProof"][0]
    assert int(slot["value"], 16) == 50
    slot_proof = decode_smt_proof([bytes.fromhex(p[2:]) for p in slot["proof"]])
    assert smt.verify_proof(record.storage_root, bytes(32), (50).to_bytes(32, "big"), slot_proof)


def test_fee_data_pending_nonce_and_history(w3: Web3) -> None:
    head = w3.eth.get_block("latest")
    assert w3.eth.gas_price >= head["baseFeePerGas"]
    assert w3.eth.max_priority_fee > 0
    history = w3.eth.fee_history(4, "latest", [25, 75])
    assert len(history["baseFeePerGas"]) == min(4, head["number"] + 1) + 1
    assert all(len(r) == 2 for r in history["reward"])
    account = Account.from_key(DEV_KEYS[3])
    nonce = w3.eth.get_transaction_count(account.address)
    signed = [
        account.sign_transaction({"to": DEV_ADDRESSES[0], "value": 1, "gas": 21_000,
                                  "nonce": nonce + i, "chainId": CHAIN_ID,
                                  "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9})
        for i in range(3)
    ]  # fmt: skip
    hashes = [w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
    assert w3.eth.get_transaction_count(account.address, "pending") >= nonce + 1
    for tx_hash in hashes:
        assert (
            w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)["status"]
            == 1
        )
    assert w3.eth.get_transaction_count(account.address, "latest") == nonce + 3


def test_batch_requests_and_parameter_errors(node: NodeProcess) -> None:
    calls: list[tuple[str, list[Any]]] = [
        ("eth_blockNumber", []),
        ("eth_getBalance", [DEV_ADDRESSES[4], "latest"]),
        ("eth_getBalance", ["0x12", "latest"]),
        ("eth_getBlockByNumber", ["0xffffff", False]),
        ("eth_getBalance", [DEV_ADDRESSES[4], "0xffffff"]),
        ("eth_getBalance", [DEV_ADDRESSES[4], "soon"]),
        ("eth_getBlockByNumber", ["0x01", False]),
        ("eth_call", [{"to": "0x12"}]),
        ("eth_getTransactionReceipt", []),
        ("altrollup_getFinality", ["0x" + "00" * 32]),
        ("eth_getLogs", [{"fromBlock": "0x5", "toBlock": "0x1"}]),
        ("eth_call", [{"to": DEV_ADDRESSES[0], "gas": "0x10"}]),
        ("eth_getBlockByHash", ["0xzz", False]),
        ("eth_sendRawTransaction", ["0x02c0"]),
    ]
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
        for i, (method, params) in enumerate(calls, start=1)
    ]
    answers = {a["id"]: a for a in requests.post(node.url, json=batch, timeout=30).json()}
    assert int(answers[1]["result"], 16) >= 1
    assert int(answers[2]["result"], 16) == 10_000 * 10**18
    errors = {i: (a["error"]["code"], a["error"]["message"]) for i, a in answers.items()
              if "error" in a}  # fmt: skip
    assert errors[3] == (-32602, "invalid argument 0: hex string has length 2, want 40")
    assert answers[4]["result"] is None
    assert errors[5] == (-32000, "header not found")
    assert errors[6] == (-32602, "invalid argument 1: unknown block tag 'soon'")
    assert errors[7] == (-32602, "invalid argument 0: hex number with leading zero digits")
    assert errors[8] == (-32602, "invalid argument 0: hex string has length 2, want 40")
    assert errors[9] == (-32602, "missing value for required argument 0")
    assert errors[10][0] == -32001 and errors[10][1].startswith("not found")
    assert errors[11] == (-32602, "invalid argument 0: invalid block range params")
    assert errors[12] == (-32000, "intrinsic gas too low")
    assert errors[13] == (-32602, "invalid argument 0: invalid hex string")
    assert errors[14][0] == -32000 and errors[14][1].startswith("rlp:")
    assert json.loads(json.dumps(answers))  # every answer is plain JSON


def test_batched_submissions_are_checked_one_by_one(w3: Web3, node: NodeProcess) -> None:
    account = Account.from_key(DEV_KEYS[4])
    nonce = int(w3.eth.get_transaction_count(account.address, "pending"))

    def raw(n: int, value: int = 1) -> str:
        tx = {"to": DEV_ADDRESSES[0], "value": value, "gas": 21_000, "nonce": n,
              "chainId": CHAIN_ID, "maxFeePerGas": 10**11,
              "maxPriorityFeePerGas": 10**9}  # fmt: skip
        return account.sign_transaction(tx).raw_transaction.to_0x_hex()

    first = w3.eth.send_raw_transaction(HexStr(raw(nonce)))
    w3.eth.wait_for_transaction_receipt(first, timeout=30, poll_latency=0.05)
    nonce += 1
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [p]}
        for i, p in enumerate([raw(nonce), raw(nonce), "0xc0", raw(nonce + 1), raw(nonce - 1, 2)])
    ]
    answers = sorted(requests.post(node.url, json=batch, timeout=30).json(), key=lambda a: a["id"])
    assert answers[0]["result"].startswith("0x") and answers[3]["result"].startswith("0x")
    assert answers[1]["error"] == {"code": -32000, "message": "already known"}
    assert answers[2]["error"]["message"].startswith("rlp:")
    assert answers[4]["error"]["message"].startswith("nonce too low")
    for answer in (answers[0], answers[3]):
        receipt = w3.eth.wait_for_transaction_receipt(answer["result"], timeout=30,
                                                      poll_latency=0.05)  # fmt: skip
        assert receipt["status"] == 1
