"""Who said the version of an object this node holds now.

An object's current provenance is the latest statement that changed it; an object no peer
ever sent (or whose every statement was refused) was said by this node itself. List entries
and evaluations are held as statements rather than stored rows, one current version per
origin: two nodes' evaluations of a subject are two opinions, not rivals for one row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa

from ecredit.storage.exchange import exchange_received as received
from ecredit.storage.exchange import exchange_statement as st

APPLIED = ("new", "updated", "replaced")
"""Statement outcomes that changed what this node stores."""

HELD = ("held",)
"""The outcome of a list entry's or an evaluation's current version from its origin."""


CHUNK = 500
"""Ids per IN (...) lookup: well inside every database's parameter limit."""


def _statements(
    conn: sa.Connection,
    object_type: str,
    object_ids: Sequence[str] | None,
    outcomes: Sequence[str],
    signed: bool = False,
) -> Iterator[sa.Row]:
    """Statements about the objects (all of the type when None), oldest first; `signed`:
    only those delivered in a batch their origin signed."""
    query = (
        sa.select(st.c.object_id, st.c.origin, st.c.said_at, st.c.content_hash, st.c.payload)
        .where(st.c.object_type == object_type, st.c.outcome.in_(outcomes))
        .order_by(st.c.id)
    )
    if signed:
        query = query.join(received, received.c.id == st.c.received_id).where(
            received.c.node_id == st.c.origin
        )
    if object_ids is None:
        yield from conn.execute(query)
        return
    for start in range(0, len(object_ids), CHUNK):
        yield from conn.execute(query.where(st.c.object_id.in_(object_ids[start : start + CHUNK])))


def latest_of(
    conn: sa.Connection,
    object_type: str,
    object_ids: Sequence[str],
    outcomes: Sequence[str] = APPLIED,
) -> dict[str, sa.Row]:
    """The latest statement with one of `outcomes` behind each of many objects, by index."""
    return {row.object_id: row for row in _statements(conn, object_type, object_ids, outcomes)}


def latest_per_origin(
    conn: sa.Connection,
    object_type: str,
    object_ids: Sequence[str] | None = None,
    outcomes: Sequence[str] = HELD,
) -> dict[tuple[str, str], sa.Row]:
    """The latest statement of each origin about each object, by (origin, id), from the
    batches that origin signed. What is held per origin (list entries, evaluations,
    tombstones) counts only from there: a copy relayed under its name is not its word, and
    must not make the origin's own copy look like a repeat (databases from before relayed
    ones were refused at import may still hold some)."""
    rows = _statements(conn, object_type, object_ids, outcomes, signed=True)
    return {(row.origin, row.object_id): row for row in rows}


def current(object_type: str) -> sa.Subquery:
    """The applied statement behind every object of a type, for exports that read them all."""
    latest = (
        sa.select(sa.func.max(st.c.id).label("id"))
        .where(st.c.object_type == object_type, st.c.outcome.in_(APPLIED))
        .group_by(st.c.object_id)
        .subquery()
    )
    return (
        sa.select(st.c.object_id, st.c.local_key, st.c.origin, st.c.said_at, st.c.content_hash)
        .join(latest, latest.c.id == st.c.id)
        .subquery()
    )
