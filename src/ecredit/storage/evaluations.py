"""Stored evaluations: every run with its model version and as-of date, never overwritten.

Runs are appended, so a subject's score history is a query over past runs, and any result can
be re-explained later from its stored contributions and evidence. Random-inspection plans are
logged here too, with the seed that reproduces them and one row per draw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pyarrow as pa
import sqlalchemy as sa

from ecredit.evaluation.results import EvaluationResult
from ecredit.storage.tables import UtcDateTime, metadata

evaluation_run = sa.Table(
    "evaluation_run",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("grades_version", sa.String(64), nullable=False),
    sa.Column("ratings_version", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False, index=True),
    sa.Column("engine", sa.String(16), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=False),
    sa.Column("subjects", sa.Integer, nullable=False),
)

evaluation_result = sa.Table(
    "evaluation_result",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_run.run_id"), primary_key=True),
    sa.Column("subject_id", sa.String(64), primary_key=True, index=True),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("grade", sa.String(8), nullable=False),
    sa.Column("risk_class", sa.String(8), nullable=False),
    sa.Column("overrides", sa.Text, nullable=False),
    sa.Column("reasons_zh", sa.Text, nullable=False),
    sa.Column("reasons_en", sa.Text, nullable=False),
)
"""No foreign key to `subjects`: an evaluation may run on files that were never ingested."""

evaluation_contribution = sa.Table(
    "evaluation_contribution",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_run.run_id"), primary_key=True),
    sa.Column("subject_id", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(32), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("normalised", sa.Float, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("lost", sa.Float, nullable=False),
)

evaluation_evidence = sa.Table(
    "evaluation_evidence",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_run.run_id"), primary_key=True),
    sa.Column("subject_id", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(64), primary_key=True),
    sa.Column("ref_id", sa.String(64), primary_key=True),
    sa.Column("ref_kind", sa.String(16), nullable=False),
)
"""The orders, ratings, complaints, parcels and records behind each indicator's loss."""

evaluation_buyer_credit = sa.Table(
    "evaluation_buyer_credit",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_run.run_id"), primary_key=True),
    sa.Column("buyer_id", sa.String(64), primary_key=True, index=True),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
)
"""Buyers' credit points (买家信用积分) per run. `buyer_id` is the consumer's subject id, a
pseudonym like every subject id: names, phone numbers and ID numbers live only in `subjects`,
tokenised and masked (`ecredit.privacy`), so this table holds no clear personal information.
It is still information about natural persons, so only the buyer credit API reads it."""

inspection_plan = sa.Table(
    "inspection_plan",
    metadata,
    sa.Column("plan_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_run.run_id"), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("ratios", sa.Text, nullable=False),
    sa.Column("inspectors_per_check", sa.Integer, nullable=False),
    sa.Column("inspector_pool", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
)

inspection_draw = sa.Table(
    "inspection_draw",
    metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("inspection_plan.plan_id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("subject_id", sa.String(64), nullable=False, index=True),
    sa.Column("risk_class", sa.String(8), nullable=False),
    sa.Column("inspector_id", sa.String(64), nullable=False),
)
"""One row per (subject, inspector) assignment, in draw order."""

INSERT_ROWS = 10_000


def _insert(conn: sa.Connection, table: sa.Table, data: pa.Table, run_id: int) -> None:
    """Executemany in chunks: portable Core inserts, fast enough for per-subject rows."""
    columns = [c.name for c in table.columns if c.name != "run_id"]
    for batch in data.select(columns).to_batches(INSERT_ROWS):
        rows = [{"run_id": run_id, **row} for row in batch.to_pylist()]
        if rows:
            conn.execute(table.insert(), rows)


def save_evaluation(
    engine: sa.Engine, result: EvaluationResult, source: str, started_at: datetime
) -> int:
    """Append one run with its results, contributions, evidence and buyers' credit points;
    returns the run id."""
    with engine.begin() as conn:
        run_id = conn.execute(
            evaluation_run.insert()
            .values(
                model_version=result.model_version,
                grades_version=result.grades_version,
                ratings_version=result.ratings_version,
                as_of=result.as_of,
                engine=result.engine,
                source=source,
                started_at=started_at,
                finished_at=datetime.now(UTC),
                subjects=result.results.num_rows,
            )
            .returning(evaluation_run.c.run_id)
        ).scalar_one()
        for table, data in (
            (evaluation_result, result.results),
            (evaluation_contribution, result.contributions),
            (evaluation_evidence, result.evidence),
            (evaluation_buyer_credit, result.buyer_credit),
        ):
            _insert(conn, table, data, run_id)
    return run_id


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    model_version: str
    as_of: date
    engine: str
    subjects: int


def latest_run(engine: sa.Engine) -> RunInfo | None:
    query = sa.select(
        evaluation_run.c.run_id,
        evaluation_run.c.model_version,
        evaluation_run.c.as_of,
        evaluation_run.c.engine,
        evaluation_run.c.subjects,
    ).order_by(evaluation_run.c.run_id.desc())
    with engine.connect() as conn:
        row = conn.execute(query.limit(1)).first()
    return RunInfo(*row) if row else None


def load_results(engine: sa.Engine, run_id: int) -> list[dict[str, object]]:
    query = (
        sa.select(evaluation_result)
        .where(evaluation_result.c.run_id == run_id)
        .order_by(evaluation_result.c.subject_id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def score_history(engine: sa.Engine, subject_id: str) -> list[dict[str, object]]:
    """Every stored evaluation of one subject, oldest first: scores over time."""
    query = (
        sa.select(
            evaluation_run.c.run_id,
            evaluation_run.c.as_of,
            evaluation_run.c.model_version,
            evaluation_result.c.score,
            evaluation_result.c.grade,
            evaluation_result.c.risk_class,
        )
        .join(evaluation_result, evaluation_result.c.run_id == evaluation_run.c.run_id)
        .where(evaluation_result.c.subject_id == subject_id)
        .order_by(evaluation_run.c.as_of, evaluation_run.c.run_id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@dataclass(frozen=True)
class BuyerCredit:
    buyer_id: str
    points: int
    level: int
    run_id: int
    as_of: date


def latest_buyer_credit(conn: sa.Connection, buyer_id: str) -> BuyerCredit | None:
    """The buyer's points in the newest run that stored it, as sellers' evaluations are shown
    from their newest run (`web.queries.evaluation`)."""
    row = conn.execute(
        sa.select(
            evaluation_buyer_credit.c.buyer_id,
            evaluation_buyer_credit.c.points,
            evaluation_buyer_credit.c.level,
            evaluation_run.c.run_id,
            evaluation_run.c.as_of,
        )
        .join(evaluation_run, evaluation_run.c.run_id == evaluation_buyer_credit.c.run_id)
        .where(evaluation_buyer_credit.c.buyer_id == buyer_id)
        .order_by(evaluation_run.c.run_id.desc())
        .limit(1)
    ).first()
    return BuyerCredit(*row) if row else None


def save_inspection_plan(
    engine: sa.Engine,
    run_id: int,
    seed: int,
    ratios: Mapping[str, float],
    inspectors_per_check: int,
    pool: Sequence[str],
    draws: Sequence[tuple[str, str, str]],
    actor: str,
) -> int:
    """Log a plan and every draw — (subject, risk class, inspector) in draw order."""
    with engine.begin() as conn:
        plan_id = conn.execute(
            inspection_plan.insert()
            .values(
                run_id=run_id,
                seed=seed,
                ratios=json.dumps(dict(ratios), sort_keys=True),
                inspectors_per_check=inspectors_per_check,
                inspector_pool=json.dumps(list(pool), ensure_ascii=False),
                created_at=datetime.now(UTC),
                actor=actor,
            )
            .returning(inspection_plan.c.plan_id)
        ).scalar_one()
        if draws:
            conn.execute(
                inspection_draw.insert(),
                [
                    {
                        "plan_id": plan_id,
                        "seq": seq,
                        "subject_id": s,
                        "risk_class": r,
                        "inspector_id": i,
                    }
                    for seq, (s, r, i) in enumerate(draws, start=1)
                ],
            )
    return plan_id
