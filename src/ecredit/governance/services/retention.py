"""The retention purge: delete negative records past their term, logging each deletion."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from ecredit.governance import retention
from ecredit.governance.model import china_date
from ecredit.governance.ports import RecordCopies
from ecredit.governance.retention import PurgeItem
from ecredit.governance.services.common import SYSTEM, moment
from ecredit.storage import governance as store


def purge(
    engine: sa.Engine,
    actor: str = SYSTEM,
    now: datetime | None = None,
    dry_run: bool = False,
    *,
    copies: RecordCopies | None,
) -> list[PurgeItem]:
    """Delete every negative record five years past the end of its act, each with its purge-log
    row in the same transaction; `dry_run` only reports what would go.

    `copies` erases, in that transaction, what else this node keeps of the records' content
    (peers' statements and conflict rows, `exchange.tombstones.ExchangeCopies`): the term binds
    every copy, not only the record row. It has no default, so no caller can leave the copies
    behind without saying so; None only where nothing but governance holds records (tests).
    Each returned item says what its purge erased, as its purge-log row does."""
    at = moment(now)
    with engine.begin() as conn:
        due = retention.purge_due(store.load_records(conn), china_date(at))
        if dry_run or not due:
            return due
        if copies is not None:
            erased = copies.erase(conn, [item.record.record_id for item in due])
            due = [replace(item, copies=erased[item.record.record_id]) for item in due]
        for item in due:
            store.purge_record(conn, item, at, actor)
    return due
