"""Data classes decide what a reader sees of a stored row.

Personal and sensitive fields have no clear column (see `ecredit.storage.tables`); wherever
a row leaves storage — public pages, archives, exchange batches — they appear only in masked
form, and internal fields only for readers cleared for them. Clear values need `reveal`.
Values take one JSON spelling everywhere (ISO dates, UTC timestamps, decimals as strings), so
a row hashes the same on every node.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from ecredit.audit.log import iso
from ecredit.records.kinds import DataClass, Field, FieldType, Kind

PROTECTED = frozenset({DataClass.PERSONAL, DataClass.SENSITIVE})


def is_protected(f: Field) -> bool:
    return f.data_class in PROTECTED


def masked_view(
    kind: Kind, row: Mapping[str, Any], classes: Collection[DataClass]
) -> dict[str, Any]:
    """The fields of a stored row shown to a reader of `classes`; protected ones masked."""
    view: dict[str, Any] = {}
    for f in kind.fields:
        if is_protected(f):
            view[f"{f.name}_masked"] = row[f"{f.name}_masked"]
        elif f.data_class in classes:
            view[f.name] = row[f.name]
    return view


def to_json(f: Field | None, value: Any) -> Any:
    if value is None or f is None:
        return value
    if f.type == FieldType.DATE:
        return value.isoformat()
    if f.type == FieldType.DATETIME:
        return iso(value)
    if f.type == FieldType.DECIMAL:
        return f"{Decimal(str(value)):.2f}"
    if f.type == FieldType.INT:
        return int(value)
    if f.type == FieldType.BOOL:
        return bool(value)
    return str(value)


def json_view(kind: Kind, row: Mapping[str, Any], classes: Collection[DataClass]) -> dict:
    """`masked_view` in the JSON spelling every response and exchange batch uses."""
    fields = {f.name: f for f in kind.fields}
    return {k: to_json(fields.get(k), v) for k, v in masked_view(kind, row, classes).items()}


def status_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """A status change as readers and peers see it (it holds no personal information)."""
    return {
        "record_id": row["record_id"],
        "status": row["status"],
        "changed_at": iso(row["changed_at"]),
        "actor": row["actor"],
        "reason": row["reason"],
    }
