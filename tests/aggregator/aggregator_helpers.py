"""Helpers shared by the aggregator and intake tests: chain id, keys, signing, clock."""

from __future__ import annotations

from typing import Any

from eth_account import Account

CHAIN_ID = 1337
KEYS = [bytes([i + 1]) * 32 for i in range(8)]
TO = "0x" + "11" * 20


def sign(key: bytes, nonce: int = 0, chain_id: int | None = CHAIN_ID, **fields: Any) -> bytes:
    """A signed transfer (EIP-1559 unless ``gasPrice`` is given) as raw bytes."""
    tx: dict[str, Any] = {"nonce": nonce, "gas": 21_000, "to": TO, "value": 1}
    if "gasPrice" not in fields:
        tx.update(maxFeePerGas=2 * 10**9, maxPriorityFeePerGas=10**9)
    if chain_id is not None:
        tx["chainId"] = chain_id
    tx.update(fields)
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def hex_of(raw: bytes) -> str:
    return "0x" + raw.hex()


class FakeClock:
    """A settable millisecond clock."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms


def wait_until(predicate: Any, timeout: float = 15.0, interval: float = 0.02) -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds (bounded)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
