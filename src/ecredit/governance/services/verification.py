"""Real-name re-verification services: record checks, report status, warn on failure."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import verification, warnings
from ecredit.governance.model import Event, china_date
from ecredit.governance.services.common import VERIFICATION, moment
from ecredit.governance.services.warnings import raise_alert
from ecredit.governance.verification import VerificationStatus
from ecredit.storage import governance as store


def _events(conn: sa.Connection, subject_id: str) -> tuple[Event, ...]:
    case = store.load_case(conn, VERIFICATION, subject_id)
    return () if case is None else case.events


def record_verification(
    engine: sa.Engine,
    subject_id: str,
    passed: bool,
    method: str,
    actor: str,
    now: datetime | None = None,
) -> VerificationStatus:
    """A failed check marks the subject unverified on its public page and raises a warning."""
    at = moment(now)
    event = Event("checked", at, actor, {"passed": passed, "method": method})
    with engine.begin() as conn:
        store.subject_name(conn, subject_id)
        if not store.open_case(conn, VERIFICATION, subject_id, subject_id, event):
            store.append(conn, VERIFICATION, subject_id, event)
        if not passed:
            raise_alert(conn, warnings.verification_failed(subject_id, china_date(at)), at)
        return verification.status(_events(conn, subject_id), china_date(at))


def verification_status(engine: sa.Engine, subject_id: str, today: date) -> VerificationStatus:
    with engine.connect() as conn:
        return verification.status(_events(conn, subject_id), today)


def due_for_reverification(engine: sa.Engine, today: date) -> list[str]:
    """Subjects whose last successful check is older than the interval."""
    with engine.connect() as conn:
        cases = store.load_cases(conn, VERIFICATION)
    return [
        c.case_id
        for c in cases
        if verification.status(c.events, today).state == verification.VerificationState.OVERDUE
    ]
