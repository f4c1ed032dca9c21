"""Governance storage: workflow cases with append-only event histories, and the purge log.

Every governance workflow — listings, objections, repair, commitments, complaints, warnings,
verification, the re-evaluations it triggers — is a case plus its events. A change is a new
event row, never an update, and `(workflow, case_id, seq)` is unique, so two clerks acting on
the same case at once cannot both succeed: the second gets a conflict instead of silently
overwriting. Governance rows refer to records by id without a foreign key, because the
history of an objection or a repair must outlive the purge of the record itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecredit.governance.model import Case, Event, Record
from ecredit.governance.retention import PurgeItem
from ecredit.records.catalogue import load_catalogue
from ecredit.storage.tables import KIND_TABLES, UtcDateTime, ingest_batch, metadata, record_status

governance_case = sa.Table(
    "governance_case",
    metadata,
    sa.Column("workflow", sa.String(32), primary_key=True),
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column(
        "subject_id",
        sa.String(64),
        sa.ForeignKey("subjects.subject_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(64)),
    sa.Column("record_id", sa.String(64), index=True),
    sa.Column("opened_at", UtcDateTime, nullable=False),
)
"""One workflow instance and the facts it is filed under; its state lives in its events."""

governance_event = sa.Table(
    "governance_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workflow", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.ForeignKeyConstraint(
        ["workflow", "case_id"], ["governance_case.workflow", "governance_case.case_id"]
    ),
    sa.UniqueConstraint("workflow", "case_id", "seq"),
)
"""Append-only: the events of a case in order; the case's state is their fold."""

purge_log = sa.Table(
    "purge_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("purged_at", UtcDateTime, nullable=False),
    sa.Column("record_id", sa.String(64), nullable=False, index=True),
    sa.Column("subject_id", sa.String(64), nullable=False, index=True),
    sa.Column("type_code", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("act_ended_on", sa.Date),
    sa.Column("delete_after", sa.Date, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("copies", sa.JSON),
)
"""What the retention purge deleted, when, under which rule: the only trace a purge leaves.
`copies` counts the copies of the record's content that went with it, rows by table (what
peers had said about it); NULL on purges that did not look for any."""

GOVERNANCE_TABLES = (governance_case, governance_event, purge_log)

records = KIND_TABLES["records"]
subjects = KIND_TABLES["subjects"]
complaints = KIND_TABLES["complaints"]


class CaseConflict(RuntimeError):
    """Another action on the same case was stored first; reload and try again."""


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- workflow cases -----------------------------------------------------------------------


def open_case(
    conn: sa.Connection,
    workflow: str,
    case_id: str,
    subject_id: str,
    first: Event,
    kind: str | None = None,
    record_id: str | None = None,
) -> bool:
    """Store a new case with its opening event; False (and nothing stored) if it exists."""
    exists = conn.execute(
        sa.select(sa.literal(1)).where(
            governance_case.c.workflow == workflow, governance_case.c.case_id == case_id
        )
    ).first()
    if exists:
        return False
    conn.execute(
        governance_case.insert().values(
            workflow=workflow,
            case_id=case_id,
            subject_id=subject_id,
            kind=kind,
            record_id=record_id,
            opened_at=first.at,
        )
    )
    _insert_event(conn, workflow, case_id, 1, first)
    return True


def append(conn: sa.Connection, workflow: str, case_id: str, event: Event) -> None:
    last = conn.execute(
        sa.select(sa.func.max(governance_event.c.seq)).where(
            governance_event.c.workflow == workflow, governance_event.c.case_id == case_id
        )
    ).scalar_one()
    if last is None:
        raise KeyError(f"no {workflow} case {case_id}")
    try:
        with conn.begin_nested():
            _insert_event(conn, workflow, case_id, last + 1, event)
    except sa.exc.IntegrityError as exc:
        raise CaseConflict(f"{workflow} {case_id} changed concurrently") from exc


def _insert_event(conn: sa.Connection, workflow: str, case_id: str, seq: int, event: Event) -> None:
    conn.execute(
        governance_event.insert().values(
            workflow=workflow,
            case_id=case_id,
            seq=seq,
            event=event.name,
            occurred_at=event.at,
            actor=event.actor,
            data=dict(event.data),
        )
    )


def load_cases(
    conn: sa.Connection,
    workflow: str | None = None,
    *,
    case_ids: Sequence[str] | None = None,
    subject_id: str | None = None,
    kind: str | None = None,
    record_id: str | None = None,
) -> list[Case]:
    """Cases matching every given filter, each with its events in order, oldest case first."""
    c = governance_case.c
    conditions = [
        cond
        for value, cond in (
            (workflow, c.workflow == workflow),
            (case_ids, c.case_id.in_(case_ids or ())),
            (subject_id, c.subject_id == subject_id),
            (kind, c.kind == kind),
            (record_id, c.record_id == record_id),
        )
        if value is not None
    ]
    e = governance_event.c
    rows = conn.execute(
        sa.select(governance_case, e.event, e.occurred_at, e.actor, e.data)
        .join(governance_event, (e.workflow == c.workflow) & (e.case_id == c.case_id))
        .where(*conditions)
        .order_by(c.opened_at, c.workflow, c.case_id, e.seq)
    ).all()
    events: dict[tuple[str, str], list[Event]] = defaultdict(list)
    heads: dict[tuple[str, str], Any] = {}
    for row in rows:
        key = (row.workflow, row.case_id)
        heads.setdefault(key, row)
        events[key].append(Event(row.event, utc(row.occurred_at), row.actor, row.data))
    return [
        Case(h.workflow, h.case_id, h.subject_id, h.kind, h.record_id, tuple(events[key]))
        for key, h in heads.items()
    ]


def load_case(conn: sa.Connection, workflow: str, case_id: str) -> Case | None:
    found = load_cases(conn, workflow, case_ids=[case_id])
    return found[0] if found else None


# --- records --------------------------------------------------------------------------------


def _latest_status() -> sa.Subquery:
    latest = (
        sa.select(sa.func.max(record_status.c.id).label("id"))
        .group_by(record_status.c.record_id)
        .subquery()
    )
    return (
        sa.select(record_status.c.record_id, record_status.c.status)
        .join(latest, latest.c.id == record_status.c.id)
        .subquery()
    )


def load_records(
    conn: sa.Connection,
    subject_id: str | None = None,
    record_ids: Iterable[str] | None = None,
) -> list[Record]:
    """Records with their current status (the latest history row, else the ingested one)."""
    status = _latest_status()
    query = sa.select(records, status.c.status.label("current_status")).outerjoin(
        status, status.c.record_id == records.c.record_id
    )
    if subject_id is not None:
        query = query.where(records.c.subject_id == subject_id)
    if record_ids is not None:
        query = query.where(records.c.record_id.in_(list(record_ids)))
    catalogue = load_catalogue()
    return [
        Record(
            record_id=row.record_id,
            subject_id=row.subject_id,
            type_code=row.type_code,
            severity=row.severity or catalogue.get(row.type_code).severity,
            decided_on=row.decided_on,
            status=row.current_status or row.status or "active",
            act_ended_on=row.act_ended_on,
            amount=row.amount,
            summary=row.summary,
            document_no=row.document_no,
            source_kind=row.source_kind,
            source_name=row.source_name,
            supersedes=row.supersedes,
        )
        for row in conn.execute(query.order_by(records.c.decided_on, records.c.record_id))
    ]


def _content_hash(values: dict[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


def _one_row_batch(conn: sa.Connection, kind: str, origin: str, digest: str, at: datetime) -> int:
    """Rows governance writes into input-kind tables get a batch like ingested ones, so their
    provenance says where they came from."""
    return int(
        conn.execute(
            ingest_batch.insert().values(
                kind=kind,
                source_file=f"governance:{origin}",
                file_sha256=hashlib.sha256(digest.encode()).hexdigest(),
                started_at=at,
                finished_at=at,
                rows_read=1,
                rows_inserted=1,
                rows_unchanged=0,
                rows_rejected=0,
                status="finished",
            )
        ).inserted_primary_key[0]
    )


def insert_record(conn: sa.Connection, record: Record, origin: str, at: datetime) -> None:
    """A record governance itself files (a confirmed case, a breach, a correction), with a
    one-row batch as its provenance, exactly like an ingested record."""
    values: dict[str, Any] = {
        "record_id": record.record_id,
        "subject_id": record.subject_id,
        "type_code": record.type_code,
        "source_kind": record.source_kind,
        "source_name": record.source_name,
        "decided_on": record.decided_on,
        "severity": record.severity,
        "status": record.status,
        "act_ended_on": record.act_ended_on,
        "document_no": record.document_no,
        "amount": record.amount,
        "summary": record.summary,
        "supersedes": record.supersedes,
    }
    digest = _content_hash(values)
    batch_id = _one_row_batch(conn, "records", origin, digest, at)
    conn.execute(
        records.insert().values(**values, batch_id=batch_id, source_line=1, row_hash=digest)
    )


def set_record_status(
    conn: sa.Connection, record_id: str, status: str, at: datetime, actor: str, reason: str
) -> None:
    conn.execute(
        record_status.insert().values(
            record_id=record_id, status=status, changed_at=at, actor=actor, reason=reason
        )
    )


def status_history(conn: sa.Connection, record_ids: Sequence[str]) -> list[Any]:
    return list(
        conn.execute(
            sa.select(record_status)
            .where(record_status.c.record_id.in_(record_ids))
            .order_by(record_status.c.id)
        )
    )


def record_batches(conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, datetime]:
    """When each record entered the archive (its batch start)."""
    rows = conn.execute(
        sa.select(records.c.record_id, ingest_batch.c.started_at)
        .join(ingest_batch, ingest_batch.c.batch_id == records.c.batch_id)
        .where(records.c.record_id.in_(record_ids))
    )
    return {row.record_id: utc(row.started_at) for row in rows}


def purge_record(conn: sa.Connection, item: PurgeItem, at: datetime, actor: str) -> None:
    """Delete a record and its status history, leaving a purge-log row in the same commit;
    the row counts the copies the caller erased with it (`PurgeItem.copies`)."""
    r = item.record
    conn.execute(record_status.delete().where(record_status.c.record_id == r.record_id))
    conn.execute(records.delete().where(records.c.record_id == r.record_id))
    conn.execute(
        purge_log.insert().values(
            purged_at=at,
            record_id=r.record_id,
            subject_id=r.subject_id,
            type_code=r.type_code,
            severity=r.severity,
            decided_on=r.decided_on,
            act_ended_on=r.act_ended_on,
            delete_after=item.delete_after,
            rule=item.rule,
            actor=actor,
            copies=None if item.copies is None else dict(item.copies),
        )
    )


def purges(conn: sa.Connection, subject_id: str | None = None) -> list[Any]:
    query = sa.select(purge_log).order_by(purge_log.c.id)
    if subject_id is not None:
        query = query.where(purge_log.c.subject_id == subject_id)
    return list(conn.execute(query))


# --- subjects and complaints ---------------------------------------------------------------


def subject_name(conn: sa.Connection, subject_id: str) -> str:
    name = conn.execute(
        sa.select(subjects.c.name).where(subjects.c.subject_id == subject_id)
    ).scalar_one_or_none()
    if name is None:
        raise KeyError(f"未知的信用主体 / unknown subject: {subject_id}")
    return str(name)


def complaint_rows(
    conn: sa.Connection,
    complaint_ids: Sequence[str] | None = None,
    target_id: str | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(complaints).order_by(complaints.c.received_at, complaints.c.complaint_id)
    if complaint_ids is not None:
        query = query.where(complaints.c.complaint_id.in_(complaint_ids))
    if target_id is not None:
        query = query.where(complaints.c.target_id == target_id)
    return [{**row._asdict(), "received_at": utc(row.received_at)} for row in conn.execute(query)]


def find_complaint(
    conn: sa.Connection, complainant_id: str, order_id: str, category: str
) -> str | None:
    return conn.execute(
        sa.select(complaints.c.complaint_id)
        .where(
            complaints.c.complainant_id == complainant_id,
            complaints.c.order_id == order_id,
            complaints.c.category == category,
        )
        .order_by(complaints.c.received_at)
        .limit(1)
    ).scalar_one_or_none()


def insert_complaint(conn: sa.Connection, values: dict[str, Any], at: datetime) -> None:
    """A complaint filed through the API rather than a hotline file, with its own batch."""
    digest = _content_hash(values)
    batch_id = _one_row_batch(conn, "complaints", f"api/{values['channel']}", digest, at)
    conn.execute(
        complaints.insert().values(**values, batch_id=batch_id, source_line=1, row_hash=digest)
    )
