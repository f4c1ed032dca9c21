"""Legal clocks: every deadline a governance workflow must meet, from governance.yaml.

A clock is a span (working days, calendar days or months) counted from the day after the
triggering event. Keeping the arithmetic here, and the numbers in policy, means a changed
regulation is a YAML edit and every workflow follows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from ecredit.governance.policy import GovernancePolicy, Span, Unit, load_policy
from ecredit.governance.workdays import add_workdays


def add_months(start: date, months: int) -> date:
    """Same day of the month `months` later; a missing day (31 Feb) becomes the month's last."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def after(start: date, span: Span, policy: GovernancePolicy | None = None) -> date:
    match span.unit:
        case Unit.WORKDAYS:
            supplements = (policy or load_policy()).calendar.supplements
            return add_workdays(start, span.amount, supplements)
        case Unit.DAYS:
            return start + timedelta(days=span.amount)
        case Unit.MONTHS:
            return add_months(start, span.amount)


@dataclass(frozen=True)
class Deadline:
    clock: str
    zh: str
    en: str
    starts_on: date
    due_on: date
    extended_to: date | None
    source: str
    confidence: str


def deadline(name: str, start: date, policy: GovernancePolicy | None = None) -> Deadline:
    """The deadline of clock `name` for an event on `start`, and its extended date if any."""
    policy = policy or load_policy()
    clock = policy.clocks[name]
    due_on = after(start, clock.span, policy)
    extension = clock.extension_span
    return Deadline(
        clock=name,
        zh=clock.zh,
        en=clock.en,
        starts_on=start,
        due_on=due_on,
        extended_to=None if extension is None else after(due_on, extension, policy),
        source=clock.source,
        confidence=clock.confidence,
    )


def due(name: str, start: date, policy: GovernancePolicy | None = None) -> date:
    return deadline(name, start, policy).due_on


@dataclass(frozen=True)
class ObjectionDeadlines:
    profile: str
    mark_by: date
    answer_by: date
    extended_to: date | None


def objection_deadlines(
    filed_on: date, profile: str | None = None, policy: GovernancePolicy | None = None
) -> ObjectionDeadlines:
    """Marking and answer deadlines under a profile; a profile without `mark` marks at once."""
    policy = policy or load_policy()
    name = profile or policy.objections.default_profile
    rules = policy.objections.profiles[name]
    mark_by = filed_on if rules.mark is None else after(filed_on, rules.mark, policy)
    answer_by = after(mark_by if rules.answer_from == "marked" else filed_on, rules.answer, policy)
    extended = None if rules.extension is None else after(answer_by, rules.extension, policy)
    return ObjectionDeadlines(name, mark_by, answer_by, extended)
