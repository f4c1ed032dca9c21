"""Monthly snapshots of every monitoring indicator (信用统计监测), stored for publication.

A month's snapshot is computed once from the data as it stands and replaces any earlier
snapshot of that month in one transaction, so a bulletin always shows one consistent set of
figures, and re-running the job after late data arrives is a deliberate act.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from ecredit.storage.web import stats_snapshot
from ecredit.web.capabilities import Capabilities
from ecredit.web.queries import statistics

Snapshot = dict[str, dict[str, float]]


def take(engine: sa.Engine, month: str, capabilities: Capabilities) -> Snapshot:
    statistics.month_window(month)  # a malformed month fails before anything is written
    now = datetime.now(UTC)
    with engine.begin() as conn:
        figures = {
            i.name: statistics.current(conn, i, month) for i in statistics.available(capabilities)
        }
        conn.execute(stats_snapshot.delete().where(stats_snapshot.c.month == month))
        rows = [
            {
                "month": month,
                "indicator": name,
                "dimension": key,
                "value": value,
                "computed_at": now,
            }
            for name, values in figures.items()
            for key, value in values.items()
        ]
        if rows:
            conn.execute(stats_snapshot.insert(), rows)
    return figures


def stored(conn: sa.Connection, month: str) -> Snapshot:
    figures: Snapshot = {}
    rows = conn.execute(
        sa.select(stats_snapshot)
        .where(stats_snapshot.c.month == month)
        .order_by(stats_snapshot.c.indicator, stats_snapshot.c.dimension)
    )
    for r in rows:
        figures.setdefault(r.indicator, {})[r.dimension] = r.value
    return figures


def months(conn: sa.Connection) -> list[str]:
    return list(
        conn.execute(
            sa.select(stats_snapshot.c.month).distinct().order_by(stats_snapshot.c.month.desc())
        ).scalars()
    )
