"""Journaled transaction sending: write-ahead before broadcast, recovery after a crash.

:func:`send_journaled` estimates gas (a call that would revert raises
:class:`~agents.l1.client.TransactionReverted` with the decoded error and nothing is sent),
signs with the nonce the node reports as next, **records the signed transaction in the
store**, then broadcasts it and waits for the receipt. :func:`recover_in_flight` settles
every journaled transaction left ``signed`` or ``sent`` by a crash: mined (receipt found),
still pending (the node knows it: wait), or dropped (the node does not know it; since the
agent always takes the node's next nonce, a replacement reuses the same nonce, so at
most one of the two can ever land).

``ALTROLLUP_CRASH_AT=signed:N`` or ``sent:N`` makes the process ``SIGKILL`` itself at
the N-th journaled send, right after that step (tests use it to crash at the two points
where a move is in flight).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TransactionNotFound,
)
from web3.types import TxParams, TxReceipt, Wei

from agents.challenger import store as db
from agents.l1.client import L1Client, TransactionReverted
from agents.l1.errors import decode_revert

GAS_HEADROOM_NUMERATOR = 5
GAS_HEADROOM_DENOMINATOR = 4
GAS_HEADROOM_FLAT = 25_000


@dataclass
class CrashPoints:
    """Deliberate ``SIGKILL`` points (from ``ALTROLLUP_CRASH_AT``), for crash tests."""

    point: str | None = None
    at_send: int = 0
    sends: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> CrashPoints:
        spec = os.environ.get("ALTROLLUP_CRASH_AT", "")
        if not spec:
            return cls()
        point, _, count = spec.partition(":")
        return cls(point, int(count or "1"))

    def reached(self, point: str) -> None:
        if self.point != point:
            return
        self.sends[point] = self.sends.get(point, 0) + 1
        if self.sends[point] == self.at_send:
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Sender:
    """One account sending through one L1 client, journaling into one store."""

    client: L1Client
    account: LocalAccount
    store: db.Store
    crash: CrashPoints = field(default_factory=CrashPoints)
    on_receipt: Callable[[db.TxRecord, TxReceipt], None] | None = None


def _revert_bytes(error: Exception) -> bytes:
    data: Any = getattr(error, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return b""


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def send_journaled(
    sender: Sender,
    call: Any,
    *,
    intent: str,
    action: str,
    value: int = 0,
    game_id: int | None = None,
    pack_id: int | None = None,
) -> tuple[db.TxRecord, TxReceipt]:
    """Send ``call`` as intent ``intent``; returns the journal row and the receipt.

    Raises :class:`TransactionReverted` when the call would revert (nothing sent) or
    reverted on-chain (journaled as ``reverted``).
    """
    client, account = sender.client, sender.account
    w3 = client.w3
    params: TxParams = {"from": account.address, "value": Wei(value)}
    try:
        estimate = int(call.estimate_gas(params))
    except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
        raise TransactionReverted(decode_revert(_revert_bytes(error))) from None
    gas = estimate * GAS_HEADROOM_NUMERATOR // GAS_HEADROOM_DENOMINATOR + GAS_HEADROOM_FLAT
    tx: dict[str, Any] = dict(call.build_transaction({**params, "gas": gas}))
    base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    tx["maxPriorityFeePerGas"] = w3.to_wei(1, "gwei")
    tx["maxFeePerGas"] = 2 * base_fee + w3.to_wei(1, "gwei")
    tx.pop("gasPrice", None)
    tx["chainId"] = client.chain_id
    tx["nonce"] = int(w3.eth.get_transaction_count(account.address, "pending"))
    signed = account.sign_transaction(tx)
    row = db.journal_signed(
        sender.store,
        intent=intent,
        action=action,
        game_id=game_id,
        pack_id=pack_id,
        nonce=tx["nonce"],
        tx_hash=_hex(signed.hash),
        raw_tx=_hex(signed.raw_transaction),
    )
    sender.crash.reached("signed")
    try:
        w3.eth.send_raw_transaction(signed.raw_transaction)
    except Exception as error:
        db.set_tx_status(sender.store, row.id, db.TxStatus.DROPPED, detail=f"send failed: {error}")
        raise
    db.set_tx_status(sender.store, row.id, db.TxStatus.SENT)
    client.nonces.resync(account.address)  # other users of this client re-read the nonce
    sender.crash.reached("sent")
    receipt = client.wait_for_receipt(signed.hash)
    return _settle(sender, row, receipt), receipt


def _settle(sender: Sender, row: db.TxRecord, receipt: TxReceipt) -> db.TxRecord:
    status = db.TxStatus.MINED if receipt["status"] == 1 else db.TxStatus.REVERTED
    db.set_tx_status(
        sender.store,
        row.id,
        status,
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )
    settled = db.get_tx(sender.store, row.id)
    assert settled is not None
    if sender.on_receipt is not None:
        sender.on_receipt(settled, receipt)
    if status is db.TxStatus.REVERTED:
        raise TransactionReverted(
            decode_revert(b""), bytes(HexBytes(row.tx_hash))
        )  # the replayed reason is not needed: the next tick re-reads L1
    return settled


def recover_in_flight(sender: Sender) -> list[db.TxRecord]:
    """Settle every transaction a crash left ``signed`` or ``sent``; returns them settled."""
    w3 = sender.client.w3
    settled: list[db.TxRecord] = []
    for row in db.in_flight_txs(sender.store):
        tx_hash = HexBytes(row.tx_hash)
        receipt: TxReceipt | None
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            receipt = None
        if receipt is None:
            try:
                w3.eth.get_transaction(tx_hash)
                known = True
            except TransactionNotFound:
                known = False
            if known:  # pending in the node: wait for it
                receipt = sender.client.wait_for_receipt(tx_hash)
        if receipt is not None:
            try:
                _settle(sender, row, receipt)
            except TransactionReverted:
                pass
        else:
            used = int(w3.eth.get_transaction_count(sender.account.address, "latest"))
            why = "nonce used by another transaction" if used > row.nonce else "never broadcast"
            db.set_tx_status(sender.store, row.id, db.TxStatus.DROPPED, detail=why)
        updated = db.get_tx(sender.store, row.id)
        assert updated is not None
        settled.append(updated)
    return settled
