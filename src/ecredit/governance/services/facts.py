"""What list criteria and warnings read about a subject: records, confirmed cases, score."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ecredit.governance.lists import SubjectFacts
from ecredit.governance.model import Record
from ecredit.governance.ports import DetectionCase
from ecredit.governance.services.common import DETECTION_CASE
from ecredit.governance.services.evaluation import latest_score
from ecredit.storage import governance as store


def confirmed_cases(conn: sa.Connection, subject_id: str) -> list[DetectionCase]:
    return [
        DetectionCase(
            c.case_id,
            c.subject_id,
            c.kind or "",
            date.fromisoformat(c.events[0].data["confirmed_on"]),
            c.events[0].data["summary"],
            c.events[0].actor,
        )
        for c in store.load_cases(conn, DETECTION_CASE, subject_id=subject_id)
    ]


def subject_facts(conn: sa.Connection, subject_id: str) -> SubjectFacts:
    return SubjectFacts(
        subject_id,
        store.load_records(conn, subject_id),
        confirmed_cases(conn, subject_id),
        latest_score(conn, subject_id),
    )


def get_record(conn: sa.Connection, record_id: str) -> Record:
    found = store.load_records(conn, record_ids=[record_id])
    if not found:
        raise LookupError(f"未知的信用记录 / unknown record: {record_id}")
    return found[0]
