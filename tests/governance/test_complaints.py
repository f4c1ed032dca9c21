"""Complaint intake, de-duplication, clocks, confidentiality, 先行赔付 and surge warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ecredit.governance import services, warnings
from ecredit.governance.complaints import ComplaintState
from ecredit.governance.model import WorkflowError
from ecredit.governance.services import ComplaintIntake
from tests.governance.conftest import BUYER, MERCHANT, ORDER, at

COMPLAINT = ComplaintIntake("12315", MERCHANT, "quality", BUYER, None, ORDER, "收到的商品有破损")


def test_same_complainant_order_and_issue_is_one_case(world: sa.Engine) -> None:
    first = services.file_complaint(world, COMPLAINT, at(date(2026, 2, 12)))
    again = services.file_complaint(
        world,
        ComplaintIntake("platform", MERCHANT, "quality", BUYER, None, ORDER),
        at(date(2026, 2, 13)),
    )
    assert not first.duplicate and again == services.complaints.Filed(first.complaint_id, True)
    assert services.get_complaint(world, first.complaint_id).duplicates == 1
    other_issue = ComplaintIntake("12315", MERCHANT, "delivery", BUYER, None, ORDER)
    assert not services.file_complaint(world, other_issue, at(date(2026, 2, 13))).duplicate


def test_clocks_and_overdue(world: sa.Engine) -> None:
    filed = services.file_complaint(world, COMPLAINT, at(date(2026, 2, 12)))
    # accept-or-refuse: 7 working days → Saturday 28 Feb 2026, a make-up working day
    assert services.overdue_complaints(world, date(2026, 2, 28)) == []
    ((late, (clock,)),) = services.overdue_complaints(world, date(2026, 3, 1))
    assert (late.complaint_id, clock.clock, clock.due_on) == (
        filed.complaint_id,
        "complaint_accept",
        date(2026, 2, 28),
    )
    services.handle_complaint(world, filed.complaint_id, "accepted", "12315", at(date(2026, 3, 2)))
    assert services.overdue_complaints(world, date(2026, 3, 3)) == []


def test_handling_steps_and_compensation(world: sa.Engine) -> None:
    cid = services.file_complaint(world, COMPLAINT, at(date(2025, 3, 3))).complaint_id
    with pytest.raises(WorkflowError):
        services.compensate(world, cid, Decimal("10"), "P1", "x", at(date(2025, 3, 3)))
    with pytest.raises(WorkflowError):
        services.handle_complaint(world, cid, "refused", "x", at(date(2025, 3, 3)))
    services.handle_complaint(world, cid, "accepted", "x", at(date(2025, 3, 4)))
    services.handle_complaint(world, cid, "mediation_started", "x", at(date(2025, 3, 5)))
    services.compensate(world, cid, Decimal("10.50"), "P1", "x", at(date(2025, 3, 6)))
    with pytest.raises(WorkflowError):
        services.handle_complaint(world, cid, "resolved", "x", at(date(2025, 3, 7)))
    c = services.handle_complaint(
        world, cid, "resolved", "x", at(date(2025, 3, 7)), outcome="mediated"
    )
    assert (c.state, c.outcome, c.compensations[0].amount) == (
        ComplaintState.RESOLVED,
        "mediated",
        Decimal("10.50"),
    )
    assert (
        services.handle_complaint(world, cid, "closed", "x", at(date(2025, 3, 8))).state == "closed"
    )


def test_reporter_identity_never_reaches_the_reported_party(world: sa.Engine) -> None:
    report = ComplaintIntake(
        "12315", MERCHANT, "counterfeit", BUYER, None, None, "我是B1，举报售假"
    )
    rid = services.file_complaint(world, report, at(date(2025, 3, 3))).complaint_id
    stored = services.get_complaint(world, rid)
    assert stored.nature == "report" and stored.complainant_id == BUYER
    view = services.reported_party_view(world, rid)
    # the complaint id is random hex and may contain the buyer's id by chance
    assert BUYER not in repr(replace(view, complaint_id="")) and view.text is None
    assert not hasattr(view, "complainant_id")
    (clock,) = services.complaints.complaints.deadlines(stored)
    assert (clock.clock, clock.due_on, clock.extended_to) == (
        "lead_verification",
        date(2025, 3, 24),
        date(2025, 4, 15),
    )
    complaint_view = services.reported_party_view(
        world, services.file_complaint(world, COMPLAINT, at(date(2025, 3, 3))).complaint_id
    )
    assert complaint_view.order_id == ORDER and not hasattr(complaint_view, "complainant_id")


def test_surge_is_measured_against_the_subjects_own_history() -> None:
    today = date(2025, 9, 1)
    usual = [today - timedelta(days=d) for d in range(40, 220, 6)]  # ~5 a month for 6 months
    assert warnings.complaint_surge(MERCHANT, usual + [today] * 6, today) is None
    assert warnings.complaint_surge(MERCHANT, usual + [today] * 20, today) is not None
    assert warnings.complaint_surge("small", [today] * 5, today) is not None
    assert warnings.complaint_surge("small", [today] * 4, today) is None


def test_surge_scan_alerts_once_a_week(world: sa.Engine) -> None:
    for n in range(5):
        intake = ComplaintIntake("12315", MERCHANT, "quality", None, None, None, f"#{n}")
        services.file_complaint(world, intake, at(date(2025, 3, 3)))
    (raised,) = services.scan_complaint_surges(world, at(date(2025, 3, 4)))
    assert raised.rule == "complaint_surge" and raised.subject_id == MERCHANT
    assert services.scan_complaint_surges(world, at(date(2025, 3, 5))) == []
