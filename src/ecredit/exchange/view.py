"""What a node shows the public of the records, listings and evaluations it holds, received
or its own.

A record is shown unless its current status (the latest status row, as governance reads it,
else the status it arrived with) ends its display, or a correction supersedes it. Imports
append a batch's status changes in the sender's order, so "latest" agrees across nodes.
The display-period engine of the governance workflows narrows this further; exchange needs
only the part that travels.

A listing or an evaluation is never this node's own when a peer sent it, so each is shown
with its `origin`: None for this node's own, else the node that decided or computed it. The
same rules apply to both, on the exchanged form, so every node shows a peer's listing exactly
while the peer does.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa

from ecredit.exchange import provenance
from ecredit.exchange.export import evaluation_rows
from ecredit.exchange.objects import EVALUATIONS, list_entry_data
from ecredit.governance.lists import IN_FORCE
from ecredit.governance.model import china_date, utc_now
from ecredit.governance.services.lists import entries
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


def in_force(data: dict[str, Any], today: date) -> bool:
    """`ListEntry.in_force`, read from the exchanged form so received entries need no replay."""
    return (
        data["status"] in IN_FORCE
        and data["decided_on"] is not None
        and data["ends_on"] is not None
        and date.fromisoformat(data["decided_on"]) <= today < date.fromisoformat(data["ends_on"])
    )


def _received(conn: sa.Connection, object_type: str) -> list[tuple[str, dict[str, Any]]]:
    """(origin, data) of each origin's current version of each object it sent."""
    held = provenance.latest_per_origin(conn, object_type)
    return [(origin, json.loads(row.payload)["data"]) for (origin, _id), row in held.items()]


def _list_entries(conn: sa.Connection, today: date) -> list[dict[str, Any]]:
    own: list[tuple[str | None, dict[str, Any]]] = [
        (None, list_entry_data(e)) for e in entries(conn)
    ]
    shown = [
        {"origin": origin, **data}
        for origin, data in [*own, *_received(conn, "list_entry")]
        if in_force(data, today)
    ]
    return sorted(shown, key=lambda d: (d["subject_id"], d["entry_id"], d["origin"] or ""))


def _evaluations(conn: sa.Connection) -> list[dict[str, Any]]:
    """Each evaluator's latest result per subject, as the subject page shows its own."""
    found: list[tuple[str | None, dict[str, Any]]] = [
        (None, json_view(EVALUATIONS, row, PUBLIC))
        for row in conn.execute(evaluation_rows()).mappings()
    ]
    found += _received(conn, "evaluation")
    latest: dict[tuple[str | None, str], dict[str, Any]] = {}
    for origin, data in found:
        key = (origin, data["subject_id"])
        if key not in latest or data["as_of"] >= latest[key]["as_of"]:
            latest[key] = {"origin": origin, **data}
    return sorted(latest.values(), key=lambda d: (d["subject_id"], d["origin"] or ""))


def public_view(engine: sa.Engine, today: date | None = None) -> dict[str, list[dict[str, Any]]]:
    subjects, records = KIND_TABLES["subjects"], KIND_TABLES["records"]
    today = today or china_date(utc_now())
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
        return {
            "subjects": [json_view(SUBJECTS, row, PUBLIC) for row in people],
            "records": shown,
            "list_entries": _list_entries(conn, today),
            "evaluations": _evaluations(conn),
        }
