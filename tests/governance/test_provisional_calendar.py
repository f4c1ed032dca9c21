"""The provisional working-day calendar for years without a State Council holiday notice.

Statutory holidays (全国年节及纪念日放假办法 Art.2, 国务院令第795号, from 2025): 元旦 1 Jan; 春节
农历除夕 and 正月初一–初三; 清明 (solar term); 劳动节 1–2 May; 端午 五月初五; 中秋 八月十五;
国庆 1–3 Oct. In a provisional year working days are Monday–Friday less those days; 调休 is
not known and not applied.

2027 (by hand): 1 Jan is a Friday, so 1 Feb is a Monday. 除夕 is Fri 5 Feb, 正月初一–初三 are
Sat 6 – Mon 8 Feb; 清明 Mon 5 Apr; 端午 Wed 9 Jun; 中秋 Wed 15 Sep.
2028: 1 Jan is a Saturday. Lunar 2027's twelfth month has 29 days, so 除夕 is 腊月廿九,
Tue 25 Jan; 正月初一–初三 are Wed 26 – Fri 28 Jan.

The tests pin chinese-calendar's coverage to 2004–2026 (v1.11) and use a calendar without
supplements, so they keep describing a year without a notice after either is updated.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecredit.cli.governance import calendar_app
from ecredit.governance import clocks, repair, workdays
from ecredit.governance.clocks import deadline, objection_deadlines, stored_deadline_note
from ecredit.governance.model import Case, Event
from ecredit.governance.policy import CalendarPolicy, Label, YearSupplement, load_policy
from ecredit.governance.workdays import (
    CalendarNotCovered,
    Coverage,
    WorkdayCount,
    add_workdays,
    count_workdays,
    coverage,
    is_workday,
    statutory_holidays,
)

RULE = load_policy().calendar.statutory_holidays
assert RULE is not None
NO_NOTICE = CalendarPolicy(statutory_holidays=RULE)
POLICY = load_policy().model_copy(update={"calendar": NO_NOTICE})
NOTE_2027 = Label(
    zh="暂定（待国务院2027年节假日安排公布后复核）",
    en="provisional: re-check once the State Council publishes its 2027 holiday arrangements",
)
# A made-up 2027 notice, not the real one: 春节 Fri 5 – Fri 12 Feb off, Sat 13 Feb worked.
NOTICE_2027 = YearSupplement(
    source="test notice (hypothetical)",
    holidays=frozenset(date(2027, 2, d) for d in range(5, 13)),
    workdays=frozenset({date(2027, 2, 13)}),
)


@pytest.fixture(autouse=True)
def package_covers_to_2026(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(workdays, "PACKAGE_YEARS", range(2004, 2027))
    yield


def test_spring_festival_2027_worked_example() -> None:
    # Thu 4 Feb: Fri 5 除夕 and Mon 8 初三 are off, Sat 6 / Sun 7 weekend; Tue 9 1, Wed 10 2,
    # Thu 11 3, Fri 12 4, Mon 15 5, Tue 16 6, Wed 17 7.
    counted = count_workdays(date(2027, 2, 4), 7, NO_NOTICE)
    assert counted == WorkdayCount(date(2027, 2, 17), frozenset({2027}))
    assert counted.provisional and counted.note == NOTE_2027
    d = deadline("complaint_accept", date(2027, 2, 4), POLICY)
    assert (d.due_on, d.provisional_years) == (date(2027, 2, 17), frozenset({2027}))
    assert d.note_for(d.due_on) == NOTE_2027


def test_a_clock_filed_in_2026_running_into_2027() -> None:
    # Mon 28 Dec 2026: Tue 29 – Thu 31 Dec 1–3 (package), Fri 1 Jan 元旦, Mon 4 – Thu 7 Jan 4–7
    counted = count_workdays(date(2026, 12, 28), 7, NO_NOTICE)
    assert counted == WorkdayCount(date(2027, 1, 7), frozenset({2027}))


def test_new_years_eve_is_the_day_before_the_first_lunar_day() -> None:
    # 除夕 2028 is 腊月廿九 (Tue 25 Jan), not a "twelfth month, day 30" that does not exist
    assert not is_workday(date(2028, 1, 25), NO_NOTICE)
    assert is_workday(date(2028, 1, 24), NO_NOTICE)
    assert add_workdays(date(2028, 1, 24), 1, NO_NOTICE) == date(2028, 1, 31)


def test_statutory_days_of_2027() -> None:
    days = statutory_holidays(2027, RULE)
    assert sorted(days) == [
        date(2027, 1, 1),
        *(date(2027, 2, d) for d in (5, 6, 7, 8)),
        date(2027, 4, 5),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),
        date(2027, 9, 15),
        *(date(2027, 10, d) for d in (1, 2, 3)),
    ]
    assert days[date(2027, 2, 5)] == Label(zh="春节", en="Spring Festival")


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_agrees_with_the_published_years(year: int) -> None:
    # every statutory day of the rule is a day off in the State Council notices the package
    # carries; 13 days since the 2024 amendment
    days = statutory_holidays(year, RULE)
    assert len(days) == 13
    assert all(not chinese_calendar.is_workday(d) for d in days)


def test_the_rule_gives_thirteen_days_and_the_solar_term_every_year() -> None:
    for year in range(2027, workdays.PROVISIONAL_LAST_YEAR + 1):
        days = statutory_holidays(year, RULE)
        assert {d.year for d in days} == {year}
        # 13 days, or 12 when 中秋 falls on 1–3 October (as in 2028) and is not a day of its own
        national = {date(year, 10, d) for d in (1, 2, 3)}
        mid_autumn = [d for d in days if d.month in (9, 10) and d not in national]
        assert len(mid_autumn) in (0, 1) and len(days) == 12 + len(mid_autumn)
        qingming = [d for d, n in days.items() if n.zh == "清明节"]
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        assert qingming == [d for d, name in terms if name == "清明"]


def test_a_supplement_overrides_the_provisional_rule() -> None:
    # with the (made-up) notice: Sat 13 Feb 1, Mon 15 – Fri 19 2–6, Mon 22 Feb 7
    counted = count_workdays(date(2027, 2, 4), 7, {2027: NOTICE_2027})
    assert counted == WorkdayCount(date(2027, 2, 22))
    assert coverage(2027, {2027: NOTICE_2027}) is Coverage.SUPPLEMENT
    with_notice = POLICY.model_copy(
        update={"calendar": NO_NOTICE.model_copy(update={"supplements": {2027: NOTICE_2027}})}
    )
    d = deadline("complaint_accept", date(2027, 2, 4), with_notice)
    assert (d.due_on, d.provisional) == (date(2027, 2, 22), False)
    # the next year is still provisional
    assert coverage(2028, with_notice.calendar) is Coverage.PROVISIONAL


def test_2026_comes_from_the_package_and_is_not_provisional() -> None:
    # Thu 12 Feb 2026: Fri 13 1, Sat 14 (make-up) 2, 春节 15–23, 24–27 Feb 3–6, Sat 28 (make-up)
    # 7 — make-up Saturdays that only the notice knows, so the provisional rule did not apply
    assert coverage(2026, NO_NOTICE) is Coverage.PACKAGE
    assert count_workdays(date(2026, 2, 12), 7, NO_NOTICE) == WorkdayCount(date(2026, 2, 28))
    d = deadline("complaint_accept", date(2026, 2, 12), POLICY)
    assert (d.due_on, d.provisional, d.note_for(d.due_on)) == (date(2026, 2, 28), False, None)


def test_a_firm_due_date_is_not_marked_by_a_provisional_extension() -> None:
    # lead verification 15 + 15 from Tue 1 Dec 2026: due Tue 22 Dec 2026 (package), extension
    # Wed 23 Dec – Wed 13 Jan 2027 over 元旦 (provisional)
    d = deadline("lead_verification", date(2026, 12, 1), POLICY)
    assert (d.due_on, d.extended_to) == (date(2026, 12, 22), date(2027, 1, 13))
    assert d.note_for(d.due_on) is None
    assert d.note_for(d.extended_to) == NOTE_2027


def test_objection_deadlines_carry_the_flag_only_for_working_days() -> None:
    # Shenzhen, filed Thu 4 Feb 2027: mark Tue 9, answer Wed 10 – Thu 11, extend Fri 12 – Tue 16
    strict = objection_deadlines(date(2027, 2, 4), "shenzhen", POLICY)
    assert (strict.mark_by, strict.answer_by, strict.extended_to) == (
        date(2027, 2, 9),
        date(2027, 2, 11),
        date(2027, 2, 16),
    )
    assert strict.note_for(strict.answer_by) == NOTE_2027
    # national: 20 calendar days, whatever the holidays
    national = objection_deadlines(date(2027, 2, 4), "national", POLICY)
    assert (national.answer_by, national.provisional) == (date(2027, 2, 24), False)


def test_a_stored_deadline_is_marked_at_display_time() -> None:
    assert stored_deadline_note("repair_decision", date(2027, 2, 4), date(2027, 2, 11), POLICY)
    assert stored_deadline_note("repair_decision", date(2026, 2, 12), date(2026, 2, 24)) is None
    # a calendar-day clock never relies on the holiday schedule
    assert stored_deadline_note("reverification", date(2027, 1, 4), date(2027, 7, 3)) is None
    with_notice = POLICY.model_copy(
        update={"calendar": CalendarPolicy(supplements={2027: NOTICE_2027})}
    )
    assert (
        stored_deadline_note("repair_decision", date(2027, 2, 4), date(2027, 2, 16), with_notice)
        is None
    )


def test_only_years_no_rule_reaches_are_refused() -> None:
    with pytest.raises(CalendarNotCovered, match="2099"):
        count_workdays(date(2099, 12, 30), 5, NO_NOTICE)
    with pytest.raises(CalendarNotCovered, match="2025"):  # before the 2024 amendment applies
        count_workdays(date(2003, 12, 29), 5, NO_NOTICE)
    with pytest.raises(CalendarNotCovered, match="supplements"):  # the rule removed from policy
        count_workdays(date(2027, 2, 4), 1, CalendarPolicy())


def test_cli_prints_the_date_and_warns_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (workdays, clocks):
        monkeypatch.setattr(module, "load_policy", lambda: POLICY)
    result = CliRunner().invoke(calendar_app, ["add-workdays", "2027-02-04", "7"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2027-02-17"
    assert NOTE_2027.zh in result.stderr
    firm = CliRunner().invoke(calendar_app, ["add-workdays", "2026-02-12", "7"])
    assert (firm.stdout.strip(), firm.stderr) == ("2026-02-28", "")
    table = CliRunner().invoke(calendar_app, ["deadlines", "2027-02-04"])
    assert table.exit_code == 0, table.output
    assert "2027-02-17" in table.stdout and NOTE_2027.zh in table.stderr


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2031, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_a_count_lands_on_a_working_day_and_grows_with_n(start: date, n: int) -> None:
    counted = count_workdays(start, n, NO_NOTICE)
    later = add_workdays(start, n + 1, NO_NOTICE)
    assert start < later and counted.day < later and is_workday(later, NO_NOTICE)
    span = [start + timedelta(days=i) for i in range(1, (counted.day - start).days + 1)]
    assert sum(is_workday(d, NO_NOTICE) for d in span) == n
    if n:
        assert is_workday(counted.day, NO_NOTICE)
    assert counted.provisional_years == {d.year for d in span if d.year >= 2027}


def test_a_repair_deadline_filed_before_the_notice_moves_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    filed = datetime(2027, 2, 4, 2, tzinfo=UTC)
    stored = date(2027, 2, 11)  # counted on the provisional calendar when it was filed
    event = Event(
        "applied",
        filed,
        "M1",
        {
            "commitment_id": None,
            "obligations_fulfilled": True,
            "evidence": "已整改",
            "decide_by": stored.isoformat(),
            "record_type": "PLT02",
        },
    )
    case = Case("repair", "RP1", "M1", None, "R1", (event,))
    with_notice = POLICY.model_copy(
        update={"calendar": CalendarPolicy(supplements={2027: NOTICE_2027})}
    )
    for policy, expected in ((POLICY, stored), (with_notice, date(2027, 2, 16))):
        for module in (workdays, clocks):
            monkeypatch.setattr(module, "load_policy", lambda policy=policy: policy)
        assert repair.replay(case).decide_by == expected
