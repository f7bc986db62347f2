"""Apply one transaction to a block environment on top of a StateBackend.

Steps (Cancun, execution-specs order): validate against the block and the sender's
account (raising a specific :class:`~agents.evm.exceptions.InvalidTransaction`
subclass, in which case the backend is untouched), buy gas, warm the EIP-2929
pre-accessed addresses and the access list, run the message, refund at most a fifth
of the gas used (EIP-3529), pay the priority fee (to ``priority_fee_recipient`` or the
coinbase) and the base fee (to ``base_fee_recipient`` or nowhere), delete
self-destructed and touched-empty accounts, and hand the resulting
:class:`~agents.evm.backend.StateDiff` to the backend, which returns the state root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sha3 import keccak_256

from agents.evm import rlp
from agents.evm.backend import StateBackend
from agents.evm.exceptions import (
    AddressCollision,
    BlobTransactionError,
    FeeCapTooLowError,
    GasLimitExceededError,
    InitCodeTooLargeError,
    InsufficientBalanceError,
    IntrinsicGasTooLowError,
    NonceMismatchError,
    NonceOverflowError,
    PriorityFeeGreaterThanMaxFeeError,
    SenderNotEoaError,
)
from agents.evm.gas import (
    GAS_PER_BLOB,
    MAX_BLOB_GAS_PER_BLOCK,
    MAX_INIT_CODE_SIZE,
    MAX_REFUND_QUOTIENT,
    blob_gas_price,
)
from agents.evm.instructions.system import compute_contract_address
from agents.evm.interpreter import PRECOMPILES, process_create_message, process_message
from agents.evm.state import State
from agents.evm.transactions import Transaction, intrinsic_gas, recover_sender
from agents.evm.vm import BlockEnv, Context, ExitHook, Frame, Log, StepHook, TxEnv

VERSIONED_HASH_VERSION_KZG = 0x01
_WARM_PRECOMPILES = dict.fromkeys(PRECOMPILES, True)
NONCE_LIMIT = 2**64 - 1


@dataclass(slots=True)
class Receipt:
    """Post-Byzantium receipt."""

    tx_type: int
    success: bool
    cumulative_gas_used: int
    bloom: bytes
    logs: list[Log]

    def encode(self) -> bytes:
        """Consensus encoding (typed receipts are prefixed by their type byte)."""
        body = rlp.encode(
            [
                b"\x01" if self.success else b"",
                self.cumulative_gas_used,
                self.bloom,
                [[a, list(t), d] for a, t, d in self.logs],
            ]
        )
        return body if self.tx_type == 0 else bytes([self.tx_type]) + body


@dataclass(slots=True)
class TxResult:
    """Everything known after applying a transaction."""

    gas_used: int
    success: bool
    output: bytes
    logs: list[Log]
    receipt: Receipt
    state_root: bytes
    contract_address: bytes | None = None
    error: Exception | None = None
    refund: int = 0
    extra: dict[str, object] = field(default_factory=dict)


_BLOOM_BITS: dict[bytes, tuple[tuple[int, int], ...]] = {}
_BLOOM_CACHE_LIMIT = 1 << 16
_EMPTY_BLOOM = bytes(256)


def _bloom_bits(item: bytes) -> tuple[tuple[int, int], ...]:
    """The three ``(byte index, bit mask)`` pairs ``item`` sets in a bloom (cached: the
    same contract addresses and event topics recur in every block)."""
    if type(item) is not bytes:
        item = bytes(item)
    bits = _BLOOM_BITS.get(item)
    if bits is None:
        h = keccak_256(item).digest()
        positions = [((h[i] << 8) | h[i + 1]) & 2047 for i in (0, 2, 4)]
        bits = tuple((255 - bit // 8, 1 << (bit % 8)) for bit in positions)
        if len(_BLOOM_BITS) >= _BLOOM_CACHE_LIMIT:
            _BLOOM_BITS.clear()
        _BLOOM_BITS[item] = bits
    return bits


def logs_bloom(logs: list[Log]) -> bytes:
    """2048-bit bloom filter over log addresses and topics."""
    if not logs:
        return _EMPTY_BLOOM
    bloom = bytearray(256)
    for address, topics, _ in logs:
        for item in (address, *topics):
            for index, mask in _bloom_bits(item):
                bloom[index] |= mask
    return bytes(bloom)


def logs_hash(logs: list[Log]) -> bytes:
    """keccak256 of the RLP list of logs (what state tests compare)."""
    return keccak_256(rlp.encode([[a, list(t), d] for a, t, d in logs])).digest()


def validate_transaction(
    state: State, block: BlockEnv, tx: Transaction, sender: bytes, gas_available: int
) -> tuple[int, int]:
    """Raise if ``tx`` is invalid here; return (effective gas price, blob gas fee)."""
    if intrinsic_gas(tx) > tx.gas_limit:
        raise IntrinsicGasTooLowError(f"intrinsic gas {intrinsic_gas(tx)} > limit {tx.gas_limit}")
    if tx.nonce >= NONCE_LIMIT:
        raise NonceOverflowError("nonce must be below 2**64 - 1")
    if tx.to is None and len(tx.data) > MAX_INIT_CODE_SIZE:
        raise InitCodeTooLargeError(f"init code of {len(tx.data)} bytes")
    if tx.gas_limit > gas_available:
        raise GasLimitExceededError(f"gas limit {tx.gas_limit} above {gas_available}")
    if tx.tx_type >= 2:
        if tx.max_fee_per_gas < tx.max_priority_fee_per_gas:
            raise PriorityFeeGreaterThanMaxFeeError("max priority fee above max fee")
        if tx.max_fee_per_gas < block.base_fee:
            raise FeeCapTooLowError("max fee below base fee")
        priority = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - block.base_fee)
        effective_gas_price = priority + block.base_fee
        max_gas_fee = tx.gas_limit * tx.max_fee_per_gas
    else:
        if tx.gas_price < block.base_fee:
            raise FeeCapTooLowError("gas price below base fee")
        effective_gas_price = tx.gas_price
        max_gas_fee = tx.gas_limit * tx.gas_price
    blob_fee = 0
    if tx.tx_type == 3:
        if tx.to is None:
            raise BlobTransactionError("blob transaction cannot create")
        if not tx.blob_versioned_hashes:
            raise BlobTransactionError("blob transaction without blobs")
        for h in tx.blob_versioned_hashes:
            if h[0] != VERSIONED_HASH_VERSION_KZG:
                raise BlobTransactionError("unsupported blob versioned hash version")
        total_blob_gas = GAS_PER_BLOB * len(tx.blob_versioned_hashes)
        if total_blob_gas > MAX_BLOB_GAS_PER_BLOCK:
            raise BlobTransactionError("too many blobs")
        price = blob_gas_price(block.excess_blob_gas)
        if tx.max_fee_per_blob_gas < price:
            raise BlobTransactionError("max fee per blob gas below blob base fee")
        max_gas_fee += total_blob_gas * tx.max_fee_per_blob_gas
        blob_fee = total_blob_gas * price
    account = state.get_or_empty(sender)
    if account.nonce != tx.nonce:
        raise NonceMismatchError(f"nonce {tx.nonce} != account nonce {account.nonce}")
    if account.balance < max_gas_fee + tx.value:
        raise InsufficientBalanceError("insufficient funds for gas * price + value")
    if account.code:
        raise SenderNotEoaError("sender has code (EIP-3607)")
    return effective_gas_price, blob_fee


def apply_transaction(
    backend: StateBackend,
    block: BlockEnv,
    tx: Transaction,
    sender: bytes | None = None,
    *,
    gas_available: int | None = None,
    cumulative_gas_used: int = 0,
    step_hook: StepHook | None = None,
    exit_hook: ExitHook | None = None,
) -> TxResult:
    """Validate and execute ``tx``; apply its diff to ``backend``; return the result.

    Raises an :class:`~agents.evm.exceptions.InvalidTransaction` (backend untouched) if
    the transaction cannot be included. ``sender`` skips signature recovery when the
    caller already knows it. ``step_hook`` / ``exit_hook`` enable trace mode (see
    :mod:`agents.evm.interpreter`).
    """
    if sender is None:
        sender = recover_sender(tx, block.chain_id)
    state = State(backend)
    if gas_available is None:
        gas_available = block.gas_limit - cumulative_gas_used
    gas_price, blob_fee = validate_transaction(state, block, tx, sender, gas_available)

    # Buy gas.
    sender_acct = state.get_or_empty(sender)
    state.increment_nonce(sender)
    state.set_balance(sender, sender_acct.balance - tx.gas_limit * gas_price - blob_fee)
    gas = tx.gas_limit - intrinsic_gas(tx)

    # EIP-2929 / EIP-3651 pre-warming and the access list.
    state.warm_addresses.update(_WARM_PRECOMPILES)  # never reverted: no journal entries
    state.warm_address(sender)
    state.warm_address(block.coinbase)
    for address, keys in tx.access_list:
        state.warm_address(address)
        for key in keys:
            state.warm_slot(address, key)

    ctx = Context(
        state=state,
        block=block,
        tx=TxEnv(
            origin=sender, gas_price=gas_price, blob_versioned_hashes=tx.blob_versioned_hashes
        ),
        step_hook=step_hook,
        exit_hook=exit_hook,
    )
    contract_address: bytes | None = None
    if tx.to is None:
        contract_address = compute_contract_address(sender, sender_acct.nonce)
        state.warm_address(contract_address)
        frame = Frame(
            code=tx.data,
            gas_left=gas,
            caller=sender,
            address=contract_address,
            code_address=None,
            value=tx.value,
            calldata=b"",
            depth=0,
            is_static=False,
            is_create=True,
            ctx=ctx,
        )
        if state.has_collision(contract_address):
            frame.gas_left = 0
            frame.error = AddressCollision()
        else:
            process_create_message(frame)
    else:
        state.warm_address(tx.to)
        frame = Frame(
            code=state.get_code(tx.to),
            gas_left=gas,
            caller=sender,
            address=tx.to,
            code_address=tx.to,
            value=tx.value,
            calldata=tx.data,
            depth=0,
            is_static=False,
            is_create=False,
            ctx=ctx,
        )
        process_message(frame)
        if state.exists_and_empty(tx.to):
            state.mark_touched(tx.to)

    success = frame.error is None
    logs = frame.logs if success else []
    refund_counter = frame.refund_counter if success else 0
    gas_used = tx.gas_limit - frame.gas_left
    refund = min(gas_used // MAX_REFUND_QUOTIENT, refund_counter)
    total_gas_used = gas_used - refund

    # Refund unused gas, pay the fees.
    state.set_balance(sender, state.get_balance(sender) + (frame.gas_left + refund) * gas_price)
    priority_fee = total_gas_used * (gas_price - block.base_fee)
    recipient = block.priority_fee_recipient or block.coinbase
    if priority_fee != 0:
        state.set_balance(recipient, state.get_balance(recipient) + priority_fee)
    elif state.exists_and_empty(recipient):
        state.destroy_account(recipient)
    if block.base_fee_recipient is not None and block.base_fee:
        base_fee_total = total_gas_used * block.base_fee
        state.set_balance(
            block.base_fee_recipient,
            state.get_balance(block.base_fee_recipient) + base_fee_total,
        )

    for address in list(state.destroyed):
        state.destroy_account(address)
    state.destroy_touched_empty()

    root = backend.apply(state.diff())
    receipt = Receipt(
        tx_type=tx.tx_type,
        success=success,
        cumulative_gas_used=cumulative_gas_used + total_gas_used,
        bloom=logs_bloom(logs),
        logs=logs,
    )
    return TxResult(
        gas_used=total_gas_used,
        success=success,
        output=frame.output,
        logs=logs,
        receipt=receipt,
        state_root=root,
        contract_address=contract_address if success else None,
        error=frame.error,
        refund=refund,
    )
