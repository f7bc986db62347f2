"""Official TransactionTests through the aggregator's ``eth_sendRawTransaction``.

For every case the outcome of the latest fork the fixture lists (Cancun; cases last
filled for Shanghai or London where Cancun is absent) decides: an expected exception
must be a JSON-RPC rejection (-32000 with a specific message, never an internal
error); a valid transaction must be accepted with the fixture's hash and sequenced
with the fixture's sender. The fixtures use chain id 1 and include pre-EIP-155
signatures and gas limits up to 2**64 - 1, so the aggregator is configured with
chain id 1, unprotected signatures allowed, no block gas limit below 2**64 and a
permissive state view (the fixtures are state-independent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.aggregator.validation import AdmissionPolicy
from agents.rpc.client import JsonRpcClient, RpcCallError

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "TransactionTests"
FORKS = [
    "Frontier", "Homestead", "EIP150", "EIP158", "Byzantium", "Constantinople",
    "ConstantinopleFix", "Istanbul", "Berlin", "London", "Paris", "Shanghai", "Cancun",
    "Prague",
]  # fmt: skip
FIXTURE_POLICY = AdmissionPolicy(
    chain_id=1, allow_unprotected=True, block_gas_limit=2**64, max_nonce_ahead=None
)


def latest_result(results: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    fork = max(results, key=FORKS.index)
    return fork, results[fork]


def _cases() -> list[Any]:
    out = []
    for path in sorted(ROOT.rglob("*.json")):
        for name, case in json.loads(path.read_text()).items():
            fork, result = latest_result(case["result"])
            rel = path.relative_to(ROOT).with_suffix("")
            out.append(pytest.param(case["txbytes"], result, id=f"{rel}::{name}@{fork}"))
    return out


CASES = _cases()


def test_all_fixture_cases_collected() -> None:
    assert len(CASES) == 145


@pytest.fixture(scope="module")
def fresh_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A new aggregator per case: identical valid txbytes in two cases must both pass."""
    from agents.aggregator.service import AggregatorConfig, start_aggregator

    started = []

    def factory() -> JsonRpcClient:
        db = tmp_path_factory.mktemp("tt") / "agg.sqlite"
        agg = start_aggregator(
            AggregatorConfig("fixtures", str(db), FIXTURE_POLICY, log_enabled=False)
        )
        started.append(agg)
        return JsonRpcClient(agg.url)

    yield factory
    for agg in started:
        agg.stop()


@pytest.mark.parametrize(("txbytes", "result"), CASES)
def test_transaction_case(fresh_client: Any, txbytes: str, result: dict[str, Any]) -> None:
    client = fresh_client()
    if "exception" in result:
        with pytest.raises(RpcCallError) as info:
            client.call("eth_sendRawTransaction", txbytes)
        assert info.value.code == -32000, info.value.message
        assert info.value.message not in ("", "already known")
        assert client.call("altrollup_aggregatorStatus")["headSeq"] == 0
        return
    tx_hash = client.call("eth_sendRawTransaction", txbytes)
    assert tx_hash == result["hash"]
    (entry,) = client.call("altrollup_getSequenced", 1, 1)["entries"]
    assert entry["from"] == result["sender"]
    assert entry["raw"] == txbytes.lower()
