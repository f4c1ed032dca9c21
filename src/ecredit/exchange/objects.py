"""Stored rows as exchange objects and back, and the cursor that marks how far an export got.

Kinds drive both directions, so a column added to a kind travels without code here: its data
class decides whether it leaves the node, and personal fields leave only masked.

A cursor names the newest ingest batch and status change an export covered, plus the ingest
batches still running at that moment: their later chunks are sent again next time (harmless,
imports are idempotent) instead of being skipped for good.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import iso
from ecredit.privacy.classes import PROTECTED
from ecredit.records.kinds import RECORDS, SUBJECTS, Field, FieldType, Kind
from ecredit.storage.exchange import exchange_cursor
from ecredit.storage.tables import ingest_batch, record_status

OBJECT_KINDS: dict[str, Kind] = {"subject": SUBJECTS, "record": RECORDS}
"""Object types stored in a kind table; `record_status` rows and held types are handled apart."""

CURSOR = re.compile(r"^c1\.(\d+)\.(\d+)(?:\.(\d+(?:_\d+)*))?$")


@dataclass(frozen=True)
class Cursor:
    batch: int = 0
    status: int = 0
    running: tuple[int, ...] = ()

    def __str__(self) -> str:
        text = f"c1.{self.batch}.{self.status}"
        return text + ("." + "_".join(map(str, self.running)) if self.running else "")

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = CURSOR.match(text)
        if not match:
            raise ValueError(f"游标格式错误 / not a cursor: {text!r} (e.g. c1.42.310)")
        batch, status, running = match.groups()
        return cls(int(batch), int(status), tuple(int(n) for n in (running or "").split("_") if n))


def current_cursor(conn: sa.Connection) -> Cursor:
    batch = conn.execute(sa.select(sa.func.max(ingest_batch.c.batch_id))).scalar_one() or 0
    status = conn.execute(sa.select(sa.func.max(record_status.c.id))).scalar_one() or 0
    running = conn.execute(
        sa.select(ingest_batch.c.batch_id)
        .where(ingest_batch.c.status == "running", ingest_batch.c.batch_id <= batch)
        .order_by(ingest_batch.c.batch_id)
    ).scalars()
    return Cursor(batch, status, tuple(running))


def from_json(f: Field, value: Any) -> Any:
    if value is None:
        return None
    if f.type == FieldType.DATE:
        return date.fromisoformat(value)
    if f.type == FieldType.DATETIME:
        return parse_time(value)
    if f.type == FieldType.DECIMAL:
        return Decimal(value)
    return value


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def kind_columns(kind: Kind, data: Mapping[str, Any]) -> dict[str, Any]:
    """Storage columns for an exchanged object: masked personal values, no token or cipher."""
    columns: dict[str, Any] = {}
    for f in kind.fields:
        if f.data_class in PROTECTED:
            columns[f"{f.name}_masked"] = data[f"{f.name}_masked"]
        elif f.name in data:
            columns[f.name] = from_json(f, data[f.name])
    return columns


def make_object(
    object_type: str, object_id: str, origin: str, said_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": object_type,
        "id": object_id,
        "origin": origin,
        "said_at": iso(said_at),
        "data": data,
    }


def load_cursor(conn: sa.Connection, node_id: str, direction: str) -> Cursor | None:
    text = conn.execute(
        sa.select(exchange_cursor.c.cursor).where(
            exchange_cursor.c.node_id == node_id, exchange_cursor.c.direction == direction
        )
    ).scalar_one_or_none()
    return Cursor.parse(text) if text else None


def save_cursor(conn: sa.Connection, node_id: str, direction: str, cursor: str) -> None:
    values = {"cursor": cursor, "updated_at": datetime.now(UTC)}
    updated = conn.execute(
        exchange_cursor.update()
        .where(exchange_cursor.c.node_id == node_id, exchange_cursor.c.direction == direction)
        .values(values)
    ).rowcount
    if not updated:
        conn.execute(
            exchange_cursor.insert().values(node_id=node_id, direction=direction, **values)
        )
