"""In-process producer node: deferral and dropping of invalid transactions, recovery
when the state store lost its latest roots (re-execution from the chain database)."""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import CHAIN_ID, DEV_ADDRESSES, DEV_KEYS, transfer

from agents.producer.finality_oracle import StaticFinality
from agents.producer.genesis import dev_genesis, parse_genesis
from agents.producer.node import NodeConfig, ProducerNode
from agents.rpc.client import JsonRpcClient, RpcCallError
from agents.rpc.jsonlog import JsonLog


def config(state_dir: Path, **overrides: object) -> NodeConfig:
    settings: dict[str, object] = {"block_time_ms": 20, "log_enabled": False}
    settings.update(overrides)
    return NodeConfig(state_dir, CHAIN_ID, parse_genesis(dev_genesis()), **settings)  # type: ignore[arg-type]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[ProducerNode, JsonRpcClient]]:
    node = ProducerNode(config(tmp_path / "state", defer_timeout_ms=400))
    node.start()
    yield node, JsonRpcClient(node.url, timeout=10)
    node.stop()


def send(client: JsonRpcClient, raw: bytes) -> str:
    return str(client.call("eth_sendRawTransaction", "0x" + raw.hex()))


def wait_receipt(client: JsonRpcClient, tx_hash: str, timeout: float = 10) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = client.call("eth_getTransactionReceipt", tx_hash)
        if receipt:
            return dict(receipt)
        time.sleep(0.02)
    raise AssertionError(f"no receipt for {tx_hash}")


def test_nonce_gap_is_deferred_then_filled(
    running: tuple[ProducerNode, JsonRpcClient],
) -> None:
    node, client = running
    later = send(client, transfer(DEV_KEYS[0], 1))
    time.sleep(0.1)  # a few blocks: nonce 1 waits for nonce 0
    assert client.call("eth_getTransactionReceipt", later) is None
    assert client.call("altrollup_getFinality", later)["status"] == "pending"
    assert client.call("eth_getTransactionCount", DEV_ADDRESSES[0], "pending") == "0x0"
    first = send(client, transfer(DEV_KEYS[0], 0))
    assert client.call("eth_getTransactionCount", DEV_ADDRESSES[0], "pending") == "0x2"
    one, two = wait_receipt(client, first), wait_receipt(client, later)
    assert int(str(one["blockNumber"]), 16) <= int(str(two["blockNumber"]), 16)
    assert node.metrics.value("deferred_total", reason="nonce_too_high") >= 1


def test_transaction_that_stays_invalid_is_dropped_with_its_reason(
    running: tuple[ProducerNode, JsonRpcClient],
) -> None:
    node, client = running
    orphan = send(client, transfer(DEV_KEYS[1], 5))  # nonces 0-4 never come
    deadline = time.monotonic() + 10
    while client.call("altrollup_getFinality", orphan)["status"] != "dropped":
        assert time.monotonic() < deadline, "never dropped"
        time.sleep(0.05)
    finality = client.call("altrollup_getFinality", orphan)
    assert finality["reason"] == "nonce_too_high" and finality["tier"] is None
    assert client.call("eth_getTransactionReceipt", orphan) is None
    assert node.metrics.value("dropped_total", reason="nonce_too_high") == 1
    # the account is untouched and a valid transaction still goes through
    assert client.call("eth_getTransactionCount", DEV_ADDRESSES[1], "latest") == "0x0"
    wait_receipt(client, send(client, transfer(DEV_KEYS[1], 0)))
    with pytest.raises(RpcCallError, match="already known"):
        send(client, transfer(DEV_KEYS[1], 0))


def test_store_behind_the_chain_is_rebuilt_by_reexecution(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    node = ProducerNode(config(state_dir))
    node.start()
    client = JsonRpcClient(node.url, timeout=10)
    wait_receipt(client, send(client, transfer(DEV_KEYS[2], 0)))
    node.stop()
    shutil.copytree(state_dir / "state", tmp_path / "store-at-block-1")

    node = ProducerNode(config(state_dir))
    node.start()
    client = JsonRpcClient(node.url, timeout=10)
    hashes = [send(client, transfer(DEV_KEYS[2], n, value=n)) for n in range(1, 6)]
    for tx_hash in hashes:
        wait_receipt(client, tx_hash)
    head = node.head
    node.stop()

    # the store loses its latest writes (as after an OS crash): only block 1's root is left
    shutil.rmtree(state_dir / "state")
    shutil.copytree(tmp_path / "store-at-block-1", state_dir / "state")
    stream = io.StringIO()
    node = ProducerNode(config(state_dir), log=JsonLog("test", stream=stream))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["event"], e["from_block"], e["to_block"]) for e in events] == [
        ("reexecuting", 2, head.number)
    ]
    assert node.head == head
    with node.state.locked() as store:
        assert store.state_root() == head.state_root
    node.start()
    client = JsonRpcClient(node.url, timeout=10)
    assert client.call("eth_getTransactionCount", DEV_ADDRESSES[2], "latest") == "0x6"
    wait_receipt(client, send(client, transfer(DEV_KEYS[2], 6)))
    node.stop()


def test_tiers_and_tags_follow_the_finality_oracle(tmp_path: Path) -> None:
    oracle = StaticFinality()
    node = ProducerNode(config(tmp_path / "state"), oracle=oracle)
    node.start()
    try:
        client = JsonRpcClient(node.url, timeout=10)
        hashes = []
        for nonce in range(3):  # one block each
            hashes.append(send(client, transfer(DEV_KEYS[3], nonce)))
            wait_receipt(client, hashes[-1])
        numbers = [int(str(wait_receipt(client, h)["blockNumber"]), 16) for h in hashes]
        assert [client.call("altrollup_getFinality", h)["tier"] for h in hashes] == [1, 1, 1]
        oracle.update(tier2=numbers[1], tier3=numbers[0])
        assert [client.call("altrollup_getFinality", h)["tier"] for h in hashes] == [3, 2, 1]
        assert client.call("eth_getBlockByNumber", "safe", False)["number"] == hex(numbers[1])
        assert client.call("eth_getBlockByNumber", "finalized", False)["number"] == hex(numbers[0])
        balance_at_final = client.call("eth_getBalance", DEV_ADDRESSES[3], "finalized")
        assert balance_at_final == client.call("eth_getBalance", DEV_ADDRESSES[3], hex(numbers[0]))
        oracle.update(tier2=10**6, tier3=10**6)  # the L1 cannot be ahead of the chain
        head = client.call("eth_blockNumber")
        assert client.call("eth_getBlockByNumber", "finalized", False)["number"] == head
        status = client.call("altrollup_nodeStatus")
        assert status["tier3"] == head and status["tier1"] == head
    finally:
        node.stop()


def test_pending_nonce_survives_a_restart(tmp_path: Path) -> None:
    node = ProducerNode(config(tmp_path / "state", defer_timeout_ms=60_000))
    node.start()
    client = JsonRpcClient(node.url, timeout=10)
    for nonce in (0, 1):
        send(client, transfer(DEV_KEYS[4], nonce + 1))  # nonces 1, 2: waiting for 0
    node.stop()
    node = ProducerNode(config(tmp_path / "state", defer_timeout_ms=60_000))
    node.start()
    try:
        client = JsonRpcClient(node.url, timeout=10)
        assert client.call("eth_getTransactionCount", DEV_ADDRESSES[4], "pending") == "0x0"
        first = send(client, transfer(DEV_KEYS[4], 0))
        assert client.call("eth_getTransactionCount", DEV_ADDRESSES[4], "pending") == "0x3"
        wait_receipt(client, first)
    finally:
        node.stop()
