"""Risk warnings (风险预警 / 风险提示): rules that raise internal alerts, and public notices.

Alerts go to platforms and regulators, who act on them; a public risk notice is a separate,
deliberate decision with an expiry, because telling consumers a merchant is risky is itself a
disclosure with consequences. Each alert has a deterministic id from its rule, subject and
trigger, so re-running a scan never alerts twice about the same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from ecredit.governance.clocks import add_months
from ecredit.governance.lists import ListEntry
from ecredit.governance.model import Case, Event, day, require
from ecredit.governance.peer_lists import PeerListing
from ecredit.governance.policy import GovernancePolicy, load_policy
from ecredit.governance.ports import DetectionCase, Score

EVENT_LABELS: dict[str, str] = {
    "raised": "产生预警 / warning raised",
    "delivered": "预警已推送 / warning delivered",
    "notice_published": "发布风险提示 / public notice published",
    "notice_withdrawn": "撤回风险提示 / public notice withdrawn",
}


@dataclass(frozen=True)
class Alert:
    rule: str
    subject_id: str
    trigger: str
    level: str
    zh: str
    en: str
    data: dict[str, Any]

    @property
    def warning_id(self) -> str:
        key = f"{self.rule}\x1f{self.subject_id}\x1f{self.trigger}"
        return "W" + hashlib.blake2b(key.encode(), digest_size=15).hexdigest()


def score_drop(
    previous: Score | None, current: Score, policy: GovernancePolicy | None = None
) -> Alert | None:
    rule = (policy or load_policy()).warnings.score_drop
    if previous is None or previous.score - current.score < rule.min_drop:
        return None
    return Alert(
        "score_drop",
        current.subject_id,
        current.as_of.isoformat(),
        rule.level,
        f"{rule.zh}：{previous.score:g} → {current.score:g}",
        f"{rule.en}: {previous.score:g} → {current.score:g}",
        {"previous": previous.score, "current": current.score, "grade": current.grade},
    )


def complaint_surge(
    subject_id: str,
    received_on: Sequence[date],
    today: date,
    policy: GovernancePolicy | None = None,
) -> Alert | None:
    """Recent complaints against the subject's own baseline rate, so a large merchant's normal
    volume is not a surge and a small one's sudden cluster is. At most one alert a week."""
    rule = (policy or load_policy()).warnings.complaint_surge
    recent_start = today - timedelta(days=rule.recent_days)
    baseline_start = add_months(recent_start, -rule.baseline_months)
    recent = sum(recent_start < d <= today for d in received_on)
    before = sum(baseline_start < d <= recent_start for d in received_on)
    windows = (recent_start - baseline_start).days / rule.recent_days
    baseline = before / windows
    if recent < max(rule.min_count, rule.factor * baseline):
        return None
    return Alert(
        "complaint_surge",
        subject_id,
        today.strftime("%G-W%V"),
        rule.level,
        f"{rule.zh}：近{rule.recent_days}天 {recent} 件，以往平均 {baseline:.1f} 件",
        f"{rule.en}: {recent} in {rule.recent_days} days, usual {baseline:.1f}",
        {"recent": recent, "baseline": round(baseline, 2)},
    )


def confirmed_case(case: DetectionCase, policy: GovernancePolicy | None = None) -> Alert:
    rule = (policy or load_policy()).warnings.confirmed_case
    return Alert(
        "confirmed_case",
        case.subject_id,
        case.case_id,
        rule.level,
        f"{rule.zh}：{case.kind} {case.case_id}",
        f"{rule.en}: {case.kind} {case.case_id}",
        {"case_id": case.case_id, "kind": case.kind},
    )


def list_entry(entry: ListEntry, policy: GovernancePolicy | None = None) -> Alert:
    policy = policy or load_policy()
    rule, definition = policy.warnings.list_entry, policy.lists[entry.list_code]
    return Alert(
        "list_entry",
        entry.subject_id,
        entry.entry_id,
        rule.level,
        f"{rule.zh}：{definition.zh}",
        f"{rule.en}: {definition.en}",
        {"entry_id": entry.entry_id, "list_code": entry.list_code},
    )


def peer_list_entry(listing: PeerListing, policy: GovernancePolicy | None = None) -> Alert:
    """A trusted peer black-listed a subject this node holds: platforms and regulators here
    should know before the subject trades on. The trigger is the peer and its entry, so the
    alert is raised once however often the entry arrives again (published, measures executed),
    and never merges with an alert about this node's own listing."""
    policy = policy or load_policy()
    rule, definition = policy.warnings.list_entry, policy.lists[listing.entry.list_code]
    origin, decision = listing.origin, listing.entry.decision
    document = decision.document_no if decision else ""
    return Alert(
        "list_entry",
        listing.entry.subject_id,
        f"{origin.node_id}/{listing.entry.entry_id}",
        rule.level,
        f"{rule.zh}：{definition.zh}（来源：{origin.name}，{document}）",
        f"{rule.en}: {definition.en} (from {origin.name}, {document})",
        {
            "entry_id": listing.entry.entry_id,
            "list_code": listing.entry.list_code,
            "origin": origin.node_id,
            "origin_name": origin.name,
            "decided_by": decision.authority if decision else None,
            "document_no": document,
        },
    )


def verification_failed(
    subject_id: str, checked_on: date, policy: GovernancePolicy | None = None
) -> Alert:
    rule = (policy or load_policy()).warnings.verification_failed
    return Alert(
        "verification_failed",
        subject_id,
        checked_on.isoformat(),
        rule.level,
        rule.zh,
        rule.en,
        {"checked_on": checked_on.isoformat()},
    )


@dataclass(frozen=True)
class RiskWarning:
    warning_id: str
    subject_id: str
    rule: str
    level: str
    zh: str
    en: str
    raised_at: datetime
    data: dict[str, Any]
    delivered_to: frozenset[str] = frozenset()
    notice_from: date | None = None
    notice_until: date | None = None
    notice_withdrawn: bool = False
    history: tuple[Event, ...] = ()

    def notice_shown(self, today: date) -> bool:
        return (
            self.notice_from is not None
            and self.notice_until is not None
            and not self.notice_withdrawn
            and self.notice_from <= today < self.notice_until
        )

    def payload(self) -> dict[str, object]:
        """The alert as platforms and regulators receive it."""
        return {
            "warning_id": self.warning_id,
            "subject_id": self.subject_id,
            "rule": self.rule,
            "level": self.level,
            "zh": self.zh,
            "en": self.en,
            "raised_at": self.raised_at.isoformat(),
            "data": self.data,
        }


def raised(alert: Alert, at: datetime, actor: str) -> Event:
    data = {"rule": alert.rule, "level": alert.level, "zh": alert.zh, "en": alert.en}
    return Event("raised", at, actor, {**data, "trigger": alert.trigger, "data": alert.data})


def delivered(warning: RiskWarning, audience: str, at: datetime, actor: str) -> Event:
    require(
        audience not in warning.delivered_to,
        f"预警已推送给 {audience}",
        f"already delivered to {audience}",
    )
    return Event("delivered", at, actor, {"audience": audience})


def notice_published(
    warning: RiskWarning,
    published_on: date,
    at: datetime,
    actor: str,
    policy: GovernancePolicy | None = None,
) -> Event:
    require(
        warning.notice_from is None,
        "该预警已发布过风险提示",
        "a public notice was already published for this warning",
    )
    days = (policy or load_policy()).warnings.public_notice_days
    until = published_on + timedelta(days=days)
    data = {"published_on": published_on.isoformat(), "expires_on": until.isoformat()}
    return Event("notice_published", at, actor, data)


def notice_withdrawn(warning: RiskWarning, reason: str, at: datetime, actor: str) -> Event:
    require(
        warning.notice_from is not None and not warning.notice_withdrawn,
        "没有可撤回的风险提示",
        "there is no public notice to withdraw",
    )
    return Event("notice_withdrawn", at, actor, {"reason": reason})


def replay(case: Case) -> RiskWarning:
    first, *rest = case.events
    d = first.data
    warning = RiskWarning(
        warning_id=case.case_id,
        subject_id=case.subject_id,
        rule=d["rule"],
        level=d["level"],
        zh=d["zh"],
        en=d["en"],
        raised_at=first.at,
        data=d["data"],
        history=(first,),
    )
    for event in rest:
        warning = replace(warning, history=(*warning.history, event))
        match event.name:
            case "delivered":
                warning = replace(
                    warning, delivered_to=warning.delivered_to | {event.data["audience"]}
                )
            case "notice_published":
                warning = replace(
                    warning,
                    notice_from=day(event.data, "published_on"),
                    notice_until=day(event.data, "expires_on"),
                )
            case "notice_withdrawn":
                warning = replace(warning, notice_withdrawn=True)
    return warning
