"""Child processes of the devnet: start, wait until ready, stop, and never leave orphans.

Every role of the devnet (aggregators, producers, verifiers, the challenger, the
dashboard) runs as its own operating-system process, the way it would run on its own
host. :class:`Supervisor` starts them with their output in ``<logs>/<name>.log``, waits
for each to answer a readiness probe, notices when one exits, and stops them all:
SIGTERM to each process group, then SIGKILL for any that is still alive after a grace
period.

No orphans, whatever happens to the devnet itself:

* each child is started in its own session (so Ctrl-C in the terminal reaches only the
  devnet, which then stops the children in order) and asks the kernel for SIGTERM when
  its parent dies (``PR_SET_PDEATHSIG``), which covers a ``kill -9`` of the devnet;
* the pid of every running child is recorded in ``<state>/pids.json``; a devnet that
  starts again first stops whatever a previous run left behind (a pid is only signalled
  if its command line still matches, so a reused pid is never hit).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


class SupervisorError(RuntimeError):
    """A child could not be started, did not become ready, or exited early."""


@dataclass(frozen=True)
class ProcessSpec:
    """What to run for one role: a name (also the log file's), a command, a probe."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None  # JSON-RPC (POST) or HTTP GET URL answering when ready
    ready_method: str | None = None  # JSON-RPC method for the probe; None means HTTP GET
    ready_timeout: float = 60.0


@dataclass
class Child:
    """A started child process."""

    spec: ProcessSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGTERM when the devnet dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:  # not Linux: the pid file still covers restarts
        pass


def probe(url: str, method: str | None, timeout: float = 1.0) -> bool:
    """True when ``url`` answers: a JSON-RPC result for ``method``, or any HTTP 2xx."""
    if method is None:
        request = urllib.request.Request(url)
    else:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
        request = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
    if method is None:
        return True
    try:
        answer = json.loads(payload)
    except json.JSONDecodeError:
        return False
    return isinstance(answer, dict) and "result" in answer


def _command_line(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class Supervisor:
    """Starts, watches and stops the devnet's child processes (see the module docstring)."""

    def __init__(
        self,
        state_dir: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        grace_seconds: float = 10.0,
    ) -> None:
        self.state_dir = state_dir
        self.log_dir = state_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file = state_dir / "pids.json"
        self.children: dict[str, Child] = {}
        self._clock = clock
        self._sleep = sleep
        self._grace = grace_seconds

    # -- leftovers of a previous run -----------------------------------------------

    def stop_leftovers(self) -> list[str]:
        """Stop children a previous devnet run recorded and left running; their names."""
        if not self.pid_file.exists():
            return []
        try:
            recorded = json.loads(self.pid_file.read_text())
        except (json.JSONDecodeError, OSError):
            recorded = {}
        stopped = []
        for name, entry in recorded.items():
            pid, command = int(entry["pid"]), list(entry["command"])
            if _command_line(pid) == command:
                self._signal_group(pid, signal.SIGTERM)
                self._wait_gone(pid)
                stopped.append(name)
        self.pid_file.unlink(missing_ok=True)
        return stopped

    # -- starting ------------------------------------------------------------------

    def start(self, spec: ProcessSpec) -> Child:
        """Start ``spec``'s process with its output appended to its log file."""
        if spec.name in self.children and self.children[spec.name].alive():
            raise SupervisorError(
                f"{spec.name} is already running (pid {self.children[spec.name].pid})"
            )
        log_path = self.log_dir / f"{spec.name}.log"
        env = dict(os.environ)
        env.update(spec.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        with open(log_path, "ab") as log:
            try:
                process = subprocess.Popen(  # noqa: S603 - commands are built by the devnet
                    list(spec.command),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl
                )
            except OSError as error:
                raise SupervisorError(f"cannot start {spec.name}: {error}") from None
        child = Child(spec, process, log_path)
        self.children[spec.name] = child
        self._record_pids()
        return child

    def wait_ready(self, child: Child) -> float:
        """Block until ``child`` answers its probe; the seconds it took."""
        spec = child.spec
        started = self._clock()
        if spec.ready_url is None:
            return 0.0
        while True:
            if not child.alive():
                raise SupervisorError(
                    f"{spec.name} exited with status {child.process.returncode} before it was "
                    f"ready; last lines of {child.log_path}:\n{self.tail(child)}"
                )
            if probe(spec.ready_url, spec.ready_method):
                return self._clock() - started
            if self._clock() - started > spec.ready_timeout:
                raise SupervisorError(
                    f"{spec.name} did not answer {spec.ready_url} within {spec.ready_timeout:g}s; "
                    f"last lines of {child.log_path}:\n{self.tail(child)}"
                )
            self._sleep(0.1)

    def start_all(self, specs: Sequence[ProcessSpec], report: Callable[[str], None]) -> None:
        """Start every spec at once (one stage), then wait until each one is ready."""
        started = self._clock()
        children = [self.start(spec) for spec in specs]
        for child in children:
            self.wait_ready(child)
            where = f" at {child.spec.ready_url}" if child.spec.ready_url else ""
            report(
                f"{child.spec.name:<12} pid {child.pid} ready after "
                f"{self._clock() - started:.2f}s{where} (log {child.log_path})"
            )

    # -- watching and stopping --------------------------------------------------------

    def exited(self) -> list[Child]:
        """Children that have exited on their own."""
        return [child for child in self.children.values() if not child.alive()]

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """Stop one child (SIGTERM, then SIGKILL after the grace period); its exit status."""
        child = self.children[name]
        if child.alive():
            self._signal_group(child.pid, sig)
            try:
                child.process.wait(timeout=self._grace)
            except subprocess.TimeoutExpired:
                self._signal_group(child.pid, signal.SIGKILL)
                child.process.wait(timeout=self._grace)
        self._record_pids()
        return child.process.returncode

    def stop_all(self) -> None:
        """Stop every child, last started first, and forget the pid file."""
        for name in reversed(list(self.children)):
            child = self.children[name]
            if child.alive():
                self._signal_group(child.pid, signal.SIGTERM)
        deadline = self._clock() + self._grace
        for child in self.children.values():
            remaining = max(0.0, deadline - self._clock())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self._signal_group(child.pid, signal.SIGKILL)
                child.process.wait(timeout=self._grace)
        self.pid_file.unlink(missing_ok=True)

    def tail(self, child: Child, lines: int = 15) -> str:
        try:
            text = child.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- internals ---------------------------------------------------------------------

    def _record_pids(self) -> None:
        running = {
            name: {"pid": child.pid, "command": list(child.spec.command)}
            for name, child in self.children.items()
            if child.alive()
        }
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(running, indent=2))
        temporary.replace(self.pid_file)

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def _wait_gone(self, pid: int) -> None:
        deadline = self._clock() + self._grace
        while self._clock() < deadline:
            if _command_line(pid) is None:
                return
            self._sleep(0.05)
        self._signal_group(pid, signal.SIGKILL)
