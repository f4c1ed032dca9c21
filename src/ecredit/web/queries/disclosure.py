"""Which records the public sees (信用信息公示), and until when.

The rules are governance's: `ecredit.governance.display` decides from the record, its status
and the date whether a record is shown and when its display period ends; the records come
with their current status from governance storage. This module only adds the names the
pages show and the verification mark derived from the shown records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from ecredit.governance import model as governance_model
from ecredit.governance.clocks import due
from ecredit.governance.display import display_window, is_publicly_shown
from ecredit.records.catalogue import load_catalogue
from ecredit.storage import governance as store
from ecredit.web.models import ArchivedRecord, Label, Record, StatusChange, Verification

VERIFIED, NOT_VERIFIED = "BAS02", "BAS03"
LICENCE, LICENCE_REVOKED = "LIC01", "LIC02"
COMMITMENT_CODES = ("CMT01", "CMT02")


def _histories(conn: sa.Connection, record_ids: list[str]) -> dict[str, list[StatusChange]]:
    history: dict[str, list[StatusChange]] = defaultdict(list)
    if not record_ids:
        return history
    for r in store.status_history(conn, record_ids):
        history[r.record_id].append(
            StatusChange(status=r.status, changed_at=r.changed_at, actor=r.actor, reason=r.reason)
        )
    return history


def _record(found: governance_model.Record) -> Record:
    catalogue = load_catalogue()
    record_type = catalogue.get(found.type_code)
    record_class = catalogue.classes[record_type.record_class]
    return Record(
        record_id=found.record_id,
        type_code=found.type_code,
        type_name=Label(zh=record_type.zh, en=record_type.en),
        record_class=record_type.record_class,
        class_name=Label(zh=record_class.zh, en=record_class.en),
        severity=found.severity,
        decided_on=found.decided_on,
        source_kind=found.source_kind,
        source_name=found.source_name,
        document_no=found.document_no,
        summary=found.summary,
        status=found.status,
        display_ends_on=display_window(found).ends_on,
    )


def archive(conn: sa.Connection, subject_id: str, today: date) -> list[ArchivedRecord]:
    """Every record of a subject, newest first, with its status history and public flag.

    A record that a later one corrects is shown only through the correction."""
    found = store.load_records(conn, subject_id)
    superseded = {r.supersedes for r in found if r.supersedes}
    history = _histories(conn, [r.record_id for r in found])
    result = [
        ArchivedRecord(
            **_record(r).model_dump(),
            shown_publicly=r.record_id not in superseded and is_publicly_shown(r, today),
            history=history.get(r.record_id, []),
        )
        for r in found
    ]
    return sorted(result, key=lambda r: (r.decided_on, r.record_id), reverse=True)


def public_records(conn: sa.Connection, subject_id: str, today: date) -> list[Record]:
    return [
        Record(**r.model_dump(exclude={"shown_publicly", "history"}))
        for r in archive(conn, subject_id, today)
        if r.shown_publicly
    ]


def verification(shown: list[Record], today: date) -> Verification:
    """The latest outcome decides; a pass older than the re-verification clock is due again
    (浙江省电子商务条例 Art.9)."""
    checks = [r for r in shown if r.type_code in (VERIFIED, NOT_VERIFIED)]
    latest = max(checks, key=lambda r: r.decided_on, default=None)
    verified = latest is not None and latest.type_code == VERIFIED
    revoked_on = max(
        (r.decided_on for r in shown if r.type_code == LICENCE_REVOKED), default=date.min
    )
    return Verification(
        verified=verified,
        checked_on=latest.decided_on if latest else None,
        reverification_due=verified and due("reverification", latest.decided_on) < today,
        licences=[r for r in shown if r.type_code == LICENCE and r.decided_on > revoked_on],
    )


def commitments(shown: list[Record]) -> list[Record]:
    return [r for r in shown if r.type_code in COMMITMENT_CODES]
