"""A subject's archive (信用档案): every record, what the public may see, and the full history.

The archive and the public view read the same rows; only the display rules differ. Nothing is
removed from the archive by repair, expiry or objection — only by the retention purge, which
leaves a log entry in the history in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ecredit.governance import (
    commitments,
    complaints,
    lists,
    objections,
    repair,
    verification,
    warnings,
)
from ecredit.governance.display import display_window, is_publicly_shown
from ecredit.governance.model import RECORD_STATUS_ZH, Record, RecordStatus, china_date
from ecredit.governance.services import cases, common, evaluation
from ecredit.records.catalogue import load_catalogue
from ecredit.storage import governance as store

EVENT_LABELS: dict[str, dict[str, str]] = {
    common.LIST_ENTRY: lists.EVENT_LABELS,
    common.OBJECTION: objections.EVENT_LABELS,
    common.REPAIR: repair.EVENT_LABELS,
    common.COMMITMENT: commitments.EVENT_LABELS,
    common.COMPLAINT: complaints.EVENT_LABELS,
    common.WARNING: warnings.EVENT_LABELS,
    common.DETECTION_CASE: cases.EVENT_LABELS,
    common.EVALUATION: evaluation.EVENT_LABELS,
    common.VERIFICATION: verification.EVENT_LABELS,
}


def archive(engine: sa.Engine, subject_id: str) -> list[Record]:
    """Every record on file, whatever its status or display period."""
    with engine.connect() as conn:
        return store.load_records(conn, subject_id)


@dataclass(frozen=True)
class PublicRecord:
    record_id: str
    type_code: str
    zh: str
    en: str
    severity: str
    decided_on: date
    shown_until: date | None
    disputed: bool
    summary: str | None


def public_records(engine: sa.Engine, subject_id: str, today: date) -> list[PublicRecord]:
    """The records the public may see today; a disputed record is shown and marked."""
    catalogue = load_catalogue()
    shown = []
    for r in archive(engine, subject_id):
        if not is_publicly_shown(r, today):
            continue
        kind = catalogue.get(r.type_code)
        shown.append(
            PublicRecord(
                record_id=r.record_id,
                type_code=r.type_code,
                zh=kind.zh,
                en=kind.en,
                severity=r.severity,
                decided_on=r.decided_on,
                shown_until=display_window(r).ends_on,
                disputed=r.status == RecordStatus.DISPUTED,
                summary=r.summary,
            )
        )
    return shown


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    label: str
    workflow: str
    case_id: str | None = None
    record_id: str | None = None
    actor: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def on(self) -> date:
        return china_date(self.at)


def _record_items(conn: sa.Connection, subject_id: str) -> list[HistoryItem]:
    catalogue = load_catalogue()
    found = store.load_records(conn, subject_id)
    ids = [r.record_id for r in found]
    entered = store.record_batches(conn, ids)
    items = [
        HistoryItem(
            entered[r.record_id],
            f"登记信用记录 / record entered: {catalogue.get(r.type_code).zh}",
            "record",
            record_id=r.record_id,
            actor=r.source_name,
            detail={"type_code": r.type_code, "decided_on": r.decided_on.isoformat()},
        )
        for r in found
    ]
    items += [
        HistoryItem(
            store.utc(row.changed_at),
            f"记录状态：{RECORD_STATUS_ZH.get(row.status, row.status)} / record {row.status}",
            "record",
            record_id=row.record_id,
            actor=row.actor,
            detail={"reason": row.reason},
        )
        for row in store.status_history(conn, ids)
    ]
    items += [
        HistoryItem(
            store.utc(row.purged_at),
            "保存期满删除记录 / record purged after its retention period",
            "retention",
            record_id=row.record_id,
            actor=row.actor,
            detail={"type_code": row.type_code, "rule": row.rule}
            | ({} if row.copies is None else {"copies": row.copies}),
        )
        for row in store.purges(conn, subject_id)
    ]
    return items


def history(engine: sa.Engine, subject_id: str) -> list[HistoryItem]:
    """Every step in the subject's archive, oldest first: records, their status changes,
    every workflow event and every purge."""
    with engine.connect() as conn:
        items = _record_items(conn, subject_id)
        for case in store.load_cases(conn, subject_id=subject_id):
            labels = EVENT_LABELS[case.workflow]
            items += [
                HistoryItem(
                    e.at,
                    labels.get(e.name, e.name),
                    case.workflow,
                    case.case_id,
                    case.record_id,
                    e.actor,
                    dict(e.data),
                )
                for e in case.events
            ]
    return sorted(items, key=lambda item: item.at)
