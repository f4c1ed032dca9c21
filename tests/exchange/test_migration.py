"""Migrations 0003 and 0010 create exactly the tables `ecredit.storage.exchange` declares."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ecredit.exchange.received import peer_evaluations, peer_listings
from ecredit.storage import exchange
from ecredit.storage.database import alembic_config
from ecredit.storage.exchange import exchange_statement
from ecredit.storage.tables import metadata
from tests.exchange import nodes
from tests.exchange.test_import import send

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


def _subjects(engine: sa.Engine) -> list[tuple[str, str, str | None]]:
    query = sa.select(
        exchange_statement.c.object_type,
        exchange_statement.c.object_id,
        exchange_statement.c.subject_id,
    ).order_by(exchange_statement.c.id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_statements_name_their_subject_on_import_and_after_backfill(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    """Import fills `exchange_statement.subject_id`; migration 0010 fills it for statements
    stored before it, from their payloads, and the per-subject lookups read the column."""
    a, b = nodes.platform_and_receiver(
        tmp_path, db_url, second_db_url, ("platform-a", "regulator-b")
    )
    nodes.set_status(a, "R2", "repaired", "信用修复 / repair")
    entry_id = nodes.black_list(a, "M1")
    nodes.evaluate(a, {"M1": (548.4, "D", "D"), "M2": (700.0, "B", "B")})
    send(a, b)

    filled = _subjects(b.engine)
    named = {(t, i): s for t, i, s in filled}
    assert named[("subject", "M2")] == "M2"
    assert named[("record", "R2")] == "M2"
    assert named[("list_entry", entry_id)] == "M1"
    assert named[("evaluation", "M2/2026.1/2026-09-30")] == "M2"
    assert {s for t, _i, s in filled if t == "record_status"} == {None}

    config = alembic_config(b.engine)
    command.downgrade(config, "0010_statement_subject@-1")
    command.upgrade(config, "heads")
    assert _subjects(b.engine) == filled
    with b.engine.connect() as conn:
        assert [p.entry.entry_id for p in peer_listings(conn, "M1")] == [entry_id]
        assert peer_listings(conn, "M2") == []
        assert [e.data["score"] for e in peer_evaluations(conn, "M2")] == ["700.00"]
