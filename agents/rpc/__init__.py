"""Small, dependency-free JSON-RPC 2.0 plumbing shared by the off-chain agents.

* :mod:`agents.rpc.server` — a threaded HTTP JSON-RPC server (batches, extra GET routes).
* :mod:`agents.rpc.client` — a keep-alive HTTP JSON-RPC client.
* :mod:`agents.rpc.metrics` — Prometheus text-format counters and gauges.
* :mod:`agents.rpc.jsonlog` — one structured JSON line per action.
"""

from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.rpc.server import JsonRpcServer, RpcError

__all__ = ["JsonRpcClient", "JsonRpcServer", "RpcCallError", "RpcError", "RpcTransportError"]
