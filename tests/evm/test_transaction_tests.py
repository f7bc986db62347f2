"""Official TransactionTests (Cancun): decoding, signature recovery, static validity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.evm.exceptions import InvalidTransaction
from agents.evm.transactions import decode_transaction, recover_sender, validate_static

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "TransactionTests"


def _cases() -> list[Any]:
    out = []
    for path in sorted(ROOT.rglob("*.json")):
        for name, test in json.loads(path.read_text()).items():
            result = test["result"].get("Cancun")
            if result is None:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            out.append(pytest.param(test["txbytes"], result, id=f"{rel}::{name}"))
    return out


CASES = _cases()


def test_fixtures_present() -> None:
    assert len(CASES) > 50


@pytest.mark.parametrize(("txbytes", "result"), CASES)
def test_transaction(txbytes: str, result: dict[str, str]) -> None:
    raw = bytes.fromhex(txbytes[2:])
    if "exception" in result:
        with pytest.raises(InvalidTransaction):
            tx = decode_transaction(raw)
            recover_sender(tx, 1)
            validate_static(tx)
        return
    tx = decode_transaction(raw)
    sender = recover_sender(tx, 1)
    assert "0x" + sender.hex() == result["sender"]
    assert validate_static(tx) == int(result["intrinsicGas"], 16)
    from sha3 import keccak_256

    assert "0x" + keccak_256(raw).hexdigest() == result["hash"]
