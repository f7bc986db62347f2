"""Four producer processes with GRANDPA over HTTP: blocks proposed by the slot rule,
tier 1 = finalized by more than two thirds, one producer killed -> finality continues,
the killed producer restarts and catches up from its peers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from coincurve import PrivateKey
from node_helpers import CHAIN_ID, DEV_KEYS, NodeProcess, transfer

from agents.l1.anvil import PROJECT_ROOT
from agents.producer.finality.messages import address_of
from agents.rpc.client import JsonRpcClient

VOTERS = 4
KEYS = [bytes([0x11 * (i + 1)]) * 32 for i in range(VOTERS)]
ADDRESSES = ["0x" + address_of(PrivateKey(k)).hex() for k in KEYS]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def producer_set(tmp_path: Path, count: int, extra_args: list[str]) -> list[NodeProcess]:
    ports = [free_port() for _ in range(count)]
    nodes = []
    for i in range(count):
        extra = ["--block-time", "50", "--voter-key", "0x" + KEYS[i].hex(), "--id", f"p{i}",
                 "--slot-timeout-ms", "500", *extra_args]  # fmt: skip
        for address in ADDRESSES[:count]:
            extra += ["--validator", address]
        extra += [f"--peer=http://127.0.0.1:{ports[j]}" for j in range(count) if j != i]
        nodes.append(NodeProcess(tmp_path / f"p{i}", extra, port=ports[i]))
    for node in nodes:
        node.start()
    return nodes


@pytest.fixture
def producers(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    nodes = producer_set(tmp_path, VOTERS, [])
    yield nodes
    for node in nodes:
        node.stop()


def send(client: JsonRpcClient, nonce: int) -> str:
    """A transfer from the first dev account, submitted directly to one producer."""
    return str(client.call("eth_sendRawTransaction", "0x" + transfer(DEV_KEYS[0], nonce).hex()))


def wait_included(clients: list[JsonRpcClient], tx_hash: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(c.call("eth_getTransactionReceipt", tx_hash) for c in clients):
            return
        time.sleep(0.05)
    raise AssertionError(f"{tx_hash} not final on every live producer")


def same_chain(clients: list[JsonRpcClient]) -> int:
    heads = {int(c.call("eth_blockNumber"), 16) for c in clients}
    head = min(heads)
    hashes = {c.call("eth_getBlockByNumber", hex(head), False)["hash"] for c in clients}
    assert len(hashes) == 1, "producers finalized different blocks"
    return head


def test_four_producers_finalize_with_one_killed(producers: list[NodeProcess]) -> None:
    clients = [JsonRpcClient(p.url, timeout=10) for p in producers]
    hashes = [send(clients[n % VOTERS], n) for n in range(6)]
    for tx_hash in hashes:
        wait_included(clients, tx_hash)
    head = same_chain(clients)
    finality = clients[2].call("altrollup_getFinality", hashes[0])
    assert finality["tier"] == 1 and finality["status"] == "included"
    proposers = {clients[0].call("eth_getBlockByNumber", hex(n), False)["miner"]
                 for n in range(1, head + 1)}  # fmt: skip
    assert proposers <= {a.lower() for a in ADDRESSES}
    assert producers[0].log_events("block_finalized")

    producers[1].kill()  # f = 1 of n = 4: the other three still hold > 2/3
    live = [clients[i] for i in (0, 2, 3)]
    more = [send(live[n % 3], n) for n in range(6, 12)]
    for tx_hash in more:
        wait_included(live, tx_hash)
    assert same_chain(live) > head

    producers[1].start()  # same state dir and port: it catches up from its peers
    deadline = time.monotonic() + 30
    while int(clients[1].call("eth_blockNumber"), 16) < int(clients[0].call("eth_blockNumber"), 16):
        assert time.monotonic() < deadline, "restarted producer did not catch up"
        time.sleep(0.1)
    last = send(clients[1], 12)
    wait_included(clients, last)
    same_chain(clients)
    status = clients[1].call("altrollup_nodeStatus")["consensus"]
    assert status["voterIndex"] == 1 and status["finalized"] >= 1


def test_aggregator_load_balancing_over_three_producers(tmp_path: Path) -> None:
    """Batches go round-robin to three producers; each fetches the others' batches
    through the sequence gaps, so whichever proposes has everything."""
    aggregator_port = free_port()
    aggregator_url = f"http://127.0.0.1:{aggregator_port}"
    nodes = producer_set(tmp_path, 3, ["--aggregator", f"agg-a={aggregator_url}"])
    aggregator = subprocess.Popen(
        [sys.executable, "-m", "agents.aggregator", "--id", "agg-a", "--db",
         str(tmp_path / "agg.sqlite"), "--chain-id", str(CHAIN_ID), "--port",
         str(aggregator_port), "--batch-size", "8", "--quiet",
         *[arg for node in nodes for arg in ("--producer", node.url)]],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert aggregator.stdout is not None
        assert json.loads(aggregator.stdout.readline())["listening"] == aggregator_url
        client = JsonRpcClient(aggregator_url, timeout=10)
        hashes = [send(client, n) for n in range(40)]
        clients = [JsonRpcClient(node.url, timeout=10) for node in nodes]
        for tx_hash in hashes:
            wait_included(clients, tx_hash)
        same_chain(clients)
        status = clients[0].call("altrollup_intakeStatus")
        assert [
            a["contiguousSeq"] for a in status["aggregators"] if a["aggregatorId"] == "agg-a"
        ] == [40]
    finally:
        aggregator.terminate()
        aggregator.wait(timeout=10)
        for node in nodes:
            node.stop()
