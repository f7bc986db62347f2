"""Every JSON-RPC path of the aggregator: protocol errors, each rejection with its code
and message, batch requests, sequencing, backpressure, metrics and JSON logs."""

from __future__ import annotations

import io
import json
import urllib.request
from dataclasses import replace
from typing import Any

import pytest
from aggregator_helpers import CHAIN_ID, KEYS, TO, FakeClock, hex_of, sign

from agents.aggregator.validation import Account, AdmissionPolicy
from agents.evm.transactions import (
    SECP256K1_N,
    Transaction,
    decode_transaction,
    encode_transaction,
    sign_transaction,
)
from agents.rpc.client import JsonRpcClient, RpcCallError

SECP256K1_P = 2**256 - 2**32 - 977


def call_error(client: JsonRpcClient, method: str, *params: Any) -> tuple[int, str]:
    with pytest.raises(RpcCallError) as info:
        client.call(method, *params)
    return info.value.code, info.value.message


def post(client: JsonRpcClient, body: Any) -> Any:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post_raw(payload)


def evm_signed(**fields: Any) -> bytes:
    base: dict[str, Any] = dict(
        tx_type=2, chain_id=CHAIN_ID, nonce=0, gas_limit=21_000, to=bytes.fromhex(TO[2:]),
        value=1, max_fee_per_gas=2 * 10**9, max_priority_fee_per_gas=10**9,
    )  # fmt: skip
    base.update(fields)
    return encode_transaction(sign_transaction(Transaction(**base), KEYS[0]))


@pytest.fixture
def client(make_aggregator: Any) -> JsonRpcClient:
    return JsonRpcClient(make_aggregator().url)


# --- protocol -------------------------------------------------------------------------
def test_parse_error(client: JsonRpcClient) -> None:
    answer = post(client, b"{not json")
    assert answer == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "parse error"},
    }


@pytest.mark.parametrize(
    "request_body",
    [
        {"jsonrpc": "2.0", "id": 1},  # no method
        {"id": 1, "method": "eth_chainId"},  # no jsonrpc version
        {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        "a string",
    ],
)
def test_invalid_request(client: JsonRpcClient, request_body: Any) -> None:
    answer = post(client, request_body)
    assert answer["error"]["code"] == -32600


def test_empty_batch_is_invalid_request(client: JsonRpcClient) -> None:
    answer = post(client, [])
    assert answer["error"] == {"code": -32600, "message": "empty batch"}


def test_method_not_found(client: JsonRpcClient) -> None:
    code, message = call_error(client, "eth_getBalance", TO, "latest")
    assert (code, message) == (-32601, "the method eth_getBalance does not exist/is not available")


def test_params_must_be_array_or_object(client: JsonRpcClient) -> None:
    answer = post(client, {"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": "x"})
    assert answer["error"]["code"] == -32602


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([], "missing value for required argument 0"),
        (["0x00", "0x01"], "too many arguments, want at most 1"),
        ([12], "invalid argument 0: expected a hex string"),
        (["f86c"], "invalid argument 0: hex string without 0x prefix"),
        (["0xabc"], "invalid argument 0: hex string of odd length"),
        (["0xzz"], "invalid argument 0: invalid hex string"),
    ],
)
def test_send_raw_invalid_params(client: JsonRpcClient, params: list[Any], message: str) -> None:
    assert call_error(client, "eth_sendRawTransaction", *params) == (-32602, message)


def test_identity_methods(client: JsonRpcClient) -> None:
    assert client.call("eth_chainId") == hex(CHAIN_ID)
    assert client.call("net_version") == str(CHAIN_ID)
    assert client.call("web3_clientVersion").startswith("altrollup-aggregator/")
    assert call_error(client, "eth_chainId", 1)[0] == -32602


# --- rejections -----------------------------------------------------------------------
def _rejection(client: JsonRpcClient, raw: bytes) -> tuple[int, str]:
    return call_error(client, "eth_sendRawTransaction", hex_of(raw))


def test_rlp_errors(client: JsonRpcClient) -> None:
    assert _rejection(client, b"") == (-32000, "rlp: empty transaction")
    code, message = _rejection(client, bytes.fromhex("c0"))
    assert code == -32000 and message == "rlp: legacy transaction needs 9 fields, got 0"
    code, message = _rejection(client, bytes.fromhex("f8ff01"))
    assert code == -32000 and message.startswith("rlp: ")
    raw = bytearray(sign(KEYS[0]))
    assert _rejection(client, bytes(raw) + b"\x00")[1].startswith("rlp: ")


def test_unknown_type_and_blob_transactions_rejected(client: JsonRpcClient) -> None:
    assert _rejection(client, b"\x05" + bytes.fromhex("c0")) == (
        -32000,
        "transaction type not supported",
    )
    blob = evm_signed(tx_type=3, max_fee_per_blob_gas=1, blob_versioned_hashes=(b"\x01" * 32,))
    assert _rejection(client, blob) == (-32000, "transaction type not supported: blob transactions")


def test_unprotected_legacy_rejected_unless_configured(make_aggregator: Any) -> None:
    raw = sign(KEYS[0], chain_id=None, gasPrice=10**9)
    strict = JsonRpcClient(make_aggregator(aggregator_id="strict").url)
    assert _rejection(strict, raw) == (
        -32000,
        "only replay-protected (EIP-155) transactions allowed over RPC",
    )
    policy = AdmissionPolicy(chain_id=CHAIN_ID, allow_unprotected=True)
    lenient = JsonRpcClient(make_aggregator(aggregator_id="lenient", policy=policy).url)
    assert lenient.call("eth_sendRawTransaction", hex_of(raw)).startswith("0x")


@pytest.mark.parametrize("legacy", [True, False])
def test_wrong_chain_id(client: JsonRpcClient, legacy: bool) -> None:
    extra = {"gasPrice": 10**9} if legacy else {}
    raw = sign(KEYS[0], chain_id=1, **extra)
    assert _rejection(client, raw) == (
        -32000,
        f"invalid chain id for signer: have 1 want {CHAIN_ID}",
    )


def test_high_s_signature_rejected(client: JsonRpcClient) -> None:
    tx = decode_transaction(sign(KEYS[0]))
    flipped = replace(tx, s=SECP256K1_N - tx.s, v=1 - tx.v)
    assert _rejection(client, encode_transaction(flipped)) == (
        -32000,
        "invalid transaction v, r, s values",
    )
    zero = replace(tx, r=0)
    assert _rejection(client, encode_transaction(zero))[1] == "invalid transaction v, r, s values"


def test_unrecoverable_signature_is_invalid_sender(client: JsonRpcClient) -> None:
    # an r that is no curve point's x coordinate: nothing can be recovered
    r = next(
        x
        for x in range(1, 1000)
        if pow((x**3 + 7) % SECP256K1_P, (SECP256K1_P - 1) // 2, SECP256K1_P) != 1
    )
    tx = replace(decode_transaction(sign(KEYS[0])), r=r)
    assert _rejection(client, encode_transaction(tx)) == (-32000, "invalid sender")


def test_oversized_data(make_aggregator: Any) -> None:
    policy = AdmissionPolicy(chain_id=CHAIN_ID, max_tx_bytes=300)
    client = JsonRpcClient(make_aggregator(policy=policy).url)
    raw = sign(KEYS[0], data=b"\x01" * 400, gas=100_000)
    assert _rejection(client, raw) == (-32000, "oversized data")


def test_gas_checks(make_aggregator: Any) -> None:
    policy = AdmissionPolicy(chain_id=CHAIN_ID, min_gas_price=3 * 10**9)
    client = JsonRpcClient(make_aggregator(policy=policy).url)
    rich = {"maxFeePerGas": 4 * 10**9, "maxPriorityFeePerGas": 10**9}
    assert _rejection(client, sign(KEYS[0], gas=20_999, **rich)) == (
        -32000,
        "intrinsic gas too low",
    )
    assert _rejection(client, sign(KEYS[0], gas=30_000_001, **rich)) == (
        -32000,
        "exceeds block gas limit",
    )
    assert _rejection(client, sign(KEYS[0])) == (-32000, "transaction underpriced")
    assert _rejection(client, sign(KEYS[0], gasPrice=2 * 10**9)) == (
        -32000,
        "transaction underpriced",
    )
    tip = evm_signed(max_fee_per_gas=4 * 10**9, max_priority_fee_per_gas=5 * 10**9)
    assert _rejection(client, tip) == (
        -32000,
        "max priority fee per gas higher than max fee per gas",
    )
    assert client.call("eth_sendRawTransaction", hex_of(sign(KEYS[0], **rich))).startswith("0x")


def test_static_validity_errors(client: JsonRpcClient) -> None:
    nonce_max = evm_signed(nonce=2**64 - 1)
    assert _rejection(client, nonce_max) == (-32000, "nonce has max value")
    init_code = evm_signed(to=None, data=b"\x60" * 49_153, gas_limit=29_000_000)
    assert _rejection(client, init_code) == (-32000, "max initcode size exceeded")
    overflow = evm_signed(gas_limit=2**64)
    assert _rejection(client, overflow) == (-32000, "exceeds block gas limit")


def test_state_checks(make_aggregator: Any) -> None:
    accounts = {"nonce": 5, "balance": 10**18}

    def state(address: bytes) -> Account:
        return Account(nonce=accounts["nonce"], balance=accounts["balance"])

    policy = AdmissionPolicy(chain_id=CHAIN_ID, max_nonce_ahead=10)
    client = JsonRpcClient(make_aggregator(policy=policy, state=state).url)
    sender = "0x" + decode_and_sender(sign(KEYS[0]))
    assert _rejection(client, sign(KEYS[0], nonce=3)) == (
        -32000,
        f"nonce too low: address {sender}, tx: 3 state: 5",
    )
    assert _rejection(client, sign(KEYS[0], nonce=16)) == (
        -32000,
        f"nonce too high: address {sender}, tx: 16 state: 5",
    )
    accounts["balance"] = 21_000 * 2 * 10**9  # one wei short of gas * fee cap + value
    code, message = _rejection(client, sign(KEYS[0], nonce=5))
    assert code == -32000
    assert message == (
        f"insufficient funds for gas * price + value: address {sender} "
        f"have {21_000 * 2 * 10**9} want {21_000 * 2 * 10**9 + 1}"
    )
    accounts["balance"] += 1
    assert client.call("eth_sendRawTransaction", hex_of(sign(KEYS[0], nonce=5))).startswith("0x")


def decode_and_sender(raw: bytes) -> str:
    from agents.evm.transactions import recover_sender

    return recover_sender(decode_transaction(raw), CHAIN_ID).hex()


def test_duplicate_is_already_known(client: JsonRpcClient) -> None:
    raw = sign(KEYS[0])
    tx_hash = client.call("eth_sendRawTransaction", hex_of(raw))
    assert _rejection(client, raw) == (-32000, "already known")
    assert client.call("altrollup_aggregatorStatus")["headSeq"] == 1
    assert tx_hash == "0x" + __import__("sha3").keccak_256(raw).hexdigest()


# --- sequencing and backpressure ------------------------------------------------------
def test_sequence_numbers_gap_free_and_timestamps_monotonic(make_aggregator: Any) -> None:
    clock = FakeClock()
    client = JsonRpcClient(make_aggregator(clock=clock).url)
    accepted = []
    for nonce in range(6):
        if nonce % 2:
            _rejection(client, sign(KEYS[0], nonce=nonce, gas=1))  # rejected: no number used
        clock.now_ms += 5 if nonce != 3 else -1000  # the clock even steps backwards once
        accepted.append(client.call("eth_sendRawTransaction", hex_of(sign(KEYS[1], nonce=nonce))))
    entries = client.call("altrollup_getSequenced", 1, 100)["entries"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [e["hash"] for e in entries] == accepted
    stamps = [e["timestampMs"] for e in entries]
    assert stamps == sorted(stamps)


def test_get_sequenced(make_aggregator: Any) -> None:
    clock = FakeClock()
    client = JsonRpcClient(make_aggregator(clock=clock).url)
    raws = [sign(KEYS[2], nonce=n) for n in range(5)]
    for raw in raws:
        client.call("eth_sendRawTransaction", hex_of(raw))
    answer = client.call("altrollup_getSequenced", 2, 2)
    assert answer["aggregatorId"] == "agg-a" and answer["headSeq"] == 5
    assert answer["nowMs"] >= clock.now_ms
    assert [e["raw"] for e in answer["entries"]] == [hex_of(raws[1]), hex_of(raws[2])]
    assert answer["entries"][0]["from"] == "0x" + decode_and_sender(raws[0])
    assert client.call("altrollup_getSequenced", "0x5", "0x10")["entries"][0]["seq"] == 5
    assert client.call("altrollup_getSequenced", 6, 10)["entries"] == []
    assert call_error(client, "altrollup_getSequenced", 0, 1)[0] == -32602
    assert call_error(client, "altrollup_getSequenced", 1, 5000)[0] == -32602
    assert call_error(client, "altrollup_getSequenced", "one", 1)[0] == -32602
    assert call_error(client, "altrollup_getSequenced", 1)[0] == -32602


def test_backpressure_error_then_batch(make_aggregator: Any) -> None:
    client = JsonRpcClient(make_aggregator(max_backlog=3).url)  # no producer: nothing drains
    for nonce in range(3):
        client.call("eth_sendRawTransaction", hex_of(sign(KEYS[3], nonce=nonce)))
    assert _rejection(client, sign(KEYS[3], nonce=3)) == (
        -32005,
        "aggregator overloaded, retry later",
    )
    status = client.call("altrollup_aggregatorStatus")
    assert status["unacked"] == 3 and status["maxBacklog"] == 3 and status["headSeq"] == 3


# --- batch requests -------------------------------------------------------------------
def test_batch_request_mixed(client: JsonRpcClient) -> None:
    good = [sign(KEYS[4], nonce=n) for n in range(3)]
    body = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendRawTransaction",
            "params": [hex_of(good[0])],
        },
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x01"]},
        {"jsonrpc": "2.0", "id": "three", "method": "eth_chainId"},
        {"jsonrpc": "2.0", "method": "eth_sendRawTransaction", "params": [hex_of(good[1])]},
        {"jsonrpc": "2.0", "id": 5, "method": "nope"},
        42,
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "eth_sendRawTransaction",
            "params": [hex_of(good[0])],
        },
        {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "eth_sendRawTransaction",
            "params": [hex_of(good[2])],
        },
    ]
    answers = post(client, body)
    assert len(answers) == 7  # the notification gets no answer (but is processed)
    by_id = {a["id"]: a for a in answers if a["id"] is not None}
    assert by_id[1]["result"] == "0x" + __import__("sha3").keccak_256(good[0]).hexdigest()
    assert by_id[2]["error"]["code"] == -32000 and by_id[2]["error"]["message"].startswith("rlp:")
    assert by_id["three"]["result"] == hex(CHAIN_ID)
    assert by_id[5]["error"]["code"] == -32601
    assert by_id[7]["error"] == {"code": -32000, "message": "already known"}
    assert "result" in by_id[8]
    assert [a for a in answers if a["id"] is None][0]["error"]["code"] == -32600
    seqs = [e["seq"] for e in client.call("altrollup_getSequenced", 1, 10)["entries"]]
    assert seqs == [1, 2, 3]


def test_batch_of_many_transactions(client: JsonRpcClient) -> None:
    raws = [sign(KEYS[5], nonce=n) for n in range(50)]
    answers = client.batch([("eth_sendRawTransaction", [hex_of(r)]) for r in raws])
    assert all("result" in a for a in answers)
    assert client.call("altrollup_aggregatorStatus")["headSeq"] == 50


# --- observability --------------------------------------------------------------------
def test_metrics_and_json_log(make_aggregator: Any) -> None:
    stream = io.StringIO()
    agg = make_aggregator(log_stream=stream)
    client = JsonRpcClient(agg.url)
    client.call("eth_sendRawTransaction", hex_of(sign(KEYS[6])))
    call_error(client, "eth_sendRawTransaction", hex_of(sign(KEYS[6])))
    call_error(client, "eth_sendRawTransaction", hex_of(sign(KEYS[6], nonce=1, gas=5)))
    text = urllib.request.urlopen(agg.url + "/metrics", timeout=5).read().decode()
    assert "altrollup_aggregator_tx_accepted_total 1" in text
    assert 'altrollup_aggregator_tx_rejected_total{reason="already_known"} 1' in text
    assert 'altrollup_aggregator_tx_rejected_total{reason="intrinsic_gas"} 1' in text
    assert "altrollup_aggregator_backlog 1" in text
    assert "# TYPE altrollup_aggregator_backlog gauge" in text
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [r["event"] for r in records]
    assert events[0] == "started" and "tx_accepted" in events
    accepted = next(r for r in records if r["event"] == "tx_accepted")
    assert accepted["seq"] == 1 and accepted["component"] == "aggregator:agg-a"
    reasons = [r["reason"] for r in records if r["event"] == "tx_rejected"]
    assert reasons == ["already_known", "intrinsic_gas"]
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(agg.url + "/nothing", timeout=5)


def test_database_belongs_to_one_aggregator(make_aggregator: Any) -> None:
    agg = make_aggregator(aggregator_id="first", db_name="shared.sqlite")
    agg.stop()
    with pytest.raises(ValueError, match="belongs to aggregator 'first'"):
        make_aggregator(aggregator_id="second", db_name="shared.sqlite")
