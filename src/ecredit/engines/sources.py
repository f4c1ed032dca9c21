"""Where engines read input kinds from: generated files, the database, or Arrow tables.

Data leaves the database through Arrow rather than through DuckDB's sqlite/postgres
extensions, because those extensions are downloaded on first use and fail on offline
machines. PostgreSQL goes through ADBC (typed from the catalogue, fast); SQLite goes through
SQLAlchemy in chunks, because SQLite columns have no types and ADBC would guess them from the
first rows and fail on a later row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from ecredit.storage.tables import KIND_TABLES, rating_flag, record_status

CHINA_STANDARD_TIME_HOURS = 8
"""Generated files (CSV and Parquet) hold naive China Standard Time; no DST since 1991."""

FETCH_ROWS = 100_000
HISTORY_TABLES = {t.name: t for t in (rating_flag, record_status)}
"""Append-only histories that evaluation reads besides the kind tables."""


@dataclass(frozen=True)
class DirectorySource:
    """A directory of `<kind>.parquet` or `<kind>.csv` files as written by `ecredit generate`."""

    path: Path

    def file(self, name: str) -> Path | None:
        """Parquet wins over CSV: it keeps types and reads an order of magnitude faster."""
        for suffix in (".parquet", ".csv"):
            candidate = self.path / f"{name}{suffix}"
            if candidate.exists():
                return candidate
        return None


@dataclass(frozen=True)
class ArrowSource:
    """Tables already in memory: tests, and frames another component has prepared."""

    tables: Mapping[str, pa.Table] = field(default_factory=dict)

    def arrow(self, name: str) -> pa.Table | None:
        return self.tables.get(name)


def _arrow_type(column: sa.Column) -> pa.DataType:
    sql_type = column.type
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us", "UTC")
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sa.Numeric) and not isinstance(sql_type, sa.Float):
        return pa.decimal128(sql_type.precision or 38, sql_type.scale or 0)
    if isinstance(sql_type, sa.Integer):
        return pa.int64()
    return pa.string()


def _chunks(conn: sa.Connection, table: sa.Table, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    result = conn.execution_options(yield_per=FETCH_ROWS).execute(sa.select(table))
    for rows in result.partitions():
        columns = list(zip(*rows, strict=True))
        yield pa.record_batch(
            [pa.array(values, f.type) for values, f in zip(columns, schema, strict=True)],
            schema=schema,
        )


def _without_extensions(table: pa.Table) -> pa.Table:
    """ADBC hands NUMERIC over as an opaque extension of text; engines only know plain types."""
    columns = []
    for column in table.columns:
        if isinstance(column.type, pa.BaseExtensionType):
            column = pa.chunked_array([c.storage for c in column.chunks], column.type.storage_type)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


@dataclass(frozen=True)
class DatabaseSource:
    """A database laid out as `storage.tables`, named by a SQLAlchemy URL."""

    url: str

    def _table(self, name: str) -> sa.Table | None:
        return HISTORY_TABLES.get(name, KIND_TABLES.get(name))

    def arrow(self, name: str) -> pa.Table | None:
        table = self._table(name)
        if table is None:
            return None
        url = sa.make_url(self.url)
        if url.get_backend_name() == "postgresql":
            return self._postgres(url, table)
        engine = sa.create_engine(url)
        try:
            if not sa.inspect(engine).has_table(table.name):
                return None
            schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in table.columns])
            with engine.connect() as conn:
                return pa.Table.from_batches(list(_chunks(conn, table, schema)), schema=schema)
        finally:
            engine.dispose()

    @staticmethod
    def _postgres(url: sa.URL, table: sa.Table) -> pa.Table:
        import adbc_driver_postgresql.dbapi as adbc

        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with adbc.connect(libpq) as conn, conn.cursor() as cursor:
            cursor.execute(f'SELECT * FROM "{table.name}"')
            return _without_extensions(cursor.fetch_arrow_table())


Source = DirectorySource | DatabaseSource | ArrowSource
