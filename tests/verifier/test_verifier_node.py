"""The verifier against the real producer node (``agents.producer.node.ProducerNode``, its
Ethereum JSON-RPC and ``altrollup_getBlockForVerifier``), with the node's finality oracle
being :class:`agents.verifier.finality.L1Finality`: transactions sent with
``eth_sendRawTransaction`` end up in packs, and the node's ``safe`` / ``finalized`` tags
and ``altrollup_getFinality`` follow tiers 2 and 3 on L1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from verifier_env import (
    WINDOW,
    ChainEnv,
    advance,
    deploy,
    genesis_for,
    l2_chain_id,
    make_verifier,
    transfer,
)

from agents.evm.store import MerkleStore
from agents.producer.genesis import apply_genesis
from agents.producer.node import NodeConfig, ProducerNode
from agents.rpc.client import JsonRpcClient
from agents.verifier.finality import L1Finality
from agents.verifier.follower import RpcBlockSource
from agents.verifier.service import tick

pytestmark = pytest.mark.xdist_group("verifier")


def test_producer_node_blocks_reach_tier3_through_l1(chain: ChainEnv, tmp_path: Path) -> None:
    chain_id = l2_chain_id(chain)
    genesis = genesis_for(chain_id)
    scratch = MerkleStore(tmp_path / "genesis")
    genesis_root = apply_genesis(scratch, genesis).state_root
    scratch.close()
    rollup = deploy(chain, genesis_root).rollup
    finality = L1Finality(rollup)
    node = ProducerNode(
        NodeConfig(
            state_dir=tmp_path / "producer",
            chain_id=chain_id,
            genesis=genesis,
            block_time_ms=50,
            log_enabled=False,
        ),
        oracle=finality,
    )
    url = node.start()
    try:
        rpc = JsonRpcClient(url)
        hashes = [
            rpc.call("eth_sendRawTransaction", "0x" + transfer(chain_id, n).hex()) for n in range(5)
        ]
        deadline = time.monotonic() + 30
        while rpc.call("altrollup_getFinality", hashes[-1])["status"] != "included":
            assert time.monotonic() < deadline, "the producer did not include the transactions"
            time.sleep(0.05)
        head = int(rpc.call("eth_blockNumber"), 16)
        source = RpcBlockSource.connect(url)
        poster, _ = make_verifier(
            chain, rollup.address, chain.verifiers[0], tmp_path / "v1", source,
            max_blocks=head,
        )  # fmt: skip
        voter, _ = make_verifier(
            chain, rollup.address, chain.verifiers[1], tmp_path / "v2", source, post=False
        )
        tick(poster)
        pack = rollup.pack(rollup.head())
        assert (pack.first_block, pack.last_block, pack.tx_count) == (1, head, 5)
        assert rpc.call("eth_getBlockByNumber", "safe", False)["number"] == "0x0"
        tick(voter)  # affirms: tier 2
        finality.refresh()
        assert rpc.call("eth_getBlockByNumber", "safe", False)["number"] == hex(head)
        assert rpc.call("eth_getBlockByNumber", "finalized", False)["number"] == "0x0"
        assert rpc.call("altrollup_getFinality", hashes[0])["tier"] == 2
        advance(chain.client, WINDOW + 1)
        tick(voter)  # finalizes: tier 3
        finality.refresh()
        assert rpc.call("eth_getBlockByNumber", "finalized", False)["number"] == hex(head)
        final = rpc.call("altrollup_getFinality", hashes[-1])
        assert final["tier"] == 3 and final["heights"]["tier3"] == hex(head)
    finally:
        node.stop()
