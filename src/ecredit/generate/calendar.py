"""The world's time axis: when orders happen.

Times are integer seconds since 1970-01-01 00:00 in China Standard Time, written without an offset
as Chinese platforms export them. Order volume per hour follows the daily rhythm of Chinese online
shopping (evening peak, a midnight bump, near silence before dawn), a mild weekly cycle, the
shopping festivals (6.18, 11.11, 12.12), the Spring Festival lull and steady growth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)

HOUR_WEIGHTS = np.array(
    [
        3.0,
        1.6,
        0.9,
        0.5,
        0.4,
        0.5,
        1.0,
        2.0,
        3.2,
        4.4,
        5.2,
        5.0,
        4.8,
        5.0,
        5.2,
        5.2,
        5.0,
        4.6,
        4.4,
        5.0,
        6.0,
        6.8,
        6.4,
        4.6,
    ]
)
ODD_HOURS = np.array([1, 2, 3, 4, 5])
"""Hours when almost nobody shops; brushing studios work them anyway."""
WEEKDAY_WEIGHTS = np.array([1.02, 1.00, 0.98, 0.97, 0.96, 1.03, 1.08])
SPRING_FESTIVAL = {
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
ANNUAL_GROWTH = 0.2


def day_number(d: date) -> int:
    return (d - EPOCH).days


def to_date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def _festival_factor(d: date) -> float:
    if (d.month, d.day) == (11, 11):
        return 5.0
    if (d.month == 11 and d.day < 11) or (d.month == 10 and d.day >= 24):
        return 1.3
    if (d.month, d.day) == (12, 12):
        return 1.8
    if (d.month, d.day) == (6, 18):
        return 2.5
    if d.month == 6 and d.day < 18:
        return 1.2
    festival = SPRING_FESTIVAL.get(d.year)
    if festival is not None and abs((d - festival).days) <= 7:
        return 0.55
    return 1.0


@dataclass(frozen=True)
class Timeline:
    """Orders happen on `days` days ending on `end_date` (inclusive)."""

    end_date: date
    days: int

    @property
    def start_day(self) -> int:
        return day_number(self.end_date) - self.days + 1

    @property
    def end_day(self) -> int:
        return day_number(self.end_date)

    @property
    def start_ts(self) -> int:
        return self.start_day * DAY

    @property
    def end_ts(self) -> int:
        """The last second of `end_date`; nothing in the world happens after it."""
        return (self.end_day + 1) * DAY - 1

    def hour_weights(self) -> np.ndarray:
        """Relative order volume of every hour of the history, shape (days * 24,)."""
        dates = [to_date(self.start_day + i) for i in range(self.days)]
        day_factor = np.array(
            [
                _festival_factor(d) * WEEKDAY_WEIGHTS[d.weekday()] * (1 + ANNUAL_GROWTH * i / 365)
                for i, d in enumerate(dates)
            ]
        )
        weights = day_factor[:, None] * HOUR_WEIGHTS[None, :]
        launches = [i for i, d in enumerate(dates) if (d.month, d.day) == (11, 11)]
        weights[launches, 0] *= 6.0
        return weights.ravel()
