"""Export: every object that changed since a cursor, as one signed batch.

Every query is bounded by the cursor taken at the start, so rows written meanwhile wait for
the next batch instead of slipping between two. The sent batch is numbered and registered,
and the export is logged as a bulk operation.

Subjects, records and status changes travel whoever said them (a node relays what it
received). List entries and evaluations travel only from the node that decided or computed
them: a peer's are held here as its statements, not taken over as this node's own. So do
tombstones: each purge this node made, by its own retention run or on a peer's tombstone,
goes to every peer (`exchange.tombstones`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, log_bulk_operation
from ecredit.exchange import provenance, tombstones
from ecredit.exchange.batch import content_hash, evaluation_key, seal
from ecredit.exchange.node import NodeIdentity
from ecredit.exchange.objects import (
    EVALUATIONS,
    OBJECT_KINDS,
    Cursor,
    current_cursor,
    list_entry_class,
    list_entry_data,
    make_object,
)
from ecredit.exchange.policy import ExchangePolicy
from ecredit.governance import lists
from ecredit.governance.services.common import LIST_ENTRY
from ecredit.privacy.classes import json_view, status_data
from ecredit.storage import governance as store
from ecredit.storage.evaluations import evaluation_result, evaluation_run
from ecredit.storage.exchange import exchange_sent
from ecredit.storage.governance import governance_event
from ecredit.storage.tables import KIND_TABLES, ingest_batch, record_status


def _after(column: sa.ColumnElement, since: int, until: int) -> sa.ColumnElement[bool]:
    return sa.and_(column > since, column <= until)


def _batch_window(column: sa.ColumnElement, since: Cursor, until: Cursor) -> sa.ColumnElement:
    newer = column > since.batch
    if since.running:
        newer = sa.or_(newer, column.in_(since.running))
    return sa.and_(newer, column <= until.batch)


def _kind_object(
    object_type: str,
    row: sa.RowMapping,
    origin: str | None,
    said_at: datetime | None,
    identity: NodeIdentity,
    policy: ExchangePolicy,
) -> dict[str, Any]:
    """A stored subject or record, said by its current origin, else by this node on ingest."""
    kind = OBJECT_KINDS[object_type]
    return make_object(
        object_type,
        row[kind.key[0]],
        origin or identity.node_id,
        said_at or row["started_at"],
        json_view(kind, row, policy.export_classes),
    )


def _kind_rows(object_type: str) -> tuple[sa.Table, sa.Column, sa.Select]:
    kind = OBJECT_KINDS[object_type]
    table = KIND_TABLES[kind.name]
    query = sa.select(table, ingest_batch.c.started_at).join(
        ingest_batch, ingest_batch.c.batch_id == table.c.batch_id
    )
    return table, table.c[kind.key[0]], query


def kind_objects(
    conn: sa.Connection,
    object_type: str,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    where: sa.ColumnElement[bool],
) -> list[dict[str, Any]]:
    table, key, query = _kind_rows(object_type)
    said = provenance.current(object_type)
    rows = conn.execute(
        query.add_columns(said.c.origin, said.c.said_at)
        .outerjoin(said, said.c.object_id == key)
        .where(where)
        .order_by(table.c.batch_id, key)
    ).mappings()
    return [
        _kind_object(object_type, row, row["origin"], row["said_at"], identity, policy)
        for row in rows
    ]


def stored_objects(
    conn: sa.Connection,
    object_type: str,
    object_ids: Sequence[str],
    identity: NodeIdentity,
    policy: ExchangePolicy,
) -> dict[str, dict[str, Any]]:
    """The stored subjects or records among `object_ids`, as objects, by id."""
    _table, key, query = _kind_rows(object_type)
    said = provenance.latest_of(conn, object_type, object_ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(object_ids), provenance.CHUNK):
        chunk = object_ids[start : start + provenance.CHUNK]
        for row in conn.execute(query.where(key.in_(chunk))).mappings():
            statement = said.get(row[key.name])
            origin, said_at = (statement.origin, statement.said_at) if statement else (None, None)
            found[row[key.name]] = _kind_object(object_type, row, origin, said_at, identity, policy)
    return found


def _status_objects(
    conn: sa.Connection, identity: NodeIdentity, since: Cursor, until: Cursor
) -> list[dict[str, Any]]:
    said = provenance.current("record_status")
    rows = conn.execute(
        sa.select(record_status, said.c.object_id, said.c.origin)
        .outerjoin(said, said.c.local_key == sa.cast(record_status.c.id, sa.String))
        .where(_after(record_status.c.id, since.status, until.status))
        .order_by(record_status.c.id)
    ).mappings()
    return [
        make_object(
            "record_status",
            row["object_id"] or f"{identity.node_id}#{row['id']}",
            row["origin"] or identity.node_id,
            row["changed_at"],
            status_data(row),
        )
        for row in rows
    ]


def _list_entry_objects(
    conn: sa.Connection,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    since: Cursor,
    until: Cursor,
) -> list[dict[str, Any]]:
    """Every listing with a step in the window, as it stands after its latest step: a peer
    needs the entry's state (in force, removed after repair …), and the history explains it.
    A step stored after the cursor may already show; the next batch repeats it, unchanged."""
    e = governance_event.c
    changed = sorted(
        conn.execute(
            sa.select(e.case_id)
            .distinct()
            .where(e.workflow == LIST_ENTRY, _after(e.id, since.event, until.event))
        ).scalars()
    )
    objects: list[dict[str, Any]] = []
    for start in range(0, len(changed), provenance.CHUNK):
        chunk = changed[start : start + provenance.CHUNK]
        for case in store.load_cases(conn, LIST_ENTRY, case_ids=chunk):
            entry = lists.replay(case)
            if list_entry_class(entry) in policy.export_classes:
                data = list_entry_data(entry)
                objects.append(
                    make_object(
                        "list_entry", entry.entry_id, identity.node_id, case.events[-1].at, data
                    )
                )
    return objects


def evaluation_rows() -> sa.Select:
    """Stored results with their run, for subjects this node holds: a result about a subject
    that was never ingested (an evaluation of loose files) names nobody a peer could know."""
    subjects = KIND_TABLES["subjects"]
    return (
        sa.select(
            evaluation_result,
            evaluation_run.c.model_version,
            evaluation_run.c.as_of,
            evaluation_run.c.finished_at,
        )
        .join(evaluation_run, evaluation_run.c.run_id == evaluation_result.c.run_id)
        .join(subjects, subjects.c.subject_id == evaluation_result.c.subject_id)
        .order_by(evaluation_result.c.run_id, evaluation_result.c.subject_id)
    )


def _evaluation_objects(
    conn: sa.Connection,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    since: Cursor,
    until: Cursor,
) -> list[dict[str, Any]]:
    """Results of the runs in the window; a later run of the same model on the same date
    replaces an earlier one in the batch, as it would on import."""
    rows = conn.execute(
        evaluation_rows().where(_after(evaluation_run.c.run_id, since.run, until.run))
    ).mappings()
    objects: dict[str, dict[str, Any]] = {}
    for row in rows:
        data = json_view(EVALUATIONS, row, policy.export_classes)
        key = evaluation_key(data)
        objects[key] = make_object("evaluation", key, identity.node_id, row["finished_at"], data)
    return list(objects.values())


def collect(
    conn: sa.Connection,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    since: Cursor,
    until: Cursor,
) -> list[dict[str, Any]]:
    """Subjects before the records, list entries and evaluations that name them, records
    before their status changes, tombstones last (as they are applied)."""
    subjects, records = KIND_TABLES["subjects"], KIND_TABLES["records"]
    return [
        *kind_objects(
            conn, "subject", identity, policy, _batch_window(subjects.c.batch_id, since, until)
        ),
        *kind_objects(
            conn, "record", identity, policy, _batch_window(records.c.batch_id, since, until)
        ),
        *_status_objects(conn, identity, since, until),
        *_list_entry_objects(conn, identity, policy, since, until),
        *_evaluation_objects(conn, identity, policy, since, until),
        *tombstones.tombstone_objects(conn, identity, since, until),
    ]


def export_batch(
    engine: sa.Engine,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    since: Cursor | None,
    recipient: str,
    actor: Actor,
) -> tuple[bytes, Cursor] | None:
    """The sealed batch and its end cursor, or None when nothing changed since the cursor."""
    now = datetime.now(UTC)
    start = since or Cursor()
    with engine.begin() as conn:
        until = current_cursor(conn)
        objects = collect(conn, identity, policy, start, until)
        if not objects:
            return None
        sequence = 1 + (
            conn.execute(sa.select(sa.func.max(exchange_sent.c.sequence))).scalar_one() or 0
        )
        raw = seal(identity, sequence, str(start), str(until), objects, now)
        conn.execute(
            exchange_sent.insert().values(
                sequence=sequence,
                created_at=now,
                cursor_since=str(start),
                cursor_until=str(until),
                content_hash=content_hash(objects),
                objects=len(objects),
                recipient=recipient,
            )
        )
    log_bulk_operation(
        engine,
        actor,
        Action.EXPORT,
        {
            "sequence": sequence,
            "recipient": recipient,
            "since": str(start),
            "until": str(until),
            "objects": len(objects),
        },
        purpose="exchange",
    )
    return raw, until
