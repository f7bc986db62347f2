"""L1 client: web3.py + eth-account with nonce management and decoded reverts.

:class:`L1Client` wraps one JSON-RPC endpoint. It signs locally with eth-account keys,
hands out nonces through :class:`NonceManager` so that several threads can send from
the same account without collisions, estimates gas first so that a revert is reported
before anything is broadcast, and raises :class:`TransactionReverted` carrying the
decoded custom error (``InsufficientStake(required=..., available=...)``) both for
reverts seen at estimation and for transactions that reverted on-chain.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import TxParams, TxReceipt

from agents.l1.artifacts import Artifact, load_artifact
from agents.l1.errors import DecodedRevert, decode_revert


class L1Error(RuntimeError):
    """A failure talking to the L1 (connection, timeout, bad response)."""


class TransactionReverted(L1Error):
    """A call or transaction reverted; ``reason`` is the decoded revert."""

    def __init__(self, reason: DecodedRevert, tx_hash: bytes | None = None) -> None:
        self.reason = reason
        self.tx_hash = tx_hash
        where = f" (tx 0x{tx_hash.hex()})" if tx_hash else ""
        super().__init__(f"reverted: {reason}{where}")


class NonceManager:
    """Hands out consecutive nonces per sender, safe across threads.

    The first nonce for an account is read from the node's pending count; afterwards
    nonces are counted locally. :meth:`resync` re-reads the node (after a failed send
    or a "nonce too low" answer) so a gap or a collision heals itself.
    """

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._lock = threading.Lock()
        self._next: dict[str, int] = {}

    def reserve(self, address: str) -> int:
        with self._lock:
            if address not in self._next:
                checksummed = Web3.to_checksum_address(address)
                self._next[address] = self._w3.eth.get_transaction_count(checksummed, "pending")
            nonce = self._next[address]
            self._next[address] = nonce + 1
            return nonce

    def resync(self, address: str) -> None:
        with self._lock:
            self._next.pop(address, None)


def _revert_data(error: Exception) -> bytes:
    """Extract raw revert bytes from the exceptions web3.py raises on eth_call/estimate."""
    data: Any = getattr(error, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return b""


@dataclass
class L1Client:
    """One L1 endpoint and the signing accounts used against it."""

    w3: Web3
    nonces: NonceManager
    receipt_timeout: float = 60.0
    #: Node gas estimates can fall short (EIP-150's 63/64 rule, refunds): estimated
    #: gas is scaled by ``gas_headroom`` and ``gas_extra`` is added.
    gas_headroom: float = 1.2
    gas_extra: int = 20_000

    @classmethod
    def connect(cls, url: str, timeout: float = 30.0) -> L1Client:
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
        if not w3.is_connected():
            raise L1Error(f"cannot reach L1 JSON-RPC at {url}")
        return cls(w3=w3, nonces=NonceManager(w3))

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    @staticmethod
    def account(private_key: str | bytes) -> LocalAccount:
        return Account.from_key(private_key)

    def contract(self, artifact: Artifact | str, address: str) -> Contract:
        art = load_artifact(artifact) if isinstance(artifact, str) else artifact
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=art.abi)

    # -- calls -------------------------------------------------------------------

    def call(self, fn: Any, sender: str | None = None) -> Any:
        """Run a contract view/call, raising :class:`TransactionReverted` on revert."""
        try:
            return fn.call({"from": sender} if sender else {})
        except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
            raise TransactionReverted(decode_revert(_revert_data(error))) from None

    # -- transactions ------------------------------------------------------------

    def transact(self, fn: Any, sender: LocalAccount, value: int = 0) -> TxReceipt:
        """Send a contract function call from ``sender`` and wait for its receipt."""
        params: TxParams = {"from": sender.address, "value": Web3.to_wei(value, "wei")}
        try:
            tx = fn.build_transaction(params)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
            raise TransactionReverted(decode_revert(_revert_data(error))) from None
        return self._sign_and_send(self._with_headroom(tx), sender)

    def deploy(self, artifact: Artifact | str, sender: LocalAccount, *args: Any) -> Contract:
        """Deploy ``artifact`` with constructor ``args``; returns the bound contract."""
        art = load_artifact(artifact) if isinstance(artifact, str) else artifact
        if not art.deployable:
            raise L1Error(f"{art.name} has no creation bytecode (abstract or interface)")
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        try:
            tx = factory.constructor(*args).build_transaction({"from": sender.address})
        except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
            raise TransactionReverted(decode_revert(_revert_data(error))) from None
        receipt = self._sign_and_send(self._with_headroom(tx), sender)
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=art.abi)

    def send_value(self, sender: LocalAccount, to: str, value: int) -> TxReceipt:
        tx: TxParams = {
            "from": sender.address,
            "to": Web3.to_checksum_address(to),
            "value": Web3.to_wei(value, "wei"),
            "gas": 21_000,
        }
        return self._sign_and_send(tx, sender)

    def _with_headroom(self, tx: TxParams) -> dict[str, Any]:
        params: dict[str, Any] = dict(tx)
        estimated = int(params.get("gas", 0) or 0)
        if estimated:
            block_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
            params["gas"] = min(block_limit, int(estimated * self.gas_headroom) + self.gas_extra)
        return params

    def _sign_and_send(self, params: TxParams | dict[str, Any], sender: LocalAccount) -> TxReceipt:
        tx: dict[str, Any] = dict(params)
        tx.setdefault("chainId", self.chain_id)
        if "gasPrice" not in tx and "maxFeePerGas" not in tx:
            base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
            tx["maxPriorityFeePerGas"] = Web3.to_wei(1, "gwei")
            tx["maxFeePerGas"] = 2 * base_fee + Web3.to_wei(1, "gwei")
        tx["nonce"] = self.nonces.reserve(sender.address)
        signed = sender.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception:
            self.nonces.resync(sender.address)
            raise
        receipt = self.wait_for_receipt(tx_hash)
        if receipt["status"] != 1:
            raise TransactionReverted(self._replay_revert(tx, receipt), bytes(tx_hash))
        return receipt

    def wait_for_receipt(self, tx_hash: HexBytes | bytes) -> TxReceipt:
        tx_hash = HexBytes(tx_hash)
        deadline = time.monotonic() + self.receipt_timeout
        while True:
            try:
                return self.w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=max(0.1, deadline - time.monotonic()), poll_latency=0.05
                )
            except Exception as error:  # web3 raises TimeExhausted
                if time.monotonic() >= deadline:
                    raise L1Error(f"no receipt for 0x{bytes(tx_hash).hex()}: {error}") from None

    def _replay_revert(self, tx: dict[str, Any], receipt: TxReceipt) -> DecodedRevert:
        """Re-run a reverted transaction as eth_call at its block to get the reason."""
        call = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value")}
        try:
            self.w3.eth.call(cast(TxParams, call), receipt["blockNumber"] - 1)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
            return decode_revert(_revert_data(error))
        except Exception:  # noqa: BLE001 - best effort: the revert itself is the error
            pass
        return DecodedRevert("RevertedOnChain", {"gasUsed": receipt["gasUsed"]}, b"")
