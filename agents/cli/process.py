"""What every long-running ``altrollup`` role process does the same way: stop cleanly on
SIGINT/SIGTERM, and serve its Prometheus metrics at ``GET /metrics``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from agents.cli import AltrollupError
from agents.rpc.metrics import Metrics
from agents.rpc.server import JsonRpcDispatcher, JsonRpcServer


def stop_on_signals() -> threading.Event:
    """An event SIGINT and SIGTERM set (instead of raising in the middle of a step)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def serve_metrics(
    metrics: Metrics,
    port: int,
    log: Callable[..., Any],
    on_error: Callable[[], None] = lambda: None,
) -> JsonRpcServer:
    """Serve ``metrics`` at ``http://127.0.0.1:PORT/metrics`` (``0``: a free port) and log
    where; a port that cannot be bound runs ``on_error`` and is a one-line CLI error."""

    def metrics_route() -> tuple[int, str, bytes]:
        return 200, "text/plain; version=0.0.4", metrics.render().encode()

    try:
        server = JsonRpcServer(
            JsonRpcDispatcher(), port=port, get_routes={"/metrics": metrics_route}
        )
    except OSError as error:
        on_error()
        raise AltrollupError(f"cannot serve metrics on port {port}: {error}") from None
    server.start()
    log("metrics-listening", url=f"{server.url}/metrics")
    return server
