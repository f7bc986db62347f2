"""Fixtures for aggregator tests: in-process aggregators/intakes on free ports, signers."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aggregator_helpers import CHAIN_ID

from agents.aggregator.service import Aggregator, AggregatorConfig, start_aggregator
from agents.aggregator.validation import AdmissionPolicy, StateView, unlimited_state
from agents.producer.intake import IntakeService, start_intake


@pytest.fixture
def make_aggregator(tmp_path: Path) -> Iterator[Callable[..., Aggregator]]:
    started: list[Aggregator] = []

    def factory(
        *,
        aggregator_id: str = "agg-a",
        db_name: str | None = None,
        producers: list[str] | None = None,
        state: StateView = unlimited_state,
        clock: Callable[[], int] | None = None,
        port: int = 0,
        log_stream: io.StringIO | None = None,
        policy: AdmissionPolicy | None = None,
        **overrides: Any,
    ) -> Aggregator:
        config = AggregatorConfig(
            aggregator_id=aggregator_id,
            db_path=str(tmp_path / (db_name or f"{aggregator_id}.sqlite")),
            policy=policy or AdmissionPolicy(chain_id=CHAIN_ID),
            producer_urls=list(producers or []),
            port=port,
            log_enabled=log_stream is not None,
        )
        config = replace(config, **overrides)
        kwargs: dict[str, Any] = {"state": state, "log_stream": log_stream}
        if clock is not None:
            kwargs["clock_ms"] = clock
        agg = start_aggregator(config, **kwargs)
        started.append(agg)
        return agg

    yield factory
    for agg in started:
        try:
            agg.stop()
        except Exception:  # noqa: BLE001 - already stopped by the test
            pass


@pytest.fixture
def make_intake(tmp_path: Path) -> Iterator[Callable[..., IntakeService]]:
    started: list[IntakeService] = []

    def factory(producer_id: str = "p1", **kwargs: Any) -> IntakeService:
        kwargs.setdefault("log_enabled", False)
        policy = kwargs.pop("policy", AdmissionPolicy(chain_id=CHAIN_ID))
        service = start_intake(tmp_path / f"{producer_id}.sqlite", policy, producer_id, **kwargs)
        started.append(service)
        return service

    yield factory
    for service in started:
        try:
            service.stop()
        except Exception:  # noqa: BLE001
            pass
