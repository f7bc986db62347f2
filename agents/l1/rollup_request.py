"""Rollup requests in the JSON format of the Beacon-layer design (seed 003).

A developer describes the execution layer she wants::

    {
      "execution_layer_req": {
        "settlement_layer": "ethereum",
        "da_layer": "ethereum-calldata",
        "vm": "evm",
        "type": "optimistic",
        "purpose": "app-specific",
        "kind": "flash",
        "nb_sequencers": {"min": "2", "max": "3"},
        "allowed_tokens": [{"sym": "ALT"}, {"sym": "stSOL"}],
        "min_stake_per_seq": [{"sym": "ALT", "val": "100"}, {"sym": "stSOL", "val": "1000"}]
      }
    }

``nb_sequencers`` may also be a single number (min == max), as in the seed. ``kind``
(flash or persistent) is altrollup's addition; it defaults to persistent. Stake values
are whole tokens (18 decimals). Every problem is reported as :class:`RequestError`
naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

TOKEN_DECIMALS = 18
REQUIRED_FIELDS = (
    "settlement_layer",
    "da_layer",
    "vm",
    "type",
    "purpose",
    "nb_sequencers",
    "allowed_tokens",
    "min_stake_per_seq",
)


class RequestError(ValueError):
    """The rollup request is malformed; the message names the offending field."""


@dataclass(frozen=True)
class RollupRequest:
    """A validated ``execution_layer_req``."""

    settlement_layer: str
    da_layer: str
    vm: str
    type: str
    purpose: str
    kind: str
    min_sequencers: int
    max_sequencers: int
    allowed_tokens: tuple[str, ...]
    #: Minimum stake per sequencer per token, in the token's smallest unit.
    min_stake_per_seq: dict[str, int]


def _text(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"{name}: expected a non-empty string, got {value!r}")
    return value.strip()


def _count(value: Any, name: str) -> int:
    try:
        number = int(str(value), 10)
    except ValueError:
        raise RequestError(f"{name}: expected a whole number, got {value!r}") from None
    if number <= 0:
        raise RequestError(f"{name}: must be at least 1, got {number}")
    return number


def _token_amount(value: Any, name: str) -> int:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RequestError(f"{name}: expected a token amount, got {value!r}") from None
    scaled = amount * (Decimal(10) ** TOKEN_DECIMALS)
    if amount <= 0 or scaled != scaled.to_integral_value():
        raise RequestError(f"{name}: must be positive with at most 18 decimals, got {value!r}")
    return int(scaled)


def parse_request(document: Any) -> RollupRequest:
    """Validate a decoded JSON document holding an ``execution_layer_req``."""
    if not isinstance(document, dict) or "execution_layer_req" not in document:
        raise RequestError('expected an object with an "execution_layer_req" member')
    body = document["execution_layer_req"]
    if not isinstance(body, dict):
        raise RequestError("execution_layer_req: expected an object")
    missing = [name for name in REQUIRED_FIELDS if name not in body]
    if missing:
        raise RequestError(f"execution_layer_req: missing field(s) {', '.join(missing)}")

    sequencers = body["nb_sequencers"]
    if isinstance(sequencers, dict):
        unknown = set(sequencers) - {"min", "max"}
        if unknown or "min" not in sequencers or "max" not in sequencers:
            raise RequestError('nb_sequencers: expected {"min": N, "max": M} or a number')
        low = _count(sequencers["min"], "nb_sequencers.min")
        high = _count(sequencers["max"], "nb_sequencers.max")
    else:
        low = high = _count(sequencers, "nb_sequencers")
    if low > high:
        raise RequestError(f"nb_sequencers: min {low} is greater than max {high}")

    tokens_raw = body["allowed_tokens"]
    if not isinstance(tokens_raw, list) or not tokens_raw:
        raise RequestError('allowed_tokens: expected a non-empty list of {"sym": ...}')
    tokens: list[str] = []
    for entry in tokens_raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("sym"), str):
            raise RequestError(f"allowed_tokens: bad entry {entry!r}")
        if entry["sym"] in tokens:
            raise RequestError(f"allowed_tokens: {entry['sym']} is listed twice")
        tokens.append(entry["sym"])

    stakes_raw = body["min_stake_per_seq"]
    if not isinstance(stakes_raw, list):
        raise RequestError('min_stake_per_seq: expected a list of {"sym": ..., "val": ...}')
    stakes: dict[str, int] = {}
    for entry in stakes_raw:
        if not isinstance(entry, dict) or "sym" not in entry or "val" not in entry:
            raise RequestError(f"min_stake_per_seq: bad entry {entry!r}")
        symbol = entry["sym"]
        if symbol not in tokens:
            raise RequestError(f"min_stake_per_seq: {symbol} is not in allowed_tokens")
        if symbol in stakes:
            raise RequestError(f"min_stake_per_seq: {symbol} is listed twice")
        stakes[symbol] = _token_amount(entry["val"], f"min_stake_per_seq.{symbol}")
    absent = [symbol for symbol in tokens if symbol not in stakes]
    if absent:
        raise RequestError(f"min_stake_per_seq: no minimum given for {', '.join(absent)}")

    kind = str(body.get("kind", "persistent"))
    if kind not in ("flash", "persistent"):
        raise RequestError(f"kind: expected flash or persistent, got {kind!r}")
    return RollupRequest(
        settlement_layer=_text(body, "settlement_layer"),
        da_layer=_text(body, "da_layer"),
        vm=_text(body, "vm"),
        type=_text(body, "type"),
        purpose=_text(body, "purpose"),
        kind=kind,
        min_sequencers=low,
        max_sequencers=high,
        allowed_tokens=tuple(tokens),
        min_stake_per_seq=stakes,
    )


def load_request(path: Path) -> RollupRequest:
    """Read and validate a request file."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise RequestError(f"{path}: no such file") from None
    except ValueError as error:
        raise RequestError(f"{path}: not valid JSON ({error})") from None
    return parse_request(document)
