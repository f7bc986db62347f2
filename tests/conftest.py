"""Shared pytest fixtures: a real anvil L1 on a random free port, torn down after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.l1.anvil import AnvilProcess, funded_private_keys
from agents.l1.client import L1Client

# The per-directory pass-rate table of the official state-test sweeps (tests/evm/): it
# must be loaded here so that the pytest-xdist controller, which prints it, has it.
pytest_plugins = ["evm.sweep_report"]


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilProcess]:
    """A fresh anvil per test module (Cancun, chain id 31337, test mnemonic funded)."""
    with AnvilProcess() as node:
        yield node


@pytest.fixture(scope="module")
def l1(anvil: AnvilProcess) -> L1Client:
    """An :class:`L1Client` connected to the module's anvil."""
    return L1Client.connect(anvil.url)


@pytest.fixture(scope="session")
def funded_keys() -> list[str]:
    """Private keys of the ten accounts anvil funds."""
    return funded_private_keys(10)
