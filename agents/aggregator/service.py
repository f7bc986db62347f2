"""The aggregator process: JSON-RPC intake, sequencing, persistence, forwarding.

JSON-RPC methods (HTTP POST, single or batch requests):

* ``eth_sendRawTransaction(data)`` -> transaction hash, once the transaction is
  checked (:mod:`agents.aggregator.validation`), stamped with the trusted time and the
  next sequence number, and committed to SQLite. Errors: see ``docs/aggregator.md``.
* ``eth_chainId``, ``net_version``, ``web3_clientVersion``.
* ``altrollup_aggregatorStatus()`` -> id, chain id, head sequence, backlog, producers.
* ``altrollup_getSequenced(fromSeq, count)`` -> stored entries again (gap recovery).

``GET /metrics`` answers Prometheus text; every action logs one JSON line on stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from sha3 import keccak_256

from agents.aggregator.forwarder import Forwarder, ForwarderConfig
from agents.aggregator.store import (
    DuplicateTransaction,
    NewTx,
    SequencedTx,
    SequenceStore,
    head_and_time,
)
from agents.aggregator.validation import (
    OVERLOADED,
    Account,
    AdmissionPolicy,
    Admitted,
    Rejected,
    StateView,
    admit_against_state,
    admit_static,
    parse_raw_param,
    unlimited_state,
)
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics
from agents.rpc.server import (
    INVALID_PARAMS,
    JsonRpcDispatcher,
    JsonRpcServer,
    RpcError,
    positional_params,
)

CLIENT_VERSION = "altrollup-aggregator/0.1.0"
MAX_GET_SEQUENCED = 1000
PROMETHEUS_TEXT = "text/plain; version=0.0.4"


def wall_clock_ms() -> int:
    """Default trusted clock: Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass
class AggregatorConfig:
    """Everything an aggregator needs; the CLI fills it from flags."""

    aggregator_id: str
    db_path: str
    policy: AdmissionPolicy
    producer_urls: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    max_backlog: int = 10_000
    batch_size: int = 256
    batch_interval_ms: int = 20
    heartbeat_ms: int = 200
    strategy: str = "round_robin"
    durability: str = "normal"
    log_enabled: bool = True


@dataclass
class Aggregator:
    """A running aggregator; :func:`start_aggregator` builds one."""

    config: AggregatorConfig
    store: SequenceStore
    state: StateView
    clock_ms: Callable[[], int]
    log: JsonLog
    metrics: Metrics
    server: JsonRpcServer | None = None
    forwarder: Forwarder | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.forwarder is not None:
            self.forwarder.stop()
        self.store.close()


# --- behaviour ------------------------------------------------------------------------
def _reject(agg: Aggregator, exc: Rejected, raw_hash: bytes | None) -> Rejected:
    agg.metrics.inc("tx_rejected_total", reason=exc.reason)
    agg.log(
        "tx_rejected",
        reason=exc.reason,
        code=exc.code,
        message=exc.message,
        hash=None if raw_hash is None else "0x" + raw_hash.hex(),
    )
    return exc


def _backpressure(agg: Aggregator) -> Callable[[int], bool]:
    def check(backlog: int) -> bool:
        if backlog >= agg.config.max_backlog:
            raise Rejected("overloaded", "aggregator overloaded, retry later", OVERLOADED)
        return True

    return check


def admit_and_sequence(agg: Aggregator, raws: Sequence[bytes]) -> list[SequencedTx | Rejected]:
    """Check and sequence several raw transactions, committing once for all of them."""
    results: list[SequencedTx | Rejected | None] = [None] * len(raws)
    admitted: list[tuple[int, Admitted]] = []
    for index, raw in enumerate(raws):
        raw_hash = keccak_256(raw).digest()
        try:
            if len(raw) <= agg.config.policy.max_tx_bytes and agg.store.contains(raw_hash):
                raise Rejected("already_known", "already known")
            item = admit_static(raw, agg.config.policy)
            admit_against_state(item, agg.state, agg.config.policy)
        except Rejected as exc:
            results[index] = _reject(agg, exc, raw_hash)
            continue
        admitted.append((index, item))
    if admitted:
        new = [NewTx(a.tx_hash, a.raw, a.sender, a.tx.nonce) for _, a in admitted]
        stored = agg.store.append(new, agg.clock_ms, _backpressure(agg))
        for (index, _), outcome in zip(admitted, stored, strict=True):
            if isinstance(outcome, SequencedTx):
                results[index] = outcome
                agg.metrics.inc("tx_accepted_total")
                agg.log(
                    "tx_accepted",
                    seq=outcome.seq,
                    hash="0x" + outcome.tx_hash.hex(),
                    sender="0x" + outcome.sender.hex(),
                    nonce=outcome.nonce,
                    timestamp_ms=outcome.timestamp_ms,
                )
            elif isinstance(outcome, DuplicateTransaction):
                results[index] = _reject(
                    agg,
                    Rejected("already_known", "already known"),
                    keccak_256(raws[index]).digest(),
                )
            elif isinstance(outcome, Rejected):
                results[index] = _reject(agg, outcome, None)
            else:  # pragma: no cover - append hands back only these
                raise outcome
        agg.metrics.set("backlog", agg.store.unacked_count)
        agg.metrics.set("last_seq", agg.store.last_seq)
        if agg.forwarder is not None:
            agg.forwarder.wake()
    return [r for r in results if r is not None]


def send_raw_transaction(agg: Aggregator, params: Any) -> str:
    (value,) = positional_params(params, 1, 1)
    try:
        raw = parse_raw_param(value)
    except Rejected as exc:
        raise _reject(agg, exc, None) from None
    (outcome,) = admit_and_sequence(agg, [raw])
    if isinstance(outcome, Rejected):
        raise outcome
    return "0x" + outcome.tx_hash.hex()


def send_raw_transactions(agg: Aggregator, params_list: list[Any]) -> list[Any]:
    """Grouped ``eth_sendRawTransaction`` calls of one batch: one commit for all."""
    outcomes: list[Any] = [None] * len(params_list)
    raws: list[bytes] = []
    positions: list[int] = []
    for index, params in enumerate(params_list):
        try:
            (value,) = positional_params(params, 1, 1)
            raws.append(parse_raw_param(value))
            positions.append(index)
        except Rejected as exc:
            outcomes[index] = _reject(agg, exc, None)
        except RpcError as exc:
            outcomes[index] = exc
    for index, outcome in zip(positions, admit_and_sequence(agg, raws), strict=True):
        if isinstance(outcome, Rejected):
            outcomes[index] = outcome
        else:
            outcomes[index] = "0x" + outcome.tx_hash.hex()
    return outcomes


def _int_param(value: Any, index: int) -> int:
    if isinstance(value, bool):
        raise RpcError(INVALID_PARAMS, f"invalid argument {index}: expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcError(INVALID_PARAMS, f"invalid argument {index}: expected an integer")


def get_sequenced(agg: Aggregator, params: Any) -> dict[str, Any]:
    from_value, count_value = positional_params(params, 2, 2)
    from_seq, count = _int_param(from_value, 0), _int_param(count_value, 1)
    if from_seq < 1:
        raise RpcError(INVALID_PARAMS, "invalid argument 0: sequence numbers start at 1")
    if not 0 <= count <= MAX_GET_SEQUENCED:
        raise RpcError(INVALID_PARAMS, f"invalid argument 1: count must be 0..{MAX_GET_SEQUENCED}")
    head, now = head_and_time(agg.store, agg.clock_ms)
    entries = agg.store.range(from_seq, count)
    agg.metrics.inc("gap_requests_total")
    agg.log("get_sequenced", from_seq=from_seq, count=count, returned=len(entries))
    return {
        "aggregatorId": agg.config.aggregator_id,
        "headSeq": head,
        "nowMs": now,
        "entries": [entry.to_json() for entry in entries],
    }


def status(agg: Aggregator) -> dict[str, Any]:
    now = time.monotonic()
    links = agg.forwarder.links if agg.forwarder is not None else []
    return {
        "aggregatorId": agg.config.aggregator_id,
        "chainId": agg.config.policy.chain_id,
        "headSeq": agg.store.last_seq,
        "lastTimestampMs": agg.store.last_timestamp_ms,
        "unacked": agg.store.unacked_count,
        "maxBacklog": agg.config.max_backlog,
        "producers": [
            {
                "url": link.url,
                "up": link.is_up(now),
                "outstanding": link.outstanding,
                "ackedBatches": link.acked_batches,
            }
            for link in links
        ],
    }


def build_dispatcher(agg: Aggregator) -> JsonRpcDispatcher:
    dispatcher = JsonRpcDispatcher(
        on_internal_error=lambda method, exc: agg.log(
            "internal_error", method=method, error=repr(exc)
        )
    )
    chain_id = agg.config.policy.chain_id

    def no_params(params: Any) -> None:
        positional_params(params, 0, 0)

    def chain_id_method(params: Any) -> str:
        no_params(params)
        return hex(chain_id)

    def net_version(params: Any) -> str:
        no_params(params)
        return str(chain_id)

    def client_version(params: Any) -> str:
        no_params(params)
        return CLIENT_VERSION

    def status_method(params: Any) -> dict[str, Any]:
        no_params(params)
        return status(agg)

    dispatcher.register(
        "eth_sendRawTransaction",
        lambda p: send_raw_transaction(agg, p),
        grouped=lambda params_list: send_raw_transactions(agg, params_list),
    )
    dispatcher.register("eth_chainId", chain_id_method)
    dispatcher.register("net_version", net_version)
    dispatcher.register("web3_clientVersion", client_version)
    dispatcher.register("altrollup_aggregatorStatus", status_method)
    dispatcher.register("altrollup_getSequenced", lambda p: get_sequenced(agg, p))
    return dispatcher


def _describe_metrics(metrics: Metrics) -> None:
    metrics.describe("tx_accepted_total", "Transactions accepted and sequenced")
    metrics.describe("tx_rejected_total", "Transactions rejected, by reason")
    metrics.describe("backlog", "Sequenced transactions not yet acknowledged by a producer")
    metrics.describe("last_seq", "Highest sequence number assigned")
    metrics.describe("batches_acked_total", "Batches acknowledged, by producer")
    metrics.describe("batch_failures_total", "Failed batch deliveries, by producer")


def start_aggregator(
    config: AggregatorConfig,
    state: StateView = unlimited_state,
    clock_ms: Callable[[], int] = wall_clock_ms,
    public_url: str | None = None,
    log_stream: TextIO | None = None,
) -> Aggregator:
    """Open the store, bind the server, start forwarding; returns the running aggregator."""
    store = SequenceStore(config.db_path, durability=config.durability)
    known_id = store.meta("aggregator_id")
    if known_id is None:
        store.set_meta("aggregator_id", config.aggregator_id)
        store.set_meta("chain_id", str(config.policy.chain_id))
    elif known_id != config.aggregator_id:
        store.close()
        raise ValueError(
            f"database belongs to aggregator {known_id!r}, not {config.aggregator_id!r}"
        )
    metrics = Metrics(prefix="altrollup_aggregator_")
    _describe_metrics(metrics)
    log = JsonLog(
        component=f"aggregator:{config.aggregator_id}",
        stream=log_stream,
        enabled=config.log_enabled,
    )
    agg = Aggregator(config, store, state, clock_ms, log, metrics)
    metrics.set("backlog", store.unacked_count)
    metrics.set("last_seq", store.last_seq)
    metrics.inc("tx_accepted_total", 0)
    try:
        server = JsonRpcServer(
            build_dispatcher(agg),
            config.host,
            config.port,
            get_routes={"/metrics": lambda: (200, PROMETHEUS_TEXT, metrics.render().encode())},
        )
    except OSError:
        store.close()
        raise
    agg.server = server
    agg.forwarder = Forwarder(
        ForwarderConfig(
            aggregator_id=config.aggregator_id,
            producer_urls=list(config.producer_urls),
            batch_size=config.batch_size,
            batch_interval_ms=config.batch_interval_ms,
            heartbeat_ms=config.heartbeat_ms,
            strategy=config.strategy,
            public_url=public_url or server.url,
        ),
        store,
        clock_ms,
        log,
        metrics,
    )
    server.start()
    agg.forwarder.start()
    log(
        "started",
        url=server.url,
        head_seq=store.last_seq,
        unacked=store.unacked_count,
        producers=config.producer_urls,
    )
    return agg


def rpc_state_view(url: str) -> StateView:
    """A :class:`StateView` asking a node's ``eth_getTransactionCount`` / ``eth_getBalance``."""
    client = JsonRpcClient(url)

    def view(address: bytes) -> Account:
        hex_address = "0x" + address.hex()
        try:
            nonce = int(client.call("eth_getTransactionCount", hex_address, "pending"), 16)
            balance = int(client.call("eth_getBalance", hex_address, "latest"), 16)
        except (RpcTransportError, RpcCallError) as exc:
            # the node checking nonces and balances is down or restarting: nothing was
            # accepted, and the sender can simply retry
            raise Rejected(
                "state_unavailable",
                f"cannot check the sender's nonce and balance ({url}: {exc}); retry later",
                OVERLOADED,
            ) from None
        return Account(nonce=nonce, balance=balance)

    return view


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="altrollup-aggregator", description="altrollup aggregator: JSON-RPC intake"
    )
    parser.add_argument("--id", required=True, help="aggregator id (stable across restarts)")
    parser.add_argument("--db", required=True, help="SQLite database path")
    parser.add_argument("--chain-id", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--producer", action="append", default=[], help="producer RPC URL")
    parser.add_argument(
        "--strategy", choices=["round_robin", "least_outstanding"], default="round_robin"
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batch-interval-ms", type=int, default=20)
    parser.add_argument("--heartbeat-ms", type=int, default=200)
    parser.add_argument("--max-backlog", type=int, default=10_000)
    parser.add_argument("--max-tx-bytes", type=int, default=128 * 1024)
    parser.add_argument("--block-gas-limit", type=int, default=30_000_000)
    parser.add_argument("--min-gas-price", type=int, default=0)
    parser.add_argument("--allow-unprotected", action="store_true", help="accept pre-EIP-155 txs")
    parser.add_argument("--state-rpc", help="node URL for nonce/balance checks (default: none)")
    parser.add_argument("--durability", choices=["normal", "full"], default="normal")
    parser.add_argument("--quiet", action="store_true", help="no per-action log lines")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run an aggregator until SIGTERM/SIGINT; prints ``{"listening": URL}`` on stdout."""
    args = parse_args(argv)
    policy = AdmissionPolicy(
        chain_id=args.chain_id,
        allow_unprotected=args.allow_unprotected,
        max_tx_bytes=args.max_tx_bytes,
        block_gas_limit=args.block_gas_limit,
        min_gas_price=args.min_gas_price,
    )
    config = AggregatorConfig(
        aggregator_id=args.id,
        db_path=args.db,
        policy=policy,
        producer_urls=args.producer,
        host=args.host,
        port=args.port,
        max_backlog=args.max_backlog,
        batch_size=args.batch_size,
        batch_interval_ms=args.batch_interval_ms,
        heartbeat_ms=args.heartbeat_ms,
        strategy=args.strategy,
        durability=args.durability,
        log_enabled=not args.quiet,
    )
    state = rpc_state_view(args.state_rpc) if args.state_rpc else unlimited_state
    try:
        agg = start_aggregator(config, state=state)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"listening": agg.url, "aggregatorId": args.id}), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    agg.stop()
    return 0
