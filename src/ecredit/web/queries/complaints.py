"""Complaints (投诉举报) as stored: ingested from platforms and hotlines, or filed through the
API and portal (which governance's complaint intake writes into the same table).

The handling steps live in governance's complaint workflow; this module lists complaints for
a subject's archive and finds those nobody has started handling yet.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.governance.services.common import COMPLAINT
from ecredit.storage.governance import governance_case
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.models import Complaint

complaints = KIND_TABLES["complaints"]
shops = KIND_TABLES["shops"]
OPEN_STATUSES = ("received", "accepted", "mediating")
LIMIT = 200


def _complaint(row: sa.Row) -> Complaint:
    return Complaint(
        complaint_id=row.complaint_id,
        channel=row.channel,
        target_id=row.target_id,
        shop_id=row.shop_id,
        order_id=row.order_id,
        category=row.category,
        received_at=row.received_at,
        status=row.status,
        outcome=row.outcome,
        resolved_at=row.resolved_at,
    )


def _listed(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> list[Complaint]:
    rows = conn.execute(
        sa.select(complaints).where(where).order_by(complaints.c.received_at.desc()).limit(limit)
    )
    return [_complaint(r) for r in rows]


def against(conn: sa.Connection, subject_id: str, limit: int = LIMIT) -> list[Complaint]:
    return _listed(conn, complaints.c.target_id == subject_id, limit)


def on_platform(conn: sa.Connection, platform_id: str, limit: int = LIMIT) -> list[Complaint]:
    on_its_shops = sa.select(shops.c.shop_id).where(shops.c.platform_id == platform_id)
    return _listed(conn, complaints.c.shop_id.in_(on_its_shops), limit)


def unhandled(conn: sa.Connection, limit: int = LIMIT) -> list[Complaint]:
    """Open complaints without a handling case: the start of the complaint queue."""
    handled = sa.select(governance_case.c.case_id).where(governance_case.c.workflow == COMPLAINT)
    return _listed(
        conn,
        sa.and_(complaints.c.status.in_(OPEN_STATUSES), complaints.c.complaint_id.not_in(handled)),
        limit,
    )
