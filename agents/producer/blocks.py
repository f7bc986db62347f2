"""Rollup blocks: the format, the hash, the codec, and the one block-execution function.

A :class:`Block` is what a producer seals and what verifiers re-execute and post in
packs. Its hash follows the GRANDPA rule of :mod:`agents.producer.finality.messages`::

    hash      = keccak256(parent_hash(32) || number(u64 big-endian) || body_root(32))
    body_root = keccak256(RLP([timestamp_ms, producer, gas_limit, gas_used, base_fee,
                               transactions_root, tx_roots_commitment, state_root,
                               receipts_root, logs_bloom]))

so a finality certificate's 72-byte ancestry headers are checkable offline and the
body root commits to everything else. ``transactions_root`` and ``receipts_root`` are
Ethereum's ordered Merkle-Patricia trie roots (of the raw transactions and of the
consensus receipt encodings); ``tx_roots_commitment`` is the ``TxRootsMerkle`` root
(:mod:`agents.dispute.merkle`) over ``tx_state_roots`` (the state root after each
transaction, exactly what a pack's ``txRootsCommitment`` commits when the pack holds
this one block), and ``ZERO_HASH`` for an empty block. ``state_root`` is the SMT world
state root of :mod:`agents.evm.store` after the block (the last per-transaction root,
or the parent's root for an empty block).

:func:`execute_block` is pure over its inputs (a state backend positioned at the
parent's state root, the parent block, the candidate transactions, a
:class:`BlockContext`): the producer calls it to build blocks, and verifiers (and
``altrollup verify``) call :func:`reexecute_block` to check one. Invalid transactions
are not included; each comes back as a :class:`SkippedTx` with its reason, and whether
it may become valid later (``retry``: nonce ahead of the account, or no room left in
this block's gas) or never (``retry=False``: bad encoding or signature, nonce already
used, insufficient funds, ...). The format is documented in ``docs/node.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sha3 import keccak_256

from agents.dispute import merkle as tx_roots_merkle
from agents.evm import rlp
from agents.evm.backend import StateBackend
from agents.evm.exceptions import (
    GasLimitExceededError,
    InvalidTransaction,
    NonceMismatchError,
)
from agents.evm.mpt import EMPTY_TRIE_ROOT, ordered_trie_root
from agents.evm.processing import Receipt, TxResult, apply_transaction, logs_bloom
from agents.evm.transactions import Transaction, decode_transaction, recover_sender
from agents.evm.vm import BlockEnv, Log
from agents.producer.finality.messages import Block as FinalityBlock
from agents.producer.finality.messages import block_hash as finality_block_hash

ZERO_HASH = bytes(32)
ZERO_ADDRESS = bytes(20)
EMPTY_BLOOM = bytes(256)
MAX_U64 = 2**64 - 1
ELASTICITY_MULTIPLIER = 2  # EIP-1559: gas target = gas limit / 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8  # EIP-1559: at most 12.5 % per block
BLOCK_HASH_WINDOW = 256  # BLOCKHASH sees the 256 most recent blocks


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``."""
    return keccak_256(data).digest()


class BlockFormatError(ValueError):
    """An encoded block (RLP or JSON) is malformed or internally inconsistent."""


# --- configuration and environment ------------------------------------------------------
@dataclass(frozen=True)
class ChainConfig:
    """Chain-wide constants every producer and verifier must share."""

    chain_id: int
    gas_limit: int = 30_000_000
    min_base_fee: int = 0  # floor of the EIP-1559 base fee, in wei


def next_base_fee(parent: Block, config: ChainConfig) -> int:
    """EIP-1559 base fee of the child of ``parent`` (floored at ``config.min_base_fee``).

    The genesis block's base fee comes from the genesis file; every later block's is
    fixed by its parent, so verifiers check it like any other header field.
    """
    target = parent.gas_limit // ELASTICITY_MULTIPLIER
    fee = parent.base_fee
    if target == 0 or parent.gas_used == target:
        new_fee = fee
    elif parent.gas_used > target:
        delta = fee * (parent.gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        new_fee = fee + max(delta, 1)
    else:
        delta = fee * (target - parent.gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        new_fee = fee - delta
    return max(new_fee, config.min_base_fee)


def _no_block_hashes(number: int) -> bytes:  # noqa: ARG001 - BLOCKHASH callback signature
    return ZERO_HASH


@dataclass(frozen=True)
class BlockContext:
    """Everything about the block being built that is not a transaction.

    ``block_hash(n)`` must return the hash of block ``n`` of this chain for the 256
    blocks below the new one (BLOCKHASH); the EVM never asks for others. PREVRANDAO is
    the parent hash (deterministic, known to every verifier).
    """

    timestamp_ms: int
    producer: bytes
    chain_id: int
    gas_limit: int
    base_fee: int
    block_hash: Callable[[int], bytes] = _no_block_hashes

    @property
    def timestamp(self) -> int:
        """EVM-visible timestamp (seconds)."""
        return self.timestamp_ms // 1000


def next_block_context(
    parent: Block,
    config: ChainConfig,
    timestamp_ms: int,
    producer: bytes,
    block_hash: Callable[[int], bytes] = _no_block_hashes,
) -> BlockContext:
    """The context of the child of ``parent``: timestamps never go backwards."""
    return BlockContext(
        timestamp_ms=max(timestamp_ms, parent.timestamp_ms),
        producer=producer,
        chain_id=config.chain_id,
        gas_limit=config.gas_limit,
        base_fee=next_base_fee(parent, config),
        block_hash=block_hash,
    )


def context_of(block: Block, chain_id: int, block_hash: Callable[[int], bytes]) -> BlockContext:
    """The context a verifier re-executes ``block`` in (taken from its header)."""
    return BlockContext(
        timestamp_ms=block.timestamp_ms,
        producer=block.producer,
        chain_id=chain_id,
        gas_limit=block.gas_limit,
        base_fee=block.base_fee,
        block_hash=block_hash,
    )


# --- the block -------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A sealed rollup block (header fields plus the body: raw transactions and roots)."""

    parent_hash: bytes
    number: int
    timestamp_ms: int
    producer: bytes
    gas_limit: int
    gas_used: int
    base_fee: int
    transactions_root: bytes
    tx_roots_commitment: bytes
    state_root: bytes
    receipts_root: bytes
    logs_bloom: bytes
    tx_state_roots: tuple[bytes, ...] = ()
    transactions: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        for name in ("parent_hash", "transactions_root", "tx_roots_commitment", "state_root",
                     "receipts_root"):  # fmt: skip
            if len(getattr(self, name)) != 32:
                raise BlockFormatError(f"{name} must be 32 bytes")
        if len(self.producer) != 20:
            raise BlockFormatError("producer must be a 20-byte address")
        if len(self.logs_bloom) != 256:
            raise BlockFormatError("logs_bloom must be 256 bytes")
        for name in ("number", "timestamp_ms", "gas_limit", "gas_used"):
            if not 0 <= getattr(self, name) <= MAX_U64:
                raise BlockFormatError(f"{name} out of u64 range")
        if not 0 <= self.base_fee < 2**256:
            raise BlockFormatError("base_fee out of u256 range")
        if len(self.tx_state_roots) != len(self.transactions):
            raise BlockFormatError("one state root per transaction is required")
        if any(len(root) != 32 for root in self.tx_state_roots):
            raise BlockFormatError("every per-transaction state root must be 32 bytes")

    @property
    def timestamp(self) -> int:
        """EVM-visible timestamp (seconds), what ``eth_getBlockBy*`` reports."""
        return self.timestamp_ms // 1000

    def header_fields(self) -> list[object]:
        """The fields committed by :attr:`body_root`, in order."""
        return [
            self.timestamp_ms, self.producer, self.gas_limit, self.gas_used, self.base_fee,
            self.transactions_root, self.tx_roots_commitment, self.state_root,
            self.receipts_root, self.logs_bloom,
        ]  # fmt: skip

    @cached_property
    def body_root(self) -> bytes:
        return keccak(rlp.encode(self.header_fields()))

    @cached_property
    def hash(self) -> bytes:
        return finality_block_hash(self.parent_hash, self.number, self.body_root)

    def finality_block(self) -> FinalityBlock:
        """This block as GRANDPA sees it (parent, number, body root)."""
        return FinalityBlock(self.parent_hash, self.number, self.body_root)

    def transaction_hashes(self) -> list[bytes]:
        return [keccak(raw) for raw in self.transactions]

    # --- RLP codec ---
    def encode(self) -> bytes:
        """``RLP([parent_hash, number, timestamp_ms, producer, gas_limit, gas_used,
        base_fee, transactions_root, tx_roots_commitment, state_root, receipts_root,
        logs_bloom, [tx_state_root...], [raw_tx...]])``."""
        return rlp.encode(
            [self.parent_hash, self.number, *self.header_fields(),
             list(self.tx_state_roots), list(self.transactions)]
        )  # fmt: skip

    @classmethod
    def decode(cls, data: bytes) -> Block:
        """Inverse of :meth:`encode`; raises :class:`BlockFormatError`."""
        try:
            item = rlp.decode(data)
        except rlp.RLPDecodingError as exc:
            raise BlockFormatError(f"block rlp: {exc}") from None
        if not isinstance(item, list) or len(item) != 14:
            raise BlockFormatError("block rlp: expected a list of 14 fields")
        roots, txs = item[12], item[13]
        if not isinstance(roots, list) or not isinstance(txs, list):
            raise BlockFormatError("block rlp: state roots and transactions must be lists")
        if any(not isinstance(x, bytes) for x in roots + txs):
            raise BlockFormatError("block rlp: state roots and transactions must be strings")
        f = [_rlp_bytes(x, i) for i, x in enumerate(item[:12])]
        return cls(
            parent_hash=f[0], number=_rlp_uint(f[1], 1), timestamp_ms=_rlp_uint(f[2], 2),
            producer=f[3], gas_limit=_rlp_uint(f[4], 4), gas_used=_rlp_uint(f[5], 5),
            base_fee=_rlp_uint(f[6], 6), transactions_root=f[7], tx_roots_commitment=f[8],
            state_root=f[9], receipts_root=f[10], logs_bloom=f[11],
            tx_state_roots=tuple(roots), transactions=tuple(txs),  # type: ignore[arg-type]
        )  # fmt: skip

    # --- JSON codec (altrollup_getBlockForVerifier) ---
    def to_json(self) -> dict[str, Any]:
        return {
            "hash": _hex(self.hash),
            "parentHash": _hex(self.parent_hash),
            "number": hex(self.number),
            "timestampMs": hex(self.timestamp_ms),
            "producer": _hex(self.producer),
            "gasLimit": hex(self.gas_limit),
            "gasUsed": hex(self.gas_used),
            "baseFeePerGas": hex(self.base_fee),
            "transactionsRoot": _hex(self.transactions_root),
            "txRootsCommitment": _hex(self.tx_roots_commitment),
            "stateRoot": _hex(self.state_root),
            "receiptsRoot": _hex(self.receipts_root),
            "logsBloom": _hex(self.logs_bloom),
            "bodyRoot": _hex(self.body_root),
            "txStateRoots": [_hex(r) for r in self.tx_state_roots],
            "transactions": [_hex(t) for t in self.transactions],
            "rlp": _hex(self.encode()),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Block:
        """Inverse of :meth:`to_json`; ``hash``/``bodyRoot``/``rlp`` are checked if present."""
        try:
            block = cls(
                parent_hash=_unhex(data["parentHash"]),
                number=int(data["number"], 16),
                timestamp_ms=int(data["timestampMs"], 16),
                producer=_unhex(data["producer"]),
                gas_limit=int(data["gasLimit"], 16),
                gas_used=int(data["gasUsed"], 16),
                base_fee=int(data["baseFeePerGas"], 16),
                transactions_root=_unhex(data["transactionsRoot"]),
                tx_roots_commitment=_unhex(data["txRootsCommitment"]),
                state_root=_unhex(data["stateRoot"]),
                receipts_root=_unhex(data["receiptsRoot"]),
                logs_bloom=_unhex(data["logsBloom"]),
                tx_state_roots=tuple(_unhex(r) for r in data["txStateRoots"]),
                transactions=tuple(_unhex(t) for t in data["transactions"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, BlockFormatError):
                raise
            raise BlockFormatError(f"block json: {type(exc).__name__}: {exc}") from None
        for key, value in (("hash", block.hash), ("bodyRoot", block.body_root)):
            if key in data and _unhex(data[key]) != value:
                raise BlockFormatError(f"block json: {key} does not match the fields")
        return block


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _unhex(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise BlockFormatError(f"expected a 0x-prefixed hex string, got {value!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise BlockFormatError(f"invalid hex string {value!r}") from None


def _rlp_bytes(item: rlp.RLPItem, index: int) -> bytes:
    if not isinstance(item, bytes):
        raise BlockFormatError(f"block rlp: field {index} must be a string")
    return item


def _rlp_uint(data: bytes, index: int) -> int:
    if data[:1] == b"\x00":
        raise BlockFormatError(f"block rlp: integer field {index} has leading zeros")
    return int.from_bytes(data, "big")


def tx_roots_commitment(roots: Sequence[bytes]) -> bytes:
    """``TxRootsMerkle`` commitment of per-transaction roots (``ZERO_HASH`` if none)."""
    return tx_roots_merkle.commitment(roots) if roots else ZERO_HASH


def genesis_block(state_root: bytes, timestamp_ms: int, gas_limit: int, base_fee: int) -> Block:
    """Block 0: no parent, no transactions, the genesis allocation's state root."""
    return Block(
        parent_hash=ZERO_HASH,
        number=0,
        timestamp_ms=timestamp_ms,
        producer=ZERO_ADDRESS,
        gas_limit=gas_limit,
        gas_used=0,
        base_fee=base_fee,
        transactions_root=EMPTY_TRIE_ROOT,
        tx_roots_commitment=ZERO_HASH,
        state_root=state_root,
        receipts_root=EMPTY_TRIE_ROOT,
        logs_bloom=EMPTY_BLOOM,
    )


# --- receipts and skipped transactions -------------------------------------------------
@dataclass(frozen=True)
class BlockReceipt:
    """The outcome of one included transaction (what ``eth_getTransactionReceipt`` shows)."""

    tx_hash: bytes
    index: int
    tx_type: int
    sender: bytes
    to: bytes | None
    nonce: int
    contract_address: bytes | None
    success: bool
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    logs: tuple[Log, ...]
    state_root: bytes  # the world state root right after this transaction

    @property
    def bloom(self) -> bytes:
        return logs_bloom(list(self.logs))

    def consensus_encoding(self) -> bytes:
        """Ethereum's receipt encoding (receipts trie leaf)."""
        return Receipt(
            self.tx_type, self.success, self.cumulative_gas_used, self.bloom, list(self.logs)
        ).encode()

    def encode(self) -> bytes:
        """Storage encoding: RLP of every field (logs as ``[address, [topics], data]``)."""
        return rlp.encode(
            [self.tx_hash, self.index, self.tx_type, self.sender, self.to or b"", self.nonce,
             self.contract_address or b"", 1 if self.success else 0, self.gas_used,
             self.cumulative_gas_used, self.effective_gas_price,
             [[a, list(t), d] for a, t, d in self.logs], self.state_root]
        )  # fmt: skip

    @classmethod
    def decode(cls, data: bytes) -> BlockReceipt:
        item = rlp.decode(data)
        if not isinstance(item, list) or len(item) != 13:
            raise BlockFormatError("receipt rlp: expected 13 fields")
        f: list[Any] = item
        logs = tuple((a, tuple(t), d) for a, t, d in f[11])
        return cls(
            tx_hash=f[0], index=_rlp_uint(f[1], 1), tx_type=_rlp_uint(f[2], 2), sender=f[3],
            to=f[4] or None, nonce=_rlp_uint(f[5], 5), contract_address=f[6] or None,
            success=f[7] == b"\x01", gas_used=_rlp_uint(f[8], 8),
            cumulative_gas_used=_rlp_uint(f[9], 9), effective_gas_price=_rlp_uint(f[10], 10),
            logs=logs, state_root=f[12],
        )  # fmt: skip


@dataclass(frozen=True)
class SkippedTx:
    """A candidate left out of the block, with the reason (never dropped silently).

    ``retry`` is true when the transaction may become valid in a later block (its nonce
    is ahead of the account's, or this block's gas is used up); false when it never can
    (the producer then retires it).
    """

    position: int  # index in the candidate list
    tx_hash: bytes
    sender: bytes | None
    reason: str
    detail: str
    retry: bool


@dataclass(frozen=True)
class ExecutedBlock:
    """What :func:`execute_block` returns."""

    block: Block
    receipts: tuple[BlockReceipt, ...]
    skipped: tuple[SkippedTx, ...] = field(default=())


def _effective_gas_price(tx: Transaction, base_fee: int) -> int:
    if tx.tx_type >= 2:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


@dataclass(frozen=True)
class _Applied:
    tx: Transaction
    sender: bytes
    result: TxResult


def _try_transaction(
    backend: StateBackend, env: BlockEnv, raw: bytes, sender: bytes | None, cumulative: int
) -> _Applied | tuple[bytes | None, tuple[str, str, bool]]:
    """Apply one candidate, or say why it cannot be included: ``(sender, reason)``."""
    try:
        tx = decode_transaction(raw)
        if tx.tx_type == 3:
            return sender, ("type_not_supported", "blob transactions are not accepted", False)
        if sender is None:
            sender = recover_sender(tx, env.chain_id)
    except InvalidTransaction as exc:
        return sender, (_reason_of(exc), str(exc), False)
    if tx.gas_limit > env.gas_limit:
        return sender, ("gas_limit_exceeded", f"gas limit {tx.gas_limit} above the block's", False)
    try:
        result = apply_transaction(backend, env, tx, sender, cumulative_gas_used=cumulative)
    except GasLimitExceededError as exc:
        return sender, ("block_full", str(exc), True)
    except NonceMismatchError as exc:
        account = backend.get_account(sender)
        ahead = tx.nonce > (account.nonce if account is not None else 0)
        return sender, ("nonce_too_high" if ahead else "nonce_too_low", str(exc), ahead)
    except InvalidTransaction as exc:
        return sender, (_reason_of(exc), str(exc), False)
    return _Applied(tx, sender, result)


def _reason_of(exc: InvalidTransaction) -> str:
    """``NonceMismatchError`` -> ``nonce_mismatch`` (a short, stable metric label)."""
    name = type(exc).__name__.removesuffix("Error")
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


# --- execution ---------------------------------------------------------------------------
def execute_block(
    backend: StateBackend,
    parent: Block,
    transactions: Sequence[bytes],
    context: BlockContext,
    senders: Mapping[bytes, bytes] | None = None,
    max_transactions: int | None = None,
) -> ExecutedBlock:
    """Execute ``transactions`` (raw, in order) on top of ``parent`` and seal the block.

    ``backend`` must be at ``parent.state_root``; it is left at the new block's state
    root (every included transaction is applied, one ``backend.apply`` each). A
    candidate that cannot be included is skipped (see :class:`SkippedTx`); the rest of
    the list is still tried, and a candidate skipped because its nonce was ahead is
    tried again right after its sender's previous nonce is included: the block's
    transaction order is the order of inclusion. ``senders`` (tx hash ->
    sender) skips signature recovery for transactions whose sender is already known.
    ``max_transactions`` caps the number included (the rest is skipped, ``retry=True``).
    """
    if backend.state_root() != parent.state_root:
        raise ValueError(
            f"backend is at root 0x{backend.state_root().hex()}, parent block"
            f" {parent.number} has 0x{parent.state_root.hex()}"
        )
    env = BlockEnv(
        coinbase=context.producer,
        number=parent.number + 1,
        timestamp=context.timestamp,
        gas_limit=context.gas_limit,
        prev_randao=parent.hash,
        base_fee=context.base_fee,
        chain_id=context.chain_id,
        block_hashes=context.block_hash,
    )
    included: list[bytes] = []
    receipts: list[BlockReceipt] = []
    seen: set[bytes] = set()
    known = senders or {}

    def attempt(position: int, raw: bytes) -> SkippedTx | None:
        """Include one candidate, or say why not."""
        tx_hash = keccak(raw)
        sender = known.get(tx_hash)
        if tx_hash in seen:
            return SkippedTx(position, tx_hash, sender, "duplicate",
                             "transaction already in this block", False)  # fmt: skip
        if max_transactions is not None and len(included) >= max_transactions:
            limit = f"block holds at most {max_transactions} transactions"
            return SkippedTx(position, tx_hash, sender, "block_full", limit, True)
        cumulative = receipts[-1].cumulative_gas_used if receipts else 0
        outcome = _try_transaction(backend, env, raw, sender, cumulative)
        if isinstance(outcome, tuple):
            return SkippedTx(position, tx_hash, outcome[0], *outcome[1])
        tx, result = outcome.tx, outcome.result
        seen.add(tx_hash)
        included.append(raw)
        receipts.append(
            BlockReceipt(
                tx_hash=tx_hash,
                index=len(receipts),
                tx_type=tx.tx_type,
                sender=outcome.sender,
                to=tx.to,
                nonce=tx.nonce,
                contract_address=result.contract_address,
                success=result.success,
                gas_used=result.gas_used,
                cumulative_gas_used=cumulative + result.gas_used,
                effective_gas_price=_effective_gas_price(tx, context.base_fee),
                logs=tuple(result.logs),
                state_root=result.state_root,
            )
        )
        return None

    # A candidate whose nonce is ahead waits for its predecessor: when (sender, n) is
    # included, the waiting (sender, n + 1) is tried right after it, then n + 2, ...
    # Linear in the candidates, and fixed by the candidate order alone.
    skipped: dict[int, SkippedTx] = {}
    waiting: dict[tuple[bytes, int], int] = {}
    for position, raw in enumerate(transactions):
        skip = attempt(position, raw)
        if skip is not None:
            skipped[position] = skip
            if skip.reason == "nonce_too_high" and skip.sender is not None:
                waiting[(skip.sender, decode_transaction(raw).nonce)] = position
            continue
        last = receipts[-1]
        key = (last.sender, last.nonce + 1)
        while key in waiting:
            follower = waiting.pop(key)
            again = attempt(follower, transactions[follower])
            if again is not None:
                skipped[follower] = again
                break
            del skipped[follower]
            key = (key[0], key[1] + 1)
    cumulative = receipts[-1].cumulative_gas_used if receipts else 0
    roots = tuple(r.state_root for r in receipts)
    bloom = bytearray(256)
    for receipt in receipts:
        for i, byte in enumerate(receipt.bloom):
            bloom[i] |= byte
    block = Block(
        parent_hash=parent.hash,
        number=parent.number + 1,
        timestamp_ms=context.timestamp_ms,
        producer=context.producer,
        gas_limit=context.gas_limit,
        gas_used=cumulative,
        base_fee=context.base_fee,
        transactions_root=ordered_trie_root(included) if included else EMPTY_TRIE_ROOT,
        tx_roots_commitment=tx_roots_commitment(roots),
        state_root=roots[-1] if roots else parent.state_root,
        receipts_root=(
            ordered_trie_root([r.consensus_encoding() for r in receipts])
            if receipts
            else EMPTY_TRIE_ROOT
        ),
        logs_bloom=bytes(bloom),
        tx_state_roots=roots,
        transactions=tuple(included),
    )
    return ExecutedBlock(block, tuple(receipts), tuple(skipped[p] for p in sorted(skipped)))


def check_block_body(block: Block) -> list[str]:
    """Consistency of a block with itself (no execution): roots recomputed from the body.

    Returns the list of mismatches (empty when consistent).
    """
    problems = []
    expected_tx_root = (
        ordered_trie_root(list(block.transactions)) if block.transactions else EMPTY_TRIE_ROOT
    )
    if block.transactions_root != expected_tx_root:
        problems.append("transactions_root does not match the transactions")
    if block.tx_roots_commitment != tx_roots_commitment(block.tx_state_roots):
        problems.append("tx_roots_commitment does not match the per-transaction roots")
    if block.tx_state_roots and block.state_root != block.tx_state_roots[-1]:
        problems.append("state_root is not the last per-transaction root")
    return problems


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`reexecute_block`."""

    ok: bool
    mismatches: tuple[str, ...]
    executed: ExecutedBlock


def reexecute_block(
    backend: StateBackend,
    parent: Block,
    block: Block,
    chain: ChainConfig,
    block_hash: Callable[[int], bytes],
) -> Verification:
    """Re-execute ``block`` on ``backend`` (at ``parent.state_root``) and compare.

    Checks the header against the parent (number, parent hash, timestamp, base fee, gas
    limit) and every field of the re-executed block (per-transaction roots, receipts,
    gas, bloom, hash). A block holding a transaction that cannot be included is wrong.
    """
    mismatches: list[str] = []
    if block.number != parent.number + 1:
        mismatches.append(f"number {block.number} is not parent {parent.number} + 1")
    if block.parent_hash != parent.hash:
        mismatches.append("parent_hash is not the parent's hash")
    if block.timestamp_ms < parent.timestamp_ms:
        mismatches.append("timestamp goes backwards")
    if block.gas_limit != chain.gas_limit:
        mismatches.append(f"gas_limit {block.gas_limit} != chain gas limit {chain.gas_limit}")
    if block.base_fee != next_base_fee(parent, chain):
        mismatches.append(f"base_fee {block.base_fee} != {next_base_fee(parent, chain)}")
    executed = execute_block(
        backend, parent, block.transactions, context_of(block, chain.chain_id, block_hash)
    )
    for skip in executed.skipped:
        mismatches.append(
            f"transaction {skip.position} (0x{skip.tx_hash.hex()}) is invalid: {skip.reason}"
            f" ({skip.detail})"
        )
    mine = executed.block
    for index, (got, want) in enumerate(
        zip(mine.tx_state_roots, block.tx_state_roots, strict=False)
    ):
        if got != want:
            mismatches.append(
                f"state root after transaction {index}: block says 0x{want.hex()},"
                f" re-execution gives 0x{got.hex()}"
            )
            break
    for name in ("state_root", "receipts_root", "gas_used", "logs_bloom", "tx_roots_commitment",
                 "transactions_root"):  # fmt: skip
        if getattr(mine, name) != getattr(block, name):
            mismatches.append(f"{name} differs from re-execution")
    if not mismatches and mine.hash != block.hash:
        mismatches.append("block hash differs from re-execution")
    return Verification(not mismatches, tuple(mismatches), executed)
