"""Calendar arithmetic as plain integer expressions, identical on every engine.

Engines disagree on durations and weekdays (Spark has no duration type in Narwhals and counts
Sunday as 0), so times are turned into integers from year, day-of-year and clock fields that
every engine extracts alike, and all further arithmetic is integer arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import narwhals as nw

SECONDS_PER_DAY = 86_400
_EPOCH_MONDAY_SHIFT = 3
"""1970-01-01 was a Thursday: shifting day numbers by 3 makes weeks start on Monday."""


def day_number(moment: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 (proleptic Gregorian), valid from 1970 on."""
    year = moment.dt.year()
    days_before_year = (
        (year - 1970) * 365 + (year - 1969) // 4 - (year - 1901) // 100 + (year - 1601) // 400
    )
    return days_before_year + moment.dt.ordinal_day() - 1


def epoch_seconds(moment: nw.Expr) -> nw.Expr:
    return (
        day_number(moment) * SECONDS_PER_DAY
        + moment.dt.hour() * 3600
        + moment.dt.minute() * 60
        + moment.dt.second()
    )


def local(moment: nw.Expr, utc_offset_hours: int) -> nw.Expr:
    return moment.dt.offset_by(f"{utc_offset_hours}h")


def week_number(local_moment: nw.Expr) -> nw.Expr:
    """Calendar week (Monday start) as a running integer, comparable across years."""
    return (day_number(local_moment) + _EPOCH_MONDAY_SHIFT) // 7


def month_number(local_moment: nw.Expr) -> nw.Expr:
    """Natural month as a running integer (year × 12 + month − 1)."""
    return local_moment.dt.year() * 12 + local_moment.dt.month() - 1


def day_end_utc(as_of: date, utc_offset_hours: int) -> datetime:
    """The instant the as-of day ends in local time, as naive UTC: windows end here."""
    return datetime(as_of.year, as_of.month, as_of.day) + timedelta(days=1, hours=-utc_offset_hours)


def seconds_of(moment: datetime) -> int:
    """Python twin of `epoch_seconds` for literals compared against it."""
    return int((moment - datetime(1970, 1, 1)).total_seconds())
