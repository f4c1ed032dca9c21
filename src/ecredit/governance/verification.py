"""Real-name re-verification (实名认证): merchants are re-checked on a fixed interval.

A verification is only as good as it is recent; the public page must say so when a merchant's
identity is unverified or overdue, rather than keep showing a mark earned long ago.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ecredit.governance.clocks import due
from ecredit.governance.model import Event
from ecredit.governance.policy import GovernancePolicy

EVENT_LABELS: dict[str, str] = {
    "checked": "实名核验 / identity checked",
    "identity_changed": "身份信息变更 / identity changed",
}


class VerificationState(StrEnum):
    NEVER = "never"
    VERIFIED = "verified"
    OVERDUE = "overdue"
    FAILED = "failed"


STATE_ZH: dict[str, str] = {
    "never": "未实名核验",
    "verified": "已实名核验",
    "overdue": "实名核验已过期",
    "failed": "实名核验未通过",
}


@dataclass(frozen=True)
class VerificationStatus:
    state: VerificationState
    last_checked_on: date | None
    next_due: date | None

    @property
    def zh(self) -> str:
        return STATE_ZH[self.state]

    @property
    def publicly_verified(self) -> bool:
        return self.state == VerificationState.VERIFIED


def status(
    checks: Sequence[Event], today: date, policy: GovernancePolicy | None = None
) -> VerificationStatus:
    """From the subject's `checked` events, oldest first; the latest check decides."""
    done = [e for e in checks if e.name == "checked"]
    if not done:
        return VerificationStatus(VerificationState.NEVER, None, None)
    last = done[-1]
    if not last.data["passed"]:
        return VerificationStatus(VerificationState.FAILED, last.on, None)
    next_due = due("reverification", last.on, policy)
    state = VerificationState.VERIFIED if today < next_due else VerificationState.OVERDUE
    return VerificationStatus(state, last.on, next_due)


@dataclass(frozen=True)
class ChangeDeadlines:
    submit_by: date
    verify_by: date


def change_deadlines(
    changed_on: date, submitted_on: date | None = None, policy: GovernancePolicy | None = None
) -> ChangeDeadlines:
    """An identity change must be submitted within 3 working days and verified within 7 more
    (浙江省电子商务条例 Art.8)."""
    submit_by = due("identity_change_submit", changed_on, policy)
    return ChangeDeadlines(
        submit_by, due("identity_change_verify", submitted_on or submit_by, policy)
    )
