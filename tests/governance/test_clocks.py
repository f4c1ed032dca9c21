"""Worked examples for every legal clock, on China's official calendar.

2025 春节: 28 Jan – 4 Feb off; Sunday 26 Jan and Saturday 8 Feb are make-up working days.
2026 春节: 15 – 23 Feb off; Saturdays 14 Feb and 28 Feb are make-up working days.
"""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from ecredit.cli.governance import calendar_app
from ecredit.governance.clocks import add_months, deadline, objection_deadlines
from ecredit.governance.policy import YearSupplement, load_policy
from ecredit.governance.workdays import CalendarNotCovered, add_workdays, is_workday


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Fri 24 Jan 2025: Sun 26 (make-up) 1, Mon 27 2, 春节 28 Jan–4 Feb, 5–7 Feb 3–5,
        # Sat 8 Feb (make-up) 6, Mon 10 Feb 7 — crosses the Spring Festival
        (date(2025, 1, 24), 7, date(2025, 2, 10)),
        # the next working day after Friday 24 Jan 2025 is a Sunday (调休上班日)
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        # Thu 12 Feb 2026: Fri 13 1, Sat 14 (make-up) 2, 春节 15–23, 24–27 Feb 3–6,
        # Sat 28 Feb (make-up) 7 — lands on a make-up working day
        (date(2026, 2, 12), 7, date(2026, 2, 28)),
        # National Day 2025: 1–8 Oct off
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 3, 3), 0, date(2025, 3, 3)),
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert add_workdays(start, n) == expected


def test_make_up_days_are_workdays_and_holidays_are_not() -> None:
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2025, 1, 26))
    assert not is_workday(date(2026, 2, 16)) and not is_workday(date(2025, 1, 29))


def test_uncovered_year_is_a_clear_error_unless_supplemented() -> None:
    # 2027 is now provisional (test_provisional_calendar.py); past 2099 nothing can be computed
    with pytest.raises(CalendarNotCovered, match="2100"):
        add_workdays(date(2099, 12, 28), 7)
    notice = YearSupplement(
        source="test notice",
        holidays=frozenset({date(2027, 1, 1)}),
        workdays=frozenset({date(2027, 1, 2)}),
    )
    assert add_workdays(date(2026, 12, 31), 2, {2027: notice}) == date(2027, 1, 4)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2025, 3, 3), -1)


CLOCKS = [
    # clock, start, due, extended — the comments give the rule from governance.yaml
    ("complaint_accept", date(2026, 2, 12), date(2026, 2, 28), None),  # 7 wd, make-up Sat
    ("complaint_mediation", date(2025, 3, 3), date(2025, 5, 8), None),  # 45 wd, 清明 + 五一
    ("complaint_mediation_end_notice", date(2025, 1, 24), date(2025, 2, 10), None),  # 7 wd
    ("lead_verification", date(2025, 1, 24), date(2025, 2, 20), date(2025, 3, 13)),  # 15 + 15
    ("reporter_feedback", date(2025, 1, 24), date(2025, 2, 7), None),  # 5 wd
    ("repair_decision", date(2026, 2, 12), date(2026, 2, 24), None),  # 3 wd across 春节
    ("identity_change_submit", date(2025, 1, 24), date(2025, 2, 5), None),  # 3 wd
    ("identity_change_verify", date(2025, 1, 24), date(2025, 2, 10), None),  # 7 wd
    ("reverification", date(2025, 1, 24), date(2025, 7, 23), None),  # 180 calendar days
    ("penalty_publication", date(2025, 1, 24), date(2025, 2, 27), None),  # 20 wd
]


@pytest.mark.parametrize(("clock", "start", "due_on", "extended"), CLOCKS)
def test_clock(clock: str, start: date, due_on: date, extended: date | None) -> None:
    d = deadline(clock, start)
    assert (d.due_on, d.extended_to) == (due_on, extended)
    assert d.source and d.confidence in "VSR"


def test_every_clock_has_a_worked_example() -> None:
    assert {c[0] for c in CLOCKS} == set(load_policy().clocks)


@pytest.mark.parametrize(
    ("profile", "mark_by", "answer_by", "extended"),
    [
        # 20 calendar days, record marked at once
        ("national", date(2025, 1, 24), date(2025, 2, 13), None),
        # check 1 wd (make-up Sunday), decide 2 more (27 Jan, 5 Feb), extend 3 (6, 7, Sat 8 Feb)
        ("shenzhen", date(2025, 1, 26), date(2025, 2, 5), date(2025, 2, 8)),
        # mark 1 wd, decide within 5 wd of filing
        ("shanghai", date(2025, 1, 26), date(2025, 2, 7), None),
    ],
)
def test_objection_profiles(
    profile: str, mark_by: date, answer_by: date, extended: date | None
) -> None:
    d = objection_deadlines(date(2025, 1, 24), profile)
    assert (d.mark_by, d.answer_by, d.extended_to) == (mark_by, answer_by, extended)


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 10), -12) == date(2024, 1, 10)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_cli_add_workdays() -> None:
    result = CliRunner().invoke(calendar_app, ["add-workdays", "2026-02-12", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2026-02-24"
    refused = CliRunner().invoke(calendar_app, ["add-workdays", "2100-06-01", "3"])
    assert refused.exit_code == 2
