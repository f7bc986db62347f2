"""Trace-mode throughput beside fast mode (one core, one run).

``python benchmarks/bench_trace.py [--loop N] [--transfers N]`` runs two workloads on an
LMDB :class:`~agents.evm.store.MerkleStore` (temporary directory), each once in fast
mode and once in trace mode on identical pre-states, and prints steps/s:

* a loop-heavy contract (countdown with DUP/SUB/MSTORE/JUMPI, ``N`` iterations);
* ERC-20 ``transfer`` calls of the OpenZeppelin devnet token
  (``out/DevnetToken.sol/DevnetToken.json``; run ``node_modules/.bin/forge build``).

"Steps" are trace steps (instructions plus sub-steps); fast mode is reported as
instructions/s over the same instructions, so the ratio is the cost of the commitments.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_abi import encode as abi_encode
from sha3 import keccak_256

from agents.evm.backend import Account, StateDiff
from agents.evm.interpreter import run_in_big_stack
from agents.evm.processing import apply_transaction
from agents.evm.store import MerkleStore
from agents.evm.trace import trace_transaction
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv

ARTIFACT = Path(__file__).resolve().parents[1] / "out" / "DevnetToken.sol" / "DevnetToken.json"
SENDER = bytes.fromhex("11" * 20)
LOOP = bytes.fromhex("aa" * 20)
BLOCK = BlockEnv(coinbase=b"\xc0" * 20, number=1, timestamp=1, gas_limit=1_000_000_000, chain_id=1)


def loop_code(iterations: int) -> bytes:
    """PUSH3 n; loop: PUSH1 1 SWAP1 SUB DUP1 PUSH1 0 MSTORE DUP1 PUSH1 4 JUMPI; STOP."""
    return bytes.fromhex(f"62{iterations:06x}5b600190038060005280600457" + "00")


def _selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(CPU seconds of this thread, result): the machine is shared, so CPU time is the
    one-core figure; wall time is printed beside it by :func:`main`."""
    start = time.thread_time()
    wall = time.perf_counter()
    out = fn()
    _WALL.append(time.perf_counter() - wall)
    return time.thread_time() - start, out


_WALL: list[float] = []


def _fresh_store(tmp: str, name: str, setup: Callable[[MerkleStore], None]) -> MerkleStore:
    store = MerkleStore(Path(tmp) / name)
    setup(store)
    return store


def bench_loop(tmp: str, iterations: int) -> dict[str, float]:
    def setup(store: MerkleStore) -> None:
        genesis = StateDiff()
        genesis.accounts[SENDER] = Account(0, 10**24)
        code = loop_code(iterations)
        code_hash = keccak_256(code).digest()
        genesis.accounts[LOOP] = Account(0, 0, code_hash)
        genesis.codes[code_hash] = code
        store.apply(genesis)

    tx = Transaction(nonce=0, gas_limit=900_000_000, to=LOOP, gas_price=1)
    fast_store = _fresh_store(tmp, "loop-fast", setup)
    fast_seconds, fast = _timed(lambda: apply_transaction(fast_store, BLOCK, tx, SENDER))
    trace_store = _fresh_store(tmp, "loop-trace", setup)
    trace_seconds, trace = _timed(lambda: trace_transaction(trace_store, BLOCK, tx, SENDER))
    assert trace.result.state_root == fast.state_root  # type: ignore[union-attr]
    instructions = sum(1 for k in trace.kinds if k < 0x100)  # type: ignore[union-attr]
    return {
        "steps": trace.step_count,  # type: ignore[union-attr]
        "instructions": instructions,
        "fast_s": fast_seconds,
        "trace_s": trace_seconds,
        "fast_wall": _WALL[-2],
        "trace_wall": _WALL[-1],
    }


def bench_erc20(tmp: str, transfers: int) -> dict[str, float] | None:
    if not ARTIFACT.exists():
        return None
    artifact = json.loads(ARTIFACT.read_text())
    init_code = bytes.fromhex(artifact["bytecode"]["object"].removeprefix("0x"))
    holders = [bytes([0x20 + i]) * 20 for i in range(16)]
    token: list[bytes] = []

    def setup(store: MerkleStore) -> None:
        genesis = StateDiff()
        for a in [SENDER, *holders]:
            genesis.accounts[a] = Account(0, 10**24)
        store.apply(genesis)
        deploy = init_code + abi_encode(["string", "string"], ["Bench", "BEN"])
        tx = Transaction(nonce=0, gas_limit=5_000_000, to=None, data=deploy, gas_price=1)
        result = apply_transaction(store, BLOCK, tx, SENDER)
        assert result.success and result.contract_address is not None
        token[:] = [result.contract_address]
        for i, holder in enumerate(holders):
            call = _selector("mint(address,uint256)") + abi_encode(
                ["address", "uint256"], [holder, 10**30]
            )
            tx = Transaction(nonce=i + 1, gas_limit=500_000, to=token[0], data=call, gas_price=1)
            assert apply_transaction(store, BLOCK, tx, SENDER).success

    def transfers_of(store: MerkleStore) -> list[tuple[Transaction, bytes]]:
        out = []
        for i in range(transfers):
            s = i % len(holders)
            data = _selector("transfer(address,uint256)") + abi_encode(
                ["address", "uint256"], [holders[(s + 1) % len(holders)], 1 + i]
            )
            tx = Transaction(nonce=i // len(holders), gas_limit=200_000, to=token[0], data=data,
                             gas_price=1)  # fmt: skip
            out.append((tx, holders[s]))
        return out

    fast_store = _fresh_store(tmp, "erc20-fast", setup)
    fast_txs = transfers_of(fast_store)
    fast_seconds, fast_roots = _timed(
        lambda: [apply_transaction(fast_store, BLOCK, tx, s).state_root for tx, s in fast_txs]
    )
    trace_store = _fresh_store(tmp, "erc20-trace", setup)
    trace_txs = transfers_of(trace_store)
    trace_seconds, traces = _timed(
        lambda: [trace_transaction(trace_store, BLOCK, tx, s) for tx, s in trace_txs]
    )
    assert [t.result.state_root for t in traces] == fast_roots  # type: ignore[attr-defined]
    return {
        "steps": sum(t.step_count for t in traces),  # type: ignore[attr-defined]
        "instructions": sum(
            sum(1 for k in t.kinds if k < 0x100)
            for t in traces  # type: ignore[attr-defined]
        ),
        "fast_s": fast_seconds,
        "trace_s": trace_seconds,
        "fast_wall": _WALL[-2],
        "trace_wall": _WALL[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loop", type=int, default=20_000, help="loop iterations")
    parser.add_argument("--transfers", type=int, default=300, help="ERC-20 transfers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("loop", bench_loop(tmp, args.loop)), ("erc20", bench_erc20(tmp, args.transfers))]
    print(f"{'workload':<10}{'steps':>10}{'instr':>10}{'fast instr/s':>15}"
          f"{'trace steps/s':>15}{'trace/fast':>12}   (CPU time; wall-clock steps/s)")  # fmt: skip
    for name, row in rows:
        if row is None:
            print(f"{name:<10} skipped: {ARTIFACT} missing (run forge build)")
            continue
        fast_rate = row["instructions"] / row["fast_s"]
        trace_rate = row["steps"] / row["trace_s"]
        print(
            f"{name:<10}{row['steps']:>10.0f}{row['instructions']:>10.0f}{fast_rate:>15,.0f}"
            f"{trace_rate:>15,.0f}{row['fast_s'] / row['trace_s']:>12.2f}"
            f"   (wall: fast {row['instructions'] / row['fast_wall']:,.0f},"
            f" trace {row['steps'] / row['trace_wall']:,.0f})"
        )


if __name__ == "__main__":
    run_in_big_stack(main)
