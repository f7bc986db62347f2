"""``altrollup devnet`` as a user runs it: start, resume from the state dir, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from agents.l1.anvil import funded_private_keys

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))

pytestmark = pytest.mark.xdist_group("devnet")


def run_devnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTROLLUP, "devnet", "--l1-port", "0", "--base-port", "0", "--producers", "0", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_devnet_selects_sequencers_and_resumes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = run_devnet("--state-dir", str(state), "--exit-when-ready")
    assert first.returncode == 0, first.stderr
    assert "rollup 1 (flash) is ACTIVE" in first.stdout
    assert "L2 chain id   900001" in first.stdout
    assert first.stdout.count("sequencer     0x") == 4  # 5 operators, one below minimum
    recorded = json.loads((state / "deployments.json").read_text())["31337"]
    assert {"SequencerRegistry", "ExecutionLayerRegistry", "token:ALT"} <= set(recorded)

    second = run_devnet("--state-dir", str(state), "--exit-when-ready")
    assert second.returncode == 0, second.stderr
    assert "contracts    reusing" in second.stdout
    assert "requested" not in second.stdout  # the same rollup, not a new one
    chosen = [line for line in first.stdout.splitlines() if "sequencer     0x" in line]
    assert chosen == [line for line in second.stdout.splitlines() if "sequencer     0x" in line]


def test_bad_request_file_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "request.json"
    bad.write_text(json.dumps({"execution_layer_req": {"vm": "evm"}}))
    result = run_devnet("--state-dir", str(tmp_path / "s"), "--request", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("error: execution_layer_req: missing field(s)")
    assert "Traceback" not in result.stderr


def read_until(process: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if marker in line or not line:
            break
    assert any(marker in line for line in lines), "".join(lines)
    return lines


def value_after(lines: list[str], label: str) -> str:
    return next(line.split(label, 1)[1].split()[0] for line in lines if label in line)


def pid_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_devnet_runs_every_role_restarts_a_killed_one_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    process = subprocess.Popen(
        [ALTROLLUP, "devnet", "--l1-port", "0", "--base-port", "0", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = read_until(process, "devnet running", 240)
        l1_port = int(value_after(lines, "L1           http://127.0.0.1:").split()[0])
        rpc = value_after(lines, "  RPC URL       ")
        assert value_after(lines, "  dashboard     ").startswith("http://127.0.0.1:")
        pids = {
            name: entry["pid"]
            for name, entry in json.loads((state / "pids.json").read_text()).items()
        }
        assert set(pids) == {
            "producer-0",
            "aggregator-0",
            "verifier-0",
            "verifier-1",
            "dashboard",
            "defender-0",
            "defender-1",
            "challenger",
        }
        # The rollup answers as an Ethereum node: a transfer gets a receipt.
        w3 = Web3(Web3.HTTPProvider(rpc))
        assert w3.eth.chain_id == 900001
        sender = Account.from_key(funded_private_keys(10)[3])
        tx = sender.sign_transaction(
            {
                "to": "0x000000000000000000000000000000000000dEaD",
                "value": 12345,
                "gas": 21000,
                "maxFeePerGas": 2 * 10**9,
                "maxPriorityFeePerGas": 1,
                "nonce": w3.eth.get_transaction_count(sender.address),
                "chainId": 900001,
            }
        )
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(tx.raw_transaction), timeout=60
        )
        assert receipt["status"] == 1
        assert w3.eth.get_balance("0x000000000000000000000000000000000000dEaD") >= 12345
        # kill -9 of a role: the devnet restarts it.
        os.kill(pids["verifier-1"], signal.SIGKILL)
        restarted = read_until(process, "verifier-1 exited with status -9; restarting it", 30)
        assert restarted
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = json.loads((state / "pids.json").read_text())
            if "verifier-1" in now and now["verifier-1"]["pid"] != pids["verifier-1"]:
                break
            time.sleep(0.2)
        pids["verifier-1"] = now["verifier-1"]["pid"]
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
    assert status == 0
    assert not [name for name, pid in pids.items() if pid_alive(pid)]
    orphans = subprocess.run(
        ["pgrep", "-f", f"anvil.*--port {l1_port}"], capture_output=True, text=True
    )
    assert orphans.stdout.strip() == ""


def test_faulty_producer_equivocates_and_finality_goes_on(tmp_path: Path) -> None:
    state = tmp_path / "state"
    process = subprocess.Popen(
        [
            ALTROLLUP,
            "devnet",
            "--l1-port",
            "0",
            "--base-port",
            "0",
            "--state-dir",
            str(state),
            "--producers",
            "4",
            "--faulty-producer",
            "--verifiers",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = read_until(process, "devnet running", 240)
        assert any("producer-3 will equivocate" in line for line in lines)
        rpc = value_after(lines, "  RPC URL       ")
        w3 = Web3(Web3.HTTPProvider(rpc))
        sender = Account.from_key(funded_private_keys(10)[3])
        for nonce in range(3):
            tx = sender.sign_transaction(
                {
                    "to": "0x000000000000000000000000000000000000dEaD",
                    "value": 1,
                    "gas": 21000,
                    "maxFeePerGas": 2 * 10**9,
                    "maxPriorityFeePerGas": 1,
                    "nonce": nonce,
                    "chainId": 900001,
                }
            )
            receipt = w3.eth.wait_for_transaction_receipt(
                w3.eth.send_raw_transaction(tx.raw_transaction), timeout=60
            )
            assert receipt["status"] == 1  # tier 1 = GRANDPA-final despite the equivocator
        equivocator = json.loads((state / "pids.json").read_text())["producer-3"]["command"]
        offender_key = equivocator[equivocator.index("--voter-key") + 1]
        offender = Account.from_key(offender_key).address.lower()
        for honest in ("producer-0", "producer-1", "producer-2"):
            events = [
                json.loads(line)
                for line in (state / "logs" / f"{honest}.log").read_text().splitlines()
                if '"event":"equivocation"' in line.replace(" ", "")
            ]
            assert events, f"{honest} did not detect the equivocation"
            assert {event["offender"] for event in events} == {offender}
            rounds = [event["round"] for event in events]
            assert len(rounds) == len(set(rounds)), "the same evidence was reported twice"
        # The dashboard marks the offender in the sequencer set.
        dashboard = value_after(lines, "  dashboard     ")
        with urllib.request.urlopen(dashboard + "api/sequencers", timeout=30) as answer:
            panel = json.loads(answer.read())
        marked = {row["address"].lower(): row["equivocations"] for row in panel["sequencers"]}
        assert marked[offender] > 0
        assert all(count == 0 for address, count in marked.items() if address != offender)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
