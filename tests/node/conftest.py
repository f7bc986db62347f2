"""Fixtures of the producer-node tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import NodeProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One producer process shared by a module's tests (100 ms blocks)."""
    process = NodeProcess(tmp_path_factory.mktemp("node") / "state", ["--block-time", "100"])
    process.start()
    yield process
    process.stop()


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
