"""Fixtures for the challenger tests (helpers live in ``challenger_env``)."""

from __future__ import annotations

import pytest
from challenger_env import ChainEnv, make_chain

from agents.l1.client import L1Client


@pytest.fixture(scope="module")
def chain(l1: L1Client, funded_keys: list[str]) -> ChainEnv:
    return make_chain(l1, funded_keys)
