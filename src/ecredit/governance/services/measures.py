"""The measures query — "which measures apply to this subject today and why" — and platforms'
reports that they executed a measure."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import lists, measures
from ecredit.governance.measures import ApplicableMeasure
from ecredit.governance.model import china_date
from ecredit.governance.services.common import LIST_ENTRY, act, moment
from ecredit.governance.services.lists import listings


def measures_for(
    engine: sa.Engine, subject_id: str, today: date | None = None, executor: str | None = None
) -> list[ApplicableMeasure]:
    """For `GET /api/v1/measures?subject=…`: the measures in force on `today` (default: today
    in China), optionally only those a `platform` or a `department` executes."""
    today = today or china_date(moment(None))
    return measures.measures_for(listings(engine, subject_id), today, executor)


def report_execution(
    engine: sa.Engine,
    entry_id: str,
    measure: str,
    executor: str,
    reference: str,
    actor: str,
    now: datetime | None = None,
) -> lists.ListEntry:
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
