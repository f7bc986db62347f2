"""Crash tests with real processes: an aggregator and a producer intake run as
subprocesses on free ports; signed transactions stream in from several threads while
one of them is killed with SIGKILL and restarted on the same database and port.

Checked afterwards, from the producer's database:

* every transaction that got a successful RPC answer reached the producer exactly once;
* nothing reached it that was never sent (at most the few whose answer was lost in
  the crash, which were committed but unanswered);
* the aggregator's sequence numbers are ``1..N`` with no gap and no duplicate, and each
  sender's accepted transactions carry increasing sequence numbers (answer order);
* the producer's ordered output lists them in sequence order;
* a batch the producer discards once is recovered through the gap mechanism, and
  backpressure answers -32005 while the producer is down, then recovers.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aggregator_helpers import CHAIN_ID, KEYS, free_port, hex_of, sign, wait_until

from agents.producer.intake import ProducerIntake
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError

REPO = Path(__file__).resolve().parents[2]
AGGREGATOR_ID = "agg-crash"


class Process:
    """A child process started from a module, waiting for its ``listening`` line."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        self.args = args
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 15.0) -> str:
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, *self.args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise AssertionError(f"{self.args} did not start; see {self.log_path}")
        line = self.proc.stdout.readline()
        return str(json.loads(line)["listening"])

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Load:
    """Outcome of the sending threads."""

    accepted: dict[str, list[str]] = field(default_factory=dict)  # sender -> hashes in order
    uncertain: set[str] = field(default_factory=set)  # no answer (crash): maybe stored
    overloaded: int = 0
    other_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all_accepted(self) -> list[str]:
        return [h for hashes in self.accepted.values() for h in hashes]


def run_senders(
    url: str, raws_by_sender: dict[str, list[bytes]], load: Load, stop: threading.Event
) -> list[threading.Thread]:
    def sender(name: str, raws: list[bytes]) -> None:
        client = JsonRpcClient(url, timeout=5.0)
        load.accepted[name] = []
        deadline = time.monotonic() + 40
        for raw in raws:
            if stop.is_set() or time.monotonic() > deadline:
                return
            tx_hash = "0x" + __import__("sha3").keccak_256(raw).hexdigest()
            while True:
                try:
                    client.call("eth_sendRawTransaction", hex_of(raw))
                except RpcTransportError:
                    with load.lock:
                        load.uncertain.add(tx_hash)
                    time.sleep(0.02)  # aggregator down: move on to the next transaction
                    break
                except RpcCallError as exc:
                    if exc.code == -32005:
                        with load.lock:
                            load.overloaded += 1
                        time.sleep(0.02)
                        continue  # backpressure: retry the same transaction later
                    if exc.message == "already known" and tx_hash in load.uncertain:
                        break  # committed before the crash, answer lost: still uncertain
                    with load.lock:
                        load.other_errors.append(exc.message)
                    break
                with load.lock:
                    load.accepted[name].append(tx_hash)
                    load.uncertain.discard(tx_hash)
                break

    threads = [
        threading.Thread(target=sender, args=(name, raws), daemon=True)
        for name, raws in raws_by_sender.items()
    ]
    for thread in threads:
        thread.start()
    return threads


def signed_load(senders: int, per_sender: int) -> dict[str, list[bytes]]:
    return {
        f"s{index}": [sign(KEYS[index], nonce=n, value=index + 1) for n in range(per_sender)]
        for index in range(senders)
    }


def aggregator_args(db: Path, port: int, producer_url: str, *extra: str) -> list[str]:
    return [
        "-m", "agents.aggregator", "--id", AGGREGATOR_ID, "--db", str(db), "--port", str(port),
        "--chain-id", str(CHAIN_ID), "--producer", producer_url, "--batch-size", "32",
        "--batch-interval-ms", "10", "--heartbeat-ms", "100", "--quiet", *extra,
    ]  # fmt: skip


def producer_args(db: Path, port: int, aggregator_url: str, *extra: str) -> list[str]:
    return [
        "-m", "agents.producer.intake", "--id", "p1", "--db", str(db), "--port", str(port),
        "--chain-id", str(CHAIN_ID), "--aggregator", f"{AGGREGATOR_ID}={aggregator_url}", *extra,
    ]  # fmt: skip


def wait_delivered(aggregator_url: str, producer_url: str, timeout: float = 30.0) -> int:
    agg, prod = JsonRpcClient(aggregator_url), JsonRpcClient(producer_url)

    def done() -> bool:
        status = agg.call("altrollup_aggregatorStatus")
        mine = [
            a for a in prod.call("altrollup_intakeStatus")["aggregators"]
            if a["aggregatorId"] == AGGREGATOR_ID
        ]  # fmt: skip
        return (
            status["unacked"] == 0 and bool(mine) and mine[0]["contiguousSeq"] == status["headSeq"]
        )

    wait_until(done, timeout=timeout, interval=0.1)
    return int(agg.call("altrollup_aggregatorStatus")["headSeq"])


def check_delivery(producer_db: Path, load: Load, head: int) -> None:
    intake = ProducerIntake(producer_db, "p1", silence_timeout_ms=10**9)
    try:
        entries = intake.entries_of(AGGREGATOR_ID)
        ordered = intake.next_block_candidates(100_000)
    finally:
        intake.close()
    seqs = [e.seq for e in entries]
    hashes = ["0x" + e.tx_hash.hex() for e in entries]
    assert seqs == list(range(1, head + 1)), "sequence numbers must be 1..N without gaps"
    assert len(set(hashes)) == len(hashes), "a transaction reached the producer twice"
    accepted = load.all_accepted()
    assert set(accepted) <= set(hashes), "an acknowledged transaction was lost"
    assert set(hashes) - set(accepted) <= load.uncertain, "the producer got something never sent"
    seq_of = dict(zip(hashes, seqs, strict=True))
    for name, sent in load.accepted.items():
        order = [seq_of[h] for h in sent]
        assert order == sorted(order), f"{name}: sequence numbers out of answer order"
    mine = [tx.seq for tx in ordered if tx.aggregator_id == AGGREGATOR_ID]
    assert mine == seqs, "the ordered output must follow the sequence"
    assert not load.other_errors, load.other_errors[:5]


@pytest.fixture
def processes() -> Any:
    started: list[Process] = []

    def spawn(args: list[str], log_path: Path) -> Process:
        process = Process(args, log_path)
        started.append(process)
        return process

    yield spawn
    for process in started:
        process.kill()


def test_kill_aggregator_under_load(tmp_path: Path, processes: Any) -> None:
    agg_port, prod_port = free_port(), free_port()
    agg_url, prod_url = f"http://127.0.0.1:{agg_port}", f"http://127.0.0.1:{prod_port}"
    producer = processes(
        producer_args(tmp_path / "p.sqlite", prod_port, agg_url), tmp_path / "p.log"
    )
    producer.start()
    agg_args = aggregator_args(tmp_path / "a.sqlite", agg_port, prod_url)
    aggregator = processes(agg_args, tmp_path / "a.log")
    aggregator.start()
    raws = signed_load(senders=4, per_sender=300)
    load, stop = Load(), threading.Event()
    started = time.monotonic()
    threads = run_senders(agg_url, raws, load, stop)
    for crash in range(2):  # two crashes mid-stream
        target = 200 + 300 * crash
        wait_until(lambda t=target: len(load.all_accepted()) >= t, timeout=30)
        aggregator.kill()
        time.sleep(0.3)
        aggregator.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    head = wait_delivered(agg_url, prod_url)
    aggregator.terminate()
    producer.terminate()
    check_delivery(tmp_path / "p.sqlite", load, head)
    rate = len(load.all_accepted()) / elapsed
    print(
        f"\naggregator crash test: {len(load.all_accepted())} accepted, {len(load.uncertain)} "
        f"unanswered, {head} sequenced, {rate:.0f} tx/s including two restarts"
    )


def test_kill_producer_under_load_with_backpressure(tmp_path: Path, processes: Any) -> None:
    agg_port, prod_port = free_port(), free_port()
    agg_url, prod_url = f"http://127.0.0.1:{agg_port}", f"http://127.0.0.1:{prod_port}"
    producer_db = tmp_path / "p.sqlite"
    producer = processes(producer_args(producer_db, prod_port, agg_url), tmp_path / "p.log")
    producer.start()
    aggregator = processes(
        aggregator_args(tmp_path / "a.sqlite", agg_port, prod_url, "--max-backlog", "150"),
        tmp_path / "a.log",
    )
    aggregator.start()
    raws = signed_load(senders=3, per_sender=250)
    load, stop = Load(), threading.Event()
    threads = run_senders(agg_url, raws, load, stop)
    wait_until(lambda: len(load.all_accepted()) >= 150, timeout=30)
    producer.kill()
    wait_until(lambda: load.overloaded > 0, timeout=30)  # backlog bound reached
    accepted_while_down = len(load.all_accepted())
    producer.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(load.all_accepted()) > accepted_while_down  # backpressure released
    head = wait_delivered(agg_url, prod_url)
    aggregator.terminate()
    producer.terminate()
    assert not load.uncertain
    assert head == len(load.all_accepted()) == 750
    check_delivery(producer_db, load, head)


def test_dropped_batch_recovered_between_processes(tmp_path: Path, processes: Any) -> None:
    agg_port, prod_port = free_port(), free_port()
    agg_url, prod_url = f"http://127.0.0.1:{agg_port}", f"http://127.0.0.1:{prod_port}"
    producer_db = tmp_path / "p.sqlite"
    producer = processes(
        producer_args(producer_db, prod_port, agg_url, "--test-drop-batch", "3"), tmp_path / "p.log"
    )
    producer.start()
    aggregator = processes(
        aggregator_args(tmp_path / "a.sqlite", agg_port, prod_url), tmp_path / "a.log"
    )
    aggregator.start()
    load, stop = Load(), threading.Event()
    for thread in run_senders(agg_url, signed_load(senders=2, per_sender=100), load, stop):
        thread.join(timeout=60)
    head = wait_delivered(agg_url, prod_url)
    aggregator.terminate()
    producer.terminate()
    check_delivery(producer_db, load, head)
    events = [json.loads(line) for line in (tmp_path / "p.log").read_text().splitlines()]
    dropped = [e for e in events if e["event"] == "batch_dropped_for_test"]
    fetched = [e for e in events if e["event"] == "gap_fetched"]
    assert len(dropped) == 1 and fetched
    assert fetched[0]["from_seq"] <= dropped[0]["first_seq"]
