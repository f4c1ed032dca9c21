"""What a node shows the public of the records it holds, received or its own.

A record is shown unless its current status (the latest status row, as governance reads it,
else the status it arrived with) ends its display, or a correction supersedes it. Imports
append a batch's status changes in the sender's order, so "latest" agrees across nodes.
The display-period engine of the governance workflows narrows this further; exchange needs
only the part that travels.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ecredit.privacy.classes import json_view
from ecredit.records.kinds import RECORDS, SUBJECTS, DataClass
from ecredit.storage.tables import KIND_TABLES, record_status

HIDDEN_STATUSES = frozenset({"corrected", "repaired", "expired", "withdrawn"})
PUBLIC = (DataClass.PUBLIC,)


def current_statuses(conn: sa.Connection) -> dict[str, str]:
    records = KIND_TABLES["records"]
    statuses = {
        record_id: status or "active"
        for record_id, status in conn.execute(sa.select(records.c.record_id, records.c.status))
    }
    changes = conn.execute(
        sa.select(record_status.c.record_id, record_status.c.status).order_by(record_status.c.id)
    )
    statuses.update(dict(changes.all()))
    return statuses


def public_view(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    subjects, records = KIND_TABLES["subjects"], KIND_TABLES["records"]
    with engine.connect() as conn:
        statuses = current_statuses(conn)
        superseded = set(
            conn.execute(
                sa.select(records.c.supersedes).where(records.c.supersedes.is_not(None))
            ).scalars()
        )
        shown = [
            json_view(RECORDS, row, PUBLIC)
            for row in conn.execute(sa.select(records).order_by(records.c.record_id)).mappings()
            if statuses[row["record_id"]] not in HIDDEN_STATUSES
            and row["record_id"] not in superseded
        ]
        people = conn.execute(sa.select(subjects).order_by(subjects.c.subject_id)).mappings()
        return {"subjects": [json_view(SUBJECTS, row, PUBLIC) for row in people], "records": shown}
