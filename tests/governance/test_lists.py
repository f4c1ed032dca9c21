"""List criteria, the listing state machine, and the measures query."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ecredit.governance import lists, measures, services
from ecredit.governance.lists import Decision, ListState, SubjectFacts
from ecredit.governance.model import Case, WorkflowError
from ecredit.governance.ports import DetectionCase, Score
from ecredit.storage import governance as store
from tests.governance.conftest import MERCHANT, add_record, at
from tests.governance.records import record

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, 2, tzinfo=UTC)
DECISION = Decision("某市市场监督管理局", "2794号 §十九", "某市监〔2025〕7号", date(2025, 6, 2))


def facts(records=(), cases=(), score: float | None = None) -> SubjectFacts:
    scored = None if score is None else Score(MERCHANT, score, "", TODAY, "t")
    return SubjectFacts(MERCHANT, list(records), list(cases), scored)


def case(n: int, kind: str = "brushing", on: date = date(2025, 3, 1)) -> DetectionCase:
    return DetectionCase(f"C{n}", MERCHANT, kind, on, "", "detector")


def test_black_list_criteria_each_suffice() -> None:
    serious = facts([record("PLT01", date(2025, 1, 10))])
    (reason,) = lists.criteria_met("black_list", serious, TODAY)
    assert reason.record_ids == ("R-PLT01-2025-01-10",)
    assert lists.criteria_met("black_list", facts(cases=[case(1), case(2)]), TODAY)
    assert not lists.criteria_met("black_list", facts(cases=[case(1)]), TODAY)
    low = lists.criteria_met("black_list", facts(score=500), TODAY)
    assert low and "500" in low[0].zh
    assert not lists.criteria_met("black_list", facts(score=600), TODAY)


def test_repaired_or_expired_records_do_not_list() -> None:
    repaired = record("PLT01", date(2025, 1, 10), status="repaired")
    assert not lists.criteria_met("black_list", facts([repaired]), TODAY)
    assert not lists.criteria_met("black_list", facts([record("PLT01", date(2021, 1, 1))]), TODAY)


def test_red_list_needs_every_criterion() -> None:
    model = record("COM01", date(2024, 5, 1))
    assert len(lists.criteria_met("red_list", facts([model], score=800), TODAY)) == 3
    assert not lists.criteria_met("red_list", facts([model], score=700), TODAY)
    general = record("PLT02", date(2025, 2, 1))
    assert not lists.criteria_met("red_list", facts([model, general], score=800), TODAY)


def test_industry_ban_on_repeated_fake_traffic() -> None:
    two = facts(cases=[case(1, "fake_traffic"), case(2, "empty_parcel")])
    assert lists.criteria_met("industry_ban", two, TODAY)
    old = facts(cases=[case(1, "fake_traffic", date(2024, 1, 1)), case(2, "fake_traffic")])
    assert not lists.criteria_met("industry_ban", old, TODAY)


def _entry(*events) -> lists.ListEntry:
    return lists.replay(Case("list_entry", "L1", MERCHANT, "black_list", None, tuple(events)))


def _proposed() -> list:
    reasons = lists.criteria_met("black_list", facts([record("PLT01", date(2025, 1, 10))]), TODAY)
    return [lists.propose("black_list", reasons, NOW, "system", "test")]


def test_state_machine_and_its_refusals() -> None:
    events = _proposed()
    entry = _entry(*events)
    with pytest.raises(WorkflowError):
        lists.publish(entry, TODAY, NOW, "x")
    with pytest.raises(WorkflowError):
        lists.decide(entry, Decision("", "basis", "doc", TODAY), NOW, "x")
    events.append(lists.decide(entry, DECISION, NOW, "x"))
    entry = _entry(*events)
    assert (entry.state, entry.ends_on) == (ListState.DECIDED, date(2028, 6, 2))
    with pytest.raises(WorkflowError):
        lists.decide(entry, DECISION, NOW, "x")
    events.append(lists.publish(entry, date(2025, 6, 3), NOW, "x"))
    entry = _entry(*events)
    assert entry.state == ListState.PUBLISHED and entry.in_force(date(2025, 6, 3))
    assert entry.state_on(date(2028, 6, 2)) == ListState.EXPIRED
    with pytest.raises(WorkflowError, match="2026-06-02"):
        lists.remove(entry, "request", "整改完毕", date(2026, 6, 1), NOW, "x")
    removed = lists.remove(entry, "request", "整改完毕", date(2026, 6, 2), NOW, "x")
    assert _entry(*events, removed).state == ListState.REMOVED
    assert lists.remove(entry, "repair", "修复", date(2025, 7, 1), NOW, "x").name == "removed"


def test_rejected_proposal_never_takes_effect() -> None:
    events = _proposed()
    events.append(lists.reject(_entry(*events), "证据不足", NOW, "x"))
    entry = _entry(*events)
    assert entry.state == ListState.REJECTED
    assert measures.measures_for([entry], TODAY) == []


def test_measures_follow_the_listing_and_executor() -> None:
    events = _proposed()
    events.append(lists.decide(_entry(*events), DECISION, NOW, "x"))
    entry = _entry(*events)
    assert measures.measures_for([entry], date(2025, 6, 1)) == []  # before the decision date
    found = measures.measures_for([entry], date(2025, 6, 2))
    assert {m.measure for m in found} == {
        "more_inspections",
        "bar_senior_posts",
        "restrict_business_and_credit",
        "restrict_entry",
        "downgrade",
        "shield_shop",
        "freeze_account",
        "public_exposure",
    }
    assert all(m.legal_basis == DECISION.legal_basis for m in found)
    department = {m.measure for m in measures.measures_for([entry], date(2025, 6, 2), "department")}
    assert "shield_shop" not in department and "more_inspections" in department
    assert measures.measures_for([entry], date(2028, 6, 2)) == []
    with pytest.raises(WorkflowError):
        measures.execution(entry, "search_boost", "platform", date(2025, 6, 3), "r", NOW, "p")
    with pytest.raises(WorkflowError):
        measures.execution(entry, "more_inspections", "platform", date(2025, 6, 3), "r", NOW, "p")


def test_listing_services_and_expiry(world: sa.Engine) -> None:
    add_record(world, "R1", "PLT01", date(2025, 1, 10))
    (entry,) = services.propose_listings(world, MERCHANT, now=at(date(2025, 1, 11)))
    assert services.propose_listings(world, MERCHANT, now=at(date(2025, 1, 12))) == []
    services.decide_listing(
        world,
        entry.entry_id,
        Decision("局", "依据", "文书", date(2025, 1, 13)),
        "x",
        at(date(2025, 1, 13)),
    )
    assert services.measures_for(world, MERCHANT, date(2025, 2, 1))
    assert services.close_expired(world, at(date(2028, 1, 12)))[0] == 0
    listings, _ = services.close_expired(world, at(date(2028, 1, 13)))
    assert listings == 1
    (expired,) = services.listings(world, MERCHANT)
    assert expired.state == ListState.EXPIRED
    assert services.close_expired(world, at(date(2028, 1, 14)))[0] == 0


def test_a_case_step_cannot_be_stored_twice(world: sa.Engine) -> None:
    """Two clerks acting at once: the unique (workflow, case, seq) lets only one step in."""
    add_record(world, "R1", "PLT01", date(2025, 1, 10))
    (entry,) = services.propose_listings(world, MERCHANT, now=at(date(2025, 1, 11)))
    event = lists.reject(entry, "a", NOW, "x")
    with world.begin() as conn:
        store.append(conn, "list_entry", entry.entry_id, event)
    with pytest.raises(sa.exc.IntegrityError), world.begin() as conn:
        conn.execute(
            store.governance_event.insert().values(
                workflow="list_entry",
                case_id=entry.entry_id,
                seq=2,
                event="decided",
                occurred_at=NOW,
                actor="y",
                data={},
            )
        )
