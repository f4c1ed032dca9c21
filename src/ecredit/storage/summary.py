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
