"""An evaluation run as `save_evaluation` lays it out, for tests that need stored results
without computing them from a world."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from ecredit.storage.evaluations import evaluation_run


def new_run(conn: sa.Connection, as_of: date, subjects: int, model: str = "test") -> int:
    now = datetime.now(UTC)
    return conn.execute(
        evaluation_run.insert()
        .values(
            model_version=model,
            grades_version=model,
            ratings_version=model,
            as_of=as_of,
            engine="duckdb",
            source="test",
            started_at=now,
            finished_at=now,
            subjects=subjects,
        )
        .returning(evaluation_run.c.run_id)
    ).scalar_one()
