"""Fast set-based reads and writes for ingestion.

Ingestion moves millions of rows, so it bypasses ORM-style row objects: lookups go in
batches of keys, inserts go through the driver's executemany (SQLite) or COPY (PostgreSQL).
Values arrive as polars frames already validated and typed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import polars as pl
import sqlalchemy as sa

LOOKUP_BATCH = 5000


def _batches(values: Sequence[object], size: int = LOOKUP_BATCH) -> Iterable[Sequence[object]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def existing_ids(conn: sa.Connection, table: sa.Table, column: str, ids: Sequence[str]) -> set[str]:
    col = table.c[column]
    found: set[str] = set()
    for part in _batches(ids):
        found.update(conn.execute(sa.select(col).where(col.in_(part))).scalars())
    return found


def existing_hashes(
    conn: sa.Connection, table: sa.Table, key: Sequence[str], keys: pl.DataFrame
) -> pl.DataFrame:
    """Stored row hashes for the given keys, as a frame of key columns plus `stored_hash`."""
    cols = [table.c[k] for k in key]
    rows: list[tuple[object, ...]] = []
    records = keys.rows()
    for part in _batches(records):
        cond = cols[0].in_([r[0] for r in part]) if len(cols) == 1 else sa.tuple_(*cols).in_(part)
        rows.extend(conn.execute(sa.select(*cols, table.c.row_hash).where(cond)).all())
    schema = {**{k: keys.schema[k] for k in key}, "stored_hash": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _sqlite_value(dtype: pl.DataType, expr: pl.Expr) -> pl.Expr:
    """SQLAlchemy's SQLite storage formats, so ORM reads of bulk-written rows round-trip."""
    if isinstance(dtype, pl.Datetime):
        return expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    if dtype == pl.Boolean:
        return expr.cast(pl.Int8)
    return expr


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, frame)
        return
    frame = frame.select(_sqlite_value(frame.schema[c], pl.col(c)).alias(c) for c in frame.columns)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', frame.rows())


def _copy_postgres(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", datetime_format="%Y-%m-%d %H:%M:%S%.6f%z")
    names = ", ".join(f'"{c}"' for c in frame.columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv, NULL \'\')') as copy:
        copy.write(buffer.getvalue())
