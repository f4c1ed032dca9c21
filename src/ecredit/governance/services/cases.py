"""Confirmed manipulation cases from detection: each becomes a record and a warning, the
subject is re-evaluated, and listings are proposed where the criteria now hold."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import warnings
from ecredit.governance.model import Event, Record
from ecredit.governance.ports import CASE_RECORD_TYPES, ConfirmedCases, DetectionCase, Evaluator
from ecredit.governance.services.common import DETECTION_CASE, moment
from ecredit.governance.services.evaluation import reevaluate
from ecredit.governance.services.lists import propose_listings
from ecredit.governance.services.warnings import raise_alert
from ecredit.records.catalogue import load_catalogue
from ecredit.storage import governance as store

EVENT_LABELS: dict[str, str] = {"confirmed": "确认操纵信用案件 / manipulation case confirmed"}


def record_confirmed_case(
    engine: sa.Engine, case: DetectionCase, evaluator: Evaluator | None, now: datetime | None = None
) -> str | None:
    """File the case's record (e.g. PLT01 恶意刷单), alert, re-evaluate and propose listings.
    Idempotent by case id: a case already filed returns None and changes nothing."""
    at = moment(now)
    type_code = CASE_RECORD_TYPES[case.kind]
    record = Record(
        record_id=f"DC-{case.case_id}",
        subject_id=case.subject_id,
        type_code=type_code,
        severity=load_catalogue().get(type_code).severity,
        decided_on=case.confirmed_on,
        source_kind="monitoring",
        source_name=case.source_name,
        summary=case.summary,
    )
    data = {
        "confirmed_on": case.confirmed_on.isoformat(),
        "summary": case.summary,
        "record_id": record.record_id,
    }
    with engine.begin() as conn:
        event = Event("confirmed", at, case.source_name, data)
        opened = store.open_case(
            conn, DETECTION_CASE, case.case_id, case.subject_id, event, case.kind, record.record_id
        )
        if not opened:
            return None
        store.insert_record(conn, record, f"detection/{case.case_id}", at)
        raise_alert(conn, warnings.confirmed_case(case), at)
    reevaluate(engine, evaluator, case.subject_id, f"case {case.case_id}", now)
    propose_listings(engine, case.subject_id, now=now)
    return record.record_id


def sync_confirmed_cases(
    engine: sa.Engine,
    source: ConfirmedCases,
    evaluator: Evaluator | None,
    since: date,
    now: datetime | None = None,
) -> list[str]:
    """Pull newly confirmed cases from detection; returns the ids of the records filed."""
    filed = [
        record_confirmed_case(engine, c, evaluator, now) for c in source.confirmed_since(since)
    ]
    return [r for r in filed if r is not None]
