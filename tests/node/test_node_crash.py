"""kill -9 of the producer node under load, and an aggregator in front of it.

Senders behave like wallets: a transaction whose answer was lost (the node died) is
sent again until the node answers (``already known`` means it was stored before the
crash). Afterwards every accepted transaction must be in exactly one block, nothing
else may be, the chain must link up, and a fresh store re-executing every block from
genesis (what a verifier does) must reproduce every block.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node_helpers import CHAIN_ID, DEV_KEYS, NodeProcess, transfer
from sha3 import keccak_256

from agents.evm.store import MerkleStore
from agents.l1.anvil import PROJECT_ROOT
from agents.producer.blocks import Block, reexecute_block
from agents.producer.genesis import apply_genesis, dev_genesis, parse_genesis
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError

PER_SENDER = 60


@dataclass
class Load:
    accepted: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def send_all(url: str, raws: list[bytes], load: Load, deadline: float) -> None:
    """Send in order; retry a transaction until the node answers (wallet behaviour)."""
    client = JsonRpcClient(url, timeout=5.0)
    for raw in raws:
        tx_hash = "0x" + keccak_256(raw).hexdigest()
        while time.monotonic() < deadline:
            try:
                client.call("eth_sendRawTransaction", "0x" + raw.hex())
            except RpcTransportError:
                time.sleep(0.05)  # node down: retry the same transaction
                continue
            except RpcCallError as exc:
                if exc.code == -32005:  # aggregator backpressure: retry later
                    time.sleep(0.05)
                    continue
                if exc.message != "already known":  # (stored before a crash)
                    with load.lock:
                        load.errors.append(exc.message)
                    break
            with load.lock:
                load.accepted.add(tx_hash)
            break


def start_senders(url: str, load: Load, count: int) -> list[threading.Thread]:
    deadline = time.monotonic() + 90
    threads = []
    for key in DEV_KEYS[:count]:
        raws = [transfer(key, nonce) for nonce in range(PER_SENDER)]
        thread = threading.Thread(target=send_all, args=(url, raws, load, deadline), daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def wait_accepted(load: Load, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with load.lock:
            if len(load.accepted) >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"only {len(load.accepted)} accepted, errors {load.errors[:3]}")


def chain_contents(client: JsonRpcClient) -> list[dict[str, Any]]:
    """Every block in the verifier codec, checking that parent hashes link up."""
    head = int(client.call("eth_blockNumber"), 16)
    answers = client.batch([("altrollup_getBlockForVerifier", [hex(n)]) for n in range(head + 1)])
    blocks = [a["result"] for a in answers]
    for parent, child in zip(blocks, blocks[1:], strict=False):
        assert child["parentHash"] == parent["hash"]
    return blocks


def check_exactly_once(client: JsonRpcClient, accepted: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers = client.batch([("eth_getTransactionReceipt", [h]) for h in sorted(accepted)])
        if all(a.get("result") for a in answers):
            break
        time.sleep(0.2)
    blocks = chain_contents(client)
    included = [keccak_256(bytes.fromhex(t[2:])).hexdigest() for b in blocks
                for t in b["transactions"]]  # fmt: skip
    assert len(included) == len(set(included)), "a transaction is in two blocks"
    assert {"0x" + h for h in included} == accepted
    return blocks


def reexecute_chain(blocks: list[dict[str, Any]], tmp: Path) -> None:
    """A verifier's check: replay every block from genesis on a fresh store."""
    store = MerkleStore(tmp / "verifier-state")
    genesis = parse_genesis(dev_genesis())
    parent = apply_genesis(store, genesis)
    chain = [Block.from_json(b) for b in blocks]
    assert chain[0].hash == parent.hash
    hashes = {b.number: b.hash for b in chain}
    for block in chain[1:]:
        result = reexecute_block(store, parent, block, genesis.chain_config(CHAIN_ID),
                                 lambda n: hashes.get(n, bytes(32)))  # fmt: skip
        assert result.ok, result.mismatches
        parent = block
    store.close()


def test_kill_9_under_load_then_restart(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "state", ["--block-time", "50"]).start()
    load = Load()
    try:
        threads = start_senders(node.url, load, 4)
        total = 4 * PER_SENDER
        for fraction in (0.3, 0.65):
            wait_accepted(load, int(total * fraction))
            node.kill()
            time.sleep(0.3)
            node.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not load.errors, load.errors[:5]
        assert len(load.accepted) == total
        client = JsonRpcClient(node.url, timeout=30)
        blocks = check_exactly_once(client, load.accepted)
        nonces = client.batch([("eth_getTransactionCount", [a, "latest"]) for a in
                               [tx_sender(k) for k in DEV_KEYS[:4]]])  # fmt: skip
        assert [int(n["result"], 16) for n in nonces] == [PER_SENDER] * 4
        assert len(node.log_events("genesis")) == 1  # restarts resumed, never re-initialised
        restarts = [e for e in ("resumed", "state_realigned", "reexecuting")
                    for _ in node.log_events(e)]  # fmt: skip
        assert len(restarts) == 2
        reexecute_chain(blocks, tmp_path)
    finally:
        node.stop()


def tx_sender(key: str) -> str:
    from eth_account import Account

    return str(Account.from_key(key).address)


def test_aggregator_in_front_and_producer_killed(tmp_path: Path) -> None:
    """The aggregator sequences and forwards; the producer dies and comes back. (No
    ``--state-rpc``: while the producer is down the aggregator would answer its nonce
    lookups with -32603; the producer checks nonces and balances itself anyway.)"""
    node = NodeProcess(tmp_path / "state", ["--block-time", "50"]).start()
    aggregator_log = (tmp_path / "aggregator.log").open("a")
    aggregator = subprocess.Popen(
        [sys.executable, "-m", "agents.aggregator", "--id", "agg-a",
         "--db", str(tmp_path / "agg.sqlite"), "--chain-id", str(CHAIN_ID), "--port", "0",
         "--producer", node.url, "--heartbeat-ms", "100"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=aggregator_log, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert aggregator.stdout is not None
        ready, _, _ = select.select([aggregator.stdout], [], [], 20)
        assert ready, "aggregator did not start"
        agg_url = json.loads(aggregator.stdout.readline())["listening"]
        load = Load()
        threads = start_senders(agg_url, load, 3)
        wait_accepted(load, PER_SENDER)
        node.kill()  # the aggregator keeps accepting and holds what is unacknowledged
        time.sleep(0.5)
        node.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not load.errors, load.errors[:5]
        assert len(load.accepted) == 3 * PER_SENDER
        client = JsonRpcClient(node.url, timeout=30)
        check_exactly_once(client, load.accepted)
        some = sorted(load.accepted)[0]
        finality = client.call("altrollup_getFinality", some)
        assert finality["tier"] == 1 and finality["status"] == "included"
        status = client.call("altrollup_intakeStatus")
        assert any(a["aggregatorId"] == "agg-a" for a in status["aggregators"])
    finally:
        aggregator.terminate()
        aggregator.wait(timeout=10)
        aggregator_log.close()
        node.stop()
