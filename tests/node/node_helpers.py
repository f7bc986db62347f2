"""Helpers of the producer-node tests: run ``altrollup producer run`` as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eth_account import Account

from agents.l1.anvil import PROJECT_ROOT

CHAIN_ID = 4242
ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))
# The standard test mnemonic's first accounts (funded by the default dev genesis).
DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
]
DEV_ADDRESSES = [Account.from_key(k).address for k in DEV_KEYS]


@dataclass
class NodeProcess:
    """One producer node process (restartable on the same state dir and port)."""

    state_dir: Path
    extra: list[str] = field(default_factory=list)
    port: int = 0
    url: str = ""
    proc: subprocess.Popen[str] | None = None
    stderr_path: Path | None = None
    _stderr: IO[str] | None = None

    def start(self, timeout: float = 30.0) -> NodeProcess:
        args = [ALTROLLUP, "producer", "run", "--state-dir", str(self.state_dir),
                "--chain-id", str(CHAIN_ID), "--port", str(self.port), *self.extra]  # fmt: skip
        self.stderr_path = self.state_dir.with_suffix(".stderr.log")
        self._stderr = self.stderr_path.open("a")
        self.proc = subprocess.Popen(
            args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            raise AssertionError(f"node did not start: {self.log_tail()}")
        info = json.loads(line)
        self.url = info["listening"]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def kill(self) -> None:
        """SIGKILL (``kill -9``)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._stderr is not None:
            self._stderr.close()

    def log_tail(self, lines: int = 20) -> str:
        if self.stderr_path is None or not self.stderr_path.exists():
            return ""
        return "\n".join(self.stderr_path.read_text().splitlines()[-lines:])

    def log_events(self, event: str) -> list[dict[str, Any]]:
        assert self.stderr_path is not None
        out = []
        for line in self.stderr_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == event:
                out.append(record)
        return out


def transfer(key: str, nonce: int, to: str = "0x" + "22" * 20, value: int = 1) -> bytes:
    tx = {"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": to, "value": value,
          "gas": 21_000, "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9}  # fmt: skip
    return bytes(Account.sign_transaction(tx, key).raw_transaction)
