"""The rollup request parser accepts seed 003's format and names every bad field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.l1.rollup_request import RequestError, load_request, parse_request

SEED_STYLE: dict[str, Any] = {
    "execution_layer_req": {
        "settlement_layer": "ethereum",
        "da_layer": "celestia",
        "vm": "evm",
        "type": "optimistic",
        "purpose": "app-specific",
        "nb_sequencers": "3",
        "allowed_tokens": [{"sym": "ALT"}, {"sym": "stSOL"}],
        "min_stake_per_seq": [{"sym": "ALT", "val": "100"}, {"sym": "stSOL", "val": "1000"}],
    }
}


def test_seed_format_is_accepted() -> None:
    request = parse_request(SEED_STYLE)
    assert (request.min_sequencers, request.max_sequencers) == (3, 3)
    assert request.allowed_tokens == ("ALT", "stSOL")
    assert request.min_stake_per_seq == {"ALT": 100 * 10**18, "stSOL": 1000 * 10**18}
    assert request.kind == "persistent"


def test_default_request_file_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "config" / "rollup-request.json"
    request = load_request(path)
    assert request.min_sequencers <= request.max_sequencers


def _mutated(path: list[str | int], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(SEED_STYLE)
    target: Any = document["execution_layer_req"]
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["vm"], KeyError, "missing field(s) vm"),
        (["nb_sequencers"], "0", "must be at least 1"),
        (["nb_sequencers"], "three", "expected a whole number"),
        (["nb_sequencers"], {"min": "4", "max": "2"}, "min 4 is greater than max 2"),
        (["allowed_tokens"], [], "non-empty list"),
        (["allowed_tokens"], [{"sym": "ALT"}, {"sym": "ALT"}], "listed twice"),
        (["min_stake_per_seq", 1, "sym"], "DOGE", "DOGE is not in allowed_tokens"),
        (["min_stake_per_seq", 0, "val"], "-5", "must be positive"),
        (["min_stake_per_seq"], [{"sym": "ALT", "val": "1"}], "no minimum given for stSOL"),
        (["purpose"], "", "non-empty string"),
        (["kind"], "weekly", "expected flash or persistent"),
    ],
)
def test_bad_fields_are_named(path: list[str | int], value: Any, message: str) -> None:
    with pytest.raises(RequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_request(_mutated(path, value))


def test_bad_file(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="no such file"):
        load_request(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(RequestError, match="not valid JSON"):
        load_request(broken)


@given(
    low=st.integers(min_value=1, max_value=50),
    extra=st.integers(min_value=0, max_value=50),
    whole=st.integers(min_value=1, max_value=10**9),
    fraction=st.integers(min_value=0, max_value=10**18 - 1),
)
def test_counts_and_amounts_round_trip(low: int, extra: int, whole: int, fraction: int) -> None:
    value = f"{whole}.{fraction:018d}"
    document = _mutated(["nb_sequencers"], {"min": str(low), "max": str(low + extra)})
    document["execution_layer_req"]["min_stake_per_seq"][0]["val"] = value
    request = parse_request(json.loads(json.dumps(document)))
    assert (request.min_sequencers, request.max_sequencers) == (low, low + extra)
    assert request.min_stake_per_seq["ALT"] == whole * 10**18 + fraction
