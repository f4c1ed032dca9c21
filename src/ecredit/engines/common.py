"""What every engine does the same way: find a kind in its source and conform it.

Engines differ only in how they scan a file, adopt an Arrow table, persist and run a plan;
those are the hooks a concrete engine fills in. Keeping the dispatch here means a new source
or kind rule lands once, not once per engine.
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import narwhals as nw
import pyarrow as pa

from ecredit.engines.base import INPUT_KINDS, Engine, conform, empty_table
from ecredit.engines.sources import CHINA_STANDARD_TIME_HOURS, DirectorySource, Source

ENGINE_NAMES = ("duckdb", "spark")


class EngineBase(ABC):
    name: str

    def __init__(self, source: Source, workdir: Path | None = None) -> None:
        self.source = source
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ecredit-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._written: dict[str, Path] = {}

    def read(self, name: str) -> nw.LazyFrame:
        if name in self._written:
            return self._scan_parquet(self._written[name])
        kind = INPUT_KINDS[name]
        if isinstance(self.source, DirectorySource):
            path = self.source.file(name)
            if path is None:
                return self.from_arrow(empty_table(kind))
            scan = self._scan_csv if path.suffix == ".csv" else self._scan_parquet
            return conform(scan(path), kind, CHINA_STANDARD_TIME_HOURS)
        table = self.source.arrow(name)
        return conform(self.from_arrow(table if table is not None else empty_table(kind)), kind)

    def write(self, name: str, frame: nw.LazyFrame) -> None:
        path = self.workdir / f"{name}.parquet"
        self._write_parquet(frame, path)
        self._written[name] = path

    @abstractmethod
    def materialise(self, frame: nw.LazyFrame) -> nw.LazyFrame: ...

    @abstractmethod
    def to_arrow(self, frame: nw.LazyFrame) -> pa.Table: ...

    @abstractmethod
    def from_arrow(self, table: pa.Table) -> nw.LazyFrame: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _scan_parquet(self, path: Path) -> nw.LazyFrame: ...

    @abstractmethod
    def _scan_csv(self, path: Path) -> nw.LazyFrame:
        """Every column as text: typing is `conform`'s job, so both engines type alike."""

    @abstractmethod
    def _write_parquet(self, frame: nw.LazyFrame, path: Path) -> None: ...


def open_engine(name: str, source: Source, workdir: Path | None = None) -> Engine:
    """Imports lazily so that a DuckDB-only install never needs PySpark or Java."""
    if name == "duckdb":
        from ecredit.engines.duckdb import DuckDBEngine

        return DuckDBEngine(source, workdir)
    if name == "spark":
        from ecredit.engines.spark import SparkEngine

        return SparkEngine(source, workdir=workdir)
    raise ValueError(f"未知引擎 {name} / unknown engine {name}; choose one of {ENGINE_NAMES}")
