"""Scores governance has seen, and re-evaluation after a record changes.

Governance keeps each score it obtained as an event of the subject's `evaluation` case: list
criteria and the score-drop rule compare against it, and the archive history shows the score
moving with the records that moved it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import warnings
from ecredit.governance.model import Case, Event, china_date
from ecredit.governance.ports import Evaluator, Score
from ecredit.governance.services.common import EVALUATION, SYSTEM, moment
from ecredit.governance.services.warnings import raise_alert
from ecredit.storage import governance as store

EVENT_LABELS: dict[str, str] = {
    "evaluated": "重新评价 / re-evaluated",
    "requested": "待重新评价 / re-evaluation queued",
}


def _store(conn: sa.Connection, subject_id: str, event: Event) -> None:
    if not store.open_case(conn, EVALUATION, subject_id, subject_id, event):
        store.append(conn, EVALUATION, subject_id, event)


def _last_scored(case: Case | None) -> Score | None:
    scored = [] if case is None else [e for e in case.events if e.name == "evaluated"]
    if case is None or not scored:
        return None
    d = scored[-1].data
    return Score(
        case.case_id, d["score"], d["grade"], date.fromisoformat(d["as_of"]), d["model_version"]
    )


def latest_score(conn: sa.Connection, subject_id: str) -> Score | None:
    return _last_scored(store.load_case(conn, EVALUATION, subject_id))


def _evaluated(score: Score, trigger: str, at: datetime) -> Event:
    data = {
        "score": score.score,
        "grade": score.grade,
        "as_of": score.as_of.isoformat(),
        "model_version": score.model_version,
        "trigger": trigger,
    }
    return Event("evaluated", at, SYSTEM, data)


def note_score(
    engine: sa.Engine, score: Score, trigger: str, now: datetime | None = None
) -> Score | None:
    """Keep a score and raise a score-drop warning against the previous one; returns the
    previous score."""
    at = moment(now)
    with engine.begin() as conn:
        previous = latest_score(conn, score.subject_id)
        _store(conn, score.subject_id, _evaluated(score, trigger, at))
        if (alert := warnings.score_drop(previous, score)) is not None:
            raise_alert(conn, alert, at)
    return previous


def reevaluate(
    engine: sa.Engine,
    evaluator: Evaluator | None,
    subject_id: str,
    trigger: str,
    now: datetime | None = None,
) -> Score | None:
    """Runs after the change is committed, so the evaluator sees the records as they now are.
    Without an evaluator the subject is queued for the next batch evaluation run instead."""
    if evaluator is None:
        event = Event("requested", moment(now), SYSTEM, {"trigger": trigger})
        with engine.begin() as conn:
            _store(conn, subject_id, event)
        return None
    score = evaluator.evaluate(subject_id, china_date(moment(now)))
    note_score(engine, score, trigger, now)
    return score


def pending_reevaluations(engine: sa.Engine) -> list[str]:
    """Subjects whose records changed since governance last saw their score."""
    with engine.connect() as conn:
        cases = store.load_cases(conn, EVALUATION)
    return [c.case_id for c in cases if c.events[-1].name == "requested"]


def _moved(previous: Score | None, score: Score) -> bool:
    return previous is None or (previous.score, previous.grade, previous.model_version) != (
        score.score,
        score.grade,
        score.model_version,
    )


def note_scores(
    engine: sa.Engine, scores: Iterable[Score], trigger: str, now: datetime | None = None
) -> int:
    """Hand a batch evaluation run's scores to governance; returns the score-drop alerts raised.

    This is where queued re-evaluations are answered and where list criteria and the score-drop
    rule get the scores they compare against. A subject's score is kept only when it moved
    (score, grade or model) or a re-evaluation was queued for it, so the archive shows the score
    changing with the records rather than one event per subject per run.
    """
    at = moment(now)
    raised = 0
    with engine.begin() as conn:
        cases = {c.case_id: c for c in store.load_cases(conn, EVALUATION)}
        for score in scores:
            case = cases.get(score.subject_id)
            previous = _last_scored(case)
            queued = case is not None and case.events[-1].name == "requested"
            if not (queued or _moved(previous, score)):
                continue
            _store(conn, score.subject_id, _evaluated(score, trigger, at))
            if (alert := warnings.score_drop(previous, score)) is not None:
                raised += raise_alert(conn, alert, at)
    return raised
