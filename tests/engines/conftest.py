"""One local Spark session for the whole test run (starting one costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark")
    from ecredit.engines.spark import local_session

    session = local_session(cores=2, driver_memory="2g")
    yield session
    session.stop()
