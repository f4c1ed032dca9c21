"""Reading stored evaluations (综合信用评价) for display.

The evaluation capability appends runs; what the public sees is a subject's result in the
newest run that evaluated it, with the grade's name from the grade policy and the top reasons
the run stored.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.evaluation.policy import load_model
from ecredit.storage.evaluations import evaluation_contribution, evaluation_result, evaluation_run
from ecredit.web.models import EvaluationView, Label, Reason

REASON_SEPARATORS = ("；", "; ")
"""How the evaluation run joins reasons in `reasons_zh` and `reasons_en`."""


def grade_name(grade: str) -> Label:
    for band in load_model().grades.grades:
        if band.grade == grade:
            return Label(zh=band.zh, en=band.en)
    return Label(zh=grade, en=grade)


def reasons(zh: str, en: str) -> list[Reason]:
    zh_parts = [p for p in zh.split(REASON_SEPARATORS[0]) if p]
    en_parts = [p for p in en.split(REASON_SEPARATORS[1]) if p]
    return [Reason(zh=z, en=e) for z, e in zip(zh_parts, en_parts, strict=False)]


def _latest_run_of(subject_id: str) -> sa.ScalarSelect:
    return (
        sa.select(sa.func.max(evaluation_result.c.run_id))
        .where(evaluation_result.c.subject_id == subject_id)
        .scalar_subquery()
    )


def latest(conn: sa.Connection, subject_id: str) -> EvaluationView | None:
    row = conn.execute(
        sa.select(evaluation_result, evaluation_run.c.as_of, evaluation_run.c.model_version)
        .join(evaluation_run, evaluation_run.c.run_id == evaluation_result.c.run_id)
        .where(
            evaluation_result.c.subject_id == subject_id,
            evaluation_result.c.run_id == _latest_run_of(subject_id),
        )
    ).first()
    if row is None:
        return None
    return EvaluationView(
        score=row.score,
        grade=row.grade,
        grade_name=grade_name(row.grade),
        risk_class=row.risk_class,
        as_of=row.as_of,
        model_version=row.model_version,
        reasons=reasons(row.reasons_zh, row.reasons_en),
    )


def indicator_values(conn: sa.Connection, subject_id: str) -> dict[str, float | None]:
    """Indicator values of the subject's latest run (credit level, positive rate, DSR …)."""
    rows = conn.execute(
        sa.select(evaluation_contribution.c.indicator, evaluation_contribution.c.value).where(
            evaluation_contribution.c.subject_id == subject_id,
            evaluation_contribution.c.run_id == _latest_run_of(subject_id),
        )
    )
    return {r.indicator: r.value for r in rows}


def credit_level_name(level: float | None) -> Label | None:
    """Level n (1-based) is the n-th entry of the rating policy's level table; 0 has no name."""
    levels = load_model().ratings.levels
    if level is None or level < 1:
        return None
    entry = levels[min(int(level), len(levels)) - 1]
    return Label(zh=entry.zh, en=entry.en)
