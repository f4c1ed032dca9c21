"""Acceptance on the generator's world: every subject evaluated; flagged brushers not in A.

The truth labels stand in for detection: every rating the generator wrote as a fake review
gets a `rating_flag` row with `valid_score = false`, as detection will once it confirms a ring.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import DirectorySource
from ecredit.evaluation.results import EvaluationResult, run_evaluation

EVALUATED = ("merchant", "platform", "logistics")


def _flag_fake_reviews(world: Path) -> set[str]:
    """Write rating flags for the fake reviews; return the merchants whose shops got them."""
    with (world / "truth" / "labels.csv").open(encoding="utf-8") as fh:
        fake = [
            row["entity_id"]
            for row in csv.DictReader(fh)
            if row["entity_kind"] == "rating" and row["manipulation"] == "brushing"
        ]
    flags = pa.table(
        {
            "rating_id": fake,
            "valid_score": [False] * len(fake),
            "shield_reason": pa.array([None] * len(fake), pa.string()),
            "set_at": pa.array([datetime(2026, 10, 1)] * len(fake), pa.timestamp("s")),
        }
    )
    pq.write_table(flags, world / "rating_flag.parquet")
    rows = duckdb.sql(
        f"""SELECT DISTINCT s.merchant_id
            FROM '{world}/ratings.parquet' r
            JOIN '{world}/orders.parquet' o USING (order_id)
            JOIN '{world}/shops.parquet' s USING (shop_id)
            WHERE r.rating_id IN (SELECT rating_id FROM '{world}/rating_flag.parquet')"""
    ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, set[str], EvaluationResult]]:
    world_module = pytest.importorskip("ecredit.generate.world")
    world = tmp_path_factory.mktemp("world")
    world_module.generate_world(world, merchants=1000, seed=1, file_format="parquet")
    brushers = _flag_fake_reviews(world)
    engine = DuckDBEngine(DirectorySource(world))
    yield world, brushers, run_evaluation(engine)
    engine.close()


def test_every_evaluated_subject_has_score_grade_class_and_reasons(
    generated: tuple[Path, set[str], EvaluationResult],
) -> None:
    world, _, result = generated
    expected = {
        r[0]
        for r in duckdb.sql(
            f"SELECT subject_id FROM '{world}/subjects.parquet' WHERE subject_type IN {EVALUATED}"
        ).fetchall()
    }
    rows = {r["subject_id"]: r for r in result.results.to_pylist()}
    assert set(rows) == expected
    for row in rows.values():
        assert row["grade"] in "ABCD" and row["risk_class"] in "ABCD"
        assert 0 <= row["score"] <= 1000 and row["reasons_zh"] and row["reasons_en"]


def test_flagged_brushing_merchants_are_not_grade_a(
    generated: tuple[Path, set[str], EvaluationResult],
) -> None:
    _, brushers, result = generated
    assert len(brushers) > 50
    grades = {r["subject_id"]: r for r in result.results.to_pylist()}
    assert all(grades[m]["grade"] in ("C", "D") for m in brushers)
    assert all("confirmed_brushing" in grades[m]["overrides"] for m in brushers)
    honest = [
        r
        for r in grades.values()
        if r["subject_type"] == "merchant" and r["subject_id"] not in brushers
    ]
    assert sum(r["grade"] == "A" for r in honest) / len(honest) > 0.7
