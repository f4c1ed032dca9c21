"""Consents (授权同意): a person allows one grantee to query it for one purpose, until withdrawn.

A third party's query about a person is refused without an active consent (征信业管理条例
Art.18), unless the purpose needs none (see `policy/privacy.yaml`). The consent record keeps
the evidence (the signed form's reference), who recorded it, and when it was withdrawn;
nothing is deleted, so past queries stay explainable.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, Entry, append
from ecredit.privacy.policy import load_privacy_policy
from ecredit.storage.exchange import consent
from ecredit.storage.tables import KIND_TABLES

SUBJECTS = KIND_TABLES["subjects"]


class ConsentError(Exception):
    pass


@dataclass(frozen=True)
class Consent:
    consent_id: str
    subject_id: str
    grantee: str
    purpose: str
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None


def _may_manage(actor: Actor, subject_id: str, grantee: str | None = None) -> bool:
    """The person itself; the grantee holding the signed form; an administrator."""
    own = actor.role == "subject" and actor.subject_id == subject_id
    return own or actor.role == "admin" or (grantee is not None and actor.name == grantee)


def grant_consent(
    engine: sa.Engine,
    actor: Actor,
    subject_id: str,
    grantee: str,
    purpose: str,
    evidence: str,
    expires_at: datetime | None = None,
) -> str:
    if purpose not in load_privacy_policy().purposes:
        raise ConsentError(f"未知的用途 / unknown purpose: {purpose}")
    if not _may_manage(actor, subject_id, grantee):
        raise ConsentError("无权登记该同意 / not allowed to record this consent")
    consent_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with engine.begin() as conn:
        legal_form = conn.execute(
            sa.select(SUBJECTS.c.legal_form).where(SUBJECTS.c.subject_id == subject_id)
        ).scalar_one_or_none()
        if legal_form != "person":
            raise ConsentError(
                f"同意只适用于自然人 / consent applies to persons only: {subject_id}"
            )
        append(
            conn,
            Entry(
                actor,
                Action.CONSENT_GRANTED,
                purpose,
                f"role:{actor.role}",
                subject_id=subject_id,
                target=f"consent:{consent_id}",
                detail={"grantee": grantee, "evidence": evidence},
            ),
            now,
        )
        conn.execute(
            consent.insert().values(
                consent_id=consent_id,
                subject_id=subject_id,
                grantee=grantee,
                purpose=purpose,
                granted_at=now,
                expires_at=expires_at,
                evidence=evidence,
                recorded_by=actor.name,
            )
        )
    return consent_id


def withdraw_consent(engine: sa.Engine, actor: Actor, consent_id: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(sa.select(consent).where(consent.c.consent_id == consent_id)).first()
        if row is None:
            raise ConsentError(f"找不到该同意 / no such consent: {consent_id}")
        if not _may_manage(actor, row.subject_id):
            raise ConsentError(
                "只有本人或管理员可以撤回 / only the person or an admin may withdraw"
            )
        if row.withdrawn_at is not None:
            return
        append(
            conn,
            Entry(
                actor,
                Action.CONSENT_WITHDRAWN,
                row.purpose,
                f"role:{actor.role}",
                subject_id=row.subject_id,
                target=f"consent:{consent_id}",
            ),
            now,
        )
        conn.execute(
            consent.update().where(consent.c.consent_id == consent_id).values(withdrawn_at=now)
        )


def active_consent(
    conn: sa.Connection, subject_id: str, grantees: Sequence[str], purpose: str, now: datetime
) -> str | None:
    """The newest consent in force for any of `grantees`: a person consents to an organisation
    (a credit agency, named by its subject id) as often as to one of its accounts."""
    return conn.execute(
        sa.select(consent.c.consent_id)
        .where(
            consent.c.subject_id == subject_id,
            consent.c.grantee.in_(grantees),
            consent.c.purpose == purpose,
            consent.c.withdrawn_at.is_(None),
            sa.or_(consent.c.expires_at.is_(None), consent.c.expires_at > now),
        )
        .order_by(consent.c.granted_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_consents(engine: sa.Engine, subject_id: str | None = None) -> list[Consent]:
    query = sa.select(
        consent.c.consent_id,
        consent.c.subject_id,
        consent.c.grantee,
        consent.c.purpose,
        consent.c.granted_at,
        consent.c.expires_at,
        consent.c.withdrawn_at,
    ).order_by(consent.c.granted_at)
    if subject_id:
        query = query.where(consent.c.subject_id == subject_id)
    with engine.connect() as conn:
        return [Consent(*row) for row in conn.execute(query)]
