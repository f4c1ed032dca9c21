"""Stored rows as exchange objects and back, and the cursor that marks how far an export got.

Kinds drive both directions, so a column added to a kind travels without code here: its data
class decides whether it leaves the node, and personal fields leave only masked. Evaluation
results are declared as a kind too, for the same spelling and the same data-class rule; list
entries are nested (reasons, executed measures), so they are spelled out below.

A cursor names the newest ingest batch, status change, governance event, evaluation run and
purge-log row an export covered, plus the ingest batches still running at that moment: their
later chunks are sent again next time (harmless, imports are idempotent) instead of being
skipped for good.
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
from ecredit.governance.lists import ListEntry
from ecredit.privacy.classes import PROTECTED
from ecredit.records.kinds import RECORDS, SUBJECTS, DataClass, Field, FieldType, Kind
from ecredit.storage.evaluations import evaluation_run
from ecredit.storage.exchange import exchange_cursor
from ecredit.storage.governance import governance_event, purge_log
from ecredit.storage.tables import ingest_batch, record_status

OBJECT_KINDS: dict[str, Kind] = {"subject": SUBJECTS, "record": RECORDS}
"""Object types stored in a kind table; `record_status` rows and held types are handled apart."""

EVALUATIONS = Kind(
    "evaluation_result",
    "综合信用评价",
    ("subject_id", "model_version", "as_of"),
    (
        Field("subject_id", FieldType.TEXT, True, max_length=64, zh="主体编号"),
        Field("model_version", FieldType.TEXT, True, max_length=64, zh="模型版本"),
        Field("as_of", FieldType.DATE, True, zh="评价基准日"),
        Field("score", FieldType.DECIMAL, True, minimum=0, maximum=1000, zh="信用分"),
        Field("grade", FieldType.TEXT, True, max_length=8, zh="信用等级"),
        Field("risk_class", FieldType.ENUM, True, ("A", "B", "C", "D"), zh="信用风险分类"),
        Field("reasons_zh", FieldType.TEXT, True, zh="主要原因"),
        Field("reasons_en", FieldType.TEXT, True, zh="主要原因（英文）"),
    ),
)
"""What an evaluation result says to a peer; every field is public, as on the subject page.
Contributions and evidence stay home: they name orders and ratings a peer does not hold."""

RUNNING = r"(?:\.(\d+(?:_\d+)*))?$"
CURSOR = re.compile(r"^c3\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)" + RUNNING)
CURSOR_V2 = re.compile(r"^c2\.(\d+)\.(\d+)\.(\d+)\.(\d+)" + RUNNING)
CURSOR_V1 = re.compile(r"^c1\.(\d+)\.(\d+)" + RUNNING)


@dataclass(frozen=True)
class Cursor:
    batch: int = 0
    status: int = 0
    event: int = 0
    run: int = 0
    purge: int = 0
    running: tuple[int, ...] = ()

    def __str__(self) -> str:
        text = f"c3.{self.batch}.{self.status}.{self.event}.{self.run}.{self.purge}"
        return text + ("." + "_".join(map(str, self.running)) if self.running else "")

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """A cursor kept by a peer from an older format covered less: a c1 cursor no list
        entry, evaluation or tombstone, a c2 cursor no tombstone, so from it those are all
        sent (a tombstone for something the peer never received is noted and ignored)."""
        if match := CURSOR.match(text):
            *counters, running = match.groups()
        elif match := CURSOR_V2.match(text):
            *counters, running = match.groups()
            counters.append("0")
        elif match := CURSOR_V1.match(text):
            *counters, running = match.groups()
            counters += ["0", "0", "0"]
        else:
            raise ValueError(f"游标格式错误 / not a cursor: {text!r} (e.g. c3.42.310.17.3.2)")
        batch, status, event, run, purge = (int(n) for n in counters)
        running_ids = tuple(int(n) for n in (running or "").split("_") if n)
        return cls(batch, status, event, run, purge, running_ids)


def _newest(conn: sa.Connection, column: sa.Column) -> int:
    return conn.execute(sa.select(sa.func.max(column))).scalar_one() or 0


def current_cursor(conn: sa.Connection) -> Cursor:
    batch = _newest(conn, ingest_batch.c.batch_id)
    running = conn.execute(
        sa.select(ingest_batch.c.batch_id)
        .where(ingest_batch.c.status == "running", ingest_batch.c.batch_id <= batch)
        .order_by(ingest_batch.c.batch_id)
    ).scalars()
    return Cursor(
        batch,
        _newest(conn, record_status.c.id),
        _newest(conn, governance_event.c.id),
        _newest(conn, evaluation_run.c.run_id),
        _newest(conn, purge_log.c.id),
        tuple(running),
    )


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


def list_entry_class(entry: ListEntry) -> DataClass:
    """A listing is public once an authority decided it (the portal shows it from then on);
    a proposal, and one rejected, is internal work that leaves only if the policy says so."""
    return DataClass.PUBLIC if entry.decision is not None else DataClass.INTERNAL


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def list_entry_data(entry: ListEntry) -> dict[str, Any]:
    """A list entry as its governance history left it: the decision, the period, the measures
    platforms and departments reported executing, and how it ended. Who clicked stays home:
    the deciding authority is what a peer acts on."""
    decision = entry.decision
    closing = next((e for e in reversed(entry.history) if e.name in ("removed", "rejected")), None)
    return {
        "entry_id": entry.entry_id,
        "list": entry.list_code,
        "subject_id": entry.subject_id,
        "status": str(entry.state),
        "proposed_on": entry.proposed_on.isoformat(),
        "reasons": [
            {
                "criterion": r.criterion,
                "zh": r.zh,
                "en": r.en,
                "record_ids": list(r.record_ids),
                "case_ids": list(r.case_ids),
            }
            for r in entry.reasons
        ],
        "decided_by": decision.authority if decision else None,
        "legal_basis": decision.legal_basis if decision else None,
        "document_no": decision.document_no if decision else None,
        "decided_on": _day(decision.decided_on if decision else None),
        "ends_on": _day(entry.ends_on),
        "published_on": _day(entry.published_on),
        "ended_on": _day(entry.ended_on),
        "end_cause": entry.end_cause,
        "end_reason": closing.data.get("reason") if closing else None,
        "measures_executed": [
            {
                "measure": e.data["measure"],
                "executor": e.data["executor"],
                "executed_on": e.data["executed_on"],
                "reference": e.data["reference"],
            }
            for e in entry.history
            if e.name == "measure_executed"
        ],
    }


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
