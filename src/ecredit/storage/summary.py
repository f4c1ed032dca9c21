"""Read-only counts for the summary table and the demo."""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.records.kinds import KINDS
from ecredit.storage.tables import KIND_TABLES


def kind_counts(engine: sa.Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        return [
            (
                name,
                kind.zh,
                conn.execute(
                    sa.select(sa.func.count()).select_from(KIND_TABLES[name])
                ).scalar_one(),
            )
            for name, kind in KINDS.items()
        ]


def dangling_references(engine: sa.Engine) -> list[tuple[str, str, str, int]]:
    """Rows of high-volume kinds whose reference is not stored: (kind, field, target, rows).

    Those tables carry no foreign keys (ingestion checks references set-based), so this is how
    an operator verifies that nothing else wrote into them."""
    found = []
    with engine.connect() as conn:
        for kind in KINDS.values():
            if not kind.high_volume:
                continue
            table = KIND_TABLES[kind.name]
            for f in kind.fields:
                if not f.references:
                    continue
                target = KIND_TABLES[f.references].alias("target")
                key = target.c[KINDS[f.references].key[0]]
                missing = ~sa.exists().where(key == table.c[f.name])
                count = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c[f.name].is_not(None), missing)
                ).scalar_one()
                found.append((kind.name, f.name, f.references, int(count)))
    return found
