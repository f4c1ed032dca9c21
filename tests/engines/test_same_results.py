"""One code path, two engines: DuckDB and Spark give identical evaluations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import DirectorySource
from ecredit.evaluation.policy import load_model
from ecredit.evaluation.results import run_evaluation
from tests.evaluation.world import AS_OF, build_world


def write_generated(directory: Path, tables: dict[str, pa.Table] | None = None) -> None:
    """Write the test world as `ecredit generate` does: Parquet with naive China time."""
    for name, table in (tables or build_world()).items():
        columns = {}
        for field in table.schema:
            column = table.column(field.name)
            if pa.types.is_timestamp(field.type):
                column = pc.add(column, pa.scalar(timedelta(hours=8)))
            columns[field.name] = column
        pq.write_table(pa.table(columns), directory / f"{name}.parquet")


@pytest.mark.spark
def test_duckdb_and_spark_evaluate_identically(spark: object, tmp_path: Path) -> None:
    from ecredit.engines.spark import SparkEngine

    write_generated(tmp_path)
    source = DirectorySource(tmp_path)
    model = load_model()
    duck = run_evaluation(DuckDBEngine(source), AS_OF, model)
    spark_result = run_evaluation(SparkEngine(source, spark), AS_OF, model)  # type: ignore[arg-type]
    assert duck.results.num_rows == 24
    assert duck.buyers_with_points() > 0
    for name in ("results", "contributions", "evidence", "buyer_credit"):
        assert getattr(duck, name).equals(getattr(spark_result, name)), name
    assert (duck.engine, spark_result.engine) == ("duckdb", "spark")
