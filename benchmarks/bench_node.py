"""Producer node throughput and latency beside anvil, same ERC-20 workload, one run.

    .venv/bin/python benchmarks/bench_node.py [--transfers N] [--senders K]
        [--block-times 50,10] [--producers 1,4] [--rates 100,300] [--latency-seconds 5]

Both chains get the same pre-signed raw transactions (same chain id, same deployer, so
the token lands at the same address): ``DevnetToken`` (``out/``, built by forge) is
deployed, minted to ``K`` senders, then the senders send ERC-20 transfers.

* **Sustained throughput**: all ``N`` transfers are submitted as fast as possible in
  JSON-RPC batches of 100 ``eth_sendRawTransaction`` (4 client threads); the rate is
  ``N / (time the last transfer is in a block - first submission)``. For the rollup a
  transfer in a block is a tier-1 receipt (one producer).
* **Latency at fixed offered load**: one transfer per request, sent open-loop at ``rate``
  per second for ``--latency-seconds``; latency = first sight of its block by a poller
  (``eth_blockNumber`` every 2 ms, then the new blocks' hashes) minus the send time;
  p50 / p99 / max. Requests that fall behind schedule are sent at once (so the offered
  load is kept when the node slows the sender).

The producer runs as ``altrollup producer run`` (once per ``--block-times`` entry, fresh
state directory each time), and as a set of ``--producers`` processes with GRANDPA at
the first block time (the workload goes to the first producer; tier 1 = finalized).
anvil runs with ``--block-time 1`` for the throughput test (the baseline of
``MISSION.md``) and automine (a block per transaction, the lowest latency it offers)
for the latency test. Everything shares the machine's cores with the client,
so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_abi import encode as abi_encode  # noqa: E402
from sha3 import keccak_256  # noqa: E402

from agents.evm.transactions import (  # noqa: E402
    Transaction,
    address_of_key,
    encode_transaction,
    sign_transaction,
)
from agents.l1.anvil import AnvilProcess  # noqa: E402
from agents.producer.genesis import DEV_ACCOUNTS  # noqa: E402
from agents.rpc.client import JsonRpcClient  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARTIFACT = REPO / "out" / "DevnetToken.sol" / "DevnetToken.json"
CHAIN_ID = 4242
DEPLOYER_KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
TARGET_TPS = 1000
TARGET_P50_MS = 20


def selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def signed(key: bytes, nonce: int, to: bytes | None, data: bytes, gas: int) -> bytes:
    tx = Transaction(tx_type=2, chain_id=CHAIN_ID, nonce=nonce, gas_limit=gas, to=to,
                     data=data, max_fee_per_gas=50 * 10**9,
                     max_priority_fee_per_gas=10**9)  # fmt: skip
    return encode_transaction(sign_transaction(tx, key))


def contract_address(sender: bytes, nonce: int) -> bytes:
    from agents.evm import rlp

    return keccak_256(rlp.encode([sender, nonce])).digest()[12:]


@dataclass
class Workload:
    setup: list[bytes]
    transfers: list[bytes]
    latency: list[bytes]
    senders: list[bytes]


def build_workload(transfers: int, latency: int, senders: int) -> Workload:
    if not ARTIFACT.exists():
        forge = str(REPO / "node_modules" / ".bin" / "forge")
        subprocess.run([forge, "build"], cwd=REPO, check=True, capture_output=True)
    artifact = json.loads(ARTIFACT.read_text())
    init = bytes.fromhex(artifact["bytecode"]["object"].removeprefix("0x"))
    deploy = init + abi_encode(["string", "string"], ["Bench", "BEN"])
    deployer = address_of_key(DEPLOYER_KEY)
    token = contract_address(deployer, 0)
    # two sender sets, so the latency phase runs with or without the throughput phase
    keys = [(0xB0B0 + i).to_bytes(32, "big") for i in range(2 * senders)]
    addresses = [address_of_key(k) for k in keys]
    setup = [signed(DEPLOYER_KEY, 0, None, deploy, 3_000_000)]
    for i, address in enumerate(addresses):
        mint = selector("mint(address,uint256)") + abi_encode(
            ["address", "uint256"], [address, 10**30]
        )
        setup.append(signed(DEPLOYER_KEY, i + 1, token, mint, 200_000))
    transfer = selector("transfer(address,uint256)")
    nonces = [0] * (2 * senders)
    out: list[list[bytes]] = [[], []]
    for phase, count in enumerate((transfers, latency)):
        for i in range(count):
            s = phase * senders + i % senders
            to = addresses[(s + 1) % (2 * senders)]
            data = transfer + abi_encode(["address", "uint256"], [to, 1 + i % 7])
            out[phase].append(signed(keys[s], nonces[s], token, data, 100_000))
            nonces[s] += 1
    return Workload(setup, out[0], out[1], addresses)


class BlockWatcher:
    """Records when each transaction hash is first seen in a block."""

    def __init__(self, url: str) -> None:
        self.client = JsonRpcClient(url, timeout=30)
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._next = int(self.client.call("eth_blockNumber"), 16) + 1
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            head = int(self.client.call("eth_blockNumber"), 16)
            if head >= self._next:
                now = time.perf_counter()
                answers = self.client.batch(
                    [("eth_getBlockByNumber", [hex(n), False]) for n in range(self._next, head + 1)]
                )
                with self.lock:
                    for answer in answers:
                        for tx_hash in answer["result"]["transactions"]:
                            self.seen.setdefault(tx_hash, now)
                self._next = head + 1
            else:
                time.sleep(0.002)

    def wait_for(self, hashes: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(h in self.seen for h in hashes):
                    return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def tx_hash(raw: bytes) -> str:
    return "0x" + keccak_256(raw).hexdigest()


def submit_batched(url: str, raws: list[bytes], threads: int = 4, batch: int = 100) -> None:
    chunks = [raws[i : i + batch] for i in range(0, len(raws), batch)]
    # a sender's nonces must arrive in order: chunk i goes to thread i % threads, and the
    # workload interleaves senders, so each thread keeps per-sender order within a chunk
    # and chunks are sent in order by one thread each round.
    lock = threading.Lock()
    next_chunk = [0]

    def worker() -> None:
        client = JsonRpcClient(url, timeout=60)
        while True:
            with lock:
                index = next_chunk[0]
                next_chunk[0] += 1
            if index >= len(chunks):
                return
            answers = client.batch(
                [("eth_sendRawTransaction", ["0x" + r.hex()]) for r in chunks[index]]
            )
            errors = [a["error"] for a in answers if "error" in a]
            if errors:
                raise RuntimeError(f"submission rejected: {errors[0]}")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


@dataclass
class Result:
    name: str
    throughput: float | None = None
    latency: dict[int, tuple[float, float, float, int]] = field(default_factory=dict)


def run_setup(url: str, work: Workload) -> None:
    watcher = BlockWatcher(url)
    client = JsonRpcClient(url, timeout=60)
    client.call("eth_sendRawTransaction", "0x" + work.setup[0].hex())
    assert watcher.wait_for([tx_hash(work.setup[0])], 60), "token deployment not mined"
    for raw in work.setup[1:]:
        client.call("eth_sendRawTransaction", "0x" + raw.hex())
    assert watcher.wait_for([tx_hash(r) for r in work.setup], 60), "mints not mined"
    watcher.stop()
    for raw in work.setup:
        receipt = client.call("eth_getTransactionReceipt", tx_hash(raw))
        assert receipt["status"] == "0x1", f"setup transaction failed: {receipt}"


def measure_throughput(url: str, raws: list[bytes]) -> float:
    watcher = BlockWatcher(url)
    started = time.perf_counter()
    submit_batched(url, raws)
    hashes = [tx_hash(r) for r in raws]
    if not watcher.wait_for(hashes, 300):
        raise RuntimeError("not every transfer was included within 300 s")
    last = max(watcher.seen[h] for h in hashes)
    watcher.stop()
    return len(raws) / (last - started)


def measure_latency(url: str, raws: list[bytes], rate: int) -> tuple[float, float, float, int]:
    watcher = BlockWatcher(url)
    client = JsonRpcClient(url, timeout=30)
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for i, raw in enumerate(raws):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent[tx_hash(raw)] = time.perf_counter()
        client.call("eth_sendRawTransaction", "0x" + raw.hex())
    if not watcher.wait_for(list(sent), 120):
        raise RuntimeError("not every latency transfer was included within 120 s")
    watcher.stop()
    latencies = sorted((watcher.seen[h] - t) * 1000 for h, t in sent.items())
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, latencies[-1], len(latencies)


def bench_chain(
    name: str, start: Callable[[], tuple[str, Callable[[], None]]], work: Workload,
    rates: list[int], latency_count: Callable[[int], int], phase: str,
) -> Result:  # fmt: skip
    result = Result(name)
    url, stop = start()
    try:
        run_setup(url, work)
        if phase in ("both", "throughput"):
            result.throughput = measure_throughput(url, work.transfers)
        if phase in ("both", "latency"):
            offset = 0
            for rate in rates:
                count = latency_count(rate)
                chunk = work.latency[offset : offset + count]
                offset += count
                result.latency[rate] = measure_latency(url, chunk, rate)
    finally:
        stop()
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_producer(
    block_time_ms: int, senders: list[bytes], producers: int = 1
) -> tuple[str, Callable[[], None]]:
    """``producers`` node processes (GRANDPA among them when more than one); the
    workload goes to the first, which passes transactions on to the others."""
    state = Path(tempfile.mkdtemp(prefix="bench-node-"))
    genesis = state.with_suffix(".genesis.json")
    alloc = {a: {"balance": hex(10**22)} for a in DEV_ACCOUNTS}
    alloc.update({"0x" + s.hex(): {"balance": hex(10**22)} for s in senders})
    genesis.write_text(json.dumps({"alloc": alloc}))
    altrollup = str(Path(sys.executable).with_name("altrollup"))
    keys = [bytes([0x21 + i]) * 32 for i in range(producers)]
    ports = [free_port() for _ in range(producers)]
    procs = []
    for i in range(producers):
        extra: list[str] = []
        if producers > 1:
            extra = ["--voter-key", "0x" + keys[i].hex(), "--slot-timeout-ms", "500"]
            extra += [f"--validator=0x{address_of_key(k).hex()}" for k in keys]
            extra += [f"--peer=http://127.0.0.1:{p}" for j, p in enumerate(ports) if j != i]
        procs.append(subprocess.Popen(
            [altrollup, "producer", "run", "--state-dir", str(state / f"node{i}"),
             "--chain-id", str(CHAIN_ID), "--genesis", str(genesis), "--port", str(ports[i]),
             "--block-time", str(block_time_ms), "--quiet", *extra],
            stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        ))  # fmt: skip
    urls = []
    for proc in procs:
        assert proc.stdout is not None
        urls.append(json.loads(proc.stdout.readline())["listening"])

    def stop() -> None:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)
        genesis.unlink(missing_ok=True)

    return urls[0], stop


def start_anvil(block_time: float | None, senders: list[bytes]) -> tuple[str, Callable[[], None]]:
    node = AnvilProcess(chain_id=CHAIN_ID, block_time=block_time).start()
    client = JsonRpcClient(node.url)
    for sender in senders:
        client.call("anvil_setBalance", "0x" + sender.hex(), hex(10**22))
    return node.url, node.stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--block-times", default="50,10", help="producer block times (ms)")
    parser.add_argument("--producers", default="1,4", help="producer set sizes (GRANDPA if > 1)")
    parser.add_argument("--rates", default="100,300")
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r]

    def latency_count(rate: int) -> int:
        return max(1, int(rate * args.latency_seconds))

    started = time.perf_counter()
    work = build_workload(args.transfers, sum(latency_count(r) for r in rates), args.senders)
    elapsed = time.perf_counter() - started
    print(f"signed {len(work.transfers) + len(work.latency)} transfers in {elapsed:.1f}s;"
          f" load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    block_times = [int(b) for b in args.block_times.split(",") if b]
    setups = [(1, ms) for ms in block_times] + [(n, block_times[0]) for n in
                                                 [int(p) for p in args.producers.split(",") if p]
                                                 if n > 1]  # fmt: skip
    results = [
        bench_chain(f"altrollup {n} producer{'s' if n > 1 else ''} ({ms} ms blocks)",
                    lambda n=n, ms=ms: start_producer(ms, work.senders, n),  # type: ignore[misc]
                    work, rates, latency_count, "both")
        for n, ms in setups
    ]  # fmt: skip
    results += [
        bench_chain("anvil --block-time 1", lambda: start_anvil(1, work.senders), work,
                    rates, latency_count, "throughput"),
        bench_chain("anvil automine", lambda: start_anvil(None, work.senders), work, rates,
                    latency_count, "latency"),
    ]  # fmt: skip
    print()
    print(f"ERC-20 transfers, {args.transfers} submitted in batches of 100 (4 threads), "
          f"{args.senders} senders")  # fmt: skip
    print(f"{'node':<36} {'tx/s to tier-1/block':>22} {'vs anvil':>9}")
    base = results[len(setups)].throughput
    for r in results:
        if r.throughput is None:
            continue
        ratio = f"{r.throughput / base:.2f}x" if base else "-"
        print(f"{r.name:<36} {r.throughput:>22,.0f} {ratio:>9}")
    best = max(r.throughput or 0 for r in results[: len(block_times)])
    print(f"target: >= {TARGET_TPS:,} tx/s with one producer -> "
          f"{'met' if best >= TARGET_TPS else 'NOT met'} (best {best:,.0f})")  # fmt: skip
    print()
    print(f"latency, one transfer per request, open loop, {args.latency_seconds:g} s per rate")
    print(f"{'node':<36} {'offered tx/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'n':>6}")
    for r in results:
        for rate, (p50, p99, worst, n) in r.latency.items():
            print(f"{r.name:<36} {rate:>12} {p50:>8.1f} {p99:>8.1f} {worst:>8.1f} {n:>6}")
    p50s = [r.latency[100][0] for r in results[: len(block_times)] if 100 in r.latency]
    if p50s:
        verdict = "met" if min(p50s) <= TARGET_P50_MS else "NOT met"
        print(
            f"target: p50 <= {TARGET_P50_MS} ms at 100 tx/s -> {verdict} (best {min(p50s):.1f} ms)"
        )


if __name__ == "__main__":
    main()
