"""Forwarding from an aggregator to producer intakes (in-process, real HTTP on 127.0.0.1):
ordering and acks, load balancing, failover, backpressure recovery, resend after
restart, a dropped batch recovered through the sequence gap."""

from __future__ import annotations

from typing import Any

import pytest
from aggregator_helpers import KEYS, free_port, hex_of, sign, wait_until

from agents.rpc.client import JsonRpcClient, RpcCallError


def send_all(client: JsonRpcClient, raws: list[bytes]) -> list[str]:
    return [client.call("eth_sendRawTransaction", hex_of(raw)) for raw in raws]


def seqs_and_hashes(intake: Any, aggregator_id: str = "agg-a") -> tuple[list[int], list[str]]:
    entries = intake.intake.entries_of(aggregator_id)
    return [e.seq for e in entries], ["0x" + e.tx_hash.hex() for e in entries]


def test_forwarded_in_sequence_and_acknowledged(make_aggregator: Any, make_intake: Any) -> None:
    producer = make_intake()
    agg = make_aggregator(producers=[producer.url], batch_size=16)
    client = JsonRpcClient(agg.url)
    hashes = send_all(client, [sign(KEYS[0], nonce=n) for n in range(120)])
    wait_until(lambda: client.call("altrollup_aggregatorStatus")["unacked"] == 0)
    seqs, stored = seqs_and_hashes(producer)
    assert seqs == list(range(1, 121)) and stored == hashes
    assert [tx.seq for tx in producer.intake.next_block_candidates(1000)] == list(range(1, 121))


@pytest.mark.parametrize("strategy", ["round_robin", "least_outstanding"])
def test_load_balanced_batches_and_gap_fill(
    make_aggregator: Any, make_intake: Any, strategy: str
) -> None:
    producers = [make_intake("p1"), make_intake("p2")]
    agg = make_aggregator(
        producers=[p.url for p in producers], batch_size=8, batch_interval_ms=5, strategy=strategy
    )
    client = JsonRpcClient(agg.url)
    raws = [sign(KEYS[1], nonce=n) for n in range(160)]
    for start in range(0, len(raws), 8):
        client.batch([("eth_sendRawTransaction", [hex_of(r)]) for r in raws[start : start + 8]])
    wait_until(lambda: client.call("altrollup_aggregatorStatus")["unacked"] == 0)
    status = client.call("altrollup_aggregatorStatus")
    assert all(p["ackedBatches"] > 0 for p in status["producers"]), status
    # each producer got only part of the batches and pulls the rest through the gaps
    for producer in producers:
        wait_until(lambda p=producer: seqs_and_hashes(p)[0] == list(range(1, 161)))
        recovered = producer.metrics.value("gap_recovered_total", aggregator="agg-a")
        assert recovered > 0


def test_failover_to_a_live_producer(make_aggregator: Any, make_intake: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    live = make_intake()
    agg = make_aggregator(producers=[dead, live.url], batch_size=4, batch_interval_ms=5)
    client = JsonRpcClient(agg.url)
    hashes = send_all(client, [sign(KEYS[2], nonce=n) for n in range(40)])
    wait_until(lambda: client.call("altrollup_aggregatorStatus")["unacked"] == 0)
    assert seqs_and_hashes(live)[1] == hashes
    assert agg.metrics.value("batch_failures_total", producer=dead) >= 1
    by_url = {p["url"]: p for p in client.call("altrollup_aggregatorStatus")["producers"]}
    assert by_url[dead]["ackedBatches"] == 0 and by_url[live.url]["ackedBatches"] >= 10


def test_backpressure_triggers_and_recovers(make_aggregator: Any, make_intake: Any) -> None:
    port = free_port()
    agg = make_aggregator(
        producers=[f"http://127.0.0.1:{port}"], max_backlog=20, batch_size=10, batch_interval_ms=5
    )
    client = JsonRpcClient(agg.url)
    raws = [sign(KEYS[3], nonce=n) for n in range(30)]
    send_all(client, raws[:20])
    with pytest.raises(RpcCallError) as info:
        client.call("eth_sendRawTransaction", hex_of(raws[20]))
    assert (info.value.code, info.value.message) == (-32005, "aggregator overloaded, retry later")
    assert agg.metrics.value("tx_rejected_total", reason="overloaded") == 1
    producer = make_intake(port=port)  # the producer comes up: the backlog drains
    wait_until(lambda: client.call("altrollup_aggregatorStatus")["unacked"] == 0)
    send_all(client, raws[20:])
    wait_until(lambda: seqs_and_hashes(producer)[0] == list(range(1, 31)))


def test_unacked_entries_resent_after_restart(make_aggregator: Any, make_intake: Any) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    agg = make_aggregator(producers=[url], db_name="restart.sqlite")
    client = JsonRpcClient(agg.url)
    hashes = send_all(client, [sign(KEYS[4], nonce=n) for n in range(25)])
    assert client.call("altrollup_aggregatorStatus")["unacked"] == 25
    agg.stop()
    producer = make_intake(port=port)
    again = make_aggregator(producers=[url], db_name="restart.sqlite")
    assert again.store.last_seq == 25  # (its 25 unacked entries may already be on the way)
    wait_until(lambda: again.store.unacked_count == 0)
    assert seqs_and_hashes(producer)[1] == hashes
    more = send_all(JsonRpcClient(again.url), [sign(KEYS[4], nonce=25)])
    wait_until(lambda: seqs_and_hashes(producer)[1] == hashes + more)


def test_dropped_batch_recovered_through_gap(make_aggregator: Any, make_intake: Any) -> None:
    producer = make_intake(drop_batches={2})
    agg = make_aggregator(producers=[producer.url], batch_size=5, batch_interval_ms=5000)
    client = JsonRpcClient(agg.url)
    raws = [sign(KEYS[5], nonce=n) for n in range(30)]
    hashes = []
    for start in range(0, 30, 5):
        hashes += [a["result"] for a in client.batch(
            [("eth_sendRawTransaction", [hex_of(r)]) for r in raws[start : start + 5]]
        )]  # fmt: skip
        wait_until(lambda s=start: agg.store.unacked_count == 0)
    wait_until(lambda: seqs_and_hashes(producer)[1] == hashes)
    assert (
        producer.metrics.value("gap_recovered_total", aggregator="agg-a") == 5
    )  # exactly the dropped batch
    assert agg.metrics.value("gap_requests_total") >= 1


def test_dropped_last_batch_found_by_heartbeat(make_aggregator: Any, make_intake: Any) -> None:
    producer = make_intake(drop_batches={1})
    agg = make_aggregator(producers=[producer.url], heartbeat_ms=50)
    client = JsonRpcClient(agg.url)
    hashes = send_all(client, [sign(KEYS[6], nonce=n) for n in range(3)])
    wait_until(lambda: seqs_and_hashes(producer)[1] == hashes)


def test_two_aggregators_one_producer_dedup_and_order(
    make_aggregator: Any, make_intake: Any
) -> None:
    producer = make_intake(aggregator_urls={"agg-a": "", "agg-b": ""}, silence_timeout_ms=60_000)
    first = make_aggregator(aggregator_id="agg-a", producers=[producer.url], heartbeat_ms=50)
    second = make_aggregator(aggregator_id="agg-b", producers=[producer.url], heartbeat_ms=50)
    a, b = JsonRpcClient(first.url), JsonRpcClient(second.url)
    shared = sign(KEYS[7], nonce=0)
    send_all(a, [shared, sign(KEYS[7], nonce=1)])
    send_all(b, [sign(KEYS[6], nonce=0), shared])  # the same transaction via both
    wait_until(lambda: first.store.unacked_count == 0 and second.store.unacked_count == 0)
    wait_until(lambda: len(producer.intake.next_block_candidates(10)) == 3)
    candidates = producer.intake.next_block_candidates(10)
    assert [tx.key for tx in candidates] == sorted(tx.key for tx in candidates)
    hashes = [tx.tx_hash for tx in candidates]
    assert len(set(hashes)) == 3 and hashes.count(candidates[0].tx_hash) == 1
    producer.intake.mark_included(candidates, block_number=1)
    assert producer.intake.next_block_candidates(10) == []


def test_state_view_over_rpc(make_aggregator: Any) -> None:
    from agents.aggregator.service import rpc_state_view
    from agents.rpc.server import JsonRpcDispatcher, JsonRpcServer

    node = JsonRpcDispatcher()
    node.register("eth_getTransactionCount", lambda params: "0x3")
    node.register("eth_getBalance", lambda params: hex(10**18))
    server = JsonRpcServer(node)
    server.start()
    try:
        client = JsonRpcClient(make_aggregator(state=rpc_state_view(server.url)).url)
        with pytest.raises(RpcCallError, match="nonce too low"):
            client.call("eth_sendRawTransaction", hex_of(sign(KEYS[0], nonce=2)))
        client.call("eth_sendRawTransaction", hex_of(sign(KEYS[0], nonce=3)))
    finally:
        server.stop()
