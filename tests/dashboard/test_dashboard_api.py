"""The dashboard's JSON endpoints over a real scene: the producer node as the rollup
RPC (tiers from ``altrollup_getFinality``, fed by the L1 Rollup), anvil as a plain L2
(tiers from ``Rollup.tierOfBlock``), dead sources, the page's assets, the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dashboard_scene import ETHER, Scene, wait_for_head
from promtext import parse

from agents.dashboard.server import Dashboard
from agents.dashboard.sources import DashboardConfig, bisection_progress, throughput
from agents.dispute.game import Level
from agents.l1.anvil import AnvilProcess
from agents.l1.deployments import load_deployments, record_deployments
from agents.load.report import LoadReport
from agents.producer.genesis import dev_genesis, parse_genesis
from agents.producer.node import NodeConfig, ProducerNode
from agents.rpc.client import JsonRpcClient

pytestmark = pytest.mark.xdist_group("dashboard")

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def api(server: Dashboard, panel: str) -> dict[str, Any]:
    status, kind, body = get(f"{server.url}/api/{panel}")
    assert status == 200 and kind == "application/json"
    value: dict[str, Any] = json.loads(body)
    return value


def test_blocks_carry_tiers_from_the_node(dashboard: Dashboard, minted: LoadReport) -> None:
    data = api(dashboard, "blocks")
    assert data["tierSource"] == "altrollup_getFinality and the L1 Rollup"
    assert data["tierHeights"]["tier3"] == 2 and data["tierHeights"]["tier2"] == 4
    tiers = {row["number"]: row["tier"] for row in data["blocks"]}
    head = max(tiers)
    assert data["tierHeights"]["tier1"] >= head
    for number, tier in tiers.items():
        expected = 3 if number <= 2 else 2 if number <= 4 else 1
        assert tier == expected, (number, tier)
    mints = [
        tx
        for tx in data["transactions"]
        if tx["to"] and tx["to"].lower() == minted.contract.lower()
    ]
    assert mints, "the NFT mints show among the recent transactions"
    assert data["throughput"]["series"] and data["throughput"]["tps"] >= 0


def test_packs_disputes_sequencers_overview(dashboard: Dashboard, scene: Scene) -> None:
    packs = {p["id"]: p for p in api(dashboard, "packs")["packs"]}
    assert [packs[i]["status"] for i in (1, 2, 3)] == [
        "rollup final", "verification final", "posted",
    ]  # fmt: skip
    assert (packs[1]["firstBlock"], packs[1]["lastBlock"]) == (1, 2)
    assert packs[3]["openGames"] == 1 and not packs[3]["defeated"]
    assert packs[3]["poster"] == scene.verifiers[3].address

    games = api(dashboard, "disputes")["games"]
    (game,) = games
    assert game["id"] == scene.game_id and game["pack"] == 3
    assert game["status"] == "in_progress" and game["moves"] >= 4
    assert game["challenger"] == scene.challenger.address
    assert 0 < game["progress"] < 1
    assert game["hi"] - game["lo"] >= 1 and game["challengerClockLeft"] > 0

    sequencers = api(dashboard, "sequencers")
    rows = sequencers["sequencers"]
    assert {r["address"] for r in rows} == {v.address for v in scene.verifiers}
    assert tuple(r["address"] for r in rows if r["selected"]) == scene.sequencers
    assert all(r["stakes"]["ETH"] == str(20 * ETHER) for r in rows)
    assert sequencers["rollupStatus"] == "ACTIVE" and sequencers["tokens"] == ["ETH"]

    overview = api(dashboard, "overview")
    assert overview["headPack"] == 3 and overview["finalizedPack"] == 1
    assert overview["l2ChainId"] == 900_001 and overview["rollupStatus"] == "ACTIVE"
    assert overview["rollup"] == scene.deployment.rollup.address


def test_page_assets_and_metrics(dashboard: Dashboard) -> None:
    status, kind, body = get(dashboard.url + "/")
    assert status == 200 and kind.startswith("text/html")
    assert b"/static/app.js" in body and b"http" not in body.replace(b"http-equiv", b"")
    for asset, expected in (("app.js", "javascript"), ("style.css", "text/css")):
        status, kind, body = get(f"{dashboard.url}/static/{asset}")
        assert status == 200 and expected in kind and len(body) > 500
        assert b"https://" not in body, "no CDN: everything is served locally"
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(dashboard.url + "/static/../sources.py")
    assert missing.value.code == 404
    status, kind, body = get(dashboard.url + "/metrics")
    assert kind.startswith("text/plain; version=0.0.4")
    exposition = parse(body.decode())
    assert exposition.types["altrollup_dashboard_http_requests_total"] == "counter"
    assert (exposition.value("altrollup_dashboard_http_requests_total", route="/") or 0) >= 1


def test_tiers_fall_back_to_l1_for_a_plain_node(scene: Scene, anvil: AnvilProcess) -> None:
    """anvil as the L2 (no altrollup_getFinality): tiers from Rollup.tierOfBlock."""
    with AnvilProcess() as plain_l2:
        for _ in range(8):
            plain_l2_request(plain_l2.url, "evm_mine")
        server = Dashboard(
            DashboardConfig(plain_l2.url, anvil.url, deployments=scene.deployments_file)
        )
        server.start()
        try:
            data = api(server, "blocks")
        finally:
            server.stop()
    assert data["tierSource"] == "L1 Rollup.tierOfBlock"
    by_number = {row["number"]: (row["tier"], row["pack"]) for row in data["blocks"]}
    assert by_number[1] == (3, 1) and by_number[2] == (3, 1)
    assert by_number[3] == (2, 2) and by_number[4] == (2, 2)
    assert by_number[5] == (1, 3) and by_number[6] == (1, 3), "posted, not verified"
    assert by_number[7] == (1, None) and by_number[8] == (1, None), "not posted"


def plain_l2_request(url: str, method: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert "result" in json.loads(response.read())


def test_dead_sources_show_errors_not_a_dead_page() -> None:
    server = Dashboard(DashboardConfig("http://127.0.0.1:1", "http://127.0.0.1:1"))
    server.start()
    try:
        assert "rollup RPC unreachable" in api(server, "blocks")["error"]
        assert "cannot reach L1" in api(server, "packs")["error"]
        overview = api(server, "overview")
        assert "l2Error" in overview and "l1Error" in overview
        assert get(server.url + "/")[0] == 200
        exposition = parse(get(server.url + "/metrics")[2].decode())
        assert exposition.value("altrollup_dashboard_panel_errors_total", panel="blocks") == 1
    finally:
        server.stop()


def test_bisection_progress() -> None:
    assert bisection_progress(Level.TRANSACTIONS, 0, 8, 8, 4, False) == 0.0
    assert bisection_progress(Level.TRANSACTIONS, 4, 6, 8, 4, False) == round(2 / 7, 3)
    assert bisection_progress(Level.STEPS, 0, 16, 8, 4, False) == round(3 / 7, 3)
    assert bisection_progress(Level.STEPS, 5, 6, 8, 4, False) == 1.0
    assert bisection_progress(Level.STEPS, 0, 16, 8, 4, True) == 1.0


def test_cli_serves_and_stops(scene: Scene, anvil: AnvilProcess) -> None:
    process = subprocess.Popen(
        [ALTROLLUP, "dashboard", "--l1-rpc", anvil.url, "--deployments",
         str(scene.deployments_file), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = json.loads(line)["dashboard"]
        assert get(url)[0] == 200
        packs = json.loads(get(url + "api/packs")[2])
        assert [p["id"] for p in packs["packs"]] == [3, 2, 1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --rpc (the rollup) and/or --l1-rpc"),
        (["--rpc", "localhost:8545"], "--rpc expects http://HOST:PORT"),
        (["--l1-rpc", "http://127.0.0.1:1", "--deployments", "/no/such/file"], "no file"),
        (["--l1-rpc", "http://127.0.0.1:1", "--rollup", "0x12"], "not a 0x-prefixed"),
        (["--rpc", "http://127.0.0.1:1", "--port", "99999"], "Invalid value for '--port'"),
    ],
)
def test_cli_rejects_bad_input(args: list[str], message: str) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [ALTROLLUP, "dashboard", *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0 and message in out.stderr
    assert "Traceback" not in out.stderr and time.monotonic() - started < 60


def test_throughput_over_recent_block_time() -> None:
    def block(number: int, timestamp: int, txs: int) -> dict[str, Any]:
        return {"number": hex(number), "timestamp": hex(timestamp), "transactions": ["0x"] * txs}

    newest_first = [block(5, 1005, 4), block(4, 1004, 2), block(3, 1000, 10), block(2, 990, 7)]
    result = throughput([*newest_first, block(0, 0, 0)])
    assert result["tps"] == 1.6 and result["window"] == 10 and result["txs"] == 16
    assert [p["number"] for p in result["series"]] == [2, 3, 4, 5], "genesis is left out"
    young = throughput([block(2, 501, 3), block(1, 500, 3)])
    assert young["window"] == 2 and young["tps"] == 3.0
    assert throughput([])["tps"] == 0.0


def test_registries_only_deployments(scene: Scene, anvil: AnvilProcess, tmp_path: Path) -> None:
    """What the devnet records before it deploys a Rollup: the sequencer set still
    shows (the last requested rollup), packs and disputes say nothing is configured;
    ``--rollup`` then adds them."""
    entries = load_deployments(scene.deployments_file)[str(scene.client.chain_id)]
    registries_only = tmp_path / "deployments.json"
    record_deployments(
        scene.client.chain_id,
        {name: d for name, d in entries.items() if name != "Rollup"},
        registries_only,
    )
    server = Dashboard(DashboardConfig(None, anvil.url, deployments=registries_only))
    server.start()
    try:
        sequencers = api(server, "sequencers")
        assert sequencers["rollupId"] == 1 and len(sequencers["sequencers"]) == 4
        assert api(server, "packs")["note"] == "no Rollup contract configured"
        assert api(server, "disputes")["games"] == []
        assert api(server, "blocks")["error"] == "no --rpc given"
    finally:
        server.stop()
    with_rollup = Dashboard(
        DashboardConfig(
            None, anvil.url, deployments=registries_only,
            rollup_address=scene.deployment.rollup.address,
        )
    )  # fmt: skip
    with_rollup.start()
    try:
        assert len(api(with_rollup, "packs")["packs"]) == 3
    finally:
        with_rollup.stop()


def test_l1_tiers_complete_a_node_without_an_l1_oracle(
    scene: Scene, anvil: AnvilProcess, tmp_path: Path
) -> None:
    """A producer started without an L1 oracle reports tiers 2 and 3 at height 0; the
    page takes them from the Rollup, where packs 1 and 2 are final and verified."""
    node = ProducerNode(
        NodeConfig(
            state_dir=tmp_path / "state",
            chain_id=900_001,
            genesis=parse_genesis(dev_genesis()),
            block_time_ms=50,
            empty_blocks=True,
            log_enabled=False,
        )
    )
    node.start()
    try:
        l2 = JsonRpcClient(node.url)
        wait_for_head(l2, 8)
        latest = l2.call("eth_getBlockByNumber", "latest", False)
        heights = l2.call("altrollup_getFinality", latest["hash"])
        assert heights["heights"]["tier3"] == "0x0", "the node alone knows no L1 tier"
        server = Dashboard(
            DashboardConfig(node.url, anvil.url, deployments=scene.deployments_file, blocks=200)
        )
        server.start()
        try:
            data = api(server, "blocks")
        finally:
            server.stop()
    finally:
        node.stop()
    assert data["tierSource"] == "altrollup_getFinality and the L1 Rollup"
    assert data["tierHeights"]["tier3"] == 2 and data["tierHeights"]["tier2"] == 4
    tiers = {row["number"]: row["tier"] for row in data["blocks"]}
    assert [tiers[n] for n in range(0, 7)] == [3, 3, 3, 2, 2, 1, 1]
