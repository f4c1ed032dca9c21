"""Set-based chunk writes for ingestion on SQLite and PostgreSQL.

Row-by-row inserts and per-key lookups from Python cannot keep up with platform exports, so a
chunk is bulk-loaded into a temporary staging table, and the reference, idempotence and
conflict checks run as joins inside the database. The whole chunk — staged rows, checks,
insert and batch counters — commits in one transaction.

PostgreSQL is loaded straight from Arrow with ADBC (binary COPY). SQLite goes through Python's
own sqlite3 driver: a second SQLite library in the same process (ADBC bundles one) breaks
SQLite's POSIX file locking, and with it the visibility of other connections' commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import adbc_driver_postgresql.dbapi as adbc_postgres
import polars as pl
import sqlalchemy as sa

STAGE = "ecredit_stage"
LINE_COLUMN = "source_line"


def _sqlite_value(dtype: pl.DataType, expr: pl.Expr) -> pl.Expr:
    """SQLAlchemy's SQLite storage formats, so ORM reads of bulk-written rows round-trip."""
    if isinstance(dtype, pl.Datetime):
        return expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    if dtype == pl.Boolean:
        return expr.cast(pl.Int8)
    return expr


def _q(name: str) -> str:
    return f'"{name}"'


class ChunkWriter:
    """One ADBC connection that stages, checks and stores chunks of one kind's rows."""

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect.name
        self._staged_columns: set[str] = set()
        if self.dialect == "sqlite":
            self._sqlite = engine.connect()
        else:
            plain = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._adbc = adbc_postgres.connect(plain)

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._adbc.close()

    def _run(self, sql: str) -> list[tuple[Any, ...]]:
        if self.dialect == "sqlite":
            result = self._sqlite.exec_driver_sql(sql)
            return [tuple(r) for r in result] if result.returns_rows else []
        with self._adbc.cursor() as cur:
            cur.execute(sql)
            if not cur.description:
                return []
            table = cur.fetch_arrow_table()
            return list(zip(*(col.to_pylist() for col in table.columns), strict=True))

    def stage(self, frame: pl.DataFrame, key: Sequence[str]) -> None:
        self._staged_columns = set(frame.columns)
        if self.dialect == "sqlite":
            self._stage_sqlite(frame)
        else:
            with self._adbc.cursor() as cur:
                cur.adbc_ingest(STAGE, frame.to_arrow(), mode="replace", temporary=True)
        self._run(f"CREATE INDEX {STAGE}_key ON {STAGE} ({', '.join(map(_q, key))})")
        self._run(f"ANALYZE {STAGE}")

    def _stage_sqlite(self, frame: pl.DataFrame) -> None:
        frame = frame.select(
            _sqlite_value(frame.schema[c], pl.col(c)).alias(c) for c in frame.columns
        )
        names = ", ".join(map(_q, frame.columns))
        self._run(f"DROP TABLE IF EXISTS temp.{STAGE}")
        self._run(f"CREATE TEMP TABLE {STAGE} ({names})")
        marks = ", ".join("?" for _ in frame.columns)
        self._sqlite.exec_driver_sql(f"INSERT INTO {STAGE} VALUES ({marks})", frame.rows())

    def unknown_references(
        self, column: str, target: sa.Table, target_key: str, self_key: str | None
    ) -> list[tuple[int, str]]:
        """Staged rows whose reference is neither stored nor (self-reference) staged."""
        sql = (
            f"SELECT s.{LINE_COLUMN}, s.{_q(column)} FROM {STAGE} s "
            f"LEFT JOIN {_q(target.name)} t ON t.{_q(target_key)} = s.{_q(column)} "
            f"WHERE s.{_q(column)} IS NOT NULL AND t.{_q(target_key)} IS NULL"
        )
        if self_key:
            sql += (
                f" AND NOT EXISTS (SELECT 1 FROM {STAGE} p WHERE p.{_q(self_key)} = s.{_q(column)})"
            )
        return [(int(line), str(value)) for line, value in self._run(sql)]

    def stored_matches(self, table: sa.Table, key: Sequence[str]) -> list[tuple[int, str, bool]]:
        """Staged rows whose key is already stored: (line, key text, same content?)."""
        on = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
        key_text = " || '|' || ".join(f"CAST(s.{_q(k)} AS TEXT)" for k in key)
        rows = self._run(
            f"SELECT s.{LINE_COLUMN}, {key_text}, "
            f"CASE WHEN t.row_hash = s.row_hash THEN 1 ELSE 0 END "
            f"FROM {STAGE} s JOIN {_q(table.name)} t ON {on}"
        )
        return [(int(line), str(k), bool(same)) for line, k, same in rows]

    def drop_lines(self, lines: Sequence[int]) -> None:
        for start in range(0, len(lines), 5000):
            part = ", ".join(str(int(n)) for n in lines[start : start + 5000])
            self._run(f"DELETE FROM {STAGE} WHERE {LINE_COLUMN} IN ({part})")

    def insert_staged(self, table: sa.Table, batch_id: int) -> int:
        columns = [c.name for c in table.c if c.name in self._staged_columns]
        names = ", ".join(map(_q, columns))
        self._run(
            f"INSERT INTO {_q(table.name)} ({names}, batch_id) "
            f"SELECT {names}, {int(batch_id)} FROM {STAGE}"
        )
        return int(self._run(f"SELECT COUNT(*) FROM {STAGE}")[0][0])

    def update_counters(self, batch_id: int, counters: dict[str, int]) -> None:
        sets = ", ".join(f"{name} = {int(value)}" for name, value in counters.items())
        self._run(f"UPDATE ingest_batch SET {sets} WHERE batch_id = {int(batch_id)}")

    def commit(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.commit()
        else:
            self._adbc.commit()
