"""The genesis file of a rollup: funded accounts, contracts, chain constants, block 0.

Format (JSON; every number a decimal integer or a 0x-hex string)::

    {
      "chainId": 900001,                 # optional; must match --chain-id when given
      "timestampMs": 0,                  # block 0 time (default 0)
      "gasLimit": 30000000,              # every block's gas limit (default 30M)
      "baseFeePerGas": 1000000000,       # block 0's base fee (default 1 gwei)
      "minBaseFee": 0,                   # EIP-1559 floor (default 0)
      "alloc": {
        "0xf39F...2266": {"balance": "0x21e19e0c9bab2400000"},
        "0x5FbD...0aa3": {"code": "0x6080...", "nonce": 1, "storage": {"0x0": "0x1"}}
      }
    }

:func:`apply_genesis` writes the allocation as one state diff into an empty store and
returns block 0. The producer and every verifier run it on the same file, so they
start from the same root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sha3 import keccak_256

from agents.evm import smt
from agents.evm.backend import EMPTY_CODE_HASH, Account, StateBackend, StateDiff
from agents.producer.blocks import Block, ChainConfig, genesis_block

DEFAULT_BASE_FEE = 1_000_000_000
DEFAULT_GAS_LIMIT = 30_000_000
# The standard test mnemonic's first ten accounts (anvil / hardhat defaults).
DEV_ACCOUNTS = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
)
DEV_BALANCE = 10_000 * 10**18


class GenesisError(ValueError):
    """The genesis file is malformed (the message names the field)."""


@dataclass(frozen=True)
class GenesisAccount:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Genesis:
    """A parsed genesis file."""

    chain_id: int | None
    timestamp_ms: int
    gas_limit: int
    base_fee: int
    min_base_fee: int
    alloc: dict[bytes, GenesisAccount]

    def chain_config(self, chain_id: int) -> ChainConfig:
        """The chain constants; ``chain_id`` (from the command line) must agree."""
        if self.chain_id is not None and self.chain_id != chain_id:
            raise GenesisError(f"genesis chainId {self.chain_id} != chain id {chain_id}")
        return ChainConfig(chain_id, self.gas_limit, self.min_base_fee)


def _number(value: Any, where: str, limit: int = 2**256) -> int:
    if isinstance(value, bool):
        raise GenesisError(f"{where}: expected a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
        except ValueError:
            raise GenesisError(f"{where}: invalid number {value!r}") from None
    else:
        raise GenesisError(f"{where}: expected a number, got {type(value).__name__}")
    if not 0 <= number < limit:
        raise GenesisError(f"{where}: {number} out of range")
    return number


def _hex_bytes(value: Any, where: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.lower().startswith("0x"):
        raise GenesisError(f"{where}: expected a 0x-prefixed hex string")
    try:
        data = bytes.fromhex(value[2:])
    except ValueError:
        raise GenesisError(f"{where}: invalid hex string") from None
    if length is not None and len(data) != length:
        raise GenesisError(f"{where}: expected {length} bytes, got {len(data)}")
    return data


def parse_genesis(data: Any) -> Genesis:
    """Validate a decoded genesis JSON object."""
    if not isinstance(data, dict):
        raise GenesisError("genesis: expected a JSON object")
    known = {"chainId", "timestampMs", "gasLimit", "baseFeePerGas", "minBaseFee", "alloc"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GenesisError(f"genesis: unknown field {unknown[0]!r}")
    alloc_data = data.get("alloc", {})
    if not isinstance(alloc_data, dict):
        raise GenesisError("alloc: expected an object of address -> account")
    alloc: dict[bytes, GenesisAccount] = {}
    for key, entry in alloc_data.items():
        where = f"alloc[{key}]"
        address = _hex_bytes(key, where, 20)
        if not isinstance(entry, dict):
            raise GenesisError(f"{where}: expected an object")
        bad = sorted(set(entry) - {"balance", "nonce", "code", "storage"})
        if bad:
            raise GenesisError(f"{where}: unknown field {bad[0]!r}")
        storage_data = entry.get("storage", {})
        if not isinstance(storage_data, dict):
            raise GenesisError(f"{where}.storage: expected an object")
        storage = {
            _number(k, f"{where}.storage key"): _number(v, f"{where}.storage[{k}]")
            for k, v in storage_data.items()
        }
        alloc[address] = GenesisAccount(
            balance=_number(entry.get("balance", 0), f"{where}.balance"),
            nonce=_number(entry.get("nonce", 0), f"{where}.nonce", 2**64 - 1),
            code=_hex_bytes(entry.get("code", "0x"), f"{where}.code"),
            storage={k: v for k, v in storage.items() if v},
        )
    chain_id = data.get("chainId")
    return Genesis(
        chain_id=None if chain_id is None else _number(chain_id, "chainId", 2**64),
        timestamp_ms=_number(data.get("timestampMs", 0), "timestampMs", 2**64),
        gas_limit=_number(data.get("gasLimit", DEFAULT_GAS_LIMIT), "gasLimit", 2**63),
        base_fee=_number(data.get("baseFeePerGas", DEFAULT_BASE_FEE), "baseFeePerGas"),
        min_base_fee=_number(data.get("minBaseFee", 0), "minBaseFee"),
        alloc=alloc,
    )


def load_genesis(path: str | Path) -> Genesis:
    """Read and validate a genesis file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise GenesisError(f"cannot read genesis file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise GenesisError(f"genesis file {path} is not JSON: {exc}") from None
    return parse_genesis(data)


def dev_genesis(chain_id: int | None = None, balance: int = DEV_BALANCE) -> dict[str, Any]:
    """A genesis JSON object funding the standard test mnemonic's ten accounts."""
    data: dict[str, Any] = {"alloc": {a: {"balance": hex(balance)} for a in DEV_ACCOUNTS}}
    if chain_id is not None:
        data["chainId"] = chain_id
    return data


def genesis_diff(genesis: Genesis) -> StateDiff:
    """The allocation as one state diff on an empty state."""
    diff = StateDiff()
    for address, account in genesis.alloc.items():
        code_hash = keccak_256(account.code).digest() if account.code else EMPTY_CODE_HASH
        diff.accounts[address] = Account(account.nonce, account.balance, code_hash)
        if account.code:
            diff.codes[code_hash] = account.code
        if account.storage:
            diff.storage[address] = dict(account.storage)
    return diff


def apply_genesis(backend: StateBackend, genesis: Genesis) -> Block:
    """Write the allocation into an empty ``backend``; return block 0."""
    if backend.state_root() != smt.EMPTY:
        raise GenesisError("the state store is not empty; genesis applies to a new store")
    root = backend.apply(genesis_diff(genesis)) if genesis.alloc else smt.EMPTY
    return genesis_block(root, genesis.timestamp_ms, genesis.gas_limit, genesis.base_fee)
