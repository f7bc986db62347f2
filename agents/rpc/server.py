"""A threaded JSON-RPC 2.0 server over HTTP built on :mod:`http.server`.

Handlers are plain callables taking the ``params`` value (list, dict or ``None``) and
returning a JSON-serialisable result, or raising :class:`RpcError` for a JSON-RPC error
object. Batch requests (a JSON array) are answered with an array of responses in the
same order; notifications (no ``id``) get no response entry. A method may also have
a *grouped* handler: inside one batch request, all its calls are then handed over
together (e.g. to commit them in one database transaction); the grouped handler
returns, per call, a result or an :class:`RpcError` instance.

Standard error codes: -32700 parse error, -32600 invalid request, -32601 method not
found, -32602 invalid params, -32603 internal error.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

Handler = Callable[[Any], Any]
GroupedHandler = Callable[[list[Any]], list[Any]]  # params per call -> result or RpcError
GetRoute = Callable[[], tuple[int, str, bytes]]  # -> (status, content type, body)


class RpcError(Exception):
    """A JSON-RPC error answer: ``code``, ``message`` and optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass
class JsonRpcDispatcher:
    """Method table plus request/batch handling, independent of the transport."""

    methods: dict[str, Handler] = field(default_factory=dict)
    grouped: dict[str, GroupedHandler] = field(default_factory=dict)
    on_internal_error: Callable[[str, BaseException], None] | None = None

    def register(self, name: str, handler: Handler, grouped: GroupedHandler | None = None) -> None:
        self.methods[name] = handler
        if grouped is not None:
            self.grouped[name] = grouped

    def _handle_grouped(self, requests: list[Any]) -> dict[int, dict[str, Any] | None]:
        """Answers, by batch index, of the calls that went through grouped handlers."""
        answers: dict[int, dict[str, Any] | None] = {}
        for method, handler in self.grouped.items():
            indices = [
                i for i, item in enumerate(requests)
                if isinstance(item, dict) and item.get("jsonrpc") == "2.0"
                and item.get("method") == method
                and isinstance(item.get("id"), str | int | float | type(None))
                and isinstance(item.get("params"), list | type(None))
            ]  # fmt: skip
            if len(indices) < 2:
                continue
            try:
                outcomes = handler([requests[i].get("params") for i in indices])
            except Exception as exc:  # same policy as single calls
                if self.on_internal_error is not None:
                    self.on_internal_error(method, exc)
                error = RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")
                outcomes = [error] * len(indices)
            for i, outcome in zip(indices, outcomes, strict=True):
                item = requests[i]
                if "id" not in item:
                    answers[i] = None
                elif isinstance(outcome, RpcError):
                    answers[i] = _error_response(item["id"], outcome)
                else:
                    answers[i] = {"jsonrpc": "2.0", "id": item["id"], "result": outcome}
        return answers

    def handle_body(self, body: bytes) -> Any:
        """Answer a raw HTTP body; returns the JSON value to send (or ``None``)."""
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _error_response(None, RpcError(PARSE_ERROR, "parse error"))
        if isinstance(request, list):
            if not request:
                return _error_response(None, RpcError(INVALID_REQUEST, "empty batch"))
            grouped = self._handle_grouped(request) if self.grouped else {}
            answers = [
                grouped[i] if i in grouped else self.handle_request(item)
                for i, item in enumerate(request)
            ]
            return [a for a in answers if a is not None] or None
        return self.handle_request(request)

    def handle_request(self, request: Any) -> dict[str, Any] | None:
        """Answer one request object; ``None`` for a valid notification."""
        if not isinstance(request, dict):
            return _error_response(None, RpcError(INVALID_REQUEST, "invalid request"))
        request_id = request.get("id")
        is_notification = "id" not in request
        if request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
            return _error_response(request_id, RpcError(INVALID_REQUEST, "invalid request"))
        if not isinstance(request_id, str | int | float | type(None)):
            return _error_response(None, RpcError(INVALID_REQUEST, "invalid request id"))
        params = request.get("params")
        if params is not None and not isinstance(params, list | dict):
            return _error_response(
                request_id, RpcError(INVALID_PARAMS, "params must be an array or object")
            )
        method = request["method"]
        handler = self.methods.get(method)
        if handler is None:
            error = RpcError(
                METHOD_NOT_FOUND, f"the method {method} does not exist/is not available"
            )
            return None if is_notification else _error_response(request_id, error)
        try:
            result = handler(params)
        except RpcError as exc:
            return None if is_notification else _error_response(request_id, exc)
        except Exception as exc:  # a bug in a handler must not kill the server
            if self.on_internal_error is not None:
                self.on_internal_error(method, exc)
            error = RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")
            return None if is_notification else _error_response(request_id, error)
        if is_notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error_response(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def positional_params(params: Any, minimum: int, maximum: int) -> list[Any]:
    """Check a positional ``params`` array's length; raises -32602 otherwise."""
    if params is None:
        params = []
    if not isinstance(params, list):
        raise RpcError(INVALID_PARAMS, "params must be an array")
    if len(params) < minimum:
        raise RpcError(INVALID_PARAMS, f"missing value for required argument {len(params)}")
    if len(params) > maximum:
        raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {maximum}")
    return params


class JsonRpcServer:
    """Serve a :class:`JsonRpcDispatcher` on ``host:port`` in background threads.

    ``port=0`` binds a free port; :attr:`port` / :attr:`url` report the bound one.
    ``get_routes`` maps a path (e.g. ``/metrics``) to a callable answering GETs.
    """

    def __init__(
        self,
        dispatcher: JsonRpcDispatcher,
        host: str = "127.0.0.1",
        port: int = 0,
        get_routes: dict[str, GetRoute] | None = None,
        max_body_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.dispatcher = dispatcher
        routes = dict(get_routes or {})
        handler_class = _make_handler(dispatcher, routes, max_body_bytes)
        self.httpd = ThreadingHTTPServer((host, port), handler_class)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{self.port}"

    def start(self) -> None:
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


def _make_handler(
    dispatcher: JsonRpcDispatcher, routes: dict[str, GetRoute], max_body_bytes: int
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle's algorithm and
            # the client's delayed ACK add ~40 ms to every keep-alive response
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # the services log structured lines themselves

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._send(404, "text/plain", b"not found\n")
                return
            status, content_type, body = route()
            self._send(status, content_type, body)

        def do_POST(self) -> None:  # noqa: N802
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > max_body_bytes:
                self.close_connection = True
                self._send(413, "text/plain", b"request body too large\n")
                return
            body = self.rfile.read(length)
            answer = dispatcher.handle_body(body)
            if answer is None:
                self._send(200, "application/json", b"")
                return
            payload = json.dumps(answer, separators=(",", ":")).encode()
            self._send(200, "application/json", payload)

    return Handler
