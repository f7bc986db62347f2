"""The rollup's Ethereum JSON-RPC API, served by the producer node on its intake port.

Standard methods behave like geth's so unmodified web3.py, ape and cast work: chain and
block queries, transactions and receipts, account state at any block (every block's
state root stays readable in the :class:`~agents.evm.store.MerkleStore`), ``eth_call``,
``eth_estimateGas``, fees, ``eth_getLogs``, ``eth_sendRawTransaction`` (into the
intake) and ``eth_getProof`` against the rollup's own sparse-Merkle commitment. Block
selectors: a number, ``latest`` / ``pending`` (the head: blocks are sealed at once),
``earliest``, ``safe`` (highest tier-2 block), ``finalized`` (highest tier-3 block), a
block hash, or an EIP-1898 object.

Rollup methods: ``altrollup_getFinality(hash)`` (tier of a block or transaction),
``altrollup_getBlockForVerifier(number)`` (the block in the codec of
:mod:`agents.producer.blocks`), ``altrollup_nodeStatus()``.

Errors: -32602 for malformed parameters (``invalid argument N: ...``), -32000
``header not found`` for a state query at an unknown block, 3 ``execution reverted``
(with the revert data) from ``eth_call`` / ``eth_estimateGas``, -32000 with geth's
message for an invalid call (``intrinsic gas too low``, ``insufficient funds ...``),
-32001 ``not found`` from ``altrollup_getFinality`` for an unknown hash. The method
table and the ``eth_getProof`` format are in ``docs/node.md``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode

from agents.aggregator.validation import Admitted, Rejected, admit, parse_raw_param
from agents.evm import smt
from agents.evm.backend import EMPTY_CODE_HASH
from agents.evm.exceptions import (
    FeeCapTooLowError,
    InsufficientBalanceError,
    IntrinsicGasTooLowError,
    InvalidTransaction,
    NonceMismatchError,
    Revert,
)
from agents.evm.processing import TxResult, apply_transaction
from agents.evm.store import EMPTY_CODE_ROOT, StateProof
from agents.evm.transactions import Transaction, decode_transaction, intrinsic_gas
from agents.evm.vm import BlockEnv
from agents.producer.blocks import Block, BlockReceipt, keccak, next_base_fee
from agents.producer.chain import LockedView, OverlayBackend
from agents.producer.intake import IntakeService, submit_batch
from agents.producer.node import pending_nonce
from agents.rpc.server import INTERNAL_ERROR, INVALID_PARAMS, RpcError, positional_params

if TYPE_CHECKING:
    from agents.producer.node import ProducerNode

CLIENT_VERSION = "altrollup-producer/0.1.0"
HEADER_NOT_FOUND = -32000
CALL_ERROR = -32000
EXECUTION_REVERTED = 3
NOT_FOUND = -32001
LIMIT_EXCEEDED = -32005
MAX_LOG_RANGE = 10_000
MAX_LOG_RESULTS = 10_000
MAX_FEE_HISTORY = 1024
EMPTY_UNCLES_HASH = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
EMPTY_TRIE_ROOT_HEX = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
SMT_PROOF_TYPE = "altrollup-smt-v1"
ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)

# --- parameter parsing ------------------------------------------------------------------


def bad_param(index: int, message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid argument {index}: {message}")


def parse_hex_data(value: Any, index: int, length: int | None = None) -> bytes:
    """A ``0x``-prefixed byte string (of ``length`` bytes when given)."""
    if not isinstance(value, str):
        raise bad_param(index, "expected a hex string")
    if not value.startswith(("0x", "0X")):
        raise bad_param(index, "hex string without 0x prefix")
    if len(value) % 2:
        raise bad_param(index, "hex string of odd length")
    try:
        data = bytes.fromhex(value[2:])
    except ValueError:
        raise bad_param(index, "invalid hex string") from None
    if length is not None and len(data) != length:
        raise bad_param(index, f"hex string has length {2 * len(data)}, want {2 * length}")
    return data


def parse_address(value: Any, index: int) -> bytes:
    return parse_hex_data(value, index, 20)


def parse_quantity(value: Any, index: int, limit: int = 2**256) -> int:
    """A hex quantity (``0x1a``); plain JSON integers are accepted too."""
    if isinstance(value, bool):
        raise bad_param(index, "expected a hex quantity")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        if not value.startswith(("0x", "0X")):
            raise bad_param(index, "hex string without 0x prefix")
        digits = value[2:]
        if not digits:
            raise bad_param(index, 'hex string "0x"')
        if len(digits) > 1 and digits[0] == "0":
            raise bad_param(index, "hex number with leading zero digits")
        try:
            number = int(digits, 16)
        except ValueError:
            raise bad_param(index, "invalid hex number") from None
    else:
        raise bad_param(index, "expected a hex quantity")
    if not 0 <= number < limit:
        raise bad_param(index, "hex number out of range")
    return number


BLOCK_TAGS = ("latest", "pending", "earliest", "safe", "finalized")


@dataclass(frozen=True)
class BlockSelector:
    """A parsed block parameter: a tag, a number or a hash."""

    tag: str | None = None
    number: int | None = None
    block_hash: bytes | None = None


def parse_block(value: Any, index: int) -> BlockSelector:
    """A block tag, number, hash, or EIP-1898 ``{"blockNumber"|"blockHash": ...}``."""
    if isinstance(value, dict):
        if "blockHash" in value:
            return BlockSelector(block_hash=parse_hex_data(value["blockHash"], index, 32))
        if "blockNumber" in value:
            return parse_block(value["blockNumber"], index)
        raise bad_param(index, "block object needs blockHash or blockNumber")
    if isinstance(value, str) and value in BLOCK_TAGS:
        return BlockSelector(tag=value)
    if isinstance(value, str) and len(value) == 66:
        return BlockSelector(block_hash=parse_hex_data(value, index, 32))
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise bad_param(index, f"unknown block tag {value!r}")
    return BlockSelector(number=parse_quantity(value, index, 2**64))


def parse_bool(value: Any, index: int) -> bool:
    if not isinstance(value, bool):
        raise bad_param(index, "expected a boolean")
    return value


# --- JSON shapes ------------------------------------------------------------------------


def hexb(data: bytes) -> str:
    return "0x" + data.hex()


def tx_json(raw: bytes, sender: bytes, block: Block | None, index: int | None) -> dict[str, Any]:
    """An Ethereum transaction object (``blockHash`` null while pending)."""
    tx = decode_transaction(raw)
    out: dict[str, Any] = {
        "hash": hexb(keccak(raw)),
        "type": hex(tx.tx_type),
        "nonce": hex(tx.nonce),
        "from": hexb(sender),
        "to": None if tx.to is None else hexb(tx.to),
        "value": hex(tx.value),
        "gas": hex(tx.gas_limit),
        "input": hexb(tx.data),
        "blockHash": None if block is None else hexb(block.hash),
        "blockNumber": None if block is None else hex(block.number),
        "transactionIndex": None if index is None else hex(index),
        "v": hex(tx.v),
        "r": hex(tx.r),
        "s": hex(tx.s),
    }
    if tx.tx_type == 0:
        out["gasPrice"] = hex(tx.gas_price)
        if tx.v >= 35:
            out["chainId"] = hex((tx.v - 35) // 2)
    else:
        out["chainId"] = hex(tx.chain_id or 0)
        out["yParity"] = hex(tx.v)
        out["accessList"] = [
            {"address": hexb(a), "storageKeys": ["0x" + k.to_bytes(32, "big").hex() for k in ks]}
            for a, ks in tx.access_list
        ]
        if tx.tx_type == 1:
            out["gasPrice"] = hex(tx.gas_price)
        else:
            out["maxFeePerGas"] = hex(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas)
            base = block.base_fee if block is not None else 0
            price = min(tx.max_fee_per_gas, base + tx.max_priority_fee_per_gas)
            out["gasPrice"] = hex(price if block is not None else tx.max_fee_per_gas)
    return out


def log_json(
    block: Block, receipt: BlockReceipt, log_index: int, log: tuple[bytes, tuple[bytes, ...], bytes]
) -> dict[str, Any]:
    address, topics, data = log
    return {
        "address": hexb(address),
        "topics": [hexb(t) for t in topics],
        "data": hexb(data),
        "blockNumber": hex(block.number),
        "blockHash": hexb(block.hash),
        "blockTimestamp": hex(block.timestamp),
        "transactionHash": hexb(receipt.tx_hash),
        "transactionIndex": hex(receipt.index),
        "logIndex": hex(log_index),
        "removed": False,
    }


def receipt_json(block: Block, receipt: BlockReceipt, first_log_index: int) -> dict[str, Any]:
    return {
        "transactionHash": hexb(receipt.tx_hash),
        "transactionIndex": hex(receipt.index),
        "blockHash": hexb(block.hash),
        "blockNumber": hex(block.number),
        "from": hexb(receipt.sender),
        "to": None if receipt.to is None else hexb(receipt.to),
        "cumulativeGasUsed": hex(receipt.cumulative_gas_used),
        "gasUsed": hex(receipt.gas_used),
        "effectiveGasPrice": hex(receipt.effective_gas_price),
        "contractAddress": None
        if receipt.contract_address is None
        else hexb(receipt.contract_address),
        "logs": [
            log_json(block, receipt, first_log_index + i, log) for i, log in enumerate(receipt.logs)
        ],
        "logsBloom": hexb(receipt.bloom),
        "type": hex(receipt.tx_type),
        "status": "0x1" if receipt.success else "0x0",
        "stateRoot": hexb(receipt.state_root),
    }


def block_json(block: Block, full: bool, receipts: list[BlockReceipt] | None) -> dict[str, Any]:
    hashes = block.transaction_hashes()
    if full:
        assert receipts is not None
        txs: list[Any] = [
            tx_json(raw, r.sender, block, i)
            for i, (raw, r) in enumerate(zip(block.transactions, receipts, strict=True))
        ]
    else:
        txs = [hexb(h) for h in hashes]
    return {
        "number": hex(block.number),
        "hash": hexb(block.hash),
        "parentHash": hexb(block.parent_hash),
        "nonce": "0x0000000000000000",
        "sha3Uncles": EMPTY_UNCLES_HASH,
        "logsBloom": hexb(block.logs_bloom),
        "transactionsRoot": hexb(block.transactions_root),
        "stateRoot": hexb(block.state_root),
        "receiptsRoot": hexb(block.receipts_root),
        "miner": hexb(block.producer),
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": "0x",
        "size": hex(len(block.encode())),
        "gasLimit": hex(block.gas_limit),
        "gasUsed": hex(block.gas_used),
        "timestamp": hex(block.timestamp),
        "mixHash": hexb(block.parent_hash),
        "baseFeePerGas": hex(block.base_fee),
        "withdrawals": [],
        "withdrawalsRoot": EMPTY_TRIE_ROOT_HEX,
        "transactions": txs,
        "uncles": [],
        "bodyRoot": hexb(block.body_root),
        "txRootsCommitment": hexb(block.tx_roots_commitment),
        "timestampMs": hex(block.timestamp_ms),
    }


def encode_smt_proof(proof: smt.SmtProof) -> list[str]:
    """An SMT proof as a list of byte strings (what ``accountProof`` / ``proof`` hold):

    ``[depth(u16) || flags(u8), siblingBitmap(32), sibling..., (terminal path(32),
    terminal value(32) if flags & 1), (deepest sibling preimage if flags & 2)]``.
    """
    flags = (1 if proof.terminal_leaf is not None else 0) | (
        2 if proof.deepest_sibling_preimage is not None else 0
    )
    items = [proof.depth.to_bytes(2, "big") + bytes([flags]),
             proof.sibling_bitmap.to_bytes(32, "big"), *proof.siblings]  # fmt: skip
    if proof.terminal_leaf is not None:
        items += [proof.terminal_leaf[0], proof.terminal_leaf[1]]
    if proof.deepest_sibling_preimage is not None:
        items.append(proof.deepest_sibling_preimage)
    return [hexb(item) for item in items]


def decode_smt_proof(items: list[bytes]) -> smt.SmtProof:
    """Inverse of :func:`encode_smt_proof` (raises ``ValueError`` on a malformed list)."""
    if len(items) < 2 or len(items[0]) != 3 or len(items[1]) != 32:
        raise ValueError("an SMT proof starts with depth||flags (3 bytes) and a 32-byte bitmap")
    depth, flags = int.from_bytes(items[0][:2], "big"), items[0][2]
    bitmap = int.from_bytes(items[1], "big")
    count = bin(bitmap).count("1")
    siblings = tuple(items[2 : 2 + count])
    rest = items[2 + count :]
    terminal = None
    if flags & 1:
        if len(rest) < 2:
            raise ValueError("terminal leaf missing")
        terminal, rest = (rest[0], rest[1]), rest[2:]
    preimage = None
    if flags & 2:
        if len(rest) != 1:
            raise ValueError("deepest sibling preimage missing")
        preimage, rest = rest[0], []
    if rest or len(siblings) != count:
        raise ValueError("unexpected items in the SMT proof")
    return smt.SmtProof(depth, bitmap, siblings, terminal, preimage)


def proof_json(proof: StateProof) -> dict[str, Any]:
    record = proof.account.record
    storage_root = record.storage_root if record is not None else smt.EMPTY
    return {
        "address": hexb(proof.account.address),
        "proofType": SMT_PROOF_TYPE,
        "stateRoot": hexb(proof.state_root),
        "balance": hex(record.balance if record else 0),
        "nonce": hex(record.nonce if record else 0),
        "codeHash": hexb(record.code_hash if record else EMPTY_CODE_HASH),
        "codeRoot": hexb(record.code_root if record else EMPTY_CODE_ROOT),
        "codeSize": hex(record.code_size if record else 0),
        "storageHash": hexb(storage_root),
        "accountExists": record is not None,
        "accountProof": encode_smt_proof(proof.account.proof),
        "accountSmtProof": proof.account.proof.to_json(),
        "storageProof": [
            {
                "key": hex(item.slot),
                "value": hex(item.value),
                "proof": encode_smt_proof(item.proof),
                "smtProof": item.proof.to_json(),
            }
            for item in proof.storage
        ],
    }


def revert_message(output: bytes) -> str:
    """geth's ``execution reverted[: reason]``."""
    if output[:4] == ERROR_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], output[4:])
            return f"execution reverted: {reason}"
        except Exception:  # noqa: BLE001 - not a well-formed Error(string)
            pass
    return "execution reverted"


# --- the API ----------------------------------------------------------------------------


@dataclass
class CallRequest:
    """A parsed ``eth_call`` / ``eth_estimateGas`` transaction object."""

    sender: bytes
    to: bytes | None
    gas: int | None
    value: int
    data: bytes
    nonce: int | None
    gas_price: int | None
    max_fee: int | None
    max_priority_fee: int | None
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...]


def parse_call(value: Any, index: int) -> CallRequest:
    if not isinstance(value, dict):
        raise bad_param(index, "expected a transaction object")
    known = {"from", "to", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value",
             "data", "input", "nonce", "accessList", "type", "chainId"}  # fmt: skip
    unknown = sorted(set(value) - known)
    if unknown:
        raise bad_param(index, f"unknown field {unknown[0]!r} in the transaction object")

    def q(name: str, limit: int = 2**256) -> int | None:
        return None if value.get(name) is None else parse_quantity(value[name], index, limit)

    data_in, input_in = value.get("data"), value.get("input")
    if data_in is not None and input_in is not None and data_in != input_in:
        raise bad_param(index, 'both "data" and "input" are set and not equal')
    raw_data = input_in if input_in is not None else data_in
    access: list[tuple[bytes, tuple[int, ...]]] = []
    for entry in value.get("accessList") or []:
        if not isinstance(entry, dict):
            raise bad_param(index, "accessList entries must be objects")
        keys = tuple(int.from_bytes(parse_hex_data(k, index, 32), "big")
                     for k in entry.get("storageKeys", []))  # fmt: skip
        access.append((parse_address(entry.get("address"), index), keys))
    return CallRequest(
        sender=bytes(20) if value.get("from") is None else parse_address(value["from"], index),
        to=None if value.get("to") is None else parse_address(value["to"], index),
        gas=q("gas", 2**64),
        value=q("value") or 0,
        data=b"" if raw_data is None else parse_hex_data(raw_data, index),
        nonce=q("nonce", 2**64),
        gas_price=q("gasPrice"),
        max_fee=q("maxFeePerGas"),
        max_priority_fee=q("maxPriorityFeePerGas"),
        access_list=tuple(access),
    )


class EthApi:
    """The handlers; ``node`` provides chain, state, intake, pending pool and tiers."""

    def __init__(self, node: ProducerNode) -> None:
        self.node = node
        self.chain = node.chain

    # --- blocks and tiers ---
    def tier_heights(self) -> tuple[int, int, int]:
        """(tier 1, tier 2, tier 3) heights, each clipped to what exists."""
        head = self.node.head.number
        tier1 = min(self.node.tier1_height(), head)
        tier3 = max(0, min(self.node.oracle.tier3_height(), tier1))
        tier2 = max(tier3, min(self.node.oracle.tier2_height(), tier1))
        return tier1, tier2, tier3

    def number_of(self, selector: BlockSelector) -> int | None:
        """The block number a selector designates (``None`` if there is no such block)."""
        if selector.block_hash is not None:
            return self.chain.number_of_hash(selector.block_hash)
        if selector.number is not None:
            return selector.number if selector.number <= self.node.head.number else None
        if selector.tag == "earliest":
            return 0
        if selector.tag in ("latest", "pending"):
            return self.node.head.number
        _, tier2, tier3 = self.tier_heights()
        return tier2 if selector.tag == "safe" else tier3

    def block_of(self, selector: BlockSelector) -> Block | None:
        number = self.number_of(selector)
        return None if number is None else self.chain.block_by_number(number)

    def state_block(self, selector: BlockSelector) -> Block:
        block = self.block_of(selector)
        if block is None:
            raise RpcError(HEADER_NOT_FOUND, "header not found")
        return block

    def view(self, block: Block) -> LockedView:
        try:
            return self.node.state.view(block.state_root)
        except KeyError:
            raise RpcError(
                HEADER_NOT_FOUND, f"state of block {block.number} is not available"
            ) from None

    # --- simple methods ---
    def client_version(self, params: Any) -> str:
        positional_params(params, 0, 0)
        return CLIENT_VERSION

    def block_number(self, params: Any) -> str:
        positional_params(params, 0, 0)
        return hex(self.node.head.number)

    def syncing(self, params: Any) -> bool:
        positional_params(params, 0, 0)
        return False

    def accounts(self, params: Any) -> list[str]:
        positional_params(params, 0, 0)
        return []

    def net_listening(self, params: Any) -> bool:
        positional_params(params, 0, 0)
        return True

    def get_block_by_number(self, params: Any) -> dict[str, Any] | None:
        value, *rest = positional_params(params, 1, 2)
        full = parse_bool(rest[0], 1) if rest else False
        return self._block_answer(self.block_of(parse_block(value, 0)), full)

    def get_block_by_hash(self, params: Any) -> dict[str, Any] | None:
        value, *rest = positional_params(params, 1, 2)
        full = parse_bool(rest[0], 1) if rest else False
        return self._block_answer(self.chain.block_by_hash(parse_hex_data(value, 0, 32)), full)

    def _block_answer(self, block: Block | None, full: bool) -> dict[str, Any] | None:
        if block is None:
            return None
        receipts = self.chain.receipts_of(block.number) if full else None
        return block_json(block, full, receipts)

    def block_tx_count_by_number(self, params: Any) -> str | None:
        (value,) = positional_params(params, 1, 1)
        block = self.block_of(parse_block(value, 0))
        return None if block is None else hex(len(block.transactions))

    def block_tx_count_by_hash(self, params: Any) -> str | None:
        (value,) = positional_params(params, 1, 1)
        block = self.chain.block_by_hash(parse_hex_data(value, 0, 32))
        return None if block is None else hex(len(block.transactions))

    def tx_by_block_number_and_index(self, params: Any) -> dict[str, Any] | None:
        value, index = positional_params(params, 2, 2)
        return self._tx_in_block(self.block_of(parse_block(value, 0)), parse_quantity(index, 1))

    def tx_by_block_hash_and_index(self, params: Any) -> dict[str, Any] | None:
        value, index = positional_params(params, 2, 2)
        block = self.chain.block_by_hash(parse_hex_data(value, 0, 32))
        return self._tx_in_block(block, parse_quantity(index, 1))

    def _tx_in_block(self, block: Block | None, index: int) -> dict[str, Any] | None:
        if block is None or index >= len(block.transactions):
            return None
        receipts = self.chain.receipts_of(block.number)
        return tx_json(block.transactions[index], receipts[index].sender, block, index)

    def get_transaction_by_hash(self, params: Any) -> dict[str, Any] | None:
        (value,) = positional_params(params, 1, 1)
        tx_hash = parse_hex_data(value, 0, 32)
        location = self.chain.tx_location(tx_hash)
        if location is not None:
            block = self.chain.block_by_number(location[0])
            receipt = self.chain.receipt(tx_hash)
            assert block is not None and receipt is not None
            return tx_json(block.transactions[location[1]], receipt.sender, block, location[1])
        pending = self.node.pending.raw_of(tx_hash)
        if pending is not None:
            raw, sender = pending
            return tx_json(raw, sender, None, None)
        return None

    def get_transaction_receipt(self, params: Any) -> dict[str, Any] | None:
        (value,) = positional_params(params, 1, 1)
        tx_hash = parse_hex_data(value, 0, 32)
        receipt = self.chain.receipt(tx_hash)
        if receipt is None:
            return None
        location = self.chain.tx_location(tx_hash)
        block = None if location is None else self.chain.block_by_number(location[0])
        assert block is not None, "a stored receipt always has its block"
        before = self.chain.receipts_of(block.number)[: receipt.index]
        return receipt_json(block, receipt, sum(len(r.logs) for r in before))

    # --- state ---
    def _state_args(self, params: Any, extra: int) -> tuple[list[Any], Block]:
        args = positional_params(params, 1 + extra, 2 + extra)
        selector = parse_block(args[1 + extra], 1 + extra) if len(args) > 1 + extra else None
        block = self.state_block(selector or BlockSelector(tag="latest"))
        return args, block

    def get_balance(self, params: Any) -> str:
        args, block = self._state_args(params, 0)
        address = parse_address(args[0], 0)
        record = self.node.state.record(address, block.state_root)
        return hex(record.balance if record else 0)

    def get_transaction_count(self, params: Any) -> str:
        address = parse_address(positional_params(params, 1, 2)[0], 0)
        taken = self.node.pending.nonces_of(address)  # before the state: see pending_nonce
        args, block = self._state_args(params, 0)
        record = self.node.state.record(address, block.state_root)
        nonce = record.nonce if record else 0
        if len(args) > 1 and args[1] == "pending":
            nonce = pending_nonce(taken, nonce)
        return hex(nonce)

    def get_code(self, params: Any) -> str:
        args, block = self._state_args(params, 0)
        view = self.view(block)
        account = view.get_account(parse_address(args[0], 0))
        return hexb(view.get_code(account.code_hash) if account else b"")

    def get_storage_at(self, params: Any) -> str:
        args, block = self._state_args(params, 1)
        address = parse_address(args[0], 0)
        slot_value = args[1]
        if isinstance(slot_value, str) and len(slot_value) == 66:
            slot = int.from_bytes(parse_hex_data(slot_value, 1, 32), "big")
        else:
            slot = parse_quantity(slot_value, 1)
        value = self.view(block).get_storage(address, slot)
        return "0x" + value.to_bytes(32, "big").hex()

    def get_proof(self, params: Any) -> dict[str, Any]:
        args, block = self._state_args(params, 1)
        address = parse_address(args[0], 0)
        if not isinstance(args[1], list):
            raise bad_param(1, "expected an array of storage keys")
        slots = [int.from_bytes(parse_hex_data(k, 1, 32), "big") if isinstance(k, str)
                 and len(k) == 66 else parse_quantity(k, 1) for k in args[1]]  # fmt: skip
        self.view(block)
        return proof_json(self.node.state.proof(address, slots, block.state_root))

    # --- execution without a transaction ---
    def _call_env(self, block: Block, request: CallRequest) -> BlockEnv:
        priced = request.gas_price is not None or request.max_fee is not None
        return BlockEnv(
            coinbase=block.producer,
            number=block.number,
            timestamp=block.timestamp,
            gas_limit=block.gas_limit,
            prev_randao=block.parent_hash,
            base_fee=block.base_fee if priced else 0,
            chain_id=self.node.config.chain_id,
            block_hashes=self.chain.block_hash,
        )

    def _run_call(self, block: Block, request: CallRequest, gas: int) -> TxResult:
        view = self.view(block)
        backend = OverlayBackend(view)
        account = view.get_account(request.sender)
        nonce = request.nonce if request.nonce is not None else (account.nonce if account else 0)
        env = self._call_env(block, request)
        if request.max_fee is not None or request.max_priority_fee is not None:
            max_fee = request.max_fee if request.max_fee is not None else env.base_fee
            tip = request.max_priority_fee if request.max_priority_fee is not None else 0
            tx = Transaction(tx_type=2, chain_id=env.chain_id, nonce=nonce, gas_limit=gas,
                             to=request.to, value=request.value, data=request.data,
                             max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip,
                             access_list=request.access_list)  # fmt: skip
        else:
            tx = Transaction(tx_type=1 if request.access_list else 0, chain_id=env.chain_id,
                             nonce=nonce, gas_limit=gas, to=request.to, value=request.value,
                             data=request.data, gas_price=request.gas_price or 0,
                             access_list=request.access_list)  # fmt: skip
        try:
            return apply_transaction(backend, env, tx, request.sender)
        except IntrinsicGasTooLowError:
            raise RpcError(CALL_ERROR, "intrinsic gas too low") from None
        except InsufficientBalanceError:
            raise RpcError(CALL_ERROR, "insufficient funds for gas * price + value") from None
        except FeeCapTooLowError:
            raise RpcError(CALL_ERROR, "max fee per gas less than block base fee") from None
        except NonceMismatchError as exc:
            raise RpcError(CALL_ERROR, f"invalid nonce: {exc}") from None
        except InvalidTransaction as exc:
            raise RpcError(CALL_ERROR, f"invalid transaction: {exc}") from None

    def _call_args(self, params: Any) -> tuple[CallRequest, Block]:
        args = positional_params(params, 1, 3)
        request = parse_call(args[0], 0)
        selector = parse_block(args[1], 1) if len(args) > 1 and args[1] is not None else None
        if len(args) > 2 and args[2]:
            raise bad_param(2, "state overrides are not supported")
        return request, self.state_block(selector or BlockSelector(tag="latest"))

    def call(self, params: Any) -> str:
        request, block = self._call_args(params)
        gas = min(request.gas if request.gas is not None else block.gas_limit, block.gas_limit)
        result = self._run_call(block, request, gas)
        if isinstance(result.error, Revert):
            raise RpcError(EXECUTION_REVERTED, revert_message(result.output), hexb(result.output))
        if result.error is not None:
            raise RpcError(CALL_ERROR, _halt_message(result.error))
        return hexb(result.output)

    def estimate_gas(self, params: Any) -> str:
        request, block = self._call_args(params)
        cap = min(request.gas if request.gas is not None else block.gas_limit, block.gas_limit)
        floor = intrinsic_gas(Transaction(to=request.to, data=request.data,
                                          access_list=request.access_list))  # fmt: skip
        if cap < floor:
            raise RpcError(CALL_ERROR, "intrinsic gas too low")
        result = self._run_call(block, request, cap)
        if result.error is not None:
            if isinstance(result.error, Revert):
                raise RpcError(
                    EXECUTION_REVERTED, revert_message(result.output), hexb(result.output)
                )
            raise RpcError(CALL_ERROR, f"gas required exceeds allowance ({cap})")

        if request.to is not None and not request.data:
            target = self.view(block).get_account(request.to)
            if target is None or target.code_hash == EMPTY_CODE_HASH:
                return hex(floor)  # a plain transfer costs exactly its intrinsic gas

        def succeeds(gas: int) -> bool:
            return self._run_call(block, request, gas).error is None

        low = max(floor, result.gas_used + result.refund) - 1  # fails below what was used
        high = cap
        optimistic = min(cap, (result.gas_used + result.refund + 2300) * 64 // 63)
        if optimistic < high and succeeds(optimistic):
            high = optimistic
        while high - low > 1:
            middle = (low + high) // 2
            if succeeds(middle):
                high = middle
            else:
                low = middle
        return hex(high)

    # --- fees ---
    def gas_price(self, params: Any) -> str:
        positional_params(params, 0, 0)
        head = self.node.head
        return hex(next_base_fee(head, self.node.chain_config) + self.node.config.suggested_tip)

    def max_priority_fee(self, params: Any) -> str:
        positional_params(params, 0, 0)
        return hex(self.node.config.suggested_tip)

    def fee_history(self, params: Any) -> dict[str, Any]:
        count_value, newest_value, *rest = positional_params(params, 2, 3)
        count = parse_quantity(count_value, 0, 2**64)
        if count == 0:
            raise bad_param(0, "blockCount must be at least 1")
        count = min(count, MAX_FEE_HISTORY)
        newest_block = self.block_of(parse_block(newest_value, 1))
        if newest_block is None:
            raise RpcError(HEADER_NOT_FOUND, "header not found")
        percentiles: list[float] = []
        if rest and rest[0] is not None:
            if not isinstance(rest[0], list) or not all(
                isinstance(p, int | float) and not isinstance(p, bool) and 0 <= p <= 100
                for p in rest[0]
            ):
                raise bad_param(2, "reward percentiles must be numbers in [0, 100]")
            percentiles = [float(p) for p in rest[0]]
            if percentiles != sorted(percentiles):
                raise bad_param(2, "reward percentiles must be ascending")
        oldest = max(0, newest_block.number - count + 1)
        base_fees, ratios, rewards = [], [], []
        for number in range(oldest, newest_block.number + 1):
            block = self.chain.block_by_number(number)
            assert block is not None
            base_fees.append(hex(block.base_fee))
            ratios.append(block.gas_used / block.gas_limit if block.gas_limit else 0.0)
            if percentiles:
                rewards.append(self._rewards(block, percentiles))
        base_fees.append(hex(next_base_fee(newest_block, self.node.chain_config)))
        answer: dict[str, Any] = {
            "oldestBlock": hex(oldest),
            "baseFeePerGas": base_fees,
            "gasUsedRatio": ratios,
        }
        if percentiles:
            answer["reward"] = rewards
        return answer

    def _rewards(self, block: Block, percentiles: list[float]) -> list[str]:
        receipts = self.chain.receipts_of(block.number)
        if not receipts:
            return ["0x0"] * len(percentiles)
        tips = sorted((r.effective_gas_price - block.base_fee, r.gas_used) for r in receipts)
        cumulative = []
        total = 0
        for _, used in tips:
            total += used
            cumulative.append(total)
        out = []
        for p in percentiles:
            threshold = total * p / 100
            index = min(bisect.bisect_left(cumulative, threshold), len(tips) - 1)
            out.append(hex(tips[index][0]))
        return out

    # --- logs ---
    def get_logs(self, params: Any) -> list[dict[str, Any]]:
        (query,) = positional_params(params, 1, 1)
        if not isinstance(query, dict):
            raise bad_param(0, "expected a filter object")
        unknown = sorted(set(query) - {"fromBlock", "toBlock", "address", "topics", "blockHash"})
        if unknown:
            raise bad_param(0, f"unknown field {unknown[0]!r} in the filter")
        if "blockHash" in query and query["blockHash"] is not None:
            if query.get("fromBlock") is not None or query.get("toBlock") is not None:
                raise bad_param(0, "cannot specify both blockHash and fromBlock/toBlock")
            number = self.chain.number_of_hash(parse_hex_data(query["blockHash"], 0, 32))
            if number is None:
                raise RpcError(HEADER_NOT_FOUND, "unknown block")
            first = last = number
        else:
            head = self.node.head.number
            first = self._log_bound(query.get("fromBlock"), head)
            last = self._log_bound(query.get("toBlock"), head)
            if first > last:
                raise bad_param(0, "invalid block range params")
            last = min(last, head)
            if last - first >= MAX_LOG_RANGE:
                raise RpcError(LIMIT_EXCEEDED, f"query exceeds max block range {MAX_LOG_RANGE}")
        addresses_value = query.get("address")
        if addresses_value is None:
            addresses: list[bytes] = []
        elif isinstance(addresses_value, list):
            addresses = [parse_address(a, 0) for a in addresses_value]
        else:
            addresses = [parse_address(addresses_value, 0)]
        topics = self._parse_topics(query.get("topics"))
        topic0 = topics[0] if topics and topics[0] is not None else []
        if first > last:
            return []
        matches = self.chain.log_candidates(first, last, addresses, topic0)
        if len(matches) > MAX_LOG_RESULTS and len(topics) <= 1:
            raise RpcError(LIMIT_EXCEEDED, f"query returned more than {MAX_LOG_RESULTS} results")
        out: list[dict[str, Any]] = []
        wanted_blocks = sorted({b for b, _ in matches})
        wanted = set(matches)
        for number in wanted_blocks:
            block = self.chain.block_by_number(number)
            assert block is not None
            log_index = 0
            for receipt in self.chain.receipts_of(number):
                for log in receipt.logs:
                    if (number, log_index) in wanted and _topics_match(log[1], topics):
                        out.append(log_json(block, receipt, log_index, log))
                    log_index += 1
            if len(out) > MAX_LOG_RESULTS:
                raise RpcError(
                    LIMIT_EXCEEDED, f"query returned more than {MAX_LOG_RESULTS} results"
                )
        return out

    def _log_bound(self, value: Any, head: int) -> int:
        if value is None:
            return head
        selector = parse_block(value, 0)
        if selector.block_hash is not None:
            raise bad_param(0, "fromBlock/toBlock must be numbers or tags")
        if selector.number is not None:
            return selector.number
        number = self.number_of(selector)
        return head if number is None else number

    def _parse_topics(self, value: Any) -> list[list[bytes] | None]:
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > 4:
            raise bad_param(0, "topics must be an array of at most 4 entries")
        out: list[list[bytes] | None] = []
        for item in value:
            if item is None:
                out.append(None)
            elif isinstance(item, list):
                out.append([parse_hex_data(t, 0, 32) for t in item] or None)
            else:
                out.append([parse_hex_data(item, 0, 32)])
        return out

    # --- transactions in ---
    def send_raw_transaction(self, service: IntakeService, params: Any) -> str:
        """Direct submission of one transaction (see :meth:`send_raw_transactions`)."""
        (outcome,) = self.send_raw_transactions(service, [params])
        if isinstance(outcome, RpcError):
            raise outcome
        return outcome

    def send_raw_transactions(
        self, service: IntakeService, calls: list[Any]
    ) -> list[str | RpcError]:
        """``eth_sendRawTransaction`` calls of one request: the intake's admission checks
        one by one, then every accepted one stored in one SQLite transaction (in order).
        The sender recovered by the check feeds the pending pool and the builder."""
        outcomes: list[str | RpcError] = [RpcError(INTERNAL_ERROR, "unanswered")] * len(calls)
        admitted: list[tuple[int, Admitted]] = []
        raws: list[tuple[int, bytes]] = []
        for index, params in enumerate(calls):
            try:
                (value,) = positional_params(params, 1, 1)
                raws.append((index, parse_raw_param(value)))
            except RpcError as exc:
                outcomes[index] = self._rejected(service, exc)
        # "already known" comes first (a resend after a lost answer must not read as
        # "nonce too low"); the insert re-checks atomically
        known = service.intake.known_hashes([keccak(raw) for _, raw in raws])
        for index, raw in raws:
            try:
                if keccak(raw) in known:
                    raise Rejected("already_known", "already known")
                admitted.append((index, admit(raw, service.policy, service.state)))
            except RpcError as exc:
                outcomes[index] = self._rejected(service, exc)
        stored = service.intake.submit_direct_many([(a.raw, a.tx_hash) for _, a in admitted])
        accepted = 0
        for (index, item), entry in zip(admitted, stored, strict=True):
            if entry is None:
                outcomes[index] = self._rejected(
                    service, Rejected("already_known", "already known")
                )
                continue
            self.node.pending.add(item.tx_hash, item.sender, item.tx.nonce, item.raw)
            outcomes[index] = hexb(item.tx_hash)
            accepted += 1
            service.log("direct_accepted", seq=entry.seq, hash=hexb(item.tx_hash))
        if accepted:
            service.metrics.inc("direct_accepted_total", accepted)
            self.node.notify_arrival()
            if self.node.consensus is not None:
                self.node.consensus.gossip_transactions(
                    [a.raw for i, a in admitted if isinstance(outcomes[i], str)]
                )
        return outcomes

    def _rejected(self, service: IntakeService, exc: RpcError) -> RpcError:
        reason = exc.reason if isinstance(exc, Rejected) else "invalid_params"
        service.metrics.inc("direct_rejected_total", reason=reason)
        service.log("direct_rejected", reason=reason, message=exc.message)
        return exc

    def submit_batch(self, service: IntakeService, params: Any) -> dict[str, Any]:
        answer = submit_batch(service, params)
        if isinstance(params, list) and len(params) >= 2 and isinstance(params[1], list):
            for entry in params[1]:
                raw = entry.get("raw") if isinstance(entry, dict) else None
                if isinstance(raw, str) and raw.startswith("0x"):
                    self.node.pending.add_raw(bytes.fromhex(raw[2:]), self.node.config.chain_id)
            if params[1]:
                self.node.notify_arrival()
        return answer

    # --- rollup methods ---
    def get_finality(self, params: Any) -> dict[str, Any]:
        (value,) = positional_params(params, 1, 1)
        target = parse_hex_data(value, 0, 32)
        tier1, tier2, tier3 = self.tier_heights()
        heights = {"tier1": hex(tier1), "tier2": hex(tier2), "tier3": hex(tier3)}

        def tier_of(number: int) -> int:
            if number <= tier3:
                return 3
            if number <= tier2:
                return 2
            return 1 if number <= tier1 else 0

        number = self.chain.number_of_hash(target)
        kind = "block"
        if number is None:
            location = self.chain.tx_location(target)
            number = None if location is None else location[0]
            kind = "transaction"
        if number is not None:
            block = self.chain.block_by_number(number)
            assert block is not None
            return {"kind": kind, "status": "included", "tier": tier_of(number),
                    "blockNumber": hex(number), "blockHash": hexb(block.hash),
                    "heights": heights}  # fmt: skip
        dropped = self.chain.dropped_reason(target)
        if dropped is not None:
            return {"kind": "transaction", "status": "dropped", "tier": None,
                    "blockNumber": None, "blockHash": None, "reason": dropped[1],
                    "detail": dropped[2], "heights": heights}  # fmt: skip
        intake = self.node.intake_service
        if intake is not None and intake.intake.knows(target):
            return {"kind": "transaction", "status": "pending", "tier": 0,
                    "blockNumber": None, "blockHash": None, "heights": heights}  # fmt: skip
        raise RpcError(NOT_FOUND, f"not found: no block or transaction 0x{target.hex()}")

    def get_block_for_verifier(self, params: Any) -> dict[str, Any] | None:
        (value,) = positional_params(params, 1, 1)
        block = self.block_of(parse_block(value, 0))
        if block is None:
            return None
        answer = block.to_json()
        answer["senders"] = [hexb(r.sender) for r in self.chain.receipts_of(block.number)]
        return answer

    def node_status(self, params: Any) -> dict[str, Any]:
        positional_params(params, 0, 0)
        tier1, tier2, tier3 = self.tier_heights()
        head = self.node.head
        return {
            "chainId": hex(self.node.config.chain_id),
            "producerId": self.node.config.producer_id,
            "head": hex(head.number),
            "headHash": hexb(head.hash),
            "stateRoot": hexb(head.state_root),
            "tier1": hex(tier1),
            "tier2": hex(tier2),
            "tier3": hex(tier3),
            "blockTimeMs": self.node.config.block_time_ms,
            "pending": len(self.node.pending.senders),
            "consensus": None if self.node.consensus is None else self.node.consensus.status(),
        }


def _topics_match(topics: tuple[bytes, ...], wanted: list[list[bytes] | None]) -> bool:
    if len(wanted) > len(topics):
        return False
    return all(options is None or topics[i] in options for i, options in enumerate(wanted))


def _halt_message(error: Exception) -> str:
    name = type(error).__name__
    messages = {"OutOfGasError": "out of gas", "InvalidOpcode": "invalid opcode",
                "InvalidJumpDestError": "invalid jump destination",
                "StackUnderflowError": "stack underflow", "StackOverflowError": "stack overflow",
                "WriteInStaticContext": "write protection"}  # fmt: skip
    return messages.get(name, f"execution halted: {name}")


def install(api: EthApi, service: IntakeService) -> None:
    """Register the API on the intake's JSON-RPC server (same port)."""
    assert service.server is not None
    dispatcher = service.server.dispatcher
    table: dict[str, Callable[[Any], Any]] = {
        "web3_clientVersion": api.client_version,
        "net_listening": api.net_listening,
        "eth_syncing": api.syncing,
        "eth_accounts": api.accounts,
        "eth_blockNumber": api.block_number,
        "eth_getBlockByNumber": api.get_block_by_number,
        "eth_getBlockByHash": api.get_block_by_hash,
        "eth_getBlockTransactionCountByNumber": api.block_tx_count_by_number,
        "eth_getBlockTransactionCountByHash": api.block_tx_count_by_hash,
        "eth_getTransactionByBlockNumberAndIndex": api.tx_by_block_number_and_index,
        "eth_getTransactionByBlockHashAndIndex": api.tx_by_block_hash_and_index,
        "eth_getTransactionByHash": api.get_transaction_by_hash,
        "eth_getTransactionReceipt": api.get_transaction_receipt,
        "eth_getBalance": api.get_balance,
        "eth_getTransactionCount": api.get_transaction_count,
        "eth_getCode": api.get_code,
        "eth_getStorageAt": api.get_storage_at,
        "eth_getProof": api.get_proof,
        "eth_call": api.call,
        "eth_estimateGas": api.estimate_gas,
        "eth_gasPrice": api.gas_price,
        "eth_maxPriorityFeePerGas": api.max_priority_fee,
        "eth_feeHistory": api.fee_history,
        "eth_getLogs": api.get_logs,
        "eth_sendRawTransaction": lambda p: api.send_raw_transaction(service, p),
        "altrollup_submitBatch": lambda p: api.submit_batch(service, p),
        "altrollup_getFinality": api.get_finality,
        "altrollup_getBlockForVerifier": api.get_block_for_verifier,
        "altrollup_nodeStatus": api.node_status,
    }
    for name, handler in table.items():
        dispatcher.register(name, handler)
    dispatcher.register(
        "eth_sendRawTransaction",
        table["eth_sendRawTransaction"],
        grouped=lambda calls: api.send_raw_transactions(service, calls),
    )
