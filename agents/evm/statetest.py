"""Runner for the official Ethereum GeneralStateTests (Cancun post-states).

A state-test file holds one or more tests; each has a ``pre`` state, an ``env``, a
``transaction`` with lists of ``data`` / ``gasLimit`` / ``value`` and a ``post`` map
from fork name to cases, each selecting one (d, g, v) index triple and giving the
expected state ``hash`` and ``logs`` hash (and ``expectException`` for transactions that
must be rejected, in which case the expected root is the pre-state root).

:func:`load_cases` expands a file into :class:`Case` objects and :func:`run_case` runs
one of them on a fresh :class:`~agents.evm.memory_backend.MemoryBackend`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sha3 import keccak_256

from agents.evm.exceptions import InvalidTransaction, TransactionDecodingError
from agents.evm.interpreter import run_in_big_stack
from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction, logs_hash
from agents.evm.transactions import Transaction, address_of_key
from agents.evm.vm import BlockEnv

FORK = "Cancun"
EMPTY_LOGS_HASH = logs_hash([])
U256_LIMIT = 2**256


class StateTestFormatError(ValueError):
    """The file is not a state-test JSON document."""


@dataclass(slots=True)
class Case:
    """One Cancun post-state of one test."""

    file: str
    name: str
    index: int
    d: int
    g: int
    v: int
    test: dict[str, Any]
    post: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.name}[d={self.d},g={self.g},v={self.v}]"


@dataclass(slots=True)
class CaseResult:
    case: Case
    passed: bool
    expected_root: str
    actual_root: str
    expected_logs: str
    actual_logs: str
    message: str = ""


def _int(value: str | int) -> int:
    if isinstance(value, int):
        return value
    if ":bigint " in value:  # e.g. "0x:bigint 0x1000...": deliberately over 256 bits
        value = value.split(":bigint ", 1)[1]
    return int(value, 16) if value.startswith(("0x", "0X")) else int(value)


def _bytes(value: str) -> bytes:
    value = value[2:] if value.startswith(("0x", "0X")) else value
    if value.startswith(":raw "):  # pragma: no cover - filler syntax, not in fixtures
        value = value[5:]
    return bytes.fromhex(value)


def _address(value: str) -> bytes:
    raw = _bytes(value)
    return raw.rjust(20, b"\x00")


def load_cases(path: Path) -> tuple[list[Case], int]:
    """(Cancun cases, number of tests without a Cancun post) of a state-test file."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateTestFormatError(f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise StateTestFormatError(f"{path}: top level is not an object")
    cases: list[Case] = []
    skipped = 0
    for name, test in doc.items():
        if not isinstance(test, dict) or "post" not in test or "transaction" not in test:
            raise StateTestFormatError(f"{path}: {name} is not a state test")
        posts = test["post"].get(FORK)
        if not posts:
            skipped += 1
            continue
        for i, post in enumerate(posts):
            idx = post["indexes"]
            cases.append(
                Case(str(path), name, i, idx["data"], idx["gas"], idx["value"], test, post)
            )
    return cases, skipped


def build_backend(pre: dict[str, Any]) -> MemoryBackend:
    backend = MemoryBackend()
    for addr, acct in pre.items():
        backend.set_account(
            _address(addr),
            nonce=_int(acct.get("nonce", "0x0")),
            balance=_int(acct.get("balance", "0x0")),
            code=_bytes(acct.get("code", "0x")),
            storage={_int(k): _int(v) for k, v in acct.get("storage", {}).items()},
        )
    return backend


def build_block(env: dict[str, Any]) -> BlockEnv:
    def block_hash(number: int) -> bytes:
        return keccak_256(str(number).encode()).digest()

    return BlockEnv(
        coinbase=_address(env["currentCoinbase"]),
        number=_int(env["currentNumber"]),
        timestamp=_int(env["currentTimestamp"]),
        gas_limit=_int(env["currentGasLimit"]),
        prev_randao=_int(env.get("currentRandom", env.get("currentDifficulty", "0x0"))).to_bytes(
            32, "big"
        ),
        base_fee=_int(env.get("currentBaseFee", "0x0")),
        excess_blob_gas=_int(env.get("currentExcessBlobGas", "0x0")),
        chain_id=1,
        block_hashes=block_hash,
    )


def build_transaction(t: dict[str, Any], d: int, g: int, v: int) -> Transaction:
    """The (unsigned) transaction selected by the indexes; sender comes separately."""
    to_field = t.get("to", "")
    to = _address(to_field) if to_field else None
    access_lists = t.get("accessLists")
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] = ()
    has_access_list = (
        access_lists is not None and d < len(access_lists) and access_lists[d] is not None
    )
    if has_access_list and access_lists is not None:
        access_list = tuple(
            (_address(e["address"]), tuple(_int(k) for k in e["storageKeys"]))
            for e in access_lists[d]
        )
    fields = dict(
        nonce=_int(t["nonce"]),
        gas_limit=_int(t["gasLimit"][g]),
        to=to,
        value=_int(t["value"][v]),
        data=_bytes(t["data"][d]),
        access_list=access_list,
    )
    for key in ("nonce", "gas_limit", "value"):
        if fields[key] >= U256_LIMIT:  # type: ignore[operator]
            raise TransactionDecodingError(f"{key} does not fit 256 bits")
    if "blobVersionedHashes" in t:
        return Transaction(
            tx_type=3,
            chain_id=1,
            max_fee_per_gas=_int(t["maxFeePerGas"]),
            max_priority_fee_per_gas=_int(t["maxPriorityFeePerGas"]),
            max_fee_per_blob_gas=_int(t["maxFeePerBlobGas"]),
            blob_versioned_hashes=tuple(_bytes(h) for h in t["blobVersionedHashes"]),
            **fields,  # type: ignore[arg-type]
        )
    if "maxFeePerGas" in t:
        tx = Transaction(
            tx_type=2,
            chain_id=1,
            max_fee_per_gas=_int(t["maxFeePerGas"]),
            max_priority_fee_per_gas=_int(t["maxPriorityFeePerGas"]),
            **fields,  # type: ignore[arg-type]
        )
        if tx.max_fee_per_gas >= U256_LIMIT or tx.max_priority_fee_per_gas >= U256_LIMIT:
            raise TransactionDecodingError("fee does not fit 256 bits")
        return tx
    gas_price = _int(t["gasPrice"])
    if gas_price >= U256_LIMIT:
        raise TransactionDecodingError("gas price does not fit 256 bits")
    return Transaction(
        tx_type=1 if has_access_list else 0,
        chain_id=1 if has_access_list else None,
        gas_price=gas_price,
        **fields,  # type: ignore[arg-type]
    )


def _sender(t: dict[str, Any]) -> bytes:
    if t.get("secretKey"):
        return address_of_key(_bytes(t["secretKey"]))
    return _address(t["sender"])


def run_case(case: Case) -> CaseResult:
    """Execute one case and compare the state root and logs hash."""
    test = case.test
    backend = build_backend(test["pre"])
    block = build_block(test["env"])
    expected_root = case.post["hash"].lower()
    expected_logs = case.post.get("logs", "0x" + EMPTY_LOGS_HASH.hex()).lower()
    expect_exception = case.post.get("expectException")
    rejected: Exception | None = None
    try:
        tx = build_transaction(test["transaction"], case.d, case.g, case.v)
        result = apply_transaction(backend, block, tx, sender=_sender(test["transaction"]))
        root, logs = result.state_root, logs_hash(result.logs)
    except InvalidTransaction as exc:
        rejected = exc
        root, logs = backend.state_root(), EMPTY_LOGS_HASH
    actual_root = "0x" + root.hex()
    actual_logs = "0x" + logs.hex()
    passed = actual_root == expected_root and actual_logs == expected_logs
    message = ""
    if expect_exception and rejected is None:
        passed = False
        message = f"expected exception {expect_exception}, transaction was accepted"
    elif rejected is not None and not expect_exception:
        passed = False
        message = f"unexpected rejection: {type(rejected).__name__}: {rejected}"
    return CaseResult(case, passed, expected_root, actual_root, expected_logs, actual_logs, message)


def run_cases(cases: list[Case]) -> list[CaseResult]:
    """Run cases inside a thread with room for 1024-deep call recursion."""
    return run_in_big_stack(lambda: [run_case(c) for c in cases])


def find_test_files(paths: list[Path]) -> Iterator[Path]:
    """Every ``*.json`` under the given files/directories, sorted per argument."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            yield path
