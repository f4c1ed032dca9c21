"""Plain domain records for tests that need no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ecredit.governance.model import Record
from ecredit.records.catalogue import load_catalogue

SUBJECT = "M1"


def record(
    type_code: str,
    decided_on: date,
    *,
    severity: str | None = None,
    status: str = "active",
    amount: Decimal | None = None,
    act_ended_on: date | None = None,
    record_id: str | None = None,
) -> Record:
    return Record(
        record_id=record_id or f"R-{type_code}-{decided_on}",
        subject_id=SUBJECT,
        type_code=type_code,
        severity=severity or load_catalogue().get(type_code).severity,
        decided_on=decided_on,
        status=status,
        act_ended_on=act_ended_on,
        amount=amount,
    )
