"""A subject's public profile and, for those entitled, its full archive (信用档案)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ecredit.governance.model import china_date, utc_now
from ecredit.web.capabilities import Capabilities
from ecredit.web.models import Archive, Profile
from ecredit.web.queries import complaints, disclosure, evaluation, governance, peers, subjects


def today() -> date:
    """Legal dates are dates in China."""
    return china_date(utc_now())


def profile(conn: sa.Connection, row: sa.Row, capabilities: Capabilities) -> Profile:
    day = today()
    shown = disclosure.public_records(conn, row.subject_id, day)
    governed = (
        governance.standing(conn, row.subject_id, day) if capabilities.has("governance") else None
    )
    return Profile(
        subject=subjects.summary(row),
        registered_on=row.registered_on,
        ric_masked=row.ric_masked,
        verification=disclosure.verification(shown, day),
        shops=subjects.shops_of(conn, row.subject_id),
        commitments=disclosure.commitments(shown),
        records=shown,
        evaluation=evaluation.latest(conn, row.subject_id)
        if capabilities.has("evaluation")
        else None,
        lists=governed.lists if governed else None,
        peer_lists=governed.peer_lists if governed else None,
        measures=governed.measures if governed else None,
        peer_evaluations=peers.evaluations(conn, row.subject_id),
        notices=governed.notices if governed else None,
        capabilities=capabilities.snapshot(),
    )


def archive(conn: sa.Connection, row: sa.Row, capabilities: Capabilities) -> Archive:
    return Archive(
        profile=profile(conn, row, capabilities),
        records=disclosure.archive(conn, row.subject_id, today()),
        complaints=complaints.against(conn, row.subject_id),
    )
