"""Every agent process serves ``GET /metrics`` in the Prometheus text format.

Each role is started as a user would (the ``altrollup`` console script) on a free
port, its ``/metrics`` is scraped until it has samples, and the answer is parsed
strictly (:mod:`promtext`): content type ``text/plain; version=0.0.4``, TYPE lines
before their samples, well-formed names, labels and values, the role's metric prefix.
Roles: aggregator, producer intake, producer node, verifier, challenger, dashboard.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dashboard_scene import Scene
from eth_account import Account
from promtext import Exposition, ExpositionError, parse

from agents.dispute.game import read_config
from agents.l1.anvil import AnvilProcess, free_port, rpc_ready
from agents.l1.rollup import GameParams, RollupParams, deploy_rollup
from agents.rpc.client import JsonRpcClient, RpcTransportError

pytestmark = pytest.mark.xdist_group("dashboard")

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))
L2_CHAIN_ID = 900_001


@dataclass
class Role:
    name: str
    prefix: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def scrape(port: int) -> tuple[str, str]:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.headers["Content-Type"], response.read().decode()


def wait_for_samples(role: Role, timeout: float = 40.0) -> tuple[str, Exposition]:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if role.process.poll() is not None:
            tail = role.log.read_text()[-2000:]
            raise AssertionError(f"{role.name} exited ({role.process.returncode}): {tail}")
        try:
            kind, text = scrape(role.port)
        except OSError as error:
            last = str(error)
            time.sleep(0.2)
            continue
        exposition = parse(text)
        if exposition.samples:
            return kind, exposition
        last = "no samples yet"
        time.sleep(0.2)
    raise AssertionError(f"{role.name}: /metrics never had samples ({last})")


def poke_with_transaction(role: Role, key: str) -> None:
    """Send one signed transfer to the role's JSON-RPC (retrying until it listens)."""
    signed = Account.sign_transaction(
        {"chainId": L2_CHAIN_ID, "nonce": 0, "to": "0x" + "11" * 20, "value": 1, "gas": 21_000,
         "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9},
        key,
    )  # fmt: skip
    client = JsonRpcClient(f"http://127.0.0.1:{role.port}", timeout=5)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.call("eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
            return
        except RpcTransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def rollup_for_l2_genesis(scene: Scene, owner_key: str, l2_url: str) -> str:
    """A Rollup of the scene's rollup whose genesis is the running L2's block 0 (the
    verifier refuses a Rollup that does not start from its chain's genesis)."""
    genesis = JsonRpcClient(l2_url).call("eth_getBlockByNumber", "0x0", False)
    rollup = scene.deployment.rollup
    game = read_config(scene.deployment.game)
    fresh = deploy_rollup(
        scene.client,
        Account.from_key(owner_key),
        execution_layer_registry=rollup.client.call(
            rollup.contract.functions.EXECUTION_LAYER_REGISTRY()
        ),
        rollup_id=int(rollup.client.call(rollup.contract.functions.ROLLUP_ID())),
        sequencer_registry=rollup.client.call(rollup.contract.functions.SEQUENCER_REGISTRY()),
        params=RollupParams(genesis_state_root=bytes.fromhex(genesis["stateRoot"][2:])),
        game=GameParams(
            step_verifier=scene.deployment.game.functions.STEP_VERIFIER().call(),
            trace_binding=scene.deployment.game.functions.TRACE_BINDING().call(),
            step_depth=game.step_depth,
        ),
    )
    return fresh.rollup.address


@pytest.fixture(scope="module")
def roles(
    scene: Scene,
    anvil: AnvilProcess,
    funded_keys: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Role]]:
    work = tmp_path_factory.mktemp("roles")
    ports = {name: free_port() for name in ("aggregator", "intake", "producer", "verifier",
                                            "challenger", "dashboard")}  # fmt: skip
    producer_url = f"http://127.0.0.1:{ports['producer']}"
    rollup = scene.deployment.rollup.address
    commands = {
        "producer": ("altrollup_producer_", [
            "producer", "run", "--state-dir", str(work / "producer"),
            "--chain-id", str(L2_CHAIN_ID), "--port", str(ports["producer"]),
            "--empty-blocks", "--block-time", "200", "--quiet",
        ]),
        "aggregator": ("altrollup_aggregator_", [
            "aggregator", "--id", "agg-1", "--db", str(work / "agg.sqlite"),
            "--chain-id", str(L2_CHAIN_ID), "--port", str(ports["aggregator"]),
            "--producer", producer_url, "--quiet",
        ]),
        "intake": ("altrollup_producer_intake_", [
            "producer", "intake", "--db", str(work / "intake.sqlite"),
            "--chain-id", str(L2_CHAIN_ID), "--port", str(ports["intake"]), "--quiet",
        ]),
        "verifier": ("altrollup_verifier_", [
            "verifier", "run", "--l1-rpc", anvil.url, "--rollup", rollup,
            "--key", funded_keys[2], "--l2-rpc", producer_url,
            "--state-dir", str(work / "verifier"), "--metrics-port", str(ports["verifier"]),
            "--no-post", "--no-vote", "--no-finalize", "--poll-interval", "0.2",
        ]),
        "challenger": ("altrollup_challenger_", [
            "challenger", "run", "--l1-rpc", anvil.url, "--rollup", rollup,
            "--key", funded_keys[6], "--state-dir", str(work / "challenger"),
            "--metrics-port", str(ports["challenger"]), "--poll-interval", "0.2",
        ]),
        "dashboard": ("altrollup_dashboard_", [
            "dashboard", "--rpc", producer_url, "--l1-rpc", anvil.url,
            "--deployments", str(scene.deployments_file), "--port", str(ports["dashboard"]),
        ]),
    }  # fmt: skip
    started: dict[str, Role] = {}
    try:
        for name, (prefix, args) in commands.items():
            log = work / f"{name}.log"
            with open(log, "wb") as sink:
                process = subprocess.Popen(
                    [ALTROLLUP, *args], stdout=sink, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            started[name] = Role(name, prefix, ports[name], process, log)
            if name == "producer":  # the verifier and the dashboard read it from the start
                deadline = time.monotonic() + 30
                while not rpc_ready(producer_url):
                    assert time.monotonic() < deadline, log.read_text()[-2000:]
                    assert process.poll() is None, log.read_text()[-2000:]
                    time.sleep(0.1)
                verifier_rollup = rollup_for_l2_genesis(scene, funded_keys[0], producer_url)
                verifier_args = commands["verifier"][1]
                verifier_args[verifier_args.index("--rollup") + 1] = verifier_rollup
        yield started
    finally:
        for role in started.values():
            if role.process.poll() is None:
                role.process.terminate()
        for role in started.values():
            try:
                role.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                role.process.kill()
                role.process.wait()


@pytest.mark.parametrize(
    "name", ["aggregator", "intake", "producer", "verifier", "challenger", "dashboard"]
)
def test_role_serves_prometheus_text(
    roles: dict[str, Role], name: str, funded_keys: list[str]
) -> None:
    role = roles[name]
    if name == "intake":  # an idle intake has nothing to count yet: give it a transaction
        poke_with_transaction(role, funded_keys[3])
    kind, exposition = wait_for_samples(role)
    assert kind.startswith("text/plain") and "version=0.0.4" in kind, kind
    names = exposition.names()
    assert names and all(n.startswith(role.prefix) for n in names if n in exposition.types), names
    assert any(n.startswith(role.prefix) for n in names), names
    for sample in names:
        assert sample in exposition.types, f"{sample} has no TYPE line"
    assert all(v == v for _, _, v in exposition.samples), "no NaN sample"


def test_processes_keep_running(roles: dict[str, Role]) -> None:
    for role in roles.values():
        wait_for_samples(role)
    time.sleep(0.5)
    dead = {name: role.process.returncode for name, role in roles.items() if role.process.poll()}
    assert not dead, dead


def test_parser_rejects_malformed_exposition() -> None:
    good = '# TYPE a_total counter\na_total{x="1"} 3\nb 1.5e3 1700000000\n'
    assert parse(good).value("a_total", x="1") == 3.0
    for bad in (
        "a_total 1",  # no final newline
        "a total 1\n",  # bad name
        "a{x=1} 1\n",  # unquoted label
        "a one\n",  # bad value
        "a 1\n# TYPE a counter\n",  # TYPE after samples
        "# TYPE a counter\n# TYPE a gauge\n",  # two TYPEs
        "# TYPE a timer\n",  # unknown type
    ):
        with pytest.raises(ExpositionError):
            parse(bad)


def test_dashboard_cli_prints_its_url(roles: dict[str, Role]) -> None:
    role = roles["dashboard"]
    wait_for_samples(role)
    first_line = role.log.read_text().splitlines()[0]
    assert json.loads(first_line)["dashboard"] == f"http://127.0.0.1:{role.port}/"
