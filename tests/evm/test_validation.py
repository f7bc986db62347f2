"""Transaction validation: every rejection raises its specific exception class and
leaves the backend untouched; accepted transactions charge fees as configured."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.evm import exceptions as E
from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction
from agents.evm.transactions import (
    Transaction,
    address_of_key,
    decode_transaction,
    encode_transaction,
    recover_sender,
    sign_transaction,
)
from agents.evm.vm import BlockEnv

KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = address_of_key(KEY)
TO = bytes.fromhex("095e7baea6a6c7c4c2dfeb977efac326af552d87")
KZG_HASH = b"\x01" + bytes(31)
COINBASE = bytes.fromhex("2adc25665018aa1fe0e6bc666dac8fc2697ff9ba")


def _setup(balance: int = 10**18, code: bytes = b"") -> tuple[MemoryBackend, BlockEnv]:
    backend = MemoryBackend()
    backend.set_account(SENDER, balance=balance, code=code)
    block = BlockEnv(coinbase=COINBASE, number=1, gas_limit=30_000_000, base_fee=10)
    return backend, block


def _tx(**kw: object) -> Transaction:
    base = Transaction(
        tx_type=2, chain_id=1, nonce=0, gas_limit=100_000, to=TO, value=1,
        max_fee_per_gas=20, max_priority_fee_per_gas=2,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def _reject(tx: Transaction, exc: type[Exception], **setup: object) -> None:
    backend, block = _setup(**setup)  # type: ignore[arg-type]
    root = backend.state_root()
    with pytest.raises(exc):
        apply_transaction(backend, block, sign_transaction(tx, KEY))
    assert backend.state_root() == root


@pytest.mark.parametrize(
    ("tx", "exc", "setup"),
    [
        (_tx(nonce=1), E.NonceMismatchError, {}),
        (_tx(nonce=2**64 - 1), E.NonceOverflowError, {}),
        (_tx(value=10**18), E.InsufficientBalanceError, {}),
        (_tx(gas_limit=21_000 - 1), E.IntrinsicGasTooLowError, {}),
        (_tx(gas_limit=40_000_000), E.GasLimitExceededError, {}),
        (_tx(to=None, data=b"\x00" * 49153, gas_limit=10_000_000), E.InitCodeTooLargeError, {}),
        (_tx(chain_id=5), E.InvalidChainIdError, {}),
        (_tx(max_fee_per_gas=9, max_priority_fee_per_gas=1), E.FeeCapTooLowError, {}),
        (_tx(max_priority_fee_per_gas=30), E.PriorityFeeGreaterThanMaxFeeError, {}),
        (_tx(), E.SenderNotEoaError, {"code": b"\x00"}),
        (_tx(tx_type=0, chain_id=None, gas_price=5), E.FeeCapTooLowError, {}),
        (_tx(tx_type=3, max_fee_per_blob_gas=1), E.BlobTransactionError, {}),
        (
            _tx(tx_type=3, max_fee_per_blob_gas=1, blob_versioned_hashes=(b"\x02" + bytes(31),)),
            E.BlobTransactionError,
            {},
        ),
        (
            _tx(tx_type=3, max_fee_per_blob_gas=1, blob_versioned_hashes=(KZG_HASH,) * 7),
            E.BlobTransactionError,
            {},
        ),
    ],
    ids=[
        "nonce", "nonce-overflow", "balance", "intrinsic", "block-gas", "initcode",
        "chain-id", "fee-cap", "priority>max", "eip3607", "legacy-price", "no-blobs",
        "blob-version", "too-many-blobs",
    ],
)  # fmt: skip
def test_rejections(tx: Transaction, exc: type[Exception], setup: dict[str, object]) -> None:
    _reject(tx, exc, **setup)


def test_bad_signature_rejected() -> None:
    tx = sign_transaction(_tx(), KEY)
    with pytest.raises(E.InvalidSignatureError):
        recover_sender(replace(tx, s=0), 1)
    with pytest.raises(E.InvalidSignatureError):
        recover_sender(replace(tx, v=5), 1)


def test_decoding_errors() -> None:
    raw = encode_transaction(sign_transaction(_tx(), KEY))
    assert decode_transaction(raw).nonce == 0
    with pytest.raises(E.TransactionDecodingError):
        decode_transaction(raw[:-1])
    with pytest.raises(E.TypeNotSupportedError):
        decode_transaction(b"\x05" + raw[1:])
    with pytest.raises(E.TransactionDecodingError):
        decode_transaction(b"")


@pytest.mark.parametrize("tx_type", [0, 1, 2, 3])
def test_roundtrip_and_recovery(tx_type: int) -> None:
    extra: dict[str, object] = {"tx_type": tx_type}
    if tx_type < 2:
        extra.update(gas_price=20, max_fee_per_gas=0, max_priority_fee_per_gas=0)
    if tx_type == 0:
        extra.update(chain_id=None)
    if tx_type == 3:
        extra.update(max_fee_per_blob_gas=1, blob_versioned_hashes=(b"\x01" + bytes(31),))
    tx = sign_transaction(_tx(access_list=((TO, (1, 2)),)) if tx_type else _tx(), KEY, 1)
    tx = sign_transaction(replace(tx, **extra), KEY, 1)  # type: ignore[arg-type]
    decoded = decode_transaction(encode_transaction(tx))
    assert decoded == tx
    assert recover_sender(decoded, 1) == SENDER


def test_fees_and_recipients() -> None:
    backend, block = _setup()
    base_sink = bytes.fromhex("ba" * 20)
    block.base_fee_recipient = base_sink
    result = apply_transaction(backend, block, sign_transaction(_tx(), KEY))
    assert result.success and result.gas_used == 21_000
    assert backend.get_account(COINBASE).balance == 21_000 * 2  # type: ignore[union-attr]
    assert backend.get_account(base_sink).balance == 21_000 * 10  # type: ignore[union-attr]
    sender = backend.get_account(SENDER)
    assert sender is not None and sender.nonce == 1
    assert sender.balance == 10**18 - 1 - 21_000 * 12
    assert result.receipt.cumulative_gas_used == 21_000
