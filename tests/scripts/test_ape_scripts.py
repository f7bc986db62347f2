"""The ape scripts, run as a user runs them (``ape run <script> --network ...``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.l1.anvil import PROJECT_ROOT, AnvilProcess

APE = str(Path(sys.executable).with_name("ape"))

# One worker builds the chain once for the whole module (make test runs --dist loadgroup).
pytestmark = pytest.mark.xdist_group("ape-scripts")


def ape_run(
    script: str, *args: str, network: str, deployments: Path
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ALTROLLUP_DEPLOYMENTS=str(deployments))
    env["PATH"] = (
        f"{Path(sys.executable).parent}:{PROJECT_ROOT / 'node_modules' / '.bin'}:"
        + env.get("PATH", "")
    )
    return subprocess.run(
        [APE, "run", script, *args, "--network", network],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_deploy_on_ape_local_foundry_network(tmp_path: Path) -> None:
    """The issue's literal command: ape starts anvil itself, deploys, stops it."""
    deployments = tmp_path / "deployments.json"
    result = ape_run("deploy", network="ethereum:local:foundry", deployments=deployments)
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = json.loads(deployments.read_text())["31337"]
    assert {"SequencerRegistry", "ExecutionLayerRegistry", "token:ALT"} <= set(recorded)


@dataclass
class Devchain:
    url: str
    deployments: Path
    outputs: dict[str, str]

    def run(self, script: str, *args: str) -> str:
        result = ape_run(script, *args, network=self.url, deployments=self.deployments)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


OPERATOR_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.fixture(scope="module")
def devchain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devchain]:
    """A chain driven through every script once: deploy, register, stake, delegate,
    request, select, show (each worker of pytest-xdist builds its own)."""
    with AnvilProcess() as node:
        chain = Devchain(node.url, tmp_path_factory.mktemp("ape") / "deployments.json", {})
        chain.run("deploy", "--token", "ALT")
        for account, amount in {1: "15", 2: "20", 3: "25", 4: "4"}.items():
            chain.run(
                "register-sequencer", "--account", str(account), "--endpoint", f"http://x:{account}"
            )
            chain.run("stake", "--account", str(account), "--amount", amount)
        chain.outputs["stake"] = chain.run(
            "stake", "--account", "4", "--token", "ALT", "--amount", "150", "--mint"
        )
        chain.outputs["delegate"] = chain.run(
            "delegate", "--account", "6", "--operator", OPERATOR_1, "--amount", "2.5"
        )
        chain.outputs["request"] = chain.run(
            "request-rollup", "--file", "config/rollup-request.json"
        )
        chain.outputs["select"] = chain.run("select-sequencers", "--rollup-id", "1")
        chain.outputs["show"] = chain.run("show-rollup", "--chain-id", "900001")
        yield chain


def test_register_stake_request_select_show(devchain: Devchain) -> None:
    out = devchain.outputs
    assert "active stake now 150.0 ALT" in out["stake"]
    assert "its stake there is 2.5 ETH" in out["delegate"]
    assert "rollup 1 requested: L2 chain id 900001" in out["request"]
    assert "selected 4 sequencers" in out["select"]
    assert "status      ACTIVE" in out["show"]
    assert out["show"].count("sequencer   0x") == 4
    assert f"sequencer   {OPERATOR_1}  (17.5 ETH, 0 ALT)" in out["show"]


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("stake", ["--amount", "-1"], "must be positive"),
        ("stake", ["--amount", "1", "--token", "DOGE"], "unknown token 'DOGE'"),
        ("delegate", ["--operator", "0x12", "--amount", "1"], "is not an address"),
        ("request-rollup", ["--file", "missing.json"], "no such file"),
        ("show-rollup", ["--rollup-id", "99"], "UnknownRollup(rollupId=99)"),
        ("show-rollup", [], "exactly one of --rollup-id and --chain-id"),
        ("register-sequencer", ["--account", "1", "--endpoint", "http://x:1"], "AlreadyRegistered"),
        ("select-sequencers", ["--rollup-id", "1"], "InvalidStatus(rollupId=1, current=2)"),
    ],
)
def test_bad_input_is_one_line_error(
    devchain: Devchain, script: str, args: list[str], message: str
) -> None:
    result = ape_run(script, *args, network=devchain.url, deployments=devchain.deployments)
    assert result.returncode != 0
    combined = result.stdout + result.stderr
    assert "Traceback" not in combined
    assert message in combined
