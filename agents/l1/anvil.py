"""Start and stop a local anvil L1 node (tests, benchmarks and the devnet).

Anvil comes from the npm package ``@foundry-rs/anvil``; :func:`anvil_executable`
finds it in the venv, ``node_modules/.bin`` or PATH. :class:`AnvilProcess` picks a free
port, waits until JSON-RPC answers, and kills the whole process on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: The standard test mnemonic; anvil funds its first accounts from it.
TEST_MNEMONIC = "test test test test test test test test test test test junk"


def funded_private_keys(count: int = 10, mnemonic: str = TEST_MNEMONIC) -> list[str]:
    """The private keys anvil funds: ``m/44'/60'/0'/0/i`` of ``mnemonic`` for i < count."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [
        "0x" + Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}").key.hex()
        for index in range(count)
    ]


class AnvilError(RuntimeError):
    """Anvil could not be found or did not start."""


def anvil_executable() -> str:
    """Path of the anvil binary: the venv, then ``node_modules/.bin``, then PATH."""
    candidates = [
        PROJECT_ROOT / ".venv" / "bin" / "anvil",
        PROJECT_ROOT / "node_modules" / ".bin" / "anvil",
    ]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("anvil")
    if found is None:
        raise AnvilError("anvil not found: run `make setup` (it installs @foundry-rs/anvil)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_ready(url: str, timeout: float = 0.5) -> bool:
    """Whether a JSON-RPC endpoint answers ``eth_chainId``."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return "result" in json.loads(response.read())
    except (OSError, ValueError):
        return False


@dataclass
class AnvilProcess:
    """A running anvil node; use as a context manager or call :meth:`stop`."""

    port: int = 0
    block_time: float | None = None
    hardfork: str = "cancun"
    chain_id: int = 31337
    extra_args: list[str] = field(default_factory=list)
    log_path: Path | None = None
    startup_timeout: float = 20.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AnvilProcess:
        if self.port == 0:
            self.port = free_port()
        args = [
            anvil_executable(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--hardfork",
            self.hardfork,
            "--chain-id",
            str(self.chain_id),
            "--mnemonic",
            TEST_MNEMONIC,
        ]
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        args += self.extra_args
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AnvilError(f"anvil exited with status {self._process.returncode}")
            if rpc_ready(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise AnvilError(f"anvil did not answer on {self.url} within {self.startup_timeout}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, 15)
            process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait(timeout=5)

    def __enter__(self) -> AnvilProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
