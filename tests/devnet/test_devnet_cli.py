"""``altrollup devnet`` as a user runs it: start, resume from the state dir, stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))

pytestmark = pytest.mark.xdist_group("devnet")


def run_devnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALTROLLUP, "devnet", "--l1-port", "0", *args],
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


def test_ctrl_c_stops_everything(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [ALTROLLUP, "devnet", "--l1-port", "0", "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 180
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "devnet running" in line or not line:
            break
    l1_line = next(line for line in lines if line.strip().startswith("[") and " L1 " in line)
    port = int(l1_line.split("127.0.0.1:")[1].split()[0])
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    orphans = subprocess.run(
        ["pgrep", "-f", f"anvil.*--port {port}"], capture_output=True, text=True
    )
    assert orphans.stdout.strip() == ""
