"""What governance decided, as the portal and the console show it.

This is the one module of the web layer that reads governance: list entries in force, the
joint measures they carry, published risk notices, and the work queues (cases of each
workflow with their latest step). Governance owns the rules and the state (its cases and
their replay); the web layer only reads, on the request's connection.

Listings that trusted nodes decided are shown apart from this node's own, each with its
origin, and only while in force at that node; the measures this node applies from them
(`peer_listings` in governance.yaml) name the same origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ecredit.exchange.received import peer_listings
from ecredit.governance import lists as list_rules
from ecredit.governance import measures as measure_rules
from ecredit.governance import warnings as warning_rules
from ecredit.governance.measures import ApplicableMeasure
from ecredit.governance.policy import load_policy
from ecredit.governance.services import common
from ecredit.governance.services import lists as list_service
from ecredit.governance.services.archive import EVENT_LABELS
from ecredit.storage import governance as store
from ecredit.web.models import Label, ListStatus, Measure, NodeOrigin, Notice, QueueItem, Reason
from ecredit.web.queries.peers import node_origin

QUEUES: dict[str, Label] = {
    common.DETECTION_CASE: Label(zh="监测案件", en="Detection cases"),
    common.OBJECTION: Label(zh="异议申请", en="Objections"),
    common.REPAIR: Label(zh="信用修复申请", en="Repair applications"),
    common.LIST_ENTRY: Label(zh="名单认定", en="List proposals"),
    common.COMPLAINT: Label(zh="投诉举报", en="Complaints"),
}
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class Standing:
    """A subject's governance standing on one day, read in one pass."""

    lists: list[ListStatus]
    peer_lists: list[ListStatus]
    measures: list[Measure]
    notices: list[Notice]


def _list_status(entry: list_rules.ListEntry, origin: NodeOrigin | None = None) -> ListStatus:
    definition = load_policy().lists.get(entry.list_code)
    decision = entry.decision
    return ListStatus(
        entry_id=entry.entry_id,
        list_code=entry.list_code,
        name=list_name(entry.list_code),
        polarity=definition.polarity if definition else "unknown",
        decided_on=decision.decided_on if decision else None,
        ends_on=entry.ends_on,
        reasons=[Reason(zh=r.zh, en=r.en) for r in entry.reasons],
        decided_by=decision.authority if decision else None,
        document_no=decision.document_no if decision else None,
        origin=origin,
    )


def _measure(m: ApplicableMeasure) -> Measure:
    return Measure(
        measure=m.measure,
        name=Label(zh=m.zh, en=m.en),
        list_code=m.list_code,
        executors=list(m.executors),
        since=m.since,
        until=m.until,
        entry_id=m.entry_id,
        decided_by=m.authority,
        document_no=m.document_no,
        origin=node_origin(m.origin) if m.origin else None,
    )


def standing(conn: sa.Connection, subject_id: str, today: date) -> Standing:
    entries = list_service.entries(conn, subject_id)
    received = [p for p in peer_listings(conn, subject_id) if p.in_force(today)]
    warnings = [
        warning_rules.replay(c)
        for c in store.load_cases(conn, common.WARNING, subject_id=subject_id)
    ]
    applied = [
        *measure_rules.measures_for(entries, today, None),
        *measure_rules.peer_measures_for(received, today, None),
    ]
    return Standing(
        lists=[_list_status(e) for e in entries if e.in_force(today)],
        peer_lists=[_list_status(p.entry, node_origin(p.origin)) for p in received],
        measures=[_measure(m) for m in applied],
        notices=[
            Notice(
                warning_id=w.warning_id,
                level=w.level,
                message=Label(zh=w.zh, en=w.en),
                shown_from=w.notice_from,
                shown_until=w.notice_until,
            )
            for w in warnings
            if w.notice_shown(today)
        ],
    )


def queue(conn: sa.Connection, workflow: str, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Cases of one workflow, most recently active first, each with its latest step."""
    labels = EVENT_LABELS.get(workflow, {})
    items = [
        QueueItem(
            workflow=c.workflow,
            case_id=c.case_id,
            subject_id=c.subject_id,
            kind=c.kind,
            record_id=c.record_id,
            last_event=c.events[-1].name,
            last_event_label=labels.get(c.events[-1].name, c.events[-1].name),
            last_at=c.events[-1].at,
            events=len(c.events),
        )
        for c in store.load_cases(conn, workflow)
        if c.events
    ]
    return sorted(items, key=lambda i: i.last_at, reverse=True)[:limit]


def list_counts(conn: sa.Connection, on: date) -> dict[str, float]:
    """Entries in force on a day, by list code: the stock behind the list-count indicator."""
    counts: dict[str, float] = {}
    for case in store.load_cases(conn, common.LIST_ENTRY):
        entry = list_rules.replay(case)
        if entry.in_force(on):
            counts[entry.list_code] = counts.get(entry.list_code, 0.0) + 1
    return counts


def peer_list_counts(conn: sa.Connection, on: date) -> dict[str, float]:
    """Trusted peers' listings in force on a day, by list code — published beside this node's
    `list_counts`, never added to them. A peer's listing is the peer's decision, counted in
    the peer's own statistics; adding it here would count one decision twice wherever nodes'
    figures are summed (a province over its cities, the national platform over provinces), and
    would report as this node's work decisions it neither took nor can lift. Shown apart, a
    regulator still sees how many listings from elsewhere are in force here."""
    counts: dict[str, float] = {}
    for listing in peer_listings(conn):
        if listing.in_force(on):
            code = listing.entry.list_code
            counts[code] = counts.get(code, 0.0) + 1
    return counts


def list_name(code: str) -> Label:
    found = load_policy().lists.get(code)
    return Label(zh=found.zh, en=found.en) if found else Label(zh=code, en=code)
