"""Objections (异议): anyone affected challenges a record; the record is marked disputed at once.

The outcome either upholds the record (the objection fails) or corrects it. A correction never
edits the record: a new record supersedes it (or, when the fact was wrong altogether, the old
one is withdrawn), so the archive shows what was shown before and why it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ecredit.governance.clocks import ObjectionDeadlines, objection_deadlines
from ecredit.governance.model import Case, Event, require
from ecredit.governance.policy import GovernancePolicy, load_policy


class ObjectionState(StrEnum):
    FILED = "filed"
    EXTENDED = "extended"
    UPHELD = "upheld"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"


OPEN = frozenset({ObjectionState.FILED, ObjectionState.EXTENDED})
OUTCOMES = (ObjectionState.UPHELD, ObjectionState.CORRECTED)

CORRECTABLE = frozenset(
    {"type_code", "severity", "decided_on", "act_ended_on", "amount", "summary", "document_no"}
)
"""Fields a correction may change; identity, subject and provenance never change."""

EVENT_LABELS: dict[str, str] = {
    "filed": "提出异议（记录标注为异议中） / objection filed, record marked disputed",
    "extended": "延长异议处理期限 / answer period extended",
    "upheld": "异议不成立，维持原记录 / objection rejected, record upheld",
    "corrected": "异议成立，更正记录 / objection upheld, record corrected",
    "withdrawn": "撤回异议 / objection withdrawn",
}


@dataclass(frozen=True)
class Objection:
    objection_id: str
    record_id: str
    subject_id: str
    filed_by: str
    filed_at: datetime
    grounds: str
    text: str
    deadlines: ObjectionDeadlines
    state: ObjectionState = ObjectionState.FILED
    answer: str | None = None
    corrected_record_id: str | None = None
    history: tuple[Event, ...] = ()

    @property
    def answer_due(self) -> date:
        extended = self.state == ObjectionState.EXTENDED and self.deadlines.extended_to
        return extended or self.deadlines.answer_by

    def overdue(self, today: date) -> bool:
        return self.state in OPEN and today > self.answer_due


def file(
    filed_by: str,
    grounds: str,
    text: str,
    profile: str | None,
    at: datetime,
    policy: GovernancePolicy | None = None,
) -> Event:
    rules = (policy or load_policy()).objections
    profile = profile or rules.default_profile
    require(
        grounds in rules.grounds,
        f"异议理由须为：{'、'.join(g.zh for g in rules.grounds.values())}",
        f"grounds must be one of: {', '.join(rules.grounds)}",
    )
    require(profile in rules.profiles, f"未知的办理规则：{profile}", f"unknown profile: {profile}")
    require(bool(filed_by.strip()), "须写明异议人", "an objection needs its filer")
    data = {"grounds": grounds, "text": text, "profile": profile}
    return Event("filed", at, filed_by, data)


def extend(objection: Objection, reason: str, at: datetime, actor: str) -> Event:
    require(
        objection.state == ObjectionState.FILED and objection.deadlines.extended_to is not None,
        "该异议不能延期（已延期、已办结或规则无延期）",
        "this objection cannot be extended (already extended, decided, or no extension)",
    )
    return Event("extended", at, actor, {"reason": reason})


def decide(
    objection: Objection,
    outcome: str,
    answer: str,
    at: datetime,
    actor: str,
    corrected_record_id: str | None = None,
) -> Event:
    """`corrected` with no corrected record means the record is withdrawn outright."""
    require(objection.state in OPEN, "异议已办结", "the objection is already closed")
    require(
        outcome in OUTCOMES,
        "处理结果须为 upheld（维持）或 corrected（更正）",
        "the outcome must be upheld or corrected",
    )
    require(bool(answer.strip()), "须答复异议人", "the decision needs an answer to the filer")
    data = {"answer": answer, "corrected_record_id": corrected_record_id}
    return Event(outcome, at, actor, data)


def withdraw(objection: Objection, at: datetime, actor: str) -> Event:
    require(objection.state in OPEN, "异议已办结", "the objection is already closed")
    return Event("withdrawn", at, actor, {})


def correction(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - CORRECTABLE
    require(
        not unknown,
        f"不能更正这些字段：{', '.join(sorted(unknown))}",
        f"these fields cannot be corrected: {', '.join(sorted(unknown))}",
    )
    return dict(changes)


def replay(case: Case, policy: GovernancePolicy | None = None) -> Objection:
    first, *rest = case.events
    assert case.record_id is not None
    d = first.data
    objection = Objection(
        objection_id=case.case_id,
        record_id=case.record_id,
        subject_id=case.subject_id,
        filed_by=first.actor,
        filed_at=first.at,
        grounds=d["grounds"],
        text=d["text"],
        deadlines=objection_deadlines(first.on, d["profile"], policy),
        history=(first,),
    )
    for event in rest:
        objection = replace(
            objection,
            state=ObjectionState(event.name),
            history=(*objection.history, event),
            answer=event.data.get("answer", objection.answer),
            corrected_record_id=event.data.get("corrected_record_id"),
        )
    return objection
