"""Who said the version of an object this node holds now.

An object's current provenance is the latest statement that changed it; an object no peer
ever sent (or whose every statement was refused) was said by this node itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ecredit.storage.exchange import exchange_statement as st

APPLIED = ("new", "updated", "replaced")
"""Statement outcomes that changed what this node stores."""


CHUNK = 500
"""Ids per IN (...) lookup: well inside every database's parameter limit."""


def latest_of(
    conn: sa.Connection,
    object_type: str,
    object_ids: Sequence[str],
    outcomes: Sequence[str] = APPLIED,
) -> dict[str, sa.Row]:
    """The latest statement with one of `outcomes` behind each of many objects, by index."""
    found: dict[str, sa.Row] = {}
    for start in range(0, len(object_ids), CHUNK):
        rows = conn.execute(
            sa.select(st.c.object_id, st.c.origin, st.c.said_at, st.c.content_hash, st.c.payload)
            .where(
                st.c.object_type == object_type,
                st.c.object_id.in_(object_ids[start : start + CHUNK]),
                st.c.outcome.in_(outcomes),
            )
            .order_by(st.c.id)
        )
        found |= {row.object_id: row for row in rows}
    return found


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
