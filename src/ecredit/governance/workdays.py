"""China's working-day calendar: official holidays and make-up working days (调休上班日).

Legal clocks in working days skip public holidays but count the weekend days the State Council
turns into working days, so weekday arithmetic is wrong around every long holiday. The
schedule is published year by year; the chinese-calendar package carries it, and
governance.yaml `calendar.supplements` can carry a newly published year before the package
does. Outside both, a deadline cannot be known, so it is an error rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar

from ecredit.governance.policy import YearSupplement, load_policy


class CalendarNotCovered(ValueError):
    """The official holiday schedule of a year is not known to this installation."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"工作日历未覆盖 {year} 年：请升级 chinese-calendar，或在 governance.yaml 的 "
            f"calendar.supplements 中补充该年国务院放假安排 / the working-day calendar does not "
            f"cover {year}: upgrade chinese-calendar or add the year's State Council holiday "
            f"notice under calendar.supplements in governance.yaml"
        )
        self.year = year


def is_workday(day: date, supplements: Mapping[int, YearSupplement] | None = None) -> bool:
    supplements = load_policy().calendar.supplements if supplements is None else supplements
    if (extra := supplements.get(day.year)) is not None:
        if day in extra.workdays:
            return True
        return day not in extra.holidays and day.weekday() < 5
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarNotCovered(day.year) from exc


def add_workdays(
    start: date, n: int, supplements: Mapping[int, YearSupplement] | None = None
) -> date:
    """The n-th working day after `start`; the start day itself never counts, as in Chinese
    procedural law (期间开始之日不计算在内)."""
    if n < 0:
        raise ValueError(f"工作日数不能为负 / working days must not be negative: {n}")
    day = start
    while n:
        day += timedelta(days=1)
        if is_workday(day, supplements):
            n -= 1
    return day
