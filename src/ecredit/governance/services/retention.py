"""The retention purge: delete negative records past their term, logging each deletion."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ecredit.governance import retention
from ecredit.governance.model import china_date
from ecredit.governance.retention import PurgeItem
from ecredit.governance.services.common import SYSTEM, moment
from ecredit.storage import governance as store


def purge(
    engine: sa.Engine, actor: str = SYSTEM, now: datetime | None = None, dry_run: bool = False
) -> list[PurgeItem]:
    """Delete every negative record five years past the end of its act, each with its purge-log
    row in the same transaction; `dry_run` only reports what would go."""
    at = moment(now)
    with engine.begin() as conn:
        due = retention.purge_due(store.load_records(conn), china_date(at))
        if not dry_run:
            for item in due:
                store.purge_record(conn, item, at, actor)
    return due
