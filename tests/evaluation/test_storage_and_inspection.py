"""Stored runs keep history; inspection plans are reproducible from their logged seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource
from ecredit.evaluation.inspection import draw_plan
from ecredit.evaluation.policy import load_model
from ecredit.evaluation.results import EvaluationResult, run_evaluation
from ecredit.storage.evaluations import (
    evaluation_buyer_credit,
    evaluation_contribution,
    evaluation_evidence,
    inspection_draw,
    inspection_plan,
    latest_buyer_credit,
    latest_run,
    load_results,
    save_evaluation,
    save_inspection_plan,
    score_history,
)
from ecredit.storage.tables import metadata
from tests.evaluation.world import AS_OF, RING, SERIOUS, build_world


@pytest.fixture(scope="module")
def results() -> Iterator[tuple[EvaluationResult, EvaluationResult]]:
    engine = DuckDBEngine(ArrowSource(build_world()))
    model = load_model()
    yield run_evaluation(engine, date(2025, 3, 31), model), run_evaluation(engine, AS_OF, model)
    engine.close()


def test_runs_are_appended_with_version_and_as_of(
    engine: sa.Engine, results: tuple[EvaluationResult, EvaluationResult]
) -> None:
    started = datetime.now(UTC)
    first, second = (save_evaluation(engine, r, "test", started) for r in results)
    assert second > first
    info = latest_run(engine)
    assert info is not None
    assert (info.run_id, info.as_of, info.model_version) == (second, AS_OF, "2026.1")
    stored = load_results(engine, second)
    assert len(stored) == results[1].results.num_rows
    serious = next(r for r in stored if r["subject_id"] == SERIOUS[0])
    assert serious["grade"] == "D" and "严重失信" in serious["reasons_zh"]
    history = score_history(engine, "M01")
    assert [h["as_of"] for h in history] == [date(2025, 3, 31), AS_OF]
    with engine.connect() as conn:
        contributions = conn.execute(
            sa.select(sa.func.count()).where(evaluation_contribution.c.run_id == second)
        ).scalar_one()
        evidence = (
            conn.execute(
                sa.select(evaluation_evidence.c.ref_id).where(
                    evaluation_evidence.c.run_id == second,
                    evaluation_evidence.c.subject_id == SERIOUS[0],
                )
            )
            .scalars()
            .all()
        )
    assert contributions == results[1].contributions.num_rows
    assert "REC1" in evidence


def test_buyer_credit_is_stored_per_run(
    engine: sa.Engine, results: tuple[EvaluationResult, EvaluationResult]
) -> None:
    started = datetime.now(UTC)
    first, second = (save_evaluation(engine, r, "test", started) for r in results)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(
                evaluation_buyer_credit.c.buyer_id,
                evaluation_buyer_credit.c.points,
                evaluation_buyer_credit.c.level,
            )
            .where(evaluation_buyer_credit.c.run_id == second)
            .order_by(evaluation_buyer_credit.c.buyer_id)
        ).all()
        # The ring's fake orders run from March to June 2025: at the end of March its buyers
        # have fewer points than on the as-of date, and the newest run is the one shown.
        ring = RING[-1]
        march, june = (
            conn.execute(
                sa.select(evaluation_buyer_credit.c.points).where(
                    evaluation_buyer_credit.c.run_id == run,
                    evaluation_buyer_credit.c.buyer_id == ring,
                )
            ).scalar_one()
            for run in (first, second)
        )
        latest = latest_buyer_credit(conn, ring)
        unknown = latest_buyer_credit(conn, "nobody")
    assert [tuple(r) for r in stored] == [
        (r["buyer_id"], r["points"], r["level"]) for r in results[1].buyer_credit.to_pylist()
    ]
    assert results[1].buyers_with_points() > 0
    assert march < june
    assert latest is not None and unknown is None
    assert (latest.run_id, latest.as_of, latest.points) == (second, AS_OF, june)


def test_buyer_credit_migration_matches_the_declared_table(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "evaluation_buyer_credit" in repr(d)] == []
    assert "evaluation_buyer_credit" in sa.inspect(engine).get_table_names()


SUBJECTS = [(f"M{i:03d}", "ABCD"[i % 4]) for i in range(200)]
POOL = [f"I{i}" for i in range(12)]
RATIOS = {"A": 0.03, "B": 0.05, "C": 0.15, "D": 0.5}


def test_plan_samples_each_risk_class_at_its_ratio() -> None:
    draws = draw_plan(SUBJECTS, POOL, RATIOS, 2, seed=7)
    drawn = {c: {d.subject_id for d in draws if d.risk_class == c} for c in RATIOS}
    # 50 subjects per class: ceil(1.5) = 2, ceil(2.5) = 3, ceil(7.5) = 8, 25.
    assert {c: len(s) for c, s in drawn.items()} == {"A": 2, "B": 3, "C": 8, "D": 25}
    per_subject: dict[str, list[str]] = {}
    for d in draws:
        per_subject.setdefault(d.subject_id, []).append(d.inspector_id)
    assert all(len(set(i)) == 2 and set(i) <= set(POOL) for i in per_subject.values())


def test_plan_is_reproducible_from_seed_and_independent_of_input_order() -> None:
    one = draw_plan(SUBJECTS, POOL, RATIOS, 2, seed=7)
    assert draw_plan(list(reversed(SUBJECTS)), list(reversed(POOL)), RATIOS, 2, seed=7) == one
    assert draw_plan(SUBJECTS, POOL, RATIOS, 2, seed=8) != one


def test_plan_needs_enough_inspectors() -> None:
    with pytest.raises(ValueError, match="inspector pool"):
        draw_plan(SUBJECTS, ["I1"], RATIOS, 2, seed=1)


def test_every_draw_is_logged(
    engine: sa.Engine, results: tuple[EvaluationResult, EvaluationResult]
) -> None:
    run_id = save_evaluation(engine, results[1], "test", datetime.now(UTC))
    draws = draw_plan(SUBJECTS, POOL, RATIOS, 2, seed=99)
    rows = [(d.subject_id, d.risk_class, d.inspector_id) for d in draws]
    plan_id = save_inspection_plan(engine, run_id, 99, RATIOS, 2, POOL, rows, "tester")
    with engine.connect() as conn:
        logged = conn.execute(
            sa.select(
                inspection_draw.c.subject_id,
                inspection_draw.c.risk_class,
                inspection_draw.c.inspector_id,
            )
            .where(inspection_draw.c.plan_id == plan_id)
            .order_by(inspection_draw.c.seq)
        ).all()
        seed = conn.execute(
            sa.select(inspection_plan.c.seed).where(inspection_plan.c.plan_id == plan_id)
        ).scalar_one()
    assert [tuple(r) for r in logged] == rows
    assert draw_plan(SUBJECTS, POOL, RATIOS, 2, seed=seed) == draws
