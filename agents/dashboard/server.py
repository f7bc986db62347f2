"""The dashboard's HTTP server (stdlib :mod:`http.server`, one thread per request).

Routes (GET only):

* ``/`` — the page (``static/index.html``); ``/static/<file>`` — its script, style and
  icon (also at ``/favicon.ico``);
* ``/api/overview``, ``/api/blocks``, ``/api/packs``, ``/api/disputes``,
  ``/api/sequencers`` — one JSON object per panel (:class:`~agents.dashboard.sources.Collector`);
* ``/metrics`` — Prometheus text (requests by route, panel read errors, heads);
* ``/healthz`` — ``ok``.

Everything the page needs is served from here: no CDN, no build step.
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agents.dashboard.sources import Collector, DashboardConfig
from agents.rpc.metrics import Metrics

STATIC_DIR = Path(__file__).resolve().parent / "static"
PANELS = ("overview", "blocks", "packs", "disputes", "sequencers")
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Dashboard:
    """A configured collector, its metrics, and the HTTP server serving them."""

    config: DashboardConfig
    host: str = "127.0.0.1"
    port: int = 0
    metrics: Metrics = field(default_factory=lambda: Metrics(prefix="altrollup_dashboard_"))
    collector: Collector = field(init=False)
    httpd: ThreadingHTTPServer = field(init=False)
    _thread: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.collector = Collector(self.config)
        self.metrics.describe("http_requests_total", "HTTP requests served, by route")
        self.metrics.describe("panel_errors_total", "panel reads that failed, by panel")
        self.httpd = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def panel(self, name: str) -> dict[str, Any]:
        value = self.collector.panel(name)
        if "error" in value:
            self.metrics.inc("panel_errors_total", panel=name)
        if name == "overview":
            for key, metric in (("l2Head", "l2_head"), ("headPack", "l1_head_pack")):
                if isinstance(value.get(key), int):
                    self.metrics.set(metric, value[key])
        return value


def _handler_for(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            route = _route_name(path)
            dashboard.metrics.inc("http_requests_total", route=route)
            if path in ("/", "/index.html"):
                self._static("index.html")
            elif path == "/favicon.ico":
                self._static("favicon.svg")
            elif path.startswith("/static/"):
                self._static(path.removeprefix("/static/"))
            elif path.startswith("/api/") and path.removeprefix("/api/") in PANELS:
                value = dashboard.panel(path.removeprefix("/api/"))
                self._send(200, "application/json", json.dumps(value).encode())
            elif path == "/metrics":
                self._send(200, PROMETHEUS_TEXT, dashboard.metrics.render().encode())
            elif path == "/healthz":
                self._send(200, "text/plain", b"ok\n")
            else:
                self._send(404, "text/plain", b"not found\n")

        def _static(self, name: str) -> None:
            target = (STATIC_DIR / name).resolve()
            if target.parent != STATIC_DIR or not target.is_file():
                self._send(404, "text/plain", b"not found\n")
                return
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            self._send(200, kind, target.read_bytes())

    return Handler


def _route_name(path: str) -> str:
    """A bounded label for the request metric."""
    if path in ("/", "/index.html"):
        return "/"
    if path.startswith("/static/"):
        return "/static"
    if path.startswith("/api/") and path.removeprefix("/api/") in PANELS:
        return path
    if path in ("/metrics", "/healthz", "/favicon.ico"):
        return path
    return "other"
