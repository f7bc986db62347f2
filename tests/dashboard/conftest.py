"""Fixtures of the dashboard tests: the L1 scene, the producer node as the L2 (with the
L1 Rollup as its finality oracle) and a dashboard server over both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dashboard_scene import Scene, build_l1, post_packs_and_dispute, wait_for_head

from agents.dashboard.server import Dashboard
from agents.dashboard.sources import DashboardConfig
from agents.l1.anvil import AnvilProcess
from agents.l1.client import L1Client
from agents.load.report import LoadReport
from agents.load.runner import LoadConfig, run_load
from agents.producer.genesis import dev_genesis, parse_genesis
from agents.producer.node import NodeConfig, ProducerNode
from agents.rpc.client import JsonRpcClient
from agents.verifier.finality import L1Finality

L2_CHAIN_ID = 900_001
MIN_HEAD = 9


@pytest.fixture(scope="module")
def scene(l1: L1Client, funded_keys: list[str], tmp_path_factory: pytest.TempPathFactory) -> Scene:
    built = build_l1(l1, funded_keys, tmp_path_factory.mktemp("scene"))
    post_packs_and_dispute(built)
    return built


@pytest.fixture(scope="module")
def producer(scene: Scene, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProducerNode]:
    """The real producer node, its tiers 2 and 3 read from the scene's Rollup."""
    oracle = L1Finality(scene.deployment.rollup)
    oracle.refresh()
    oracle.start(interval=0.3)
    config = NodeConfig(
        state_dir=tmp_path_factory.mktemp("producer") / "state",
        chain_id=L2_CHAIN_ID,
        genesis=parse_genesis(dev_genesis()),
        block_time_ms=150,
        log_enabled=False,  # no empty blocks: the chain stays still once the mints are in
    )
    node = ProducerNode(config, oracle=oracle)
    node.start()
    yield node
    node.stop()
    oracle.stop()


@pytest.fixture(scope="module")
def minted(producer: ProducerNode) -> LoadReport:
    """NFTs minted on the L2 through the load generator, in blocks past the packed ones
    (the scene's packs cover blocks 1-6; the page shows the newest 24 blocks)."""
    l2 = JsonRpcClient(producer.url)
    report = run_load(LoadConfig(producer.url, "nft-mint", tps=20, duration=1.5, accounts=2))
    assert report.succeeded == 30, report.summary()
    for _ in range(5):
        if int(l2.call("eth_blockNumber"), 16) >= MIN_HEAD:
            break
        more = run_load(LoadConfig(producer.url, "nft-mint", tps=20, duration=0.5, accounts=2))
        assert more.failed == 0, more.summary()
    wait_for_head(l2, MIN_HEAD, timeout=1.0)
    return report


@pytest.fixture(scope="module")
def dashboard(
    scene: Scene, producer: ProducerNode, minted: LoadReport, anvil: AnvilProcess
) -> Iterator[Dashboard]:
    config = DashboardConfig(
        rpc_url=producer.url,
        l1_rpc_url=anvil.url,
        deployments=scene.deployments_file,
        cache_seconds=0.2,
    )
    server = Dashboard(config)
    server.start()
    yield server
    server.stop()
