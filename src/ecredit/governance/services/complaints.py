"""Complaint and report handling: intake with de-duplication, handling steps, 先行赔付,
overdue clocks, surge warnings, and the reported party's confidential view."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ecredit.governance import complaints, warnings
from ecredit.governance.clocks import Deadline
from ecredit.governance.complaints import Complaint, ComplaintState, ReportedPartyView
from ecredit.governance.model import Event, china_date
from ecredit.governance.services.common import COMPLAINT, WARNING, moment, new_id
from ecredit.governance.services.warnings import raise_alert
from ecredit.storage import governance as store


@dataclass(frozen=True)
class ComplaintIntake:
    channel: str
    target_id: str
    category: str
    complainant_id: str | None = None
    shop_id: str | None = None
    order_id: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Filed:
    complaint_id: str
    duplicate: bool


def _from_row(row: dict[str, Any]) -> Complaint:
    return Complaint(
        complaint_id=row["complaint_id"],
        channel=row["channel"],
        complainant_id=row["complainant_id"],
        target_id=row["target_id"],
        shop_id=row["shop_id"],
        order_id=row["order_id"],
        category=row["category"],
        received_at=row["received_at"],
        text=row["text"],
        state=ComplaintState(row["status"]),
        outcome=row["outcome"],
    )


def _load(conn: sa.Connection, complaint_ids: list[str] | None = None) -> list[Complaint]:
    rows = store.complaint_rows(conn, complaint_ids)
    cases = {
        c.case_id: c
        for c in store.load_cases(conn, COMPLAINT, case_ids=[r["complaint_id"] for r in rows])
    }
    return [complaints.replay(_from_row(r), cases.get(r["complaint_id"])) for r in rows]


def _one(conn: sa.Connection, complaint_id: str) -> Complaint:
    found = _load(conn, [complaint_id])
    if not found:
        raise LookupError(f"未知的投诉编号 / unknown complaint: {complaint_id}")
    return found[0]


def _record(conn: sa.Connection, complaint: Complaint, event: Event) -> None:
    """Complaints ingested from hotline files get their workflow case on their first step."""
    if not store.open_case(
        conn, COMPLAINT, complaint.complaint_id, complaint.target_id, event, complaint.nature
    ):
        store.append(conn, COMPLAINT, complaint.complaint_id, event)


def file_complaint(
    engine: sa.Engine, intake: ComplaintIntake, now: datetime | None = None
) -> Filed:
    """Intake through the API. A repeat of a known complaint is noted on the original and
    returns its id instead of opening a second case."""
    at = moment(now)
    filer = intake.complainant_id or "anonymous"
    with engine.begin() as conn:
        key = complaints.dedupe_key(intake.complainant_id, intake.order_id, intake.category)
        if key and (existing := store.find_complaint(conn, *key)):
            _record(conn, _one(conn, existing), complaints.duplicate(intake.channel, at, filer))
            return Filed(existing, duplicate=True)
        complaint_id = new_id("Q")
        store.insert_complaint(
            conn,
            {
                "complaint_id": complaint_id,
                "channel": intake.channel,
                "complainant_id": intake.complainant_id,
                "target_id": intake.target_id,
                "shop_id": intake.shop_id,
                "order_id": intake.order_id,
                "category": intake.category,
                "received_at": at,
                "status": ComplaintState.RECEIVED,
                "text": intake.text,
            },
            at,
        )
        _record(
            conn,
            _one(conn, complaint_id),
            Event("received", at, filer, {"channel": intake.channel}),
        )
    return Filed(complaint_id, duplicate=False)


def get_complaint(engine: sa.Engine, complaint_id: str) -> Complaint:
    with engine.connect() as conn:
        return _one(conn, complaint_id)


def reported_party_view(engine: sa.Engine, complaint_id: str) -> ReportedPartyView:
    return complaints.for_reported_party(get_complaint(engine, complaint_id))


def handle_complaint(
    engine: sa.Engine,
    complaint_id: str,
    step: str,
    actor: str,
    now: datetime | None = None,
    **data: str,
) -> Complaint:
    """One handling step: accepted, refused (reason=…), mediation_started, resolved
    (outcome=…), closed."""
    at = moment(now)
    with engine.begin() as conn:
        complaint = _one(conn, complaint_id)
        _record(conn, complaint, complaints.transition(complaint, step, at, actor, **data))
        return _one(conn, complaint_id)


def compensate(
    engine: sa.Engine,
    complaint_id: str,
    amount: Decimal,
    payer: str,
    actor: str,
    now: datetime | None = None,
) -> Complaint:
    at = moment(now)
    with engine.begin() as conn:
        complaint = _one(conn, complaint_id)
        _record(conn, complaint, complaints.compensate(complaint, amount, payer, at, actor))
        return _one(conn, complaint_id)


def overdue_complaints(engine: sa.Engine, today: date) -> list[tuple[Complaint, list[Deadline]]]:
    with engine.connect() as conn:
        found = _load(conn)
    return [(c, late) for c in found if (late := complaints.overdue(c, today))]


def scan_complaint_surges(
    engine: sa.Engine, now: datetime | None = None
) -> list[warnings.RiskWarning]:
    """Raise a surge warning for every subject whose recent complaints far exceed its own
    history; returns the warnings raised by this scan."""
    at = moment(now)
    today = china_date(at)
    with engine.begin() as conn:
        received: dict[str, list[date]] = defaultdict(list)
        for row in store.complaint_rows(conn):
            received[row["target_id"]].append(china_date(row["received_at"]))
        alerts = [
            alert
            for subject_id, days in received.items()
            if (alert := warnings.complaint_surge(subject_id, days, today)) is not None
        ]
        raised = [a for a in alerts if raise_alert(conn, a, at)]
        cases = store.load_cases(conn, WARNING, case_ids=[a.warning_id for a in raised])
    return [warnings.replay(c) for c in cases]
