"""L1Client against a real anvil: concurrent senders share nonces safely; reverts decode."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from eth_account import Account

from agents.l1.client import L1Client, TransactionReverted
from agents.l1.errors import decode_revert


def test_concurrent_senders_from_one_account(l1: L1Client, funded_keys: list[str]) -> None:
    sender = Account.from_key(funded_keys[3])
    receiver = Account.create().address
    start = l1.w3.eth.get_transaction_count(sender.address)
    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(lambda i: l1.send_value(sender, receiver, i + 1), range(24)))
    assert all(receipt["status"] == 1 for receipt in receipts)
    assert l1.w3.eth.get_transaction_count(sender.address) == start + 24
    assert l1.w3.eth.get_balance(receiver) == sum(range(1, 25))


def test_nonce_resync_after_external_send(l1: L1Client, funded_keys: list[str]) -> None:
    sender = Account.from_key(funded_keys[4])
    l1.send_value(sender, sender.address, 1)
    # Another tool sends from the same account behind the manager's back.
    other = L1Client.connect(l1.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    other.send_value(sender, sender.address, 1)
    with pytest.raises(Exception, match="nonce"):
        l1.send_value(sender, sender.address, 1)
    # The failed send resynchronised the manager: the next one goes through.
    assert l1.send_value(sender, sender.address, 1)["status"] == 1


def test_deploy_revert_is_decoded(l1: L1Client, funded_keys: list[str]) -> None:
    deployer = Account.from_key(funded_keys[5])
    with pytest.raises(TransactionReverted, match=r"InvalidUnbondingDelay\(delay=0\)"):
        l1.deploy("SequencerRegistry", deployer, deployer.address, 0)


def test_builtin_revert_kinds_decode() -> None:
    error_string = bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + (2).to_bytes(32, "big")
    assert str(decode_revert(error_string + b"no".ljust(32, b"\0"))) == "Error(message=no)"
    panic = bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")
    assert "arithmetic overflow" in str(decode_revert(panic))
    assert decode_revert(b"\xde\xad\xbe\xef").name == "UnknownError"
    assert decode_revert(b"").name == "EmptyRevert"
