"""The JSON-RPC calls the load generator makes, over a keep-alive client.

:class:`Chain` answers chain id, balances, nonces, fees and receipts, sends raw
transactions singly or in batches, and deploys a contract from its forge artifact.
Transport failures become :class:`LoadError` with a readable message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.load.signing import SignedTx, Signer, UnsignedTx
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError


class LoadError(RuntimeError):
    """A load run cannot start or go on (printed as one line by the CLI)."""


def to_int(value: Any) -> int:
    """A JSON-RPC quantity (``"0x.."``) or integer as int."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
    raise LoadError(f"expected a quantity, got {value!r}")


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fee caps for every transaction of a run."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class Chain:
    """One JSON-RPC endpoint."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        try:
            self.client = JsonRpcClient(url, timeout=timeout)
        except ValueError as error:
            raise LoadError(f"bad RPC URL {url!r}: use http://host:port") from error
        self.url = url

    def call(self, method: str, *params: Any) -> Any:
        try:
            return self.client.call(method, *params)
        except RpcTransportError as error:
            raise LoadError(f"cannot reach the RPC: {error}") from None
        except RpcCallError as error:
            raise LoadError(f"{method} failed: {error.message}") from None

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        try:
            return self.client.batch(calls)
        except RpcTransportError as error:
            raise LoadError(f"cannot reach the RPC: {error}") from None

    # -- reads -------------------------------------------------------------------------

    def chain_id(self) -> int:
        return to_int(self.call("eth_chainId"))

    def block_number(self) -> int:
        return to_int(self.call("eth_blockNumber"))

    def balance(self, address: str) -> int:
        return to_int(self.call("eth_getBalance", address, "latest"))

    def code(self, address: str) -> bytes:
        return bytes.fromhex(str(self.call("eth_getCode", address, "latest"))[2:])

    def nonces(self, addresses: list[str]) -> list[int]:
        """Pending nonces of ``addresses`` (one batch)."""
        answers = self.batch([("eth_getTransactionCount", [a, "pending"]) for a in addresses])
        return [to_int(_result(answer, "eth_getTransactionCount")) for answer in answers]

    def fees(self, multiplier: int = 10) -> Fees:
        """Caps that survive the base fee rising for a while under load."""
        block = self.call("eth_getBlockByNumber", "latest", False)
        tip = 10**9
        base = to_int(block.get("baseFeePerGas", "0x0")) if isinstance(block, dict) else 0
        if base == 0:
            price = to_int(self.call("eth_gasPrice"))
            return Fees(max(price * 2, tip), min(tip, max(price * 2, tip)))
        return Fees(base * multiplier + tip, tip)

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int) -> int:
        call: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            call["to"] = to
        return to_int(self.call("eth_estimateGas", call))

    def receipt(self, tx_hash: bytes) -> dict[str, Any] | None:
        answer = self.call("eth_getTransactionReceipt", "0x" + tx_hash.hex())
        return answer if isinstance(answer, dict) else None

    def wait_receipt(self, tx_hash: bytes, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(0.05)
        raise LoadError(f"no receipt for 0x{tx_hash.hex()} after {timeout:.0f}s")

    # -- writes ------------------------------------------------------------------------

    def send(self, signed: SignedTx) -> bytes:
        result = self.call("eth_sendRawTransaction", "0x" + signed.raw.hex())
        return bytes.fromhex(str(result)[2:])

    def transact(
        self,
        signer: Signer,
        to: str | None,
        data: bytes,
        value: int = 0,
        *,
        fees: Fees,
        gas: int | None = None,
        what: str,
    ) -> dict[str, Any]:
        """Sign, send and wait for one transaction; :class:`LoadError` if it reverts."""
        if gas is None:
            gas = self.estimate_gas(signer.address, to, data, value) * 5 // 4 + 20_000
        (nonce,) = self.nonces([signer.address])
        chain_id = self.chain_id()
        tx = UnsignedTx(
            chain_id,
            nonce,
            fees.max_priority_fee_per_gas,
            fees.max_fee_per_gas,
            gas,
            bytes.fromhex(to[2:]) if to is not None else None,
            value,
            data,
        )
        signed = signer.sign(tx)
        self.send(signed)
        receipt = self.wait_receipt(signed.tx_hash)
        if to_int(receipt.get("status", "0x1")) != 1:
            raise LoadError(f"{what} reverted (tx 0x{signed.tx_hash.hex()})")
        return receipt


def _result(answer: dict[str, Any], method: str) -> Any:
    if "error" in answer:
        message = (answer.get("error") or {}).get("message")
        raise LoadError(f"{method} failed: {message}")
    return answer.get("result")
