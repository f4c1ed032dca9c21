"""The engine interface: the one place where batch code meets a concrete query engine.

Evaluation is written once against Narwhals lazy frames. An engine decides where frames come
from (`read`), where they go (`write`), when a plan runs and its result is kept
(`materialise`) and how a result leaves for Python (`to_arrow`). Everything above this module
is engine-blind, which is what lets DuckDB on a laptop and Spark on a cluster give the same
answer.

Frames handed out by `read` are *conformed*: exactly the columns of the input kind, typed the
same way on every engine and source, with datetimes in UTC. Personal fields keep their kind
name but hold whatever the source has — clear text in generated files, the lookup token in the
database — because evaluation only tests them for presence and equality.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import narwhals as nw
import pyarrow as pa

from ecredit.records.kinds import KINDS, DataClass, Field, FieldType, Kind

RATING_FLAG = Kind(
    "rating_flag",
    "评价标记",
    ("rating_id", "set_at"),
    (
        Field("rating_id", FieldType.TEXT, True, references="ratings", zh="评价"),
        Field("valid_score", FieldType.BOOL, True, zh="计分有效"),
        Field("shield_reason", FieldType.TEXT, zh="屏蔽原因"),
        Field("set_at", FieldType.DATETIME, True, zh="标记时间"),
    ),
)
"""Mirror of `storage.tables.rating_flag` as an input kind, so files can carry flags too."""

RECORD_STATUS = Kind(
    "record_status",
    "信用记录状态",
    ("record_id", "changed_at"),
    (
        Field("record_id", FieldType.TEXT, True, references="records", zh="信用记录"),
        Field("status", FieldType.TEXT, True, zh="状态"),
        Field("changed_at", FieldType.DATETIME, True, zh="变更时间"),
    ),
)
"""Mirror of `storage.tables.record_status`, the append-only history that objections, repairs
and withdrawals write: a record's current status is its latest row, not `records.status`."""

INPUT_KINDS: dict[str, Kind] = {
    **KINDS,
    RATING_FLAG.name: RATING_FLAG,
    RECORD_STATUS.name: RECORD_STATUS,
}

NW_TYPES: dict[FieldType, nw.dtypes.DType] = {
    FieldType.TEXT: nw.String(),
    FieldType.ENUM: nw.String(),
    FieldType.INT: nw.Int64(),
    FieldType.DECIMAL: nw.Float64(),
    FieldType.DATE: nw.Date(),
    FieldType.DATETIME: nw.Datetime("us"),
    FieldType.BOOL: nw.Boolean(),
}
"""Decimals become floats: evaluation only forms rates from them, never sums money to the cent."""

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.TEXT: pa.string(),
    FieldType.ENUM: pa.string(),
    FieldType.INT: pa.int64(),
    FieldType.DECIMAL: pa.float64(),
    FieldType.DATE: pa.date32(),
    FieldType.DATETIME: pa.timestamp("us"),
    FieldType.BOOL: pa.bool_(),
}


@runtime_checkable
class Engine(Protocol):
    """What evaluation needs from a query engine; nothing engine-specific leaks past it."""

    name: str

    def read(self, name: str) -> nw.LazyFrame:
        """A conformed input kind, an empty one if the source lacks it, or a written frame."""
        ...

    def write(self, name: str, frame: nw.LazyFrame) -> None:
        """Persist a frame so that a later `read(name)` returns it."""
        ...

    def materialise(self, frame: nw.LazyFrame) -> nw.LazyFrame:
        """Run the plan now and return a frame backed by its result (cuts the lineage)."""
        ...

    def to_arrow(self, frame: nw.LazyFrame) -> pa.Table: ...

    def from_arrow(self, table: pa.Table) -> nw.LazyFrame: ...

    def close(self) -> None: ...


def empty_table(kind: Kind) -> pa.Table:
    return pa.table(
        {f.name: pa.array([], ARROW_TYPES[f.type]) for f in kind.fields},
    )


def _source_column(f: Field, schema: nw.Schema) -> str | None:
    if f.name in schema:
        return f.name
    if f.data_class in (DataClass.PERSONAL, DataClass.SENSITIVE) and f"{f.name}_token" in schema:
        return f"{f.name}_token"
    return None


def _conformed(f: Field, schema: nw.Schema, naive_offset_hours: int) -> nw.Expr:
    target = NW_TYPES[f.type]
    source = _source_column(f, schema)
    if source is None:
        return nw.lit(None).cast(target).alias(f.name)
    expr, dtype = nw.col(source), schema[source]
    if f.type == FieldType.DATETIME:
        if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
            return expr.alias(f.name)
        naive = expr if isinstance(dtype, nw.Datetime) else expr.cast(target)
        if naive_offset_hours:
            naive = naive.dt.offset_by(f"{-naive_offset_hours}h")
        return naive.alias(f.name)
    if dtype == target:
        return expr.alias(f.name)
    return expr.cast(target).alias(f.name)


def conform(frame: nw.LazyFrame, kind: Kind, naive_offset_hours: int = 0) -> nw.LazyFrame:
    """Select and type a kind's columns; naive datetimes are shifted from local time to UTC.

    Zone-aware datetimes are left as they are: engines run with their session zone set to UTC,
    so zone-aware and naive-UTC values compare, extract and subtract alike.
    """
    schema = frame.collect_schema()
    return frame.select([_conformed(f, schema, naive_offset_hours) for f in kind.fields])
