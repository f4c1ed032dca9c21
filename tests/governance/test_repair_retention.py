"""Repair conditions and the retention purge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ecredit.governance import repair, retention, services
from ecredit.governance.commitments import Commitment
from ecredit.governance.repair import RepairState
from tests.governance.conftest import MERCHANT, add_record, at
from tests.governance.records import SUBJECT, record

SIGNED = Commitment(
    "C1",
    SUBJECT,
    "repair",
    "法定代表人",
    datetime(2025, 1, 1, tzinfo=UTC),
    "承诺",
    "promise",
    "R-C",
    "t",
)


def _problems(r, commitment=SIGNED, fulfilled=True, today=date(2026, 3, 1)) -> list[str]:
    return [p.en for p in repair.problems(r, commitment, fulfilled, today)]


def test_repair_conditions() -> None:
    serious = record("PLT01", date(2025, 1, 10))
    assert _problems(serious) == []
    assert _problems(serious, today=date(2026, 1, 9)) == [
        "minimum display period not served; eligible from 2026-01-10"
    ]
    assert _problems(serious, fulfilled=False) == ["obligations not fulfilled"]
    assert _problems(serious, commitment=None) == ["no public repair commitment"]
    assert _problems(serious, commitment=replace(SIGNED, template="legal_compliance"))
    assert _problems(serious, commitment=replace(SIGNED, subject_id="other"))
    assert _problems(replace(serious, status="disputed")) == ["the record is under objection"]
    assert _problems(replace(serious, status="repaired")) == ["the record is already repaired"]
    assert _problems(record("BAS01", date(2025, 1, 10))) == [
        "this kind of record is not repairable"
    ]
    assert _problems(record("PLT05", date(2025, 1, 10)), today=date(2025, 1, 10)) == []


def test_refusal_needs_reasons_and_approval_needs_no_problems(world: sa.Engine) -> None:
    add_record(world, "R1", "PLT02", date(2025, 1, 10))
    application, problems = services.apply_for_repair(
        world, "R1", None, True, "已整改", "M1", at(date(2025, 5, 1))
    )
    assert [p.en for p in problems] == ["no public repair commitment"]
    assert application.decide_by == date(2025, 5, 8)  # 3 working days over 五一 (1–5 May)
    decided = services.decide_repair(
        world, application.application_id, False, "未作承诺", "x", None, at(date(2025, 5, 6))
    )
    assert decided.state == RepairState.REFUSED
    assert services.archive(world, MERCHANT)[0].status == "active"


def test_delete_after_five_years_from_the_end_of_the_act() -> None:
    ended = record("PLT01", date(2021, 6, 1), act_ended_on=date(2021, 3, 1))
    assert retention.delete_after(ended) == date(2026, 3, 1)
    assert retention.delete_after(record("PLT01", date(2021, 6, 1))) == date(2026, 6, 1)
    assert retention.delete_after(record("COM01", date(2001, 1, 1))) is None


def test_transaction_retention_and_ratings_never_deleted() -> None:
    assert not retention.transaction_deletable("ratings", date(2001, 1, 1), date(2026, 1, 1))
    assert not retention.transaction_deletable("orders", date(2023, 1, 2), date(2026, 1, 1))
    assert retention.transaction_deletable("orders", date(2023, 1, 1), date(2026, 1, 1))
    assert not retention.transaction_deletable("subjects", date(2001, 1, 1), date(2026, 1, 1))


def test_purge_deletes_only_past_term_and_logs_it(world: sa.Engine) -> None:
    add_record(world, "OLD", "PLT02", date(2020, 9, 1), act_ended_on=date(2020, 6, 30))
    add_record(world, "EDGE", "PLT02", date(2021, 1, 2))
    add_record(world, "GOOD", "COM01", date(2015, 1, 1))
    now = at(date(2026, 1, 1))
    due = services.purge(world, now=now, dry_run=True, copies=None)
    assert [(i.record.record_id, i.copies) for i in due] == [("OLD", None)]
    assert len(services.archive(world, MERCHANT)) == 3
    (item,) = services.purge(world, "retention job", now, copies=None)
    assert item.delete_after == date(2025, 6, 30)
    assert {r.record_id for r in services.archive(world, MERCHANT)} == {"EDGE", "GOOD"}
    (logged,) = [h for h in services.history(world, MERCHANT) if h.workflow == "retention"]
    assert (logged.record_id, logged.actor) == ("OLD", "retention job")
    assert "征信业管理条例" in logged.detail["rule"]
