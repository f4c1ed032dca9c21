"""China's working-day calendar: official holidays and make-up working days (调休上班日).

Legal clocks in working days skip public holidays but count the weekend days the State Council
turns into working days, so weekday arithmetic is wrong around every long holiday. The
schedule is published year by year, usually in November for the next year; the
chinese-calendar package carries it, and governance.yaml `calendar.supplements` can carry a
newly published year before the package does.

A clock filed in late autumn often ends in a year whose notice is not out yet. Refusing to
compute it would stop every complaint and objection workflow for weeks, while the statutory
holidays themselves are fixed by 《全国年节及纪念日放假办法》 and only the 调休 shuffle is unknown.
So such a year gets a provisional calendar — weekdays less the statutory holidays — and every
count that touches it says so, for a clerk to re-check once the notice is added. Only a year
no rule can reach (before the rule was in force, beyond the cross-checked lunar range, or with
the rule removed from policy) is still an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import chinese_calendar
from lunar_python import Lunar

from ecredit.governance.policy import (
    CalendarPolicy,
    Label,
    StatutoryHolidays,
    YearSupplement,
    load_policy,
)

PROVISIONAL_LAST_YEAR = 2099
"""lunar-python computes far beyond this, but only up to here have its lunar dates and solar
terms been cross-checked (against lunardate's tables and chinese-calendar's solar terms), and a
legal clock has no business running so far ahead: a count reaching past it is a bug."""

PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class Coverage(StrEnum):
    """Where a year's working days come from, most authoritative first."""

    SUPPLEMENT = "supplement"
    PACKAGE = "package"
    PROVISIONAL = "provisional"


class CalendarNotCovered(ValueError):
    """No schedule and no statutory rule reach this year, so no deadline can be given."""

    def __init__(self, year: int, zh: str = "", en: str = "") -> None:
        zh = zh or (
            "请升级 chinese-calendar，或在 governance.yaml 的 calendar.supplements 中补充该年"
            "国务院放假安排"
        )
        en = en or (
            "upgrade chinese-calendar or add the year's State Council holiday notice under "
            "calendar.supplements in governance.yaml"
        )
        super().__init__(
            f"工作日历未覆盖 {year} 年：{zh} / the working-day calendar does not cover {year}: {en}"
        )
        self.year = year


CalendarLike = CalendarPolicy | Mapping[int, YearSupplement] | None
"""What callers pass: the policy's calendar section, or (as before the provisional calendar)
just its supplements, which then combine with the policy's statutory rule."""


def _calendar(calendar: CalendarLike) -> CalendarPolicy:
    policy = load_policy().calendar
    if calendar is None:
        return policy
    if isinstance(calendar, CalendarPolicy):
        return calendar
    return policy.model_copy(update={"supplements": dict(calendar)})


def coverage(year: int, calendar: CalendarLike = None) -> Coverage:
    """Which source decides `year`; a supplement wins over the package because it is how
    policy staff correct or anticipate it, and both win over the provisional rule."""
    cal = _calendar(calendar)
    if year in cal.supplements:
        return Coverage.SUPPLEMENT
    if year in PACKAGE_YEARS:
        return Coverage.PACKAGE
    rule = cal.statutory_holidays
    if rule is None:
        raise CalendarNotCovered(year)
    if year < rule.in_force_from:
        raise CalendarNotCovered(
            year,
            f"现行法定节假日规定自 {rule.in_force_from} 年起施行，更早年份须由 chinese-calendar "
            "或 calendar.supplements 提供",
            f"the statutory holiday rule is in force from {rule.in_force_from}; earlier years "
            "must come from chinese-calendar or calendar.supplements",
        )
    if year > PROVISIONAL_LAST_YEAR:
        raise CalendarNotCovered(
            year,
            f"暂定日历只推算至 {PROVISIONAL_LAST_YEAR} 年（农历与节气已交叉核对的范围）",
            f"the provisional calendar stops at {PROVISIONAL_LAST_YEAR}, the range over which "
            "its lunar dates and solar terms are cross-checked",
        )
    return Coverage.PROVISIONAL


def is_provisional(year: int, calendar: CalendarLike = None) -> bool:
    """Never raises, so a display can ask about any stored date: a year outside every source
    is as unconfirmed as a provisional one."""
    cal = _calendar(calendar)
    return year not in cal.supplements and year not in PACKAGE_YEARS


def provisional_years(first: date, last: date, calendar: CalendarLike = None) -> frozenset[int]:
    """The years from `first` to `last` whose working days are not yet official — derived from
    today's calendar coverage, so a stored deadline loses the mark once the notice is added."""
    cal = _calendar(calendar)
    return frozenset(y for y in range(first.year, last.year + 1) if is_provisional(y, cal))


def _lunar_day(year: int, spec: str) -> date:
    if spec == "eve":
        return _lunar_day(year, "01-01") - timedelta(days=1)
    month, day = map(int, spec.split("-"))
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _solar_term(year: int, name: str) -> date:
    # A lunar year's table runs from the previous 大雪 to the next 惊蛰, so a term of Gregorian
    # `year` is in this lunar year's table or (冬至, 大雪 late in December) the next one's.
    found = {
        date(s.getYear(), s.getMonth(), s.getDay())
        for lunar_year in (year, year + 1)
        for key, s in Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable().items()
        if key == name and s.getYear() == year
    }
    (day,) = found
    return day


@cache
def statutory_holidays(year: int, rule: StatutoryHolidays) -> dict[date, Label]:
    """The statutory days off of `year` under `rule`, named, without any 调休."""
    days: dict[date, Label] = {}
    for holiday in rule.holidays:
        name = Label(zh=holiday.zh, en=holiday.en)
        found = [date.fromisoformat(f"{year}-{md}") for md in holiday.solar]
        found += [_lunar_day(year, spec) for spec in holiday.lunar]
        if holiday.solar_term is not None:
            found.append(_solar_term(year, holiday.solar_term))
        for day in found:
            # 中秋 can fall on 1–3 October (2028): one day off, both names
            days[day] = (
                name
                if day not in days
                else Label(zh=f"{days[day].zh}、{name.zh}", en=f"{days[day].en}, {name.en}")
            )
    return days


def _is_workday(day: date, cal: CalendarPolicy) -> bool:
    match coverage(day.year, cal):
        case Coverage.SUPPLEMENT:
            extra = cal.supplements[day.year]
            if day in extra.workdays:
                return True
            return day not in extra.holidays and day.weekday() < 5
        case Coverage.PACKAGE:
            return bool(chinese_calendar.is_workday(day))
        case Coverage.PROVISIONAL:
            assert cal.statutory_holidays is not None  # coverage() checked it
            return day.weekday() < 5 and day not in statutory_holidays(
                day.year, cal.statutory_holidays
            )


def is_workday(day: date, calendar: CalendarLike = None) -> bool:
    return _is_workday(day, _calendar(calendar))


@dataclass(frozen=True)
class WorkdayCount:
    """A counted date and the years it relied on a provisional calendar for: a deadline is
    only as firm as the least official day it counted."""

    day: date
    provisional_years: frozenset[int] = frozenset()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def note(self) -> Label | None:
        return provisional_note(self.provisional_years)


def count_workdays(start: date, n: int, calendar: CalendarLike = None) -> WorkdayCount:
    """The n-th working day after `start`; the start day itself never counts, as in Chinese
    procedural law (期间开始之日不计算在内). Says which counted days were provisional."""
    if n < 0:
        raise ValueError(f"工作日数不能为负 / working days must not be negative: {n}")
    cal = _calendar(calendar)
    day, years = start, set[int]()
    while n:
        day += timedelta(days=1)
        if coverage(day.year, cal) is Coverage.PROVISIONAL:
            years.add(day.year)
        if _is_workday(day, cal):
            n -= 1
    return WorkdayCount(day, frozenset(years))


def add_workdays(start: date, n: int, calendar: CalendarLike = None) -> date:
    """`count_workdays` for callers that need only the date; a caller that shows the date to
    a person should use `count_workdays` and show its note."""
    return count_workdays(start, n, calendar).day


def provisional_note(years: Iterable[int]) -> Label | None:
    """The warning shown beside a provisional deadline, naming the notice to wait for."""
    ordered = sorted(set(years))
    if not ordered:
        return None
    zh_years = "、".join(str(y) for y in ordered)
    en_years = ", ".join(str(y) for y in ordered)
    return Label(
        zh=f"暂定（待国务院{zh_years}年节假日安排公布后复核）",
        en=(
            f"provisional: re-check once the State Council publishes its {en_years} holiday "
            "arrangements"
        ),
    )
