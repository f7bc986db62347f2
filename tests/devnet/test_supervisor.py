"""The devnet's process supervisor: readiness, early exits, stopping, and no orphans
after Ctrl-C, after ``kill -9`` of the devnet, or from a previous run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agents.devnet.supervisor import ProcessSpec, Supervisor, SupervisorError

SERVER = textwrap.dedent(
    """
    import http.server, sys
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
            self.send_response(200); self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body)
        def log_message(self, *args):
            pass
    print("serving", flush=True)
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_spec(name: str, method: str | None = "eth_chainId") -> ProcessSpec:
    port = free_port()
    return ProcessSpec(
        name=name,
        command=[sys.executable, "-c", SERVER, str(port)],
        ready_url=f"http://127.0.0.1:{port}/",
        ready_method=method,
        ready_timeout=20,
    )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def wait_dead(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_start_ready_log_and_stop_all(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, grace_seconds=5)
    lines: list[str] = []
    supervisor.start_all([server_spec("rpc"), server_spec("web", method=None)], lines.append)
    assert [line.split()[0] for line in lines] == ["rpc", "web"]
    pids = [child.pid for child in supervisor.children.values()]
    recorded = json.loads((tmp_path / "pids.json").read_text())
    assert {name: entry["pid"] for name, entry in recorded.items()} == {
        "rpc": pids[0],
        "web": pids[1],
    }
    assert "serving" in (tmp_path / "logs" / "rpc.log").read_text()
    supervisor.stop_all()
    assert all(wait_dead(pid) for pid in pids)
    assert not (tmp_path / "pids.json").exists()


def test_child_exiting_before_ready_is_a_clear_error(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    spec = ProcessSpec(
        name="broken",
        command=[sys.executable, "-c", "import sys; print('bad flag --nope'); sys.exit(2)"],
        ready_url=f"http://127.0.0.1:{free_port()}/",
        ready_method="eth_chainId",
    )
    with pytest.raises(SupervisorError, match=r"(?s)broken exited with status 2 .*bad flag --nope"):
        supervisor.wait_ready(supervisor.start(spec))


def test_probe_timeout_is_a_clear_error(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, grace_seconds=2)
    spec = ProcessSpec(
        name="silent",
        command=[sys.executable, "-c", "import time; time.sleep(60)"],
        ready_url=f"http://127.0.0.1:{free_port()}/",
        ready_timeout=0.5,
    )
    child = supervisor.start(spec)
    try:
        with pytest.raises(SupervisorError, match="silent did not answer"):
            supervisor.wait_ready(child)
    finally:
        supervisor.stop_all()
    assert wait_dead(child.pid)


def test_sigterm_ignored_then_sigkill(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(60)"
    )
    supervisor = Supervisor(tmp_path, grace_seconds=0.5)
    child = supervisor.start(ProcessSpec(name="stubborn", command=[sys.executable, "-c", stubborn]))
    deadline = time.monotonic() + 10
    while "up" not in child.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert supervisor.stop("stubborn") == -signal.SIGKILL


PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agents.devnet.supervisor import ProcessSpec, Supervisor
    supervisor = Supervisor(Path(sys.argv[1]))
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    child = supervisor.start(ProcessSpec(name="worker", command=sleeper))
    print(child.pid, flush=True)
    time.sleep(120)
    """
)


def test_kill9_of_the_devnet_leaves_no_orphan(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    assert wait_dead(child_pid), "the child outlived a kill -9 of its supervisor"


def test_leftovers_of_a_previous_run_are_stopped(tmp_path: Path) -> None:
    # A child whose supervisor is gone without PDEATHSIG (started by hand, recorded as ours).
    command = [sys.executable, "-c", "import time; time.sleep(120)"]
    orphan = subprocess.Popen(command, start_new_session=True)
    unrelated = subprocess.Popen(command, start_new_session=True)
    try:
        (tmp_path / "pids.json").write_text(
            json.dumps(
                {
                    "producer-0": {"pid": orphan.pid, "command": command},
                    # a recycled pid: recorded command differs, so it must not be touched
                    "verifier-0": {"pid": unrelated.pid, "command": ["something", "else"]},
                }
            )
        )
        stopped = Supervisor(tmp_path, grace_seconds=5).stop_leftovers()
        assert stopped == ["producer-0"]
        assert orphan.wait(timeout=10) == -signal.SIGTERM
        assert unrelated.poll() is None
        assert not (tmp_path / "pids.json").exists()
    finally:
        for process in (orphan, unrelated):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
