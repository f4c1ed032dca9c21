"""Fixtures for evaluation tests: the active model and DuckDB engines over in-memory tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource
from ecredit.evaluation.policy import Model, load_model
from tests.evaluation.world import Rows, kind_tables


@pytest.fixture
def model() -> Model:
    return load_model()


@pytest.fixture
def duck() -> Iterator[Callable[[Rows], DuckDBEngine]]:
    engines: list[DuckDBEngine] = []

    def make(rows: Rows) -> DuckDBEngine:
        engine = DuckDBEngine(ArrowSource(kind_tables(rows)))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
