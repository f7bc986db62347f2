"""Transactions: legacy (incl. EIP-155), EIP-2930, EIP-1559 and EIP-4844 (type 3).

* :func:`decode_transaction` parses the network encoding (RLP list for legacy, a type
  byte followed by an RLP list for typed transactions) strictly.
* :func:`encode_transaction` / :func:`signing_hash` / :func:`sign_transaction` produce
  the corresponding encodings and sign with coincurve.
* :func:`recover_sender` checks the signature values and recovers the sender.
* :func:`intrinsic_gas` is the upfront gas of the transaction.

Validation against the state and block (nonce, balance, fee caps, ...) is done in
:mod:`agents.evm.processing`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from coincurve import PrivateKey, PublicKey
from sha3 import keccak_256

from agents.evm import rlp
from agents.evm.exceptions import (
    InvalidChainIdError,
    InvalidSignatureError,
    TransactionDecodingError,
    TypeNotSupportedError,
)
from agents.evm.gas import (
    TX_ACCESS_LIST_ADDRESS_COST,
    TX_ACCESS_LIST_STORAGE_KEY_COST,
    TX_BASE_COST,
    TX_CREATE_COST,
    TX_DATA_COST_PER_NON_ZERO,
    TX_DATA_COST_PER_ZERO,
    init_code_cost,
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
U256_LIMIT = 2**256

AccessList = tuple[tuple[bytes, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class Transaction:
    """Any supported transaction type; unused fields keep their defaults."""

    tx_type: int = 0
    chain_id: int | None = None
    nonce: int = 0
    gas_limit: int = 0
    to: bytes | None = None  # None: contract creation
    value: int = 0
    data: bytes = b""
    gas_price: int = 0  # legacy / EIP-2930
    max_priority_fee_per_gas: int = 0  # EIP-1559 / 4844
    max_fee_per_gas: int = 0
    access_list: AccessList = ()
    max_fee_per_blob_gas: int = 0
    blob_versioned_hashes: tuple[bytes, ...] = ()
    v: int = 0  # legacy v, or y parity for typed transactions
    r: int = 0
    s: int = 0
    # The RLP items of the unsigned fields exactly as they arrived (set by
    # decode_transaction, never by __init__ or dataclasses.replace): the signing hash is
    # then hashed from these bytes instead of re-encoding every field.
    unsigned_rlp: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_create(self) -> bool:
        return self.to is None


# --- decoding -------------------------------------------------------------------------
def _int(item: rlp.RLPItem, name: str, limit: int = U256_LIMIT) -> int:
    if not isinstance(item, bytes):
        raise TransactionDecodingError(f"{name}: expected bytes, got a list")
    if item[:1] == b"\x00":
        raise TransactionDecodingError(f"{name}: leading zero bytes")
    value = int.from_bytes(item, "big")
    if value >= limit:
        raise TransactionDecodingError(f"{name}: value too large")
    return value


def _bytes(item: rlp.RLPItem, name: str) -> bytes:
    if not isinstance(item, bytes):
        raise TransactionDecodingError(f"{name}: expected bytes, got a list")
    return item


def _to(item: rlp.RLPItem) -> bytes | None:
    raw = _bytes(item, "to")
    if raw == b"":
        return None
    if len(raw) != 20:
        raise TransactionDecodingError("to: address must be 20 bytes")
    return raw


def _access_list(item: rlp.RLPItem) -> AccessList:
    if not isinstance(item, list):
        raise TransactionDecodingError("access list must be a list")
    out = []
    for entry in item:
        if not isinstance(entry, list) or len(entry) != 2:
            raise TransactionDecodingError("access list entry must be [address, keys]")
        address = _bytes(entry[0], "access list address")
        if len(address) != 20:
            raise TransactionDecodingError("access list address must be 20 bytes")
        keys = entry[1]
        if not isinstance(keys, list):
            raise TransactionDecodingError("storage keys must be a list")
        slots = []
        for key in keys:
            raw = _bytes(key, "storage key")
            if len(raw) != 32:
                raise TransactionDecodingError("storage key must be 32 bytes")
            slots.append(int.from_bytes(raw, "big"))
        out.append((address, tuple(slots)))
    return tuple(out)


def _fields(item: rlp.RLPItem, count: int, kind: str) -> list[rlp.RLPItem]:
    if not isinstance(item, list):
        raise TransactionDecodingError(f"{kind} transaction must be an RLP list")
    if len(item) != count:
        raise TransactionDecodingError(f"{kind} transaction needs {count} fields, got {len(item)}")
    return item


def _encoded_length(item: rlp.RLPItem) -> int:
    """Length of the RLP encoding of a byte string of at most 55 bytes (v, r, s)."""
    assert isinstance(item, bytes) and len(item) < 56
    return 1 if len(item) == 1 and item[0] < 0x80 else 1 + len(item)


def _keep_unsigned_rlp(tx: Transaction, encoded_list: bytes, f: list[rlp.RLPItem]) -> Transaction:
    """Remember the RLP items of ``tx``'s unsigned fields (all but the last three)."""
    payload = rlp.list_payload(encoded_list)
    tail = _encoded_length(f[-3]) + _encoded_length(f[-2]) + _encoded_length(f[-1])
    object.__setattr__(tx, "unsigned_rlp", payload[: len(payload) - tail])
    return tx


def decode_transaction(raw: bytes) -> Transaction:
    """Parse a transaction in its network (signed) encoding."""
    tx, fields_ = _decode(raw)
    return _keep_unsigned_rlp(tx, raw if tx.tx_type == 0 else raw[1:], fields_)


def _decode(raw: bytes) -> tuple[Transaction, list[rlp.RLPItem]]:
    if not raw:
        raise TransactionDecodingError("empty transaction")
    try:
        if raw[0] >= 0xC0:
            f = _fields(rlp.decode(raw), 9, "legacy")
            tx = Transaction(
                tx_type=0,
                nonce=_int(f[0], "nonce"),
                gas_price=_int(f[1], "gasPrice"),
                gas_limit=_int(f[2], "gasLimit"),
                to=_to(f[3]),
                value=_int(f[4], "value"),
                data=_bytes(f[5], "data"),
                v=_int(f[6], "v"),
                r=_int(f[7], "r"),
                s=_int(f[8], "s"),
            )
            return tx, f
        tx_type = raw[0]
        body = rlp.decode(raw[1:])
    except rlp.RLPDecodingError as exc:
        raise TransactionDecodingError(str(exc)) from exc
    if tx_type == 1:
        f = _fields(body, 11, "EIP-2930")
        tx = Transaction(
            tx_type=1,
            chain_id=_int(f[0], "chainId"),
            nonce=_int(f[1], "nonce"),
            gas_price=_int(f[2], "gasPrice"),
            gas_limit=_int(f[3], "gasLimit"),
            to=_to(f[4]),
            value=_int(f[5], "value"),
            data=_bytes(f[6], "data"),
            access_list=_access_list(f[7]),
            v=_int(f[8], "yParity"),
            r=_int(f[9], "r"),
            s=_int(f[10], "s"),
        )
        return tx, f
    if tx_type == 2:
        f = _fields(body, 12, "EIP-1559")
        tx = Transaction(
            tx_type=2,
            chain_id=_int(f[0], "chainId"),
            nonce=_int(f[1], "nonce"),
            max_priority_fee_per_gas=_int(f[2], "maxPriorityFeePerGas"),
            max_fee_per_gas=_int(f[3], "maxFeePerGas"),
            gas_limit=_int(f[4], "gasLimit"),
            to=_to(f[5]),
            value=_int(f[6], "value"),
            data=_bytes(f[7], "data"),
            access_list=_access_list(f[8]),
            v=_int(f[9], "yParity"),
            r=_int(f[10], "r"),
            s=_int(f[11], "s"),
        )
        return tx, f
    if tx_type == 3:
        f = _fields(body, 14, "EIP-4844")
        to = _to(f[5])
        if to is None:
            raise TransactionDecodingError("blob transactions cannot create contracts")
        hashes = f[10]
        if not isinstance(hashes, list):
            raise TransactionDecodingError("blob versioned hashes must be a list")
        blob_hashes = []
        for h in hashes:
            raw_hash = _bytes(h, "blob versioned hash")
            if len(raw_hash) != 32:
                raise TransactionDecodingError("blob versioned hash must be 32 bytes")
            blob_hashes.append(raw_hash)
        tx = Transaction(
            tx_type=3,
            chain_id=_int(f[0], "chainId"),
            nonce=_int(f[1], "nonce"),
            max_priority_fee_per_gas=_int(f[2], "maxPriorityFeePerGas"),
            max_fee_per_gas=_int(f[3], "maxFeePerGas"),
            gas_limit=_int(f[4], "gasLimit"),
            to=to,
            value=_int(f[6], "value"),
            data=_bytes(f[7], "data"),
            access_list=_access_list(f[8]),
            max_fee_per_blob_gas=_int(f[9], "maxFeePerBlobGas"),
            blob_versioned_hashes=tuple(blob_hashes),
            v=_int(f[11], "yParity"),
            r=_int(f[12], "r"),
            s=_int(f[13], "s"),
        )
        return tx, f
    raise TypeNotSupportedError(f"transaction type {tx_type:#x} not supported")


# --- encoding / signing ---------------------------------------------------------------
def _access_list_rlp(access_list: AccessList) -> list[object]:
    return [[a, [k.to_bytes(32, "big") for k in keys]] for a, keys in access_list]


def _unsigned_fields(tx: Transaction) -> list[object]:
    to = b"" if tx.to is None else tx.to
    if tx.tx_type == 0:
        return [tx.nonce, tx.gas_price, tx.gas_limit, to, tx.value, tx.data]
    if tx.tx_type == 1:
        return [
            tx.chain_id or 0, tx.nonce, tx.gas_price, tx.gas_limit, to, tx.value, tx.data,
            _access_list_rlp(tx.access_list),
        ]  # fmt: skip
    if tx.tx_type == 2:
        return [
            tx.chain_id or 0, tx.nonce, tx.max_priority_fee_per_gas, tx.max_fee_per_gas,
            tx.gas_limit, to, tx.value, tx.data, _access_list_rlp(tx.access_list),
        ]  # fmt: skip
    if tx.tx_type == 3:
        return [
            tx.chain_id or 0, tx.nonce, tx.max_priority_fee_per_gas, tx.max_fee_per_gas,
            tx.gas_limit, to, tx.value, tx.data, _access_list_rlp(tx.access_list),
            tx.max_fee_per_blob_gas, list(tx.blob_versioned_hashes),
        ]  # fmt: skip
    raise TypeNotSupportedError(f"transaction type {tx.tx_type:#x} not supported")


def encode_transaction(tx: Transaction) -> bytes:
    """Network encoding of a signed transaction."""
    fields = _unsigned_fields(tx) + [tx.v, tx.r, tx.s]
    if tx.tx_type == 0:
        return rlp.encode(fields)
    return bytes([tx.tx_type]) + rlp.encode(fields)


def transaction_hash(tx: Transaction) -> bytes:
    return keccak_256(encode_transaction(tx)).digest()


def signing_hash(tx: Transaction, chain_id: int | None = None) -> bytes:
    """The hash the sender signs (EIP-155 replay protection when ``chain_id`` given).

    A decoded transaction hashes the unsigned fields' RLP items as received (the decoder
    is strict, so they are the canonical encoding); otherwise the fields are encoded.
    """
    payload = tx.unsigned_rlp
    if payload is None:
        payload = b"".join(rlp.encode(item) for item in _unsigned_fields(tx))
    if tx.tx_type == 0:
        if chain_id is not None:
            payload += rlp.encode(chain_id) + b"\x80\x80"
        return keccak_256(rlp.list_prefix(len(payload)) + payload).digest()
    return keccak_256(bytes([tx.tx_type]) + rlp.list_prefix(len(payload)) + payload).digest()


def sign_transaction(tx: Transaction, private_key: bytes, chain_id: int | None = 1) -> Transaction:
    """Return ``tx`` signed with ``private_key`` (legacy: EIP-155 if ``chain_id``)."""
    if tx.tx_type != 0:
        chain_id = tx.chain_id
    msg = signing_hash(tx, chain_id if tx.tx_type == 0 else None)
    sig = PrivateKey(private_key).sign_recoverable(msg, hasher=None)
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    parity = sig[64]
    if tx.tx_type == 0:
        v = 27 + parity if chain_id is None else 35 + 2 * chain_id + parity
    else:
        v = parity
    return replace(tx, v=v, r=r, s=s)


def recover_sender(tx: Transaction, chain_id: int) -> bytes:
    """Check the signature values and recover the sender address."""
    r, s = tx.r, tx.s
    if not (0 < r < SECP256K1_N) or not (0 < s <= SECP256K1_N // 2):
        raise InvalidSignatureError("signature r/s out of range")
    if tx.tx_type == 0:
        if tx.v in (27, 28):
            parity = tx.v - 27
            msg = signing_hash(tx, None)
        elif tx.v >= 35:
            tx_chain_id = (tx.v - 35) // 2
            if tx_chain_id != chain_id:
                raise InvalidChainIdError(f"chain id {tx_chain_id} != {chain_id}")
            parity = (tx.v - 35) % 2
            msg = signing_hash(tx, chain_id)
        else:
            raise InvalidSignatureError(f"invalid v {tx.v}")
    else:
        if tx.chain_id != chain_id:
            raise InvalidChainIdError(f"chain id {tx.chain_id} != {chain_id}")
        if tx.v not in (0, 1):
            raise InvalidSignatureError(f"invalid y parity {tx.v}")
        parity = tx.v
        msg = signing_hash(tx)
    public = _recover_public_key(r.to_bytes(32, "big") + s.to_bytes(32, "big"), parity, msg)
    if public is None:
        raise InvalidSignatureError("public key not recoverable")
    return keccak_256(public[1:]).digest()[12:]


def _recover_with_coincurve_api(compact: bytes, parity: int, msg: bytes) -> bytes | None:
    """Uncompressed public key (65 bytes) that signed ``msg``, or ``None``."""
    try:
        public = PublicKey.from_signature_and_message(compact + bytes([parity]), msg, hasher=None)
    except Exception:  # coincurve raises ValueError / generic Exception
        return None
    return public.format(compressed=False)


def _libsecp256k1_recoverer() -> Callable[[bytes, int, bytes], bytes | None]:
    """Recovery through coincurve's cffi binding of libsecp256k1 directly.

    The same three C calls that :meth:`coincurve.PublicKey.from_signature_and_message`
    and ``format`` make (parse, recover, serialize), without the wrapper objects: about
    a quarter less time per recovery. Falls back to the public API if the binding's
    layout is not the expected one.
    """
    try:
        from coincurve._libsecp256k1 import ffi, lib
        from coincurve.context import GLOBAL_CONTEXT

        context = GLOBAL_CONTEXT.ctx
        parse = lib.secp256k1_ecdsa_recoverable_signature_parse_compact
        recover = lib.secp256k1_ecdsa_recover
        serialize = lib.secp256k1_ec_pubkey_serialize
        uncompressed = lib.SECP256K1_EC_UNCOMPRESSED
    except (ImportError, AttributeError):  # pragma: no cover - other coincurve builds
        return _recover_with_coincurve_api
    new, buffer = ffi.new, ffi.buffer

    def recover_public_key(compact: bytes, parity: int, msg: bytes) -> bytes | None:
        # Fresh C buffers per call: the function may run on several threads at once.
        signature = new("secp256k1_ecdsa_recoverable_signature *")
        if not parse(context, signature, compact, parity):
            return None
        public = new("secp256k1_pubkey *")
        if not recover(context, public, signature, msg):
            return None
        out = new("unsigned char[65]")
        out_length = new("size_t *", 65)
        serialize(context, out, out_length, public, uncompressed)
        return buffer(out, 65)[:]

    return recover_public_key


_recover_public_key = _libsecp256k1_recoverer()


def address_of_key(private_key: bytes) -> bytes:
    """The address controlled by ``private_key``."""
    public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
    return keccak_256(public).digest()[12:]


def intrinsic_gas(tx: Transaction) -> int:
    """Gas charged before execution: base, calldata, creation, access list."""
    data = tx.data
    zeros = data.count(0)
    cost = TX_BASE_COST + TX_DATA_COST_PER_ZERO * zeros
    cost += TX_DATA_COST_PER_NON_ZERO * (len(data) - zeros)
    if tx.to is None:
        cost += TX_CREATE_COST + init_code_cost(len(data))
    for _, keys in tx.access_list:
        cost += TX_ACCESS_LIST_ADDRESS_COST + TX_ACCESS_LIST_STORAGE_KEY_COST * len(keys)
    return cost


def validate_static(tx: Transaction) -> int:
    """State-independent validity checks; returns the intrinsic gas.

    Raises :class:`~agents.evm.exceptions.IntrinsicGasTooLowError`,
    :class:`~agents.evm.exceptions.NonceOverflowError`,
    :class:`~agents.evm.exceptions.GasLimitExceededError` (not a 64-bit value),
    :class:`~agents.evm.exceptions.InitCodeTooLargeError` (EIP-3860) or
    :class:`~agents.evm.exceptions.InsufficientBalanceError` when gas * price does not
    even fit 256 bits.
    """
    from agents.evm.exceptions import (
        GasLimitExceededError,
        InitCodeTooLargeError,
        InsufficientBalanceError,
        IntrinsicGasTooLowError,
        NonceOverflowError,
        PriorityFeeGreaterThanMaxFeeError,
    )
    from agents.evm.gas import MAX_INIT_CODE_SIZE

    if tx.tx_type >= 2 and tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
        raise PriorityFeeGreaterThanMaxFeeError("max priority fee above max fee")

    if tx.gas_limit >= 2**64:
        raise GasLimitExceededError("gas limit does not fit 64 bits")
    if tx.nonce >= 2**64 - 1:
        raise NonceOverflowError("nonce must be below 2**64 - 1")
    price = tx.gas_price if tx.tx_type < 2 else tx.max_fee_per_gas
    if tx.gas_limit * price >= U256_LIMIT:
        raise InsufficientBalanceError("gas limit * price overflows 256 bits")
    if tx.to is None and len(tx.data) > MAX_INIT_CODE_SIZE:
        raise InitCodeTooLargeError(f"init code of {len(tx.data)} bytes")
    gas = intrinsic_gas(tx)
    if gas > tx.gas_limit:
        raise IntrinsicGasTooLowError(f"intrinsic gas {gas} > gas limit {tx.gas_limit}")
    return gas
