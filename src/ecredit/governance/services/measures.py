"""The measures query — "which measures apply to this subject today and why" — and platforms'
reports that they executed a measure."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.exchange.received import peer_listings
from ecredit.governance import lists, measures
from ecredit.governance.measures import ApplicableMeasure
from ecredit.governance.model import china_date
from ecredit.governance.services.common import LIST_ENTRY, act, moment
from ecredit.governance.services.lists import entries


def measures_for(
    engine: sa.Engine, subject_id: str, today: date | None = None, executor: str | None = None
) -> list[ApplicableMeasure]:
    """For `GET /api/v1/measures?subject=…`: the measures in force on `today` (default: today
    in China), optionally only those a `platform` or a `department` executes — from this
    node's listings first, then from the listings of trusted peers that the policy applies
    here (`peer_listings`), each of those naming the peer it comes from."""
    today = today or china_date(moment(None))
    with engine.connect() as conn:
        own, received = entries(conn, subject_id), peer_listings(conn, subject_id)
    return [
        *measures.measures_for(own, today, executor),
        *measures.peer_measures_for(received, today, executor),
    ]


def report_execution(
    engine: sa.Engine,
    entry_id: str,
    measure: str,
    executor: str,
    reference: str,
    actor: str,
    now: datetime | None = None,
) -> lists.ListEntry:
    """Only this node's own listings take reports: a peer's listing has no case here (its
    entry id is unknown), since its history is the peer's to keep."""
    at = moment(now)
    with engine.begin() as conn:
        return act(
            conn,
            LIST_ENTRY,
            entry_id,
            lists.replay,
            lambda e: measures.execution(
                e, measure, executor, china_date(at), reference, at, actor
            ),
        )
