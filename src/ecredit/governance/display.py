"""Display periods (公示期限): when a record may be shown to the public and when it can be repaired.

The catalogue names a display rule per record type; governance.yaml defines the rules. Display
is computed from the record and the date, never stored, so a record stops showing on the day
its period ends even if no job has run — the public view cannot lag behind the law.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ecredit.governance.clocks import add_months
from ecredit.governance.model import VISIBLE_STATUSES, Record
from ecredit.governance.policy import (
    BySeverity,
    GovernancePolicy,
    Permanent,
    SamrPenalty,
    WhileValid,
    load_policy,
)
from ecredit.records.catalogue import load_catalogue


@dataclass(frozen=True)
class DisplayWindow:
    rule: str
    published: bool
    """False for minor dishonesty, which is in principle not shown to the public."""
    starts_on: date
    repair_from: date | None
    """End of the minimum display period; None when the record cannot be repaired."""
    ends_on: date | None
    """First day the record is no longer shown; None while its fact holds."""


def _samr_months(record: Record, rule: SamrPenalty) -> int:
    small_fine = (
        record.type_code in rule.low_fine_types
        and record.amount is not None
        and record.amount <= rule.low_fine_max_cny
    )
    short = record.type_code in rule.short_types or small_fine
    return rule.short_months if short else rule.long_months


def display_window(record: Record, policy: GovernancePolicy | None = None) -> DisplayWindow:
    name = load_catalogue().get(record.type_code).display_rule
    rule = (policy or load_policy()).display[name]
    start = record.decided_on
    match rule:
        case BySeverity():
            band = rule.bands[record.severity]
            ends = None if band.max_months is None else add_months(start, band.max_months)
            repair = add_months(start, band.min_months) if record.negative else None
            return DisplayWindow(name, band.shown, start, repair, ends)
        case SamrPenalty():
            months = _samr_months(record, rule)
            repair = add_months(start, min(rule.repair_min_months, months))
            return DisplayWindow(name, True, start, repair, add_months(start, months))
        case WhileValid() | Permanent():
            return DisplayWindow(name, True, start, None, None)


def in_period(record: Record, today: date, policy: GovernancePolicy | None = None) -> bool:
    """Within its display period and not ended by repair, correction or withdrawal."""
    window = display_window(record, policy)
    return (
        record.status in VISIBLE_STATUSES
        and window.starts_on <= today
        and (window.ends_on is None or today < window.ends_on)
    )


def is_publicly_shown(record: Record, today: date, policy: GovernancePolicy | None = None) -> bool:
    return in_period(record, today, policy) and display_window(record, policy).published


def is_shareable(record: Record, today: date, policy: GovernancePolicy | None = None) -> bool:
    """Exchange between authorities follows the display period but includes unpublished minor
    records; repair stops sharing as it stops display."""
    return in_period(record, today, policy)


def repair_eligible_from(record: Record, policy: GovernancePolicy | None = None) -> date | None:
    return display_window(record, policy).repair_from


def past_display_period(
    record: Record, today: date, policy: GovernancePolicy | None = None
) -> bool:
    ends = display_window(record, policy).ends_on
    return ends is not None and today >= ends
