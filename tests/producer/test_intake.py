"""Producer intake: the ordering rule (unit and hypothesis), gap detection and
recovery, de-duplication, direct submission, persistence, the JSON-RPC surface."""

from __future__ import annotations

import io
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sha3 import keccak_256

from agents.aggregator.store import NewTx, SequenceStore
from agents.aggregator.validation import AdmissionPolicy, Rejected
from agents.producer.intake import (
    IncomingEntry,
    ProducerIntake,
    SequenceConflict,
    fill_gaps_once,
    start_intake,
)
from agents.producer.ordering import (
    MAX_KEY,
    AggregatorProgress,
    OrderedTx,
    aggregator_bound,
    select_candidates,
    watermark,
)
from agents.rpc.client import JsonRpcClient, RpcCallError
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics

CHAIN_ID = 1337


class Clock:
    def __init__(self, now_ms: int = 1_000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def entry(seq: int, ts: int, payload: bytes | None = None) -> IncomingEntry:
    raw = payload if payload is not None else f"tx-{seq}-{ts}".encode()
    return IncomingEntry(seq, ts, keccak_256(raw).digest(), raw)


def keys_of(txs: list[OrderedTx]) -> list[tuple[int, str, int]]:
    return [tx.key for tx in txs]


def signed(nonce: int, chain_id: int = CHAIN_ID) -> bytes:
    tx = {"nonce": nonce, "gas": 21_000, "to": "0x" + "22" * 20, "value": 1, "chainId": chain_id,
          "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9}  # fmt: skip
    return bytes(Account.sign_transaction(tx, b"\x07" * 32).raw_transaction)


@pytest.fixture
def intake(tmp_path: Path) -> Any:
    clock = Clock()
    store = ProducerIntake(tmp_path / "intake.sqlite", "p1", clock, silence_timeout_ms=500)
    yield store, clock
    store.close()


# --- the rule, as pure functions ------------------------------------------------------
def test_bound_uses_announced_time_only_when_caught_up() -> None:
    caught_up = AggregatorProgress("a", 5, 100, 5, 180, 0)
    behind = AggregatorProgress("a", 5, 100, 9, 180, 0)
    assert aggregator_bound(caught_up) == (180, "a", 5)
    assert aggregator_bound(behind) == (100, "a", 5)


def test_watermark_ignores_silent_aggregators() -> None:
    a = AggregatorProgress("a", 3, 300, 3, 300, last_heard_ms=1000)
    b = AggregatorProgress("b", 1, 50, 1, 60, last_heard_ms=400)
    assert watermark([a, b], now_ms=1000, silence_timeout_ms=1000) == (60, "b", 1)
    assert watermark([a, b], now_ms=1000, silence_timeout_ms=500) == (300, "a", 3)
    assert watermark([], now_ms=0, silence_timeout_ms=1) == MAX_KEY


def test_select_candidates_dedups_orders_and_respects_gaps() -> None:
    same = keccak_256(b"same").digest()
    txs = [
        OrderedTx(20, "b", 1, same, b"same"),
        OrderedTx(10, "a", 2, same, b"same"),
        OrderedTx(10, "a", 1, b"h1", b"x"),
        OrderedTx(10, "b", 3, b"h3", b"y"),  # b's seq 2 missing: not eligible
        OrderedTx(30, "a", 3, b"h4", b"z"),  # beyond the cut
    ]
    chosen = select_candidates(txs, {"a": 3, "b": 1}, (25, "", 0), set(), 10)
    assert keys_of(chosen) == [(10, "a", 1), (10, "a", 2)]
    assert select_candidates(txs, {"a": 3, "b": 1}, MAX_KEY, {same}, 10)[0].tx_hash == b"h1"
    assert len(select_candidates(txs, {"a": 3, "b": 3}, MAX_KEY, set(), 2)) == 2


# --- the intake store -----------------------------------------------------------------
def test_batches_idempotent_and_gap_detected(intake: Any) -> None:
    store, _ = intake
    assert store.receive_batch("a", [entry(1, 10), entry(2, 11)], 2, 12).contiguous_seq == 2
    again = store.receive_batch("a", [entry(1, 10), entry(2, 11)], 2, 12)
    assert (again.stored, again.contiguous_seq, again.gap) == (0, 2, False)
    result = store.receive_batch("a", [entry(5, 20)], 5, 21)
    assert (result.stored, result.contiguous_seq, result.gap) == (1, 2, True)
    assert store.missing_ranges() == [("a", None, 3, 3)]
    assert keys_of(store.next_block_candidates(10)) == [(10, "a", 1), (11, "a", 2)]
    store.receive_batch("a", [entry(3, 12), entry(4, 15)])
    assert store.missing_ranges() == []
    assert [tx.seq for tx in store.next_block_candidates(10)] == [1, 2, 3, 4, 5]


def test_conflicting_entry_rejects_the_whole_batch(intake: Any) -> None:
    store, _ = intake
    store.receive_batch("a", [entry(1, 10)])
    with pytest.raises(SequenceConflict, match="aggregator a seq 1 already holds"):
        store.receive_batch("a", [entry(2, 11), entry(1, 10, b"other")])
    assert [e.seq for e in store.entries_of("a")] == [1]  # rolled back


def test_heartbeat_head_reveals_a_lost_tail(intake: Any) -> None:
    store, _ = intake
    store.receive_batch("a", [entry(1, 10)], 1, 10)
    result = store.receive_batch("a", [], head_seq=4, head_now_ms=40)  # empty: heartbeat
    assert result.gap and store.missing_ranges() == [("a", None, 2, 3)]


def test_watermark_waits_for_every_active_aggregator(intake: Any) -> None:
    store, clock = intake
    store.receive_batch("a", [entry(1, 100), entry(2, 200)], 2, 250)
    store.receive_batch("b", [entry(1, 150)], 1, 160)
    # b has spoken up to t=160: a's t=200 entry could still be preceded by b's next
    assert keys_of(store.next_block_candidates(10)) == [(100, "a", 1), (150, "b", 1)]
    store.receive_batch("b", [], 1, 260)  # b's heartbeat moves past 200
    assert [tx.key for tx in store.next_block_candidates(10)][-1] == (200, "a", 2)


def test_silent_aggregator_stops_holding_the_cut(intake: Any) -> None:
    store, clock = intake
    store.receive_batch("b", [entry(1, 50)], 1, 60)
    clock.now_ms += 400
    store.receive_batch("a", [entry(1, 100)], 1, 120)
    assert keys_of(store.next_block_candidates(10)) == [(50, "b", 1)]
    clock.now_ms += 200  # b silent for 600 ms > 500 ms timeout
    assert keys_of(store.next_block_candidates(10)) == [(50, "b", 1), (100, "a", 1)]


def test_duplicates_across_aggregators_and_mark_included(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "dups.sqlite"
    store = ProducerIntake(path, "p1", clock, silence_timeout_ms=10**6)
    shared = entry(1, 30, b"shared")
    store.receive_batch("a", [entry(1, 10), entry(2, 40, b"shared")], 2, 50)
    store.receive_batch("b", [shared], 1, 50)
    first = store.next_block_candidates(10)
    assert keys_of(first) == [(10, "a", 1), (30, "b", 1)]  # the earlier copy wins
    assert store.next_block_candidates(10) == first  # idempotent until included
    store.mark_included(first[:1], block_number=1)
    store.close()
    reopened = ProducerIntake(path, "p1", clock, silence_timeout_ms=10**6)
    assert keys_of(reopened.next_block_candidates(10)) == [(30, "b", 1)]
    reopened.mark_included(reopened.next_block_candidates(10), block_number=2)
    assert reopened.next_block_candidates(10) == []  # a's copy retired with it
    reopened.receive_batch("c", [entry(1, 60, b"shared")], 1, 70)  # late third copy
    assert reopened.next_block_candidates(10) == []
    reopened.close()


def test_direct_submission_is_its_own_sequence(intake: Any) -> None:
    store, clock = intake
    first = store.submit_direct(b"d1", keccak_256(b"d1").digest())
    clock.now_ms -= 50  # the producer's clock steps back: stamps stay monotonic
    second = store.submit_direct(b"d2", keccak_256(b"d2").digest())
    assert (first.aggregator_id, first.seq, second.seq) == ("direct:p1", 1, 2)
    assert second.timestamp_ms >= first.timestamp_ms
    with pytest.raises(Rejected, match="already known"):
        store.submit_direct(b"d1", keccak_256(b"d1").digest())
    assert [tx.raw for tx in store.next_block_candidates(10)] == [b"d1", b"d2"]


class StubAggregator:
    """Answers ``altrollup_getSequenced`` from a list, like an aggregator would."""

    def __init__(self, entries: list[IncomingEntry]) -> None:
        self.entries = entries
        self.calls: list[tuple[int, int]] = []

    def call(self, method: str, *params: Any) -> dict[str, Any]:
        assert method == "altrollup_getSequenced"
        from_seq, count = params
        self.calls.append((from_seq, count))
        chosen = [e for e in self.entries if from_seq <= e.seq < from_seq + count]
        return {
            "headSeq": len(self.entries),
            "nowMs": 999,
            "entries": [
                {
                    "seq": e.seq,
                    "timestampMs": e.timestamp_ms,
                    "hash": "0x" + e.tx_hash.hex(),
                    "raw": "0x" + e.raw.hex(),
                }
                for e in chosen
            ],  # fmt: skip
        }


def test_fill_gaps_asks_the_right_aggregator(intake: Any) -> None:
    store, _ = intake
    all_entries = [entry(seq, 10 * seq) for seq in range(1, 8)]
    stub = StubAggregator(all_entries)
    store.receive_batch("a", all_entries[:2], 7, 80, rpc_url="http://agg-a")
    store.receive_batch("a", all_entries[5:6])
    log = JsonLog("test", stream=io.StringIO())
    metrics = Metrics()
    seen: dict[tuple[str, int], int] = {}
    # inside the grace period nothing is fetched; afterwards the gap is asked for
    assert fill_gaps_once(store, lambda url: stub, {}, log, metrics, seen, 10**9) == 0
    recovered = fill_gaps_once(store, lambda url: stub, {}, log, metrics)
    assert stub.calls == [(3, 5)] and recovered == 4
    assert [e.seq for e in store.entries_of("a")] == list(range(1, 8))
    assert metrics.value("gap_recovered_total", aggregator="a") == 4


# --- hypothesis: determinism of the rule and gap-free sequencing ----------------------
@st.composite
def aggregator_streams(draw: Any) -> dict[str, list[IncomingEntry]]:
    streams: dict[str, list[IncomingEntry]] = {}
    shared = [f"shared-{i}".encode() for i in range(3)]
    for name in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True)):
        steps = draw(st.lists(st.integers(0, 3), min_size=1, max_size=12))
        ts, out = 0, []
        for seq, step in enumerate(steps, start=1):
            ts += step  # ties inside and across aggregators are common
            use_shared = draw(st.integers(0, 5)) == 0
            payload = draw(st.sampled_from(shared)) if use_shared else f"{name}-{seq}".encode()
            out.append(IncomingEntry(seq, ts, keccak_256(payload).digest(), payload))
        streams[name] = out
    return streams


def split_batches(streams: dict[str, list[IncomingEntry]], rng: random.Random) -> list[Any]:
    """Batches per aggregator, each announcing the head at send time, then shuffled
    across aggregators (each aggregator's own batches may also arrive out of order)."""
    batches = []
    for name, entries in streams.items():
        index = 0
        while index < len(entries):
            size = rng.randint(1, 4)
            chunk = entries[index : index + size]
            index += size
            batches.append((name, chunk, chunk[-1].seq, chunk[-1].timestamp_ms))
        batches.append((name, [], len(entries), entries[-1].timestamp_ms + 1))  # heartbeat
    rng.shuffle(batches)
    return batches


def feed(
    batches: list[Any], known: list[str], check_prefix_of: list[Any] | None = None
) -> list[Any]:
    store = ProducerIntake(
        ":memory:", "p", Clock(), silence_timeout_ms=10**9, known_aggregators=dict.fromkeys(known)
    )
    try:
        for name, chunk, head, now in batches:
            store.receive_batch(name, chunk, head, now)
            if check_prefix_of is not None:
                partial = keys_of(store.next_block_candidates(10_000))
                assert partial == check_prefix_of[: len(partial)]
        return keys_of(store.next_block_candidates(10_000))
    finally:
        store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams=aggregator_streams(), seed_a=st.integers(0, 2**32), seed_b=st.integers(0, 2**32))
def test_ordering_independent_of_arrival_interleaving(
    streams: dict[str, list[IncomingEntry]], seed_a: int, seed_b: int
) -> None:
    everything = [
        OrderedTx(e.timestamp_ms, name, e.seq, e.tx_hash, e.raw)
        for name, entries in streams.items()
        for e in entries
    ]
    contiguous = {name: len(entries) for name, entries in streams.items()}
    # after the last heartbeats (head, last stamp + 1) the cut is the smallest bound
    cut = min(
        (entries[-1].timestamp_ms + 1, name, len(entries)) for name, entries in streams.items()
    )
    reference = keys_of(select_candidates(everything, contiguous, cut, set(), 10_000))
    known = sorted(streams)
    first = feed(split_batches(streams, random.Random(seed_a)), known, check_prefix_of=reference)
    second = feed(split_batches(streams, random.Random(seed_b)), known)
    assert first == second == reference


@settings(max_examples=40, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 6), st.integers(-5, 5), st.integers(0, 3)), min_size=1, max_size=25
    ),
    backlog_limit=st.integers(1, 40),
)
def test_sequence_numbers_gap_free(plan: list[tuple[int, int, int]], backlog_limit: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = SequenceStore(Path(directory) / "seq.sqlite")
        clock = Clock(10_000)

        def admit(backlog: int) -> bool:
            if backlog >= backlog_limit:
                raise Rejected("overloaded", "aggregator overloaded, retry later", -32005)
            return True

        for payload_id, clock_step, count in plan:
            clock.now_ms += clock_step  # the wall clock may step backwards
            items = [
                NewTx(keccak_256(bytes([payload_id, i])).digest(), bytes([payload_id, i]), b"s", 0)
                for i in range(count)
            ]
            store.append(items, clock, admit)
            if payload_id == 0:
                store.mark_acked([e.seq for e in store.unacked(0, 5)], "p", clock.now_ms)
        entries = store.range(1, 10_000)
        store.close()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    stamps = [e.timestamp_ms for e in entries]
    assert stamps == sorted(stamps)
    assert len({e.tx_hash for e in entries}) == len(entries)


def test_announced_time_survives_restart_with_clock_going_back(tmp_path: Path) -> None:
    from agents.aggregator.store import head_and_time

    clock = Clock(50_000)
    store = SequenceStore(tmp_path / "lease.sqlite")
    store.append([NewTx(b"h" * 32, b"r", b"s", 0)], clock)
    _, announced = head_and_time(store, clock)
    store.close()
    clock.now_ms -= 10_000  # restart with a wall clock that went backwards
    reopened = SequenceStore(tmp_path / "lease.sqlite")
    (stamped,) = reopened.append([NewTx(b"i" * 32, b"r2", b"s", 0)], clock)
    reopened.close()
    assert not isinstance(stamped, Exception) and stamped.timestamp_ms >= announced


# --- over JSON-RPC --------------------------------------------------------------------
@pytest.fixture
def service(tmp_path: Path) -> Any:
    started = start_intake(
        tmp_path / "svc.sqlite", AdmissionPolicy(chain_id=CHAIN_ID), "p1", log_enabled=False
    )
    yield started
    started.stop()


def wire(e: IncomingEntry) -> dict[str, Any]:
    return {"seq": e.seq, "timestampMs": e.timestamp_ms, "hash": "0x" + e.tx_hash.hex(),
            "raw": "0x" + e.raw.hex()}  # fmt: skip


def test_submit_batch_acks_after_storing(service: Any) -> None:
    client = JsonRpcClient(service.url)
    batch = [wire(entry(1, 10)), wire(entry(2, 11))]
    answer = client.call("altrollup_submitBatch", "agg-x", batch, {"headSeq": 2, "nowMs": 12})
    assert answer == {"acked": True, "stored": 2, "contiguousSeq": 2}
    assert client.call("altrollup_submitBatch", "agg-x", batch)["stored"] == 0
    status = client.call("altrollup_intakeStatus")
    assert status["aggregators"][0]["contiguousSeq"] == 2 and status["pending"] == 2


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (["agg"], "missing value for required argument 1"),
        ([7, []], "aggregator id must be a string"),
        (["direct:p1", []], "reserved aggregator id"),
        (["agg", {}], "entries must be an array"),
        (["agg", [{"seq": 1}]], "malformed entry 0"),
        (["agg", [{**wire(entry(1, 1)), "seq": 0}]], "bad seq/timestamp"),
        (["agg", [{**wire(entry(1, 1)), "hash": "0x" + "00" * 32}]], "hash mismatch in entry 0"),
    ],
)
def test_submit_batch_invalid_params(service: Any, params: list[Any], fragment: str) -> None:
    with pytest.raises(RpcCallError) as info:
        JsonRpcClient(service.url).call("altrollup_submitBatch", *params)
    assert info.value.code == -32602 and fragment in info.value.message


def test_direct_eth_send_raw_transaction(service: Any) -> None:
    client = JsonRpcClient(service.url)
    raw = signed(0)
    tx_hash = client.call("eth_sendRawTransaction", "0x" + raw.hex())
    assert tx_hash == "0x" + keccak_256(raw).hexdigest()
    with pytest.raises(RpcCallError) as info:
        client.call("eth_sendRawTransaction", "0x" + raw.hex())
    assert (info.value.code, info.value.message) == (-32000, "already known")
    with pytest.raises(RpcCallError) as info:
        client.call("eth_sendRawTransaction", "0x" + signed(1, chain_id=5).hex())
    assert info.value.message == f"invalid chain id for signer: have 5 want {CHAIN_ID}"
    # the same transaction relayed by an aggregator later is a duplicate
    relayed = IncomingEntry(1, 1, keccak_256(raw).digest(), raw)
    client.call("altrollup_submitBatch", "agg-y", [wire(relayed)], {"headSeq": 1, "nowMs": 2})
    service.intake.silence_timeout_ms = 10**12
    candidates = service.intake.next_block_candidates(10)
    assert [tx.raw for tx in candidates] == [raw]
    assert client.call("eth_chainId") == hex(CHAIN_ID)
    assert client.call("net_version") == str(CHAIN_ID)


def test_intake_metrics_and_logs(tmp_path: Path) -> None:
    stream = io.StringIO()
    svc = start_intake(tmp_path / "m.sqlite", AdmissionPolicy(chain_id=CHAIN_ID), "p9")
    svc.log.stream = stream
    try:
        JsonRpcClient(svc.url).call("altrollup_submitBatch", "agg", [wire(entry(1, 1))])
        import urllib.request

        text = urllib.request.urlopen(svc.url + "/metrics", timeout=5).read().decode()
        assert 'altrollup_producer_intake_tx_received_total{aggregator="agg"} 1' in text
        record = json.loads(stream.getvalue().splitlines()[-1])
        assert record["event"] == "batch_received" and record["component"] == "producer:p9"
    finally:
        svc.stop()
