"""Credit repair (信用修复): ending a record's public display once the subject has made good.

Repair needs the minimum display period served, the obligations the record imposed fulfilled
and a public repair commitment (NDRC Order 36 [S]); the authority decides within the
repair_decision clock. Approval ends display and sharing and lifts listings that rest on the
record, but the archive keeps the record: repair changes what is shown, not what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from ecredit.governance.clocks import due
from ecredit.governance.commitments import Commitment
from ecredit.governance.display import repair_eligible_from
from ecredit.governance.model import (
    VISIBLE_STATUSES,
    Case,
    Event,
    Record,
    RecordStatus,
    china_date,
    require,
)
from ecredit.governance.policy import GovernancePolicy, load_policy


class RepairState(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REFUSED = "refused"


EVENT_LABELS: dict[str, str] = {
    "applied": "申请信用修复 / repair applied for",
    "approved": "准予信用修复 / repair approved",
    "refused": "不予信用修复 / repair refused",
}


@dataclass(frozen=True)
class Problem:
    zh: str
    en: str


@dataclass(frozen=True)
class RepairApplication:
    application_id: str
    record_id: str
    subject_id: str
    applied_at: datetime
    commitment_id: str | None
    obligations_fulfilled: bool
    evidence: str
    decide_by: date
    state: RepairState = RepairState.APPLIED
    answer: str | None = None
    history: tuple[Event, ...] = ()


def problems(
    record: Record,
    commitment: Commitment | None,
    obligations_fulfilled: bool,
    today: date,
    policy: GovernancePolicy | None = None,
) -> list[Problem]:
    """Every reason repair cannot be granted today; empty when it can."""
    policy = policy or load_policy()
    found: list[Problem] = []
    eligible_from = repair_eligible_from(record, policy)
    if eligible_from is None:
        found.append(Problem("该类记录无需或不能修复", "this kind of record is not repairable"))
    elif today < eligible_from:
        found.append(
            Problem(
                f"最短公示期未满，{eligible_from} 起可申请",
                f"minimum display period not served; eligible from {eligible_from}",
            )
        )
    if record.status == RecordStatus.DISPUTED:
        found.append(Problem("记录异议处理中", "the record is under objection"))
    elif record.status not in VISIBLE_STATUSES:
        found.append(Problem(f"记录已{record.status}", f"the record is already {record.status}"))
    if not obligations_fulfilled:
        found.append(Problem("未履行法定义务或约定义务", "obligations not fulfilled"))
    if policy.repair.requires_commitment:
        template = policy.repair.commitment_template
        if (
            commitment is None
            or commitment.template != template
            or commitment.subject_id != record.subject_id
        ):
            found.append(Problem("未作出公开的信用修复承诺", "no public repair commitment"))
    return found


def apply(
    record: Record,
    commitment_id: str | None,
    obligations_fulfilled: bool,
    evidence: str,
    at: datetime,
    actor: str,
    policy: GovernancePolicy | None = None,
) -> Event:
    decide_by = due("repair_decision", china_date(at), policy)
    data = {
        "commitment_id": commitment_id,
        "obligations_fulfilled": obligations_fulfilled,
        "evidence": evidence,
        "decide_by": decide_by.isoformat(),
        "record_type": record.type_code,
    }
    return Event("applied", at, actor, data)


def decide(
    application: RepairApplication,
    approve: bool,
    found: list[Problem],
    answer: str,
    at: datetime,
    actor: str,
) -> Event:
    require(
        application.state == RepairState.APPLIED,
        "修复申请已办结",
        "the repair application is already decided",
    )
    if approve:
        require(
            not found,
            "不符合修复条件：" + "；".join(p.zh for p in found),
            "repair conditions not met: " + "; ".join(p.en for p in found),
        )
    else:
        require(bool(answer.strip()), "不予修复须说明理由", "a refusal needs its reasons")
    name = RepairState.APPROVED if approve else RepairState.REFUSED
    return Event(name, at, actor, {"answer": answer})


def replay(case: Case) -> RepairApplication:
    """The application as its events leave it. The decision deadline is counted again from the
    filing date rather than read back: one filed before a year's holiday notice was known was
    stored on the provisional calendar, and the notice, once added, must move it (objection
    and complaint clocks are recounted the same way). The event keeps what was shown then."""
    first, *rest = case.events
    assert case.record_id is not None
    d = first.data
    application = RepairApplication(
        application_id=case.case_id,
        record_id=case.record_id,
        subject_id=case.subject_id,
        applied_at=first.at,
        commitment_id=d["commitment_id"],
        obligations_fulfilled=d["obligations_fulfilled"],
        evidence=d["evidence"],
        decide_by=due("repair_decision", china_date(first.at)),
        history=(first,),
    )
    for event in rest:
        application = replace(
            application,
            state=RepairState(event.name),
            answer=event.data["answer"],
            history=(*application.history, event),
        )
    return application
