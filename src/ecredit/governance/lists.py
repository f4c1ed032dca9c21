"""Red and black lists (红名单 / 黑名单, 行业限期禁入): criteria and the listing workflow.

Criteria only *propose* a listing; a listing takes effect when an authority decides it with a
legal basis and a decision document, because joint punishment is an administrative act that
must be attributable. The entry then runs for the list's period from the decision date, unless
it is removed early (repair, correction, or on request after the minimum period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from ecredit.governance.clocks import add_months
from ecredit.governance.display import in_period
from ecredit.governance.model import Case, Event, Record, day, require
from ecredit.governance.policy import Criterion, GovernancePolicy, ListDefinition, load_policy
from ecredit.governance.ports import DetectionCase, Score


class ListState(StrEnum):
    PROPOSED = "proposed"
    DECIDED = "decided"
    PUBLISHED = "published"
    EXPIRED = "expired"
    REMOVED = "removed"
    REJECTED = "rejected"


IN_FORCE = frozenset({ListState.DECIDED, ListState.PUBLISHED})

LIFTING_CAUSES = frozenset({"repair", "correction"})
"""Causes that lift a listing at once, whatever its minimum period."""

EVENT_LABELS: dict[str, str] = {
    "proposed": "提出列入名单 / listing proposed",
    "decided": "作出列入决定 / listing decided",
    "rejected": "不予列入 / listing rejected",
    "published": "公示名单 / listing published",
    "expired": "名单期满移出 / listing expired",
    "removed": "提前移出名单 / listing removed early",
    "measure_executed": "措施已执行 / measure executed",
}


@dataclass(frozen=True)
class SubjectFacts:
    """What list criteria look at: the archive, confirmed cases and the latest score."""

    subject_id: str
    records: Sequence[Record]
    cases: Sequence[DetectionCase]
    score: Score | None


@dataclass(frozen=True)
class Reason:
    criterion: str
    zh: str
    en: str
    record_ids: tuple[str, ...] = ()
    case_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    authority: str
    legal_basis: str
    document_no: str
    decided_on: date


@dataclass(frozen=True)
class ListEntry:
    entry_id: str
    list_code: str
    subject_id: str
    state: ListState
    proposed_on: date
    reasons: tuple[Reason, ...]
    decision: Decision | None = None
    ends_on: date | None = None
    published_on: date | None = None
    ended_on: date | None = None
    end_cause: str | None = None
    history: tuple[Event, ...] = ()

    def in_force(self, today: date) -> bool:
        return (
            self.state in IN_FORCE
            and self.decision is not None
            and self.ends_on is not None
            and self.decision.decided_on <= today < self.ends_on
        )

    def state_on(self, today: date) -> ListState:
        """The state today, counting a listing past its end as expired before the job says so."""
        past_end = self.ends_on is not None and today >= self.ends_on
        return ListState.EXPIRED if self.state in IN_FORCE and past_end else self.state

    @property
    def record_ids(self) -> frozenset[str]:
        return frozenset(r for reason in self.reasons for r in reason.record_ids)


def _since(criterion: Criterion, today: date) -> date | None:
    return None if criterion.within_months is None else add_months(today, -criterion.within_months)


def _matching_records(
    criterion: Criterion, facts: SubjectFacts, today: date, policy: GovernancePolicy
) -> list[Record]:
    since = _since(criterion, today)
    return [
        r
        for r in facts.records
        if in_period(r, today, policy)
        and (not criterion.codes or r.type_code in criterion.codes)
        and (not criterion.severities or r.severity in criterion.severities)
        and (since is None or r.decided_on >= since)
    ]


def _reason(
    criterion: Criterion, facts: SubjectFacts, today: date, policy: GovernancePolicy
) -> Reason | None:
    """The reason a criterion holds for the subject today, or None."""
    base = Reason(criterion.kind, criterion.zh, criterion.en)
    match criterion.kind:
        case "record":
            found = _matching_records(criterion, facts, today, policy)
            ids = tuple(r.record_id for r in found)
            return replace(base, record_ids=ids) if len(found) >= criterion.min_count else None
        case "no_record":
            return None if _matching_records(criterion, facts, today, policy) else base
        case "confirmed_case":
            since = _since(criterion, today)
            cases = [
                c
                for c in facts.cases
                if (not criterion.case_kinds or c.kind in criterion.case_kinds)
                and (since is None or c.confirmed_on >= since)
            ]
            ids = tuple(c.case_id for c in cases)
            return replace(base, case_ids=ids) if len(cases) >= criterion.min_count else None
    score, line = facts.score, criterion.score
    if score is None or line is None:
        return None
    below = score.score < line
    if below != (criterion.kind == "score_below"):
        return None
    return replace(
        base,
        zh=f"{criterion.zh}（{score.score:g}，线 {line:g}）",
        en=f"{criterion.en} ({score.score:g}, line {line:g})",
    )


def criteria_met(
    list_code: str, facts: SubjectFacts, today: date, policy: GovernancePolicy | None = None
) -> tuple[Reason, ...]:
    """Why the subject qualifies for the list today; empty when it does not."""
    policy = policy or load_policy()
    definition = policy.lists[list_code]
    reasons = [r for c in definition.criteria if (r := _reason(c, facts, today, policy))]
    qualifies = (
        bool(reasons) if definition.match == "any" else (len(reasons) == len(definition.criteria))
    )
    return tuple(reasons) if qualifies else ()


def propose(
    list_code: str, reasons: Sequence[Reason], at: datetime, actor: str, policy_version: str
) -> Event:
    require(bool(reasons), "列入名单须有依据", "a listing needs at least one reason")
    data = {
        "list_code": list_code,
        "reasons": [asdict(r) for r in reasons],
        "policy_version": policy_version,
    }
    return Event("proposed", at, actor, data)


def _definition(entry: ListEntry, policy: GovernancePolicy | None) -> ListDefinition:
    return (policy or load_policy()).lists[entry.list_code]


def decide(
    entry: ListEntry,
    decision: Decision,
    at: datetime,
    actor: str,
    policy: GovernancePolicy | None = None,
) -> Event:
    require(
        entry.state == ListState.PROPOSED,
        f"只能对待决定的提议作出决定（当前：{entry.state}）",
        f"only a proposed listing can be decided (now {entry.state})",
    )
    require(
        all((decision.authority, decision.legal_basis, decision.document_no)),
        "列入决定须写明决定机关、法律依据和文书号",
        "a decision needs its authority, legal basis and document number",
    )
    require(
        decision.decided_on >= entry.proposed_on,
        "决定日期不能早于提议日期",
        "a decision cannot predate its proposal",
    )
    ends_on = add_months(decision.decided_on, _definition(entry, policy).period_months)
    data = {**asdict(decision), "decided_on": decision.decided_on.isoformat()}
    return Event("decided", at, actor, {**data, "ends_on": ends_on.isoformat()})


def reject(entry: ListEntry, reason: str, at: datetime, actor: str) -> Event:
    require(
        entry.state == ListState.PROPOSED,
        "只能驳回待决定的提议",
        "only a proposed listing can be rejected",
    )
    return Event("rejected", at, actor, {"reason": reason})


def publish(entry: ListEntry, published_on: date, at: datetime, actor: str) -> Event:
    require(
        entry.state == ListState.DECIDED and entry.in_force(published_on),
        "只能公示已决定且在期限内的名单",
        "only a decided listing within its period can be published",
    )
    return Event("published", at, actor, {"published_on": published_on.isoformat()})


def expire(entry: ListEntry, today: date, at: datetime, actor: str) -> Event:
    require(
        entry.state in IN_FORCE and entry.ends_on is not None and today >= entry.ends_on,
        "名单尚未期满",
        "the listing has not reached its end",
    )
    return Event("expired", at, actor, {"ended_on": entry.ends_on.isoformat()})


def remove(
    entry: ListEntry,
    cause: str,
    reason: str,
    today: date,
    at: datetime,
    actor: str,
    policy: GovernancePolicy | None = None,
) -> Event:
    require(entry.in_force(today), "名单不在有效期内", "the listing is not in force")
    assert entry.decision is not None
    minimum = _definition(entry, policy).early_removal_after_months
    if cause not in LIFTING_CAUSES and minimum is not None:
        allowed_from = add_months(entry.decision.decided_on, minimum)
        require(
            today >= allowed_from,
            f"{allowed_from} 之前不得申请提前移出",
            f"early removal cannot be granted before {allowed_from}",
        )
    data = {"cause": cause, "reason": reason, "ended_on": today.isoformat()}
    return Event("removed", at, actor, data)


def _reasons(raw: Sequence[dict]) -> tuple[Reason, ...]:
    return tuple(
        Reason(r["criterion"], r["zh"], r["en"], tuple(r["record_ids"]), tuple(r["case_ids"]))
        for r in raw
    )


def replay(case: Case) -> ListEntry:
    first, *rest = case.events
    entry = ListEntry(
        entry_id=case.case_id,
        list_code=first.data["list_code"],
        subject_id=case.subject_id,
        state=ListState.PROPOSED,
        proposed_on=first.on,
        reasons=_reasons(first.data["reasons"]),
        history=(first,),
    )
    for event in rest:
        entry = _apply(replace(entry, history=(*entry.history, event)), event)
    return entry


def _apply(entry: ListEntry, event: Event) -> ListEntry:
    data = event.data
    match event.name:
        case "decided":
            decision = Decision(
                data["authority"],
                data["legal_basis"],
                data["document_no"],
                date.fromisoformat(data["decided_on"]),
            )
            return replace(
                entry, state=ListState.DECIDED, decision=decision, ends_on=day(data, "ends_on")
            )
        case "rejected":
            return replace(entry, state=ListState.REJECTED, ended_on=event.on)
        case "published":
            return replace(entry, state=ListState.PUBLISHED, published_on=day(data, "published_on"))
        case "expired":
            return replace(entry, state=ListState.EXPIRED, ended_on=day(data, "ended_on"))
        case "removed":
            return replace(
                entry,
                state=ListState.REMOVED,
                ended_on=day(data, "ended_on"),
                end_cause=data["cause"],
            )
    return entry
