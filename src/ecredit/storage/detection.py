"""Stored cases of manipulation and their review history, never edited in place.

A case is written once with its members and evidence; what happens to it afterwards is a
sequence of review rows (new → confirmed / dismissed), so who decided what, when and why stays
on file. The records and rating flags a confirmation writes carry the case id, which is how a
record is traced back to the evidence behind it. There is no foreign key to `subjects` or
`orders`: detection may run on generated files that were never ingested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ecredit.storage.tables import UtcDateTime, metadata

detection_case = sa.Table(
    "detection_case",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("manipulation", sa.String(32), nullable=False, index=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("summary_zh", sa.Text, nullable=False),
    sa.Column("summary_en", sa.Text, nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("engine", sa.String(16), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("found_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime),
)
"""`last_seen_at` is the latest event behind the case: when the act last happened."""

case_member = sa.Table(
    "case_member",
    metadata,
    sa.Column("case_id", sa.String(64), sa.ForeignKey("detection_case.case_id"), primary_key=True),
    sa.Column("entity_kind", sa.String(16), primary_key=True),
    sa.Column("entity_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Index("ix_case_member_entity", "entity_kind", "entity_id"),
)
"""Subjects, shops, orders, ratings and tracking numbers of a case, with their part in it."""

case_evidence = sa.Table(
    "case_evidence",
    metadata,
    sa.Column("case_id", sa.String(64), sa.ForeignKey("detection_case.case_id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("signal", sa.String(32), nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("measure", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("text_zh", sa.Text, nullable=False),
    sa.Column("text_en", sa.Text, nullable=False),
)

case_review = sa.Table(
    "case_review",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "case_id",
        sa.String(64),
        sa.ForeignKey("detection_case.case_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
)
"""Append-only: the current status of a case is its latest row."""

DETECTION_TABLES = (detection_case, case_member, case_evidence, case_review)


@dataclass(frozen=True)
class StoredCase:
    case_id: str
    manipulation: str
    score: float
    summary_zh: str
    summary_en: str
    status: str
    found_at: datetime
    last_seen_at: datetime | None


@dataclass(frozen=True)
class StoredMember:
    entity_kind: str
    entity_id: str
    role: str


@dataclass(frozen=True)
class StoredEvidence:
    signal: str
    findings: int
    measure: float
    threshold: float
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Review:
    status: str
    reviewer: str
    reason: str
    decided_at: datetime


def existing_case_ids(conn: sa.Connection, case_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(case_ids), 500):
        part = list(case_ids[start : start + 500])
        rows = conn.execute(
            sa.select(detection_case.c.case_id).where(detection_case.c.case_id.in_(part))
        )
        found.update(r[0] for r in rows)
    return found


def insert_case(
    conn: sa.Connection,
    case: dict[str, object],
    members: Iterable[dict[str, object]],
    evidence: Iterable[dict[str, object]],
    review: dict[str, object],
) -> None:
    """One case with its members, evidence and first review row ("new"), in the caller's
    transaction."""
    conn.execute(detection_case.insert(), [case])
    member_rows = [{"case_id": case["case_id"], **m} for m in members]
    if member_rows:
        conn.execute(case_member.insert(), member_rows)
    evidence_rows = [{"case_id": case["case_id"], **e} for e in evidence]
    if evidence_rows:
        conn.execute(case_evidence.insert(), evidence_rows)
    conn.execute(case_review.insert(), [{"case_id": case["case_id"], **review}])


def append_review(conn: sa.Connection, case_id: str, review: dict[str, object]) -> None:
    conn.execute(case_review.insert(), [{"case_id": case_id, **review}])


def _cases_with_status(status: str | None = None) -> sa.Select:
    """Cases joined with their current status (the latest review row's), optionally one only."""
    latest = (
        sa.select(case_review.c.case_id, sa.func.max(case_review.c.id).label("id"))
        .group_by(case_review.c.case_id)
        .subquery()
    )
    current = (
        sa.select(case_review.c.case_id, case_review.c.status)
        .join(latest, latest.c.id == case_review.c.id)
        .subquery()
    )
    query = sa.select(
        detection_case.c.case_id,
        detection_case.c.manipulation,
        detection_case.c.score,
        detection_case.c.summary_zh,
        detection_case.c.summary_en,
        current.c.status,
        detection_case.c.found_at,
        detection_case.c.last_seen_at,
    ).join(current, current.c.case_id == detection_case.c.case_id)
    return query.where(current.c.status == status) if status else query


def list_cases(
    conn: sa.Connection,
    status: str | None = None,
    manipulation: str | None = None,
    limit: int | None = None,
) -> list[StoredCase]:
    """Cases by descending score."""
    query = _cases_with_status().order_by(detection_case.c.score.desc(), detection_case.c.case_id)
    if status:
        query = query.where(sa.literal_column("status") == status)
    if manipulation:
        query = query.where(detection_case.c.manipulation == manipulation)
    if limit:
        query = query.limit(limit)
    return [StoredCase(*row) for row in conn.execute(query)]


def get_case(conn: sa.Connection, case_id: str) -> StoredCase | None:
    row = conn.execute(_cases_with_status().where(detection_case.c.case_id == case_id)).first()
    return StoredCase(*row) if row else None


def case_members(conn: sa.Connection, case_id: str) -> list[StoredMember]:
    rows = conn.execute(
        sa.select(case_member.c.entity_kind, case_member.c.entity_id, case_member.c.role)
        .where(case_member.c.case_id == case_id)
        .order_by(case_member.c.entity_kind, case_member.c.entity_id)
    )
    return [StoredMember(*row) for row in rows]


def case_evidence_rows(conn: sa.Connection, case_id: str) -> list[StoredEvidence]:
    rows = conn.execute(
        sa.select(
            case_evidence.c.signal,
            case_evidence.c.findings,
            case_evidence.c.measure,
            case_evidence.c.threshold,
            case_evidence.c.text_zh,
            case_evidence.c.text_en,
        )
        .where(case_evidence.c.case_id == case_id)
        .order_by(case_evidence.c.seq)
    )
    return [StoredEvidence(*row) for row in rows]


def case_reviews(conn: sa.Connection, case_id: str) -> list[Review]:
    rows = conn.execute(
        sa.select(
            case_review.c.status,
            case_review.c.reviewer,
            case_review.c.reason,
            case_review.c.decided_at,
        )
        .where(case_review.c.case_id == case_id)
        .order_by(case_review.c.id)
    )
    return [Review(*row) for row in rows]
