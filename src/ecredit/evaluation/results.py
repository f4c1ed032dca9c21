"""Evaluation results as Arrow tables: what the CLI prints, storage saves and the CSV holds.

`run_evaluation` is the one call the CLI, the demo and other components use; it returns
plain Arrow so that callers never touch an engine's frames.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from ecredit.engines.base import Engine
from ecredit.evaluation.explain import explain
from ecredit.evaluation.pipeline import Evaluation, evaluate
from ecredit.evaluation.policy import Model, load_model

CONTRIBUTION_SCHEMA = pa.schema(
    [("subject_id", pa.string()), ("indicator", pa.string()), ("dimension", pa.string())]
    + [(c, pa.float64()) for c in ("value", "normalised", "weight", "points", "lost")]
)
EVIDENCE_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("subject_id", "indicator", "ref_kind", "ref_id")]
)
RESULT_SCHEMA = pa.schema(
    [("subject_id", pa.string()), ("subject_type", pa.string()), ("score", pa.float64())]
    + [(c, pa.string()) for c in ("grade", "risk_class", "model_version", "reasons")]
    + [(c, pa.string()) for c in ("reasons_zh", "reasons_en", "overrides")]
)
BUYER_CREDIT_SCHEMA = pa.schema(
    [("buyer_id", pa.string()), ("points", pa.int64()), ("level", pa.int64())]
)
"""Fixed schemas: engines differ in the nullability they report, results must not."""
CSV_COLUMNS = (
    "subject_id",
    "subject_type",
    "score",
    "grade",
    "risk_class",
    "model_version",
    "reasons",
)


@dataclass(frozen=True)
class EvaluationResult:
    model_version: str
    grades_version: str
    ratings_version: str
    as_of: date
    engine: str
    results: pa.Table
    """One row per subject: the CSV columns plus `reasons_zh`, `reasons_en`, `overrides`."""
    contributions: pa.Table
    evidence: pa.Table
    buyer_credit: pa.Table
    """One row per buyer that sellers rated: `buyer_id`, credit `points` and `level` 0–20."""

    def buyers_with_points(self) -> int:
        """Buyers whose sellers' ratings add up to any points, for summaries: a buyer rated only
        neutrally, or only by ratings that do not count, has a row with 0 points."""
        return pc.sum(pc.not_equal(self.buyer_credit.column("points"), 0)).as_py() or 0

    def grade_counts(self) -> dict[tuple[str, str], int]:
        """(subject type, grade) → subjects, for summaries."""
        counts: dict[tuple[str, str], int] = {}
        for row in self.results.select(["subject_type", "grade"]).to_pylist():
            key = (row["subject_type"], row["grade"])
            counts[key] = counts.get(key, 0) + 1
        return counts


def latest_activity(engine: Engine, utc_offset_hours: int) -> date:
    """The local date of the newest order: the default as-of date, so a generated world is
    evaluated where its data ends rather than on today's date."""
    newest = engine.to_arrow(engine.read("orders").select(nw.col("ordered_at").max())).column(0)[0]
    moment = newest.as_py()
    if moment is None:
        return datetime.now(UTC).date()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment + timedelta(hours=utc_offset_hours)).date()


def collect(engine: Engine, evaluation: Evaluation) -> EvaluationResult:
    model = evaluation.model
    scores = engine.to_arrow(evaluation.scores).sort_by("subject_id")
    evidence = (
        engine.to_arrow(evaluation.evidence)
        .cast(EVIDENCE_SCHEMA)
        .sort_by([("subject_id", "ascending"), ("indicator", "ascending"), ("ref_id", "ascending")])
    )
    reasons = explain(scores, engine.to_arrow(evaluation.top_reasons), evidence, model)
    ids = scores.column("subject_id").to_pylist()
    flags = [c for c in scores.column_names if c.startswith("override__")]
    fired = [
        ",".join(f.removeprefix("override__") for f in flags if row[f])
        for row in scores.select(flags).to_pylist()
    ]
    results = pa.Table.from_pydict(
        {
            "subject_id": scores.column("subject_id"),
            "subject_type": scores.column("subject_type"),
            "score": pa.array([round(s, 1) for s in scores.column("score").to_pylist()]),
            "grade": scores.column("grade"),
            "risk_class": scores.column("risk_class"),
            "model_version": pa.array([model.version] * len(ids), pa.string()),
            "reasons": pa.array([reasons[s].text() for s in ids], pa.string()),
            "reasons_zh": pa.array(["；".join(reasons[s].zh) for s in ids], pa.string()),
            "reasons_en": pa.array(["; ".join(reasons[s].en) for s in ids], pa.string()),
            "overrides": pa.array(fired, pa.string()),
        },
        schema=RESULT_SCHEMA,
    )
    return EvaluationResult(
        model_version=model.version,
        grades_version=model.grades.version,
        ratings_version=model.ratings.version,
        as_of=evaluation.period.as_of,
        engine=engine.name,
        results=results,
        contributions=engine.to_arrow(evaluation.contributions)
        .cast(CONTRIBUTION_SCHEMA)
        .sort_by([("subject_id", "ascending"), ("indicator", "ascending")]),
        evidence=evidence,
        buyer_credit=engine.to_arrow(evaluation.buyer_credit)
        .cast(BUYER_CREDIT_SCHEMA)
        .sort_by("buyer_id"),
    )


def run_evaluation(
    engine: Engine, as_of: date | None = None, model: Model | None = None
) -> EvaluationResult:
    """Evaluate every merchant, platform and logistics company in the engine's source."""
    model = model or load_model()
    as_of = as_of or latest_activity(engine, model.ratings.calendar_utc_offset_hours)
    return collect(engine, evaluate(engine, model, as_of))


def write_csv(result: EvaluationResult, path: Path) -> None:
    """Plain RFC 4180 in UTF-8 with an unquoted header, the contract other tools parse."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(
            [row[c] for c in CSV_COLUMNS]
            for row in result.results.select(list(CSV_COLUMNS)).to_pylist()
        )
