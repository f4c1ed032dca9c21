"""Complaints and reports (投诉举报): de-duplication, handling clocks, confidentiality, 先行赔付.

A complaint (投诉) is a consumer's dispute over their own order and runs the accept-or-refuse and
mediation clocks; a report (举报) — no order of the filer's own — runs the lead-verification
clock, and its filer's identity is never shown to the reported party (SAMR 投诉举报处理暂行办法).
A repeated complaint (same complainant, same order, same issue) is not a new case: it is noted
on the first, so one grievance never counts twice against a merchant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from ecredit.governance.clocks import Deadline, deadline
from ecredit.governance.model import Case, Event, china_date, require
from ecredit.governance.policy import GovernancePolicy
from ecredit.records.kinds import COMPLAINT_OUTCOMES


class ComplaintState(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    MEDIATING = "mediating"
    RESOLVED = "resolved"
    CLOSED = "closed"


S = ComplaintState
TRANSITIONS: dict[str, tuple[frozenset[ComplaintState], ComplaintState]] = {
    "accepted": (frozenset({S.RECEIVED}), S.ACCEPTED),
    "refused": (frozenset({S.RECEIVED}), S.REFUSED),
    "mediation_started": (frozenset({S.ACCEPTED}), S.MEDIATING),
    "resolved": (frozenset({S.ACCEPTED, S.MEDIATING}), S.RESOLVED),
    "closed": (frozenset({S.REFUSED, S.RESOLVED}), S.CLOSED),
}

EVENT_LABELS: dict[str, str] = {
    "received": "收到投诉举报 / received",
    "accepted": "受理 / accepted",
    "refused": "不予受理 / refused",
    "mediation_started": "开始调解 / mediation started",
    "resolved": "办结 / resolved",
    "closed": "结案 / closed",
    "compensated": "先行赔付 / compensated first",
    "duplicate_received": "重复投诉 / duplicate received",
}


@dataclass(frozen=True)
class Compensation:
    amount: Decimal
    payer: str
    paid_on: date


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    channel: str
    complainant_id: str | None
    target_id: str
    shop_id: str | None
    order_id: str | None
    category: str
    received_at: datetime
    text: str | None
    state: ComplaintState = S.RECEIVED
    outcome: str | None = None
    accepted_on: date | None = None
    mediation_started_on: date | None = None
    resolved_on: date | None = None
    compensations: tuple[Compensation, ...] = ()
    duplicates: int = 0
    history: tuple[Event, ...] = ()

    @property
    def nature(self) -> str:
        return "complaint" if self.order_id else "report"

    @property
    def received_on(self) -> date:
        return china_date(self.received_at)


def dedupe_key(
    complainant_id: str | None, order_id: str | None, category: str
) -> tuple[str, str, str] | None:
    """Anonymous filings and filings without an order cannot be matched, so are never merged."""
    if not complainant_id or not order_id:
        return None
    return (complainant_id, order_id, category)


def transition(complaint: Complaint, name: str, at: datetime, actor: str, **data: str) -> Event:
    require(name in TRANSITIONS, f"未知的办理步骤：{name}", f"unknown handling step: {name}")
    allowed, _ = TRANSITIONS[name]
    require(
        complaint.state in allowed,
        f"当前状态 {complaint.state} 下不能执行 {name}",
        f"cannot {name} a complaint that is {complaint.state}",
    )
    if name == "resolved":
        require(
            data.get("outcome") in COMPLAINT_OUTCOMES,
            f"办结须给出处理结果：{', '.join(COMPLAINT_OUTCOMES)}",
            f"resolving needs an outcome: {', '.join(COMPLAINT_OUTCOMES)}",
        )
    if name == "refused":
        require(bool(data.get("reason")), "不予受理须说明理由", "a refusal needs a reason")
    return Event(name, at, actor, data)


def compensate(
    complaint: Complaint, amount: Decimal, payer: str, at: datetime, actor: str
) -> Event:
    """先行赔付: the platform pays the consumer first and recovers from the merchant later."""
    require(amount > 0, "赔付金额须大于零", "compensation must be positive")
    require(
        complaint.state in (S.ACCEPTED, S.MEDIATING, S.RESOLVED),
        "只有已受理的投诉可以先行赔付",
        "only an accepted complaint can be compensated",
    )
    return Event("compensated", at, actor, {"amount": str(amount), "payer": payer})


def duplicate(channel: str, at: datetime, actor: str) -> Event:
    return Event("duplicate_received", at, actor, {"channel": channel})


def deadlines(complaint: Complaint, policy: GovernancePolicy | None = None) -> list[Deadline]:
    """The clocks running on this complaint, each from the step that starts it."""
    if complaint.nature == "report":
        found = [deadline("lead_verification", complaint.received_on, policy)]
        if complaint.resolved_on:
            found.append(deadline("reporter_feedback", complaint.resolved_on, policy))
        return found
    found = [deadline("complaint_accept", complaint.received_on, policy)]
    if complaint.mediation_started_on:
        found.append(deadline("complaint_mediation", complaint.mediation_started_on, policy))
    return found


DONE_WHEN: dict[str, frozenset[ComplaintState]] = {
    "complaint_accept": frozenset(set(S) - {S.RECEIVED}),
    "lead_verification": frozenset(set(S) - {S.RECEIVED}),
    "complaint_mediation": frozenset({S.RESOLVED, S.CLOSED}),
    "reporter_feedback": frozenset({S.CLOSED}),
}


def overdue(
    complaint: Complaint, today: date, policy: GovernancePolicy | None = None
) -> list[Deadline]:
    return [
        d
        for d in deadlines(complaint, policy)
        if complaint.state not in DONE_WHEN[d.clock] and today > (d.extended_to or d.due_on)
    ]


@dataclass(frozen=True)
class ReportedPartyView:
    """What the reported party may see: never who filed, and for a report nothing that could
    identify the filer (order, free text)."""

    complaint_id: str
    category: str
    received_on: date
    state: str
    outcome: str | None
    order_id: str | None
    text: str | None


def for_reported_party(complaint: Complaint) -> ReportedPartyView:
    is_report = complaint.nature == "report"
    return ReportedPartyView(
        complaint_id=complaint.complaint_id,
        category=complaint.category,
        received_on=complaint.received_on,
        state=complaint.state,
        outcome=complaint.outcome,
        order_id=None if is_report else complaint.order_id,
        text=None if is_report else complaint.text,
    )


def replay(complaint: Complaint, case: Case | None) -> Complaint:
    """The stored complaint row advanced by its workflow events."""
    for event in () if case is None else case.events:
        complaint = _apply(replace(complaint, history=(*complaint.history, event)), event)
    return complaint


def _apply(complaint: Complaint, event: Event) -> Complaint:
    if event.name in TRANSITIONS:
        state = TRANSITIONS[event.name][1]
        changes: dict[str, object] = {"state": state}
        if event.name == "accepted":
            changes["accepted_on"] = event.on
        elif event.name == "mediation_started":
            changes["mediation_started_on"] = event.on
        elif event.name == "resolved":
            changes |= {"resolved_on": event.on, "outcome": event.data["outcome"]}
        return replace(complaint, **changes)
    if event.name == "compensated":
        paid = Compensation(Decimal(event.data["amount"]), event.data["payer"], event.on)
        return replace(complaint, compensations=(*complaint.compensations, paid))
    if event.name == "duplicate_received":
        return replace(complaint, duplicates=complaint.duplicates + 1)
    return complaint
