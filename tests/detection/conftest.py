"""Detection fixtures: one local Spark session for the run, DuckDB engines per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ecredit.engines.base import Engine
from ecredit.engines.sources import ArrowSource
from tests.detection.builders import World


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """Same settings as `engines.spark.local_session`: local[2], 2 shuffle partitions, UI off,
    bound to 127.0.0.1, session time zone UTC."""
    pytest.importorskip("pyspark")
    from ecredit.engines.spark import local_session

    session = local_session(cores=2, driver_memory="2g")
    yield session
    session.stop()


@pytest.fixture
def duck() -> Iterator[Callable[[World], Engine]]:
    """Open DuckDB engines on hand-made worlds; all are closed after the test."""
    from ecredit.engines.duckdb import DuckDBEngine

    opened: list[Engine] = []

    def open_world(world: World) -> Engine:
        engine = DuckDBEngine(ArrowSource(world.tables()))
        opened.append(engine)
        return engine

    yield open_world
    for engine in opened:
        engine.close()
