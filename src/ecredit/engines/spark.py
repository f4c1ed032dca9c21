"""PySpark, the distributed engine for national volume; local mode for tests and one machine."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import pyarrow as pa
from pyspark.sql import SparkSession

from ecredit.engines.common import EngineBase
from ecredit.engines.sources import Source


def local_session(cores: int = 2, driver_memory: str = "4g") -> SparkSession:
    """A local session configured for reproducible, quiet, offline runs.

    Shuffle partitions follow the core count (Spark's default of 200 makes small jobs crawl),
    the UI and external binding are off, and the session zone is UTC like every engine.
    """
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("ecredit")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(EngineBase):
    name = "spark"

    def __init__(
        self, source: Source, session: SparkSession | None = None, workdir: Path | None = None
    ) -> None:
        super().__init__(source, workdir)
        self._owns_session = session is None
        self.session = session or local_session()
        self.session.conf.set("spark.sql.session.timeZone", "UTC")

    def materialise(self, frame: nw.LazyFrame) -> nw.LazyFrame:
        """A local checkpoint keeps iterative plans from growing a lineage per round."""
        return nw.from_native(frame.to_native().localCheckpoint(eager=True))

    def to_arrow(self, frame: nw.LazyFrame) -> pa.Table:
        return frame.to_native().toArrow()

    def from_arrow(self, table: pa.Table) -> nw.LazyFrame:
        return nw.from_native(self.session.createDataFrame(table))

    def close(self) -> None:
        if self._owns_session:
            self.session.stop()

    def _scan_parquet(self, path: Path) -> nw.LazyFrame:
        return nw.from_native(self.session.read.parquet(str(path)))

    def _scan_csv(self, path: Path) -> nw.LazyFrame:
        reader = self.session.read.options(header=True, multiLine=True, escape='"')
        return nw.from_native(reader.csv(str(path)))

    def _write_parquet(self, frame: nw.LazyFrame, path: Path) -> None:
        frame.to_native().write.mode("overwrite").parquet(str(path))
