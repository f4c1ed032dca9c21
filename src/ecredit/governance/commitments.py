"""Credit commitments (信用承诺): standard templates, signed and public, part of the archive.

A commitment is only useful if breaking it costs something: signing files a commitment record
(CMT01) and a breach files a dishonesty record (CMT02) in the same archive, where evaluation,
lists and display treat it like any other record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from ecredit.governance.model import Case, Event, require
from ecredit.governance.policy import GovernancePolicy, load_policy

EVENT_LABELS: dict[str, str] = {
    "signed": "签署信用承诺 / commitment signed",
    "breached": "违反信用承诺 / commitment breached",
}


@dataclass(frozen=True)
class Breach:
    found_on: date
    description: str
    record_id: str


@dataclass(frozen=True)
class Commitment:
    commitment_id: str
    subject_id: str
    template: str
    signer: str
    signed_at: datetime
    text_zh: str
    text_en: str
    record_id: str
    policy_version: str
    breaches: tuple[Breach, ...] = ()
    history: tuple[Event, ...] = ()


def sign(
    template: str,
    subject_name: str,
    signer: str,
    record_id: str,
    at: datetime,
    policy: GovernancePolicy | None = None,
) -> Event:
    policy = policy or load_policy()
    require(
        template in policy.commitments.templates,
        f"未知的承诺模板：{template}",
        f"unknown commitment template: {template}",
    )
    require(bool(signer.strip()), "承诺须有签署人", "a commitment needs a signer")
    text = policy.commitments.templates[template]
    data = {
        "template": template,
        "signer": signer,
        "text_zh": text.text_zh.format(name=subject_name),
        "text_en": text.text_en.format(name=subject_name),
        "record_id": record_id,
        "policy_version": policy.version,
    }
    return Event("signed", at, signer, data)


def breach(found_on: date, description: str, record_id: str, at: datetime, actor: str) -> Event:
    data = {"found_on": found_on.isoformat(), "description": description, "record_id": record_id}
    return Event("breached", at, actor, data)


def replay(case: Case) -> Commitment:
    first, *rest = case.events
    d = first.data
    commitment = Commitment(
        commitment_id=case.case_id,
        subject_id=case.subject_id,
        template=d["template"],
        signer=d["signer"],
        signed_at=first.at,
        text_zh=d["text_zh"],
        text_en=d["text_en"],
        record_id=d["record_id"],
        policy_version=d["policy_version"],
        history=(first,),
    )
    for event in rest:
        found = Breach(
            date.fromisoformat(event.data["found_on"]),
            event.data["description"],
            event.data["record_id"],
        )
        commitment = replace(
            commitment,
            breaches=(*commitment.breaches, found),
            history=(*commitment.history, event),
        )
    return commitment
