"""Admission checks of ``eth_sendRawTransaction``: every failure is a JSON-RPC error.

Decoding, signature recovery and static validity come from :mod:`agents.evm.transactions`;
this module only maps their exceptions to geth-style messages and adds the pool
policy checks (chain id, size, blob type, block gas limit, minimum fee, nonce and
balance against an injected :class:`StateView`).

Small adapter over the EVM module: the v/r/s range check is done here first so
"invalid transaction v, r, s values" (out-of-range / high-s) can be told apart from
"invalid sender" (a signature that recovers to no key); both raise the same
``InvalidSignatureError`` in :func:`agents.evm.transactions.recover_sender`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sha3 import keccak_256

from agents.evm import exceptions as evm_errors
from agents.evm.transactions import (
    SECP256K1_N,
    Transaction,
    decode_transaction,
    recover_sender,
    validate_static,
)
from agents.rpc.server import RpcError

TX_REJECTED = -32000  # geth's generic "transaction rejected" code
OVERLOADED = -32005  # EIP-1474 "limit exceeded"

DEFAULT_MAX_TX_BYTES = 128 * 1024  # geth txMaxSize (4 slots of 32 KiB)
DEFAULT_BLOCK_GAS_LIMIT = 30_000_000


@dataclass(frozen=True)
class Account:
    """What the aggregator needs to know about a sender."""

    nonce: int
    balance: int


class StateView(Protocol):
    """Nonce and balance of an address (the producer provides the real one)."""

    def __call__(self, address: bytes) -> Account: ...


def unlimited_state(address: bytes) -> Account:  # noqa: ARG001 - StateView signature
    """A permissive view: nonce 0 and a balance above any possible cost (< 2**257)."""
    return Account(nonce=0, balance=2**257)


@dataclass(frozen=True)
class AdmissionPolicy:
    """The aggregator's configurable rules."""

    chain_id: int
    allow_unprotected: bool = False  # accept pre-EIP-155 legacy signatures
    max_tx_bytes: int = DEFAULT_MAX_TX_BYTES
    block_gas_limit: int = DEFAULT_BLOCK_GAS_LIMIT
    min_gas_price: int = 0  # legacy gas price / EIP-1559 max fee floor, in wei
    max_nonce_ahead: int | None = 4096  # reject nonces this far above the state nonce


@dataclass(frozen=True)
class Admitted:
    """A transaction that passed every check."""

    raw: bytes
    tx_hash: bytes
    tx: Transaction
    sender: bytes
    intrinsic_gas: int


class Rejected(RpcError):
    """An admission failure; ``reason`` is a short metric label."""

    def __init__(self, reason: str, message: str, code: int = TX_REJECTED) -> None:
        super().__init__(code, message)
        self.reason = reason


def parse_raw_param(value: object) -> bytes:
    """The ``data`` argument of ``eth_sendRawTransaction`` as bytes (-32602 otherwise)."""
    if not isinstance(value, str):
        raise Rejected("invalid_params", "invalid argument 0: expected a hex string", -32602)
    if not value.startswith(("0x", "0X")):
        raise Rejected("invalid_params", "invalid argument 0: hex string without 0x prefix", -32602)
    body = value[2:]
    if len(body) % 2:
        raise Rejected("invalid_params", "invalid argument 0: hex string of odd length", -32602)
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise Rejected("invalid_params", "invalid argument 0: invalid hex string", -32602) from None


def _fee_cap(tx: Transaction) -> int:
    return tx.gas_price if tx.tx_type < 2 else tx.max_fee_per_gas


def _check_signature_values(tx: Transaction) -> None:
    if not (0 < tx.r < SECP256K1_N) or not (0 < tx.s <= SECP256K1_N // 2):
        raise Rejected("invalid_signature", "invalid transaction v, r, s values")
    if tx.tx_type == 0 and tx.v not in (27, 28) and tx.v < 35:
        raise Rejected("invalid_signature", "invalid transaction v, r, s values")
    if tx.tx_type != 0 and tx.v not in (0, 1):
        raise Rejected("invalid_signature", "invalid transaction v, r, s values")


def admit_static(raw: bytes, policy: AdmissionPolicy) -> Admitted:
    """Every check that needs no state; raises :class:`Rejected`."""
    if len(raw) > policy.max_tx_bytes:
        raise Rejected("oversized", "oversized data")
    if not raw:
        raise Rejected("rlp", "rlp: empty transaction")
    try:
        tx = decode_transaction(raw)
    except evm_errors.TypeNotSupportedError:
        raise Rejected("type_not_supported", "transaction type not supported") from None
    except evm_errors.InvalidTransaction as exc:
        raise Rejected("rlp", f"rlp: {exc}") from None
    if tx.tx_type == 3:
        raise Rejected("type_not_supported", "transaction type not supported: blob transactions")
    if tx.tx_type == 0 and tx.v in (27, 28) and not policy.allow_unprotected:
        raise Rejected(
            "unprotected", "only replay-protected (EIP-155) transactions allowed over RPC"
        )
    _check_signature_values(tx)
    try:
        sender = recover_sender(tx, policy.chain_id)
    except evm_errors.InvalidChainIdError:
        have = tx.chain_id if tx.tx_type else (tx.v - 35) // 2
        raise Rejected(
            "invalid_chain_id", f"invalid chain id for signer: have {have} want {policy.chain_id}"
        ) from None
    except evm_errors.InvalidSignatureError:
        raise Rejected("invalid_sender", "invalid sender") from None
    try:
        gas = validate_static(tx)
    except evm_errors.IntrinsicGasTooLowError:
        raise Rejected("intrinsic_gas", "intrinsic gas too low") from None
    except evm_errors.NonceOverflowError:
        raise Rejected("nonce_max", "nonce has max value") from None
    except evm_errors.GasLimitExceededError:
        raise Rejected("gas_limit", "exceeds block gas limit") from None
    except evm_errors.InitCodeTooLargeError:
        raise Rejected("init_code", "max initcode size exceeded") from None
    except evm_errors.PriorityFeeGreaterThanMaxFeeError:
        raise Rejected(
            "tip_above_fee_cap", "max priority fee per gas higher than max fee per gas"
        ) from None
    except evm_errors.InsufficientBalanceError:
        raise Rejected("insufficient_funds", "insufficient funds for gas * price + value") from None
    if tx.gas_limit > policy.block_gas_limit:
        raise Rejected("gas_limit", "exceeds block gas limit")
    if _fee_cap(tx) < policy.min_gas_price:
        raise Rejected("underpriced", "transaction underpriced")
    return Admitted(raw, keccak_256(raw).digest(), tx, sender, gas)


def admit_against_state(admitted: Admitted, state: StateView, policy: AdmissionPolicy) -> None:
    """Nonce and balance sanity against ``state``; raises :class:`Rejected`."""
    tx, sender = admitted.tx, admitted.sender
    account = state(sender)
    address = "0x" + sender.hex()
    if tx.nonce < account.nonce:
        raise Rejected(
            "nonce_too_low",
            f"nonce too low: address {address}, tx: {tx.nonce} state: {account.nonce}",
        )
    if policy.max_nonce_ahead is not None and tx.nonce > account.nonce + policy.max_nonce_ahead:
        raise Rejected(
            "nonce_too_high",
            f"nonce too high: address {address}, tx: {tx.nonce} state: {account.nonce}",
        )
    cost = tx.gas_limit * _fee_cap(tx) + tx.value
    if account.balance < cost:
        raise Rejected(
            "insufficient_funds",
            f"insufficient funds for gas * price + value: address {address} "
            f"have {account.balance} want {cost}",
        )


def admit(raw: bytes, policy: AdmissionPolicy, state: StateView) -> Admitted:
    """All checks in order: static first, then against the state view."""
    admitted = admit_static(raw, policy)
    admit_against_state(admitted, state, policy)
    return admitted
