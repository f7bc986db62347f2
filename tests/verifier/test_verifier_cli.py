"""``altrollup verifier run`` as a real process against anvil and an L2 JSON-RPC: killed
with SIGKILL right after a post landed (before it was recorded), right after recording
the posting nonce (before broadcasting), and from outside at a random moment while
blocks keep coming; every restart resumes without posting a range twice and without a
single wasted transaction. ``altrollup verify`` re-executes a block from genesis and
shows its L1 pack and tier; a tampered block fails with one line."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from verifier_env import ChainEnv, L2Chain, deploy

from agents.cli.verifier import verifier as verifier_commands
from agents.l1.anvil import AnvilProcess
from agents.l1.rollup import RollupContract, Tier
from agents.verifier.store import PackStatus, open_store

pytestmark = pytest.mark.xdist_group("verifier")


def altrollup(*args: str) -> list[str]:
    return [sys.executable, "-c", "from agents.cli import main; main()", *args]


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def posted_by(rollup: RollupContract, poster: str) -> list[tuple[int, int, int]]:
    logs = rollup.contract.events.PackPosted().get_logs(
        from_block=0, argument_filters={"poster": poster}
    )
    return [
        (
            int(log["args"]["packId"]),
            int(log["args"]["header"]["firstBlock"]),
            int(log["args"]["header"]["lastBlock"]),
        )
        for log in logs
    ]


def test_kill9_and_restart_never_double_posts(
    chain: ChainEnv, l2: L2Chain, anvil: AnvilProcess, tmp_path: Path
) -> None:
    rollup = deploy(chain, l2.blocks[0].state_root).rollup
    account = chain.verifiers[0]
    key = chain.keys[1]
    state_dir = tmp_path / "verifier"
    stderr_path = tmp_path / "verifier.log"
    start_nonce = chain.client.w3.eth.get_transaction_count(account.address)
    assert l2.server is not None

    def start(crash: str | None = None, *extra: str) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.pop("ALTROLLUP_VERIFIER_CRASH_AT", None)
        if crash:
            env["ALTROLLUP_VERIFIER_CRASH_AT"] = crash
        command = altrollup(
            "verifier", "run", "--l1-rpc", anvil.url, "--rollup", rollup.address,
            "--key", key, "--l2-rpc", l2.server.url if l2.server else "",
            "--state-dir", str(state_dir), "--pack-blocks", "2", "--pack-interval", "3600",
            "--no-finalize", "--poll-interval", "0.05", *extra,
        )  # fmt: skip
        return subprocess.Popen(command, stderr=stderr_path.open("ab"), env=env)

    for _ in range(6):
        l2.add_block(1)
    # 1. dies right after its first post landed, before recording it
    process = start("after-send:1")
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert len(posted_by(rollup, account.address)) == 1
    store = open_store(state_dir)
    assert [r.status for r in store.packs()] == [PackStatus.POSTING]
    store.close()
    # 2. resumes (finds pack 1 on L1), then dies after recording its 2nd posting nonce
    process = start("before-send:1")
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert len(posted_by(rollup, account.address)) == 1
    # 3. resumes (the 2nd post never left), posts the rest; blocks keep coming and it is
    #    killed from outside at a random moment, then restarted to the end
    process = start()
    wait_for(lambda: rollup.head_height() >= 3)
    rng = random.Random(7)
    for _ in range(6):
        l2.add_block(rng.randint(0, 2))
        time.sleep(rng.uniform(0.0, 0.3))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    for _ in range(2):
        l2.add_block(1)
    process = start(None, "--metrics-port", "0")
    wait_for(lambda: rollup.pack(rollup.head()).last_block == 14)
    listening = [
        json.loads(line)["url"]
        for line in stderr_path.read_text().splitlines()
        if '"metrics-listening"' in line
    ]

    def scrape() -> str:
        with urllib.request.urlopen(listening[-1], timeout=10) as response:
            return str(response.read().decode())

    # the gauges are recomputed at the end of each tick: wait for the one after the post
    wait_for(lambda: 'altrollup_verifier_packs{status="posted"} 7' in scrape())
    assert "altrollup_verifier_verified_height 14" in scrape()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0

    posts = posted_by(rollup, account.address)
    ranges = [(first, last) for _, first, last in posts]
    assert ranges == [(n, n + 1) for n in range(1, 15, 2)]  # 7 packs, no range twice
    nonce = chain.client.w3.eth.get_transaction_count(account.address)
    assert nonce - start_nonce == len(posts)  # not one reverted or duplicate transaction
    assert [rollup.pack_at_height(h) for h in range(1, 8)] == [p for p, _, _ in posts]
    store = open_store(state_dir)
    rows = store.packs()
    store.close()
    assert [r.l1_pack_id for r in rows if r.status is PackStatus.POSTED] == [p for p, _, _ in posts]
    text = stderr_path.read_text()
    log = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    outcomes = [r.get("outcome") for r in log if r["event"] == "pack-recovered"]
    assert "posted" in outcomes and "never-sent" in outcomes


def test_verify_command(chain: ChainEnv, l2: L2Chain, anvil: AnvilProcess, tmp_path: Path) -> None:
    rollup = deploy(chain, l2.blocks[0].state_root).rollup
    assert l2.server is not None
    for count in (1, 3, 0, 2):
        l2.add_block(count)
    from verifier_env import make_verifier

    from agents.l1.rollup import build_pack
    from agents.verifier.follower import RpcBlockSource
    from agents.verifier.service import tick

    service, _ = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v",
        RpcBlockSource.connect(l2.server.url), max_blocks=2,
    )  # fmt: skip
    tick(service)
    assert rollup.head_height() == 1
    common = ["--l1-rpc", anvil.url, "--rollup", rollup.address]
    done = subprocess.run(
        altrollup("verify", "2", "--rpc", l2.server.url, *common), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("block 2  hash 0x")
    assert sum(line.rstrip().endswith(" ok") for line in lines) == 4  # 3 txs + state root
    assert "L1: pack 1 (blocks 1..2) tier 0 posted" in done.stdout
    assert "L1: the pack's 4 per-tx roots and state root match the re-execution" in done.stdout
    genesis = subprocess.run(
        altrollup("verify", "0", "--rpc", l2.server.url, *common), capture_output=True, text=True
    )
    assert genesis.returncode == 0, genesis.stderr
    assert "L1: pack 0 (blocks 0..0) tier 3 rollup-final" in genesis.stdout
    # a liar's pack over blocks 3..4: the blocks check out, the L1 pack does not
    head_id, head_root, _ = rollup.head_state()
    roots = [b"\x42" * 32, b"\x43" * 32]
    rollup.post_pack(chain.verifiers[2], build_pack(head_id, 3, 4, roots, head_root), b"x")
    as_json = subprocess.run(
        altrollup("verify", "3", "--state-dir", str(tmp_path / "v"), "--json", *common),
        capture_output=True,
        text=True,
    )
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] and report["transactions"] == []
    assert report["l1"]["pack"] == 2 and report["l1"]["tierName"] == Tier.POSTED.name
    assert report["l1"]["matchesReexecution"] is False
    assert as_json.stderr.startswith("error: L1 pack 2 holding block 3: its per-tx roots")
    # a tampered block: one line, exit status 1, the mismatching root is shown
    l2.tamper(2)
    bad = subprocess.run(
        altrollup("verify", "2", "--rpc", l2.server.url), capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: block 2 does not match re-execution")
    assert "Traceback" not in bad.stderr and "MISMATCH" in bad.stdout
    future = subprocess.run(
        altrollup("verify", "99", "--rpc", l2.server.url), capture_output=True, text=True
    )
    assert future.returncode == 1
    assert future.stderr.strip() == "error: block 99 does not exist yet (the chain is at block 4)"


def test_verifier_run_errors_are_one_line(
    chain: ChainEnv, l2: L2Chain, anvil: AnvilProcess, tmp_path: Path
) -> None:
    rollup = deploy(chain, l2.blocks[0].state_root).rollup
    assert l2.server is not None
    base = ["verifier", "run", "--l1-rpc", anvil.url, "--state-dir", str(tmp_path / "s")]
    cases = [
        (["--rollup", rollup.address, "--key", "0x12", "--l2-rpc", l2.server.url],
         "error: --key is not a valid private key"),
        (["--rollup", chain.owner.address, "--key", chain.keys[1], "--l2-rpc", l2.server.url],
         f"error: no contract at {chain.owner.address}"),
        (["--rollup", rollup.address, "--key", chain.keys[5], "--l2-rpc", l2.server.url],
         f"error: {chain.challenger.address} is not an eligible verifier"),
        (["--rollup", rollup.address, "--key", chain.keys[1], "--l2-rpc", "http://127.0.0.1:1"],
         "error: L2 RPC http://127.0.0.1:1: eth_blockNumber"),
        (["--rollup", rollup.address, "--key", chain.keys[1], "--l2-rpc", l2.server.url,
          "--genesis", str(tmp_path / "missing.json")],
         "error: cannot read genesis file"),
        (["--rollup", rollup.address, "--key", chain.keys[1], "--l2-rpc", l2.server.url,
          "--bridge", chain.owner.address],
         f"error: no L1Bridge at {chain.owner.address}"),
    ]  # fmt: skip
    runner = CliRunner(mix_stderr=False)
    for args, expected in cases:  # in-process: the same click command, no start-up cost
        result = runner.invoke(verifier_commands, base[1:] + args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith(expected), result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    done = subprocess.run(altrollup(*base, *cases[0][0]), capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith(cases[0][1])
    assert "Traceback" not in done.stderr
