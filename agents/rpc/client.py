"""A minimal keep-alive JSON-RPC 2.0 client over HTTP (stdlib :mod:`http.client`).

One :class:`JsonRpcClient` holds one connection per thread, reconnecting once on a
dropped keep-alive connection. Transport failures raise :class:`RpcTransportError`;
JSON-RPC error answers raise :class:`RpcCallError` carrying code and message.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit


class RpcTransportError(Exception):
    """The endpoint could not be reached or answered garbage."""


class RpcCallError(Exception):
    """The endpoint answered a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class RpcCaller(Protocol):
    """Anything that can make a JSON-RPC call (the client below, or a test stub)."""

    def call(self, method: str, *params: Any) -> Any: ...


class JsonRpcClient:
    """Call JSON-RPC methods on ``url`` (``http://host:port[/path]``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"unsupported RPC url {url!r}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def post_raw(self, body: bytes) -> Any:
        """POST ``body`` and return the decoded JSON answer (``None`` if empty)."""
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("POST", self.path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # a stale keep-alive socket fails at once: retry on a fresh one, once
                if attempt == 0 and isinstance(
                    exc, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError
                ):
                    continue
                raise RpcTransportError(f"{self.url}: {exc}") from exc
            if response.status != 200:
                raise RpcTransportError(f"{self.url}: HTTP {response.status}")
            if not data:
                return None
            try:
                return json.loads(data)
            except ValueError as exc:
                raise RpcTransportError(f"{self.url}: invalid JSON answer") from exc
        raise RpcTransportError(f"{self.url}: unreachable")  # pragma: no cover

    def call(self, method: str, *params: Any) -> Any:
        """Call ``method`` with positional ``params``; return ``result``."""
        request = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        answer = self.post_raw(json.dumps(request).encode())
        return result_of(answer)

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Send a batch; return the raw response objects ordered like ``calls``."""
        ids = [next(self._ids) for _ in calls]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        answer = self.post_raw(json.dumps(body).encode())
        if not isinstance(answer, list):
            raise RpcTransportError(f"{self.url}: batch answered with {answer!r}")
        by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
        return [by_id.get(i, {"error": {"code": -32603, "message": "missing"}}) for i in ids]


def result_of(answer: Any) -> Any:
    """The ``result`` of a response object, raising :class:`RpcCallError` on an error."""
    if not isinstance(answer, dict):
        raise RpcTransportError(f"unexpected answer {answer!r}")
    if "error" in answer:
        error = answer["error"] or {}
        raise RpcCallError(int(error.get("code", 0)), str(error.get("message")), error.get("data"))
    return answer.get("result")
