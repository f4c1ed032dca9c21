"""Migration 0003 creates exactly the tables `ecredit.storage.exchange` declares."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ecredit.storage import exchange
from ecredit.storage.tables import metadata

MINE = {t.name for t in vars(exchange).values() if isinstance(t, sa.Table)}


def _table_of(diff: object) -> str | None:
    item = diff[-1] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else (item,):
        table = getattr(part, "table", None) if not isinstance(part, sa.Table) else part
        if isinstance(table, sa.Table):
            return table.name
        if isinstance(part, str) and part in MINE:
            return part
    return None


def test_migration_matches_the_declared_tables(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if _table_of(d) in MINE] == []
