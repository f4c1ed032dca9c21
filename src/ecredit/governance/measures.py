"""Joint incentive and punishment measures (联合奖惩措施): which apply to a subject today, and why.

Measures are never stored per subject: they follow from the listings in force, so lifting a
listing lifts its measures everywhere at once, and every answer can name the decision, legal
basis and reasons behind it. Executing a measure is the platform's or department's act; they
report it back and the report joins the listing's history.

Listings that trusted peers decided trigger the same measures here (联合奖惩 across regions and
departments, `peer_lists`), each measure naming the peer it comes from, so nobody mistakes a
peer's decision for this node's own or looks for its papers here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from ecredit.governance.lists import ListEntry
from ecredit.governance.model import Event, require
from ecredit.governance.peer_lists import Origin, PeerListing, applies
from ecredit.governance.policy import GovernancePolicy, load_policy

JOINT: dict[str, tuple[str, str]] = {
    "black": ("跨地区、跨部门联合惩戒", "joint punishment across regions and departments"),
    "red": ("跨地区、跨部门联合激励", "joint incentive across regions and departments"),
}


@dataclass(frozen=True)
class ApplicableMeasure:
    measure: str
    zh: str
    en: str
    executors: tuple[str, ...]
    list_code: str
    entry_id: str
    authority: str
    legal_basis: str
    document_no: str
    since: date
    until: date
    why_zh: str
    why_en: str
    source: str
    origin: Origin | None = None
    """None when this node decided the listing, else the trusted peer that did: `authority`,
    `document_no` and `legal_basis` are then the peer's decision."""


def measures_for(
    entries: Iterable[ListEntry],
    today: date,
    executor: str | None = None,
    policy: GovernancePolicy | None = None,
) -> list[ApplicableMeasure]:
    """Measures in force today from the subject's listings, optionally for one executor
    (`platform` or `department`)."""
    policy = policy or load_policy()
    found: list[ApplicableMeasure] = []
    for entry in entries:
        if not entry.in_force(today):
            continue
        assert entry.decision is not None and entry.ends_on is not None
        definition = policy.lists[entry.list_code]
        why_zh = "；".join(r.zh for r in entry.reasons)
        why_en = "; ".join(r.en for r in entry.reasons)
        for code, measure in policy.measures.items():
            if entry.list_code not in measure.lists:
                continue
            if executor is not None and executor not in measure.executors:
                continue
            found.append(
                ApplicableMeasure(
                    measure=code,
                    zh=measure.zh,
                    en=measure.en,
                    executors=tuple(measure.executors),
                    list_code=entry.list_code,
                    entry_id=entry.entry_id,
                    authority=entry.decision.authority,
                    legal_basis=entry.decision.legal_basis,
                    document_no=entry.decision.document_no,
                    since=entry.decision.decided_on,
                    until=entry.ends_on,
                    why_zh=f"已列入{definition.zh}：{why_zh}",
                    why_en=f"On the {definition.en}: {why_en}",
                    source=measure.source,
                )
            )
    return found


def peer_measures_for(
    listings: Iterable[PeerListing],
    today: date,
    executor: str | None = None,
    policy: GovernancePolicy | None = None,
) -> list[ApplicableMeasure]:
    """Measures in force today from the listings of trusted peers that the policy applies
    here (`peer_listings`), each naming its origin. The peer's listing is read exactly like an
    own one, so it triggers the measures while it is in force at the peer and none after the
    peer lifts it; a proposal or a rejected one never does."""
    policy = policy or load_policy()
    found: list[ApplicableMeasure] = []
    for listing in listings:
        if not applies(listing, policy):
            continue
        origin, definition = listing.origin, policy.lists[listing.entry.list_code]
        why_zh = "；".join(r.zh for r in listing.entry.reasons)
        why_en = "; ".join(r.en for r in listing.entry.reasons)
        joint_zh, joint_en = JOINT[definition.polarity]
        found += [
            replace(
                m,
                origin=origin,
                why_zh=f"来源：{origin.name}，已列入{definition.zh}：{why_zh}（{joint_zh}）",
                why_en=f"From {origin.name}, on the {definition.en}: {why_en} ({joint_en})",
            )
            for m in measures_for([listing.entry], today, executor, policy)
        ]
    return found


def execution(
    entry: ListEntry,
    measure: str,
    executor: str,
    executed_on: date,
    reference: str,
    at: datetime,
    actor: str,
    policy: GovernancePolicy | None = None,
) -> Event:
    """A platform's or department's report that it carried out a measure of a listing."""
    applicable = {m.measure for m in measures_for([entry], executed_on, executor, policy)}
    require(
        measure in applicable,
        f"措施 {measure} 在 {executed_on} 不适用于该名单或执行方 {executor}",
        f"measure {measure} does not apply to this listing or executor {executor} on {executed_on}",
    )
    data = {
        "measure": measure,
        "executor": executor,
        "executed_on": executed_on.isoformat(),
        "reference": reference,
    }
    return Event("measure_executed", at, actor, data)
