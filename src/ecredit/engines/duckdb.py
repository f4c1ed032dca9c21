"""DuckDB, the default engine: one process, all cores, spills to disk beyond its memory limit."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import narwhals as nw
import pyarrow as pa

from ecredit.engines.common import EngineBase
from ecredit.engines.sources import Source


class DuckDBEngine(EngineBase):
    name = "duckdb"

    def __init__(
        self,
        source: Source,
        workdir: Path | None = None,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        super().__init__(source, workdir)
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET temp_directory = '{self.workdir / 'spill'}'")
        self.con.execute("SET preserve_insertion_order = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self._names = itertools.count()

    def materialise(self, frame: nw.LazyFrame) -> nw.LazyFrame:
        name = f"materialised_{next(self._names)}"
        frame.to_native().create(name)
        return nw.from_native(self.con.table(name))

    def to_arrow(self, frame: nw.LazyFrame) -> pa.Table:
        return frame.to_native().to_arrow_table()

    def from_arrow(self, table: pa.Table) -> nw.LazyFrame:
        return nw.from_native(self.con.from_arrow(table))

    def close(self) -> None:
        self.con.close()

    def _scan_parquet(self, path: Path) -> nw.LazyFrame:
        pattern = str(path / "*.parquet") if path.is_dir() else str(path)
        return nw.from_native(self.con.read_parquet(pattern))

    def _scan_csv(self, path: Path) -> nw.LazyFrame:
        return nw.from_native(self.con.read_csv(str(path), header=True, all_varchar=True))

    def _write_parquet(self, frame: nw.LazyFrame, path: Path) -> None:
        frame.to_native().write_parquet(str(path))
