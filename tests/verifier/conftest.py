"""Fixtures for the verifier tests (helpers live in ``verifier_env``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from verifier_env import ChainEnv, L2Chain, l2_chain_id

from agents.l1.client import L1Client


@pytest.fixture(scope="module")
def chain(l1: L1Client, funded_keys: list[str]) -> ChainEnv:
    from challenger_env import make_chain

    return make_chain(l1, funded_keys)


@pytest.fixture
def l2(chain: ChainEnv, tmp_path: Path) -> Iterator[L2Chain]:
    producer = L2Chain.create(tmp_path, l2_chain_id(chain))
    producer.serve()
    yield producer
    producer.stop()
