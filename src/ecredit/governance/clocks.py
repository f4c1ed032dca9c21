"""Legal clocks: every deadline a governance workflow must meet, from governance.yaml.

A clock is a span (working days, calendar days or months) counted from the day after the
triggering event. Keeping the arithmetic here, and the numbers in policy, means a changed
regulation is a YAML edit and every workflow follows.

A working-day clock that runs into a year whose State Council holiday notice is not yet known
is counted on the provisional calendar (see `workdays`); its deadline carries the years that
were provisional, so whoever shows it can say it must be re-checked.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from ecredit.governance.policy import GovernancePolicy, Label, Span, Unit, load_policy
from ecredit.governance.workdays import (
    WorkdayCount,
    count_workdays,
    provisional_note,
    provisional_years,
)


def add_months(start: date, months: int) -> date:
    """Same day of the month `months` later; a missing day (31 Feb) becomes the month's last."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def counted_after(start: date, span: Span, policy: GovernancePolicy | None = None) -> WorkdayCount:
    """`after` with the provisional years it relied on; calendar days and months never rely on
    the holiday schedule, so only working days can be provisional."""
    match span.unit:
        case Unit.WORKDAYS:
            return count_workdays(start, span.amount, (policy or load_policy()).calendar)
        case Unit.DAYS:
            return WorkdayCount(start + timedelta(days=span.amount))
        case Unit.MONTHS:
            return WorkdayCount(add_months(start, span.amount))


def after(start: date, span: Span, policy: GovernancePolicy | None = None) -> date:
    return counted_after(start, span, policy).day


class _CountedForward:
    """Dates counted forward from one start, some of them over provisional years."""

    provisional_years: frozenset[int]

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    def note_for(self, day: date) -> Label | None:
        """The provisional note to show beside `day` (one of these deadlines): the counts run
        forward from one start, so a date relied only on the provisional years up to its own,
        and a firm due date is not marked because its extension runs into an unknown year."""
        return provisional_note(y for y in self.provisional_years if y <= day.year)


@dataclass(frozen=True)
class Deadline(_CountedForward):
    clock: str
    zh: str
    en: str
    starts_on: date
    due_on: date
    extended_to: date | None
    source: str
    confidence: str
    provisional_years: frozenset[int] = frozenset()


def deadline(name: str, start: date, policy: GovernancePolicy | None = None) -> Deadline:
    """The deadline of clock `name` for an event on `start`, and its extended date if any."""
    policy = policy or load_policy()
    clock = policy.clocks[name]
    due = counted_after(start, clock.span, policy)
    extension = clock.extension_span
    extended = None if extension is None else counted_after(due.day, extension, policy)
    return Deadline(
        clock=name,
        zh=clock.zh,
        en=clock.en,
        starts_on=start,
        due_on=due.day,
        extended_to=None if extended is None else extended.day,
        source=clock.source,
        confidence=clock.confidence,
        provisional_years=due.provisional_years
        | (frozenset() if extended is None else extended.provisional_years),
    )


def due(name: str, start: date, policy: GovernancePolicy | None = None) -> date:
    return deadline(name, start, policy).due_on


@dataclass(frozen=True)
class ObjectionDeadlines(_CountedForward):
    profile: str
    mark_by: date
    answer_by: date
    extended_to: date | None
    provisional_years: frozenset[int] = frozenset()


def objection_deadlines(
    filed_on: date, profile: str | None = None, policy: GovernancePolicy | None = None
) -> ObjectionDeadlines:
    """Marking and answer deadlines under a profile; a profile without `mark` marks at once."""
    policy = policy or load_policy()
    name = profile or policy.objections.default_profile
    rules = policy.objections.profiles[name]
    mark = (
        WorkdayCount(filed_on)
        if rules.mark is None
        else counted_after(filed_on, rules.mark, policy)
    )
    answer_from = mark.day if rules.answer_from == "marked" else filed_on
    answer = counted_after(answer_from, rules.answer, policy)
    extended = (
        None if rules.extension is None else counted_after(answer.day, rules.extension, policy)
    )
    years = mark.provisional_years | answer.provisional_years
    if extended is not None:
        years |= extended.provisional_years
    return ObjectionDeadlines(
        name, mark.day, answer.day, None if extended is None else extended.day, years
    )


def stored_deadline_note(
    clock: str, start: date, due_on: date, policy: GovernancePolicy | None = None
) -> Label | None:
    """The provisional note of a deadline that was stored as a bare date (repair `decide_by`),
    derived at display time from the calendar's coverage today rather than stored, so no
    schema changes and the note disappears once the year's notice is added. A clock counted
    in calendar days or months never needs one."""
    policy = policy or load_policy()
    if policy.clocks[clock].unit != Unit.WORKDAYS or due_on <= start:
        return None
    return provisional_note(provisional_years(start + timedelta(days=1), due_on, policy.calendar))
