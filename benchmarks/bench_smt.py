"""Throughput and proof sizes of the state tree, the LMDB store and the step commitments.

    .venv/bin/python benchmarks/bench_smt.py [--sizes 10000,100000] [--transfers 3000]

Prints, for trees of each size: single-key updates/s, ERC-20-transfer-shaped batches/s
(two storage slots in one tree), proofs/s, verifications/s and the proof size (non-empty
siblings, depth, compact bytes); then MerkleStore applies/s for transfer-shaped diffs
(two slots + sender + coinbase), and the cost of the per-step commitment primitives.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.evm import commitment as c  # noqa: E402
from agents.evm import smt  # noqa: E402
from agents.evm.backend import Account, StateDiff  # noqa: E402
from agents.evm.store import MerkleStore  # noqa: E402


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


def bench_tree(size: int, rounds: int, rnd: random.Random) -> None:
    store: dict[bytes, bytes] = {}
    keys = [i.to_bytes(32, "big") for i in range(size)]
    t0 = time.perf_counter()
    root = smt.update(store, smt.EMPTY, {k: rnd.randbytes(32) for k in keys})
    build = time.perf_counter() - t0
    print(f"\n== {size:,} leaves (bulk build {build:.2f}s, {size / build:,.0f} leaves/s)")

    t0 = time.perf_counter()
    for _ in range(rounds):
        root = smt.update(store, root, {rnd.choice(keys): rnd.randbytes(32)})
    print(f"  single-key updates      {rate(rounds, time.perf_counter() - t0)}")

    t0 = time.perf_counter()
    for _ in range(rounds):
        root = smt.update(
            store, root, {rnd.choice(keys): rnd.randbytes(32), rnd.choice(keys): rnd.randbytes(32)}
        )
    print(f"  2-slot batches          {rate(rounds, time.perf_counter() - t0)}")

    probes = [rnd.choice(keys) for _ in range(rounds)] + [
        rnd.randbytes(32) for _ in range(rounds // 4)
    ]
    t0 = time.perf_counter()
    proofs = [smt.prove(store, root, k) for k in probes]
    print(f"  proofs                  {rate(len(probes), time.perf_counter() - t0)}")
    values = [smt.get(store, root, k) for k in probes]
    t0 = time.perf_counter()
    for k, v, p in zip(probes, values, proofs, strict=True):
        assert smt.verify_proof(root, k, v, p)
    print(f"  verifications           {rate(len(probes), time.perf_counter() - t0)}")
    inclusion = proofs[:rounds]
    sizes = [p.size_bytes() for p in inclusion]
    print(
        "  inclusion proof: "
        f"{statistics.mean(len(p.siblings) for p in inclusion):.1f} siblings "
        f"(max {max(len(p.siblings) for p in inclusion)}), "
        f"depth {statistics.mean(p.depth for p in inclusion):.1f}, "
        f"{statistics.mean(sizes):.0f} bytes mean / {max(sizes)} max"
    )
    mean_depth = statistics.mean(p.depth for p in inclusion)
    print(
        "  (a full 256-level SMT proof is 256 siblings = 8,192 bytes; "
        f"hashes per update here ~ depth + 1 = {mean_depth + 1:.0f})"
    )


def bench_store(
    holders: int, transfers: int, applies_per_write: int, keep_all: bool, rnd: random.Random
) -> None:
    token = b"\x70" * 20
    coinbase = b"\xc0" * 20
    senders = [rnd.randbytes(20) for _ in range(holders)]
    with tempfile.TemporaryDirectory() as directory:
        store = MerkleStore(
            directory, applies_per_write=applies_per_write, keep_intermediate_roots=keep_all
        )
        genesis = StateDiff(accounts={a: Account(0, 10**20) for a in senders})
        genesis.accounts[token] = Account(1, 0, b"\x11" * 32)
        genesis.codes[b"\x11" * 32] = b"\x00"
        genesis.storage[token] = {int.from_bytes(a, "big"): 10**6 for a in senders}
        t0 = time.perf_counter()
        store.apply(genesis)
        store.flush()  # otherwise the first group write of the timed loop carries genesis
        genesis_time = time.perf_counter() - t0
        del genesis
        gc.collect()
        nonces = dict.fromkeys(senders, 0)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        for i in range(transfers):
            sender, receiver = rnd.choice(senders), rnd.choice(senders)
            nonces[sender] += 1
            store.apply(
                StateDiff(
                    accounts={
                        sender: Account(nonces[sender], 10**20 - i),
                        coinbase: Account(0, i + 1),
                    },
                    storage={
                        token: {
                            int.from_bytes(sender, "big"): rnd.randrange(10**6),
                            int.from_bytes(receiver, "big"): rnd.randrange(10**6),
                        }
                    },
                )
            )
        store.flush()
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        store.close()
    roots = "every root kept" if keep_all else "head-only writes"
    print(
        f"  {holders:,} holders, applies_per_write={applies_per_write:<3} {roots:<16}: "
        f"{rate(transfers, elapsed)} wall, {rate(transfers, cpu)} cpu "
        f"(genesis {genesis_time:.1f}s)"
    )


def bench_steps(rounds: int, rnd: random.Random) -> None:
    stack = c.StackCommitment()
    values = [rnd.getrandbits(256) for _ in range(rounds)]
    t0 = time.perf_counter()
    for v in values:
        stack.push(v)
        stack.push(v)
        stack.pop(2)
        stack.push(v)
    per_op = (time.perf_counter() - t0) / (4 * rounds)
    print(f"  stack push/pop          {1 / per_op:>10,.0f}/s")
    memory = c.MemoryTree()
    memory.expand(1024)
    t0 = time.perf_counter()
    for i, v in enumerate(values):
        memory.write_word(i % 1024, v.to_bytes(32, "big"))
    print(f"  memory word writes (32 KiB memory) {rate(rounds, time.perf_counter() - t0)}")
    frame = c.Frame()
    machine = c.MachineState()
    t0 = time.perf_counter()
    for i in range(rounds // 10):
        frame.pc = i
        machine.frame_hash = frame.hash()
        machine.hash()
    print(f"  frame + machine hash    {rate(rounds // 10, time.perf_counter() - t0)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--transfers", type=int, default=3000)
    args = parser.parse_args()
    rnd = random.Random(20261122)
    for size in (int(s) for s in args.sizes.split(",")):
        bench_tree(size, args.rounds, rnd)
    print("\n== LMDB store (ERC-20 transfer diffs: 2 slots, sender, coinbase)")
    for per_write, keep_all in ((1, True), (64, True), (64, False), (512, False)):
        bench_store(100_000, args.transfers, per_write, keep_all, rnd)
    print("\n== per-step commitment primitives")
    bench_steps(args.rounds * 10, rnd)


if __name__ == "__main__":
    main()
