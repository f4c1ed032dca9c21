"""Objections: disputed at once, profiles, upheld or corrected with full history."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from ecredit.governance import services
from ecredit.governance.lists import Decision, ListState
from ecredit.governance.model import RecordStatus, WorkflowError
from ecredit.governance.objections import ObjectionState
from tests.governance.conftest import MERCHANT, RecordScore, add_record, at


def _status(engine: sa.Engine, record_id: str) -> str:
    return {r.record_id: r.status for r in services.archive(engine, MERCHANT)}[record_id]


def test_filing_marks_disputed_at_once_and_grounds_are_checked(world: sa.Engine) -> None:
    add_record(world, "R1", "PLT02", date(2025, 1, 10))
    with pytest.raises(WorkflowError):
        services.file_objection(world, "R1", MERCHANT, "dislike", "x", now=at(date(2025, 1, 24)))
    o = services.file_objection(
        world, "R1", MERCHANT, "error_or_omission", "x", "shenzhen", at(date(2025, 1, 24))
    )
    assert _status(world, "R1") == RecordStatus.DISPUTED
    assert o.answer_due == date(2025, 2, 5)
    o = services.extend_objection(
        world, o.objection_id, "需调取平台数据", "核查员", at(date(2025, 2, 5))
    )
    assert (o.state, o.answer_due, o.overdue(date(2025, 2, 9))) == (
        ObjectionState.EXTENDED,
        date(2025, 2, 8),
        True,
    )
    with pytest.raises(WorkflowError):
        services.extend_objection(world, o.objection_id, "again", "核查员", at(date(2025, 2, 6)))
    national = services.file_objection(
        world, "R1", "B1", "other_illegal", "y", now=at(date(2025, 1, 24))
    )
    with pytest.raises(WorkflowError):
        services.extend_objection(world, national.objection_id, "r", "x", at(date(2025, 1, 25)))


def test_record_stays_disputed_while_another_objection_is_open(world: sa.Engine) -> None:
    add_record(world, "R1", "PLT02", date(2025, 1, 10))
    first = services.file_objection(
        world, "R1", MERCHANT, "error_or_omission", "a", now=at(date(2025, 2, 1))
    )
    second = services.file_objection(
        world, "R1", "B1", "other_illegal", "b", now=at(date(2025, 2, 2))
    )
    services.decide_objection(
        world, first.objection_id, "upheld", "属实", "x", None, now=at(date(2025, 2, 3))
    )
    assert _status(world, "R1") == RecordStatus.DISPUTED
    services.withdraw_objection(world, second.objection_id, "B1", at(date(2025, 2, 4)))
    assert _status(world, "R1") == RecordStatus.ACTIVE


def test_correction_supersedes_lifts_listings_and_reevaluates(
    world: sa.Engine, evaluator: RecordScore
) -> None:
    add_record(world, "R1", "PLT01", date(2025, 1, 10))
    (entry,) = services.propose_listings(world, MERCHANT, now=at(date(2025, 1, 11)))
    services.decide_listing(
        world,
        entry.entry_id,
        Decision("局", "依据", "文书", date(2025, 1, 13)),
        "x",
        at(date(2025, 1, 13)),
    )
    o = services.file_objection(
        world, "R1", MERCHANT, "error_or_omission", "不是刷单，是图物不符", now=at(date(2025, 2, 1))
    )
    decided = services.decide_objection(
        world,
        o.objection_id,
        "corrected",
        "更正为图物不符",
        "x",
        evaluator,
        {"type_code": "PLT05", "severity": "minor"},
        at(date(2025, 2, 10)),
    )
    records = {r.record_id: r for r in services.archive(world, MERCHANT)}
    new = records[decided.corrected_record_id]
    assert (new.type_code, new.severity, new.supersedes) == ("PLT05", "minor", "R1")
    assert records["R1"].status == RecordStatus.CORRECTED
    (lifted,) = services.listings(world, MERCHANT)
    assert (lifted.state, lifted.end_cause) == (ListState.REMOVED, "correction")
    assert evaluator.calls == [(MERCHANT, date(2025, 2, 10))]
    with pytest.raises(WorkflowError):
        services.decide_objection(world, o.objection_id, "upheld", "again", "x", None)


def test_correction_without_changes_withdraws_and_fields_are_limited(world: sa.Engine) -> None:
    add_record(world, "R1", "PLT02", date(2025, 1, 10))
    add_record(world, "R2", "PLT02", date(2025, 1, 11))
    o1 = services.file_objection(
        world, "R1", MERCHANT, "error_or_omission", "a", now=at(date(2025, 2, 1))
    )
    services.decide_objection(
        world, o1.objection_id, "corrected", "不实", "x", None, now=at(date(2025, 2, 2))
    )
    assert _status(world, "R1") == RecordStatus.WITHDRAWN
    assert MERCHANT in services.pending_reevaluations(world)
    o2 = services.file_objection(
        world, "R2", MERCHANT, "error_or_omission", "b", now=at(date(2025, 2, 1))
    )
    with pytest.raises(WorkflowError):
        services.decide_objection(
            world,
            o2.objection_id,
            "corrected",
            "改主体",
            "x",
            None,
            {"subject_id": "P1"},
            at(date(2025, 2, 2)),
        )
