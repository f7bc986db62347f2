"""The aggregator's nonce/balance view over a node's JSON-RPC (``--state-rpc``)."""

from __future__ import annotations

import socket

import pytest

from agents.aggregator.service import rpc_state_view
from agents.aggregator.validation import OVERLOADED, Rejected


def test_unreachable_state_node_is_a_clear_retryable_rejection() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nobody listens
    view = rpc_state_view(f"http://127.0.0.1:{port}")
    with pytest.raises(Rejected) as caught:
        view(bytes(20))
    assert caught.value.code == OVERLOADED
    assert caught.value.reason == "state_unavailable"
    assert "cannot check the sender's nonce and balance" in caught.value.message
    assert caught.value.message.endswith("retry later")
