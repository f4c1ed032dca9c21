"""Retention: how long data must be kept, and when negative credit information must go.

Two duties pull in opposite directions: transaction data must be kept at least three years
(电子商务法 Art.31) and ratings never deleted, while negative credit information must be deleted
five years after the act ended (征信业管理条例 Art.16). The purge may only ever delete what has
passed its term, so every deletion goes through `delete_after` here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from ecredit.governance.clocks import add_months
from ecredit.governance.model import Record
from ecredit.governance.policy import GovernancePolicy, load_policy


@dataclass(frozen=True)
class PurgeItem:
    record: Record
    delete_after: date
    rule: str
    copies: Mapping[str, int] | None = None
    """Copies of the record's content deleted with it, rows by where they were kept, for the
    purge log; None when the purge did not look for any (a dry run, or no copies port)."""


def delete_after(record: Record, policy: GovernancePolicy | None = None) -> date | None:
    """The first day a record may be deleted; None for records that are kept (positive ones).

    The term runs from the end of the act; a record without one runs from its decision date,
    which is never earlier, so an unknown end can only keep a record longer.
    """
    rules = (policy or load_policy()).retention
    if not record.negative:
        return None
    start = record.act_ended_on or record.decided_on
    return add_months(start, 12 * rules.negative_record_years)


def purge_due(
    records: Iterable[Record], today: date, policy: GovernancePolicy | None = None
) -> list[PurgeItem]:
    policy = policy or load_policy()
    rule = f"{policy.retention.source} ({policy.version})"
    return [
        PurgeItem(r, after, rule)
        for r in records
        if (after := delete_after(r, policy)) is not None and today >= after
    ]


def transaction_deletable(
    kind: str, occurred_on: date, today: date, policy: GovernancePolicy | None = None
) -> bool:
    """Whether a row of an input kind may be deleted today; for any component that deletes."""
    rules = (policy or load_policy()).retention
    if kind in rules.never_deleted:
        return False
    if kind in rules.transaction_kinds:
        return today >= add_months(occurred_on, 12 * rules.transaction_min_years)
    return False
