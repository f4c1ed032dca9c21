"""Shop badges (电子链接标识): a signed token a platform puts on a shop page.

The token carries subject, shop, grade and expiry, signed with Ed25519, so anyone holding the
public key can check it offline; the registry adds what a signature cannot say — that the
badge was revoked, or that the grade it shows is no longer the subject's grade. A token whose
signature fails is "altered" when its badge id was really issued (someone edited a genuine
badge) and "forged" otherwise.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from ecredit.storage.web import badge
from ecredit.web.signing import SigningKeys, b64url, canonical_json, unb64url

TOKEN_VERSION = 1


class BadgeStatus(StrEnum):
    VALID = "valid"
    OUTDATED = "outdated"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ALTERED = "altered"
    FORGED = "forged"


STATUS_TEXT: dict[BadgeStatus, tuple[str, str]] = {
    BadgeStatus.VALID: ("标识有效", "Valid badge"),
    BadgeStatus.OUTDATED: ("标识真实，但信用等级已变化", "Genuine, but the grade has changed"),
    BadgeStatus.EXPIRED: ("标识已过期", "Badge expired"),
    BadgeStatus.REVOKED: ("标识已撤销", "Badge revoked"),
    BadgeStatus.ALTERED: ("标识已被篡改", "Badge altered"),
    BadgeStatus.FORGED: ("伪造标识", "Forged badge"),
}


@dataclass(frozen=True)
class BadgeCheck:
    status: BadgeStatus
    claims: dict | None
    """The token's claims when they could be read (even from an invalid token, to show them)."""
    current_grade: str | None = None

    @property
    def trusted(self) -> bool:
        return self.status in (BadgeStatus.VALID, BadgeStatus.OUTDATED)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    conn: sa.Connection,
    signing: SigningKeys,
    subject_id: str,
    subject_name: str,
    shop_id: str | None,
    grade: str | None,
    valid_days: int,
    issued_by: str,
) -> tuple[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(days=valid_days)
    badge_id = "BG" + secrets.token_hex(6).upper()
    claims = {
        "v": TOKEN_VERSION,
        "bid": badge_id,
        "sub": subject_id,
        "name": subject_name,
        "shop": shop_id,
        "grade": grade,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    kid, signature = signing.sign(canonical_json(claims))
    token = f"{b64url(canonical_json({**claims, 'kid': kid}))}.{b64url(signature)}"
    conn.execute(
        badge.insert().values(
            badge_id=badge_id,
            subject_id=subject_id,
            shop_id=shop_id,
            grade=grade,
            issued_at=now,
            expires_at=expires,
            issued_by=issued_by,
            token_sha256=_digest(token),
        )
    )
    return token, expires


def read(token: str) -> tuple[dict, bytes] | None:
    body, _, signature = token.partition(".")
    try:
        claims = json.loads(unb64url(body))
        return (claims, unb64url(signature)) if isinstance(claims, dict) else None
    except ValueError:
        return None


def check(
    conn: sa.Connection, signing: SigningKeys, token: str, current_grade: str | None
) -> BadgeCheck:
    read_back = read(token)
    if read_back is None:
        return BadgeCheck(BadgeStatus.FORGED, None)
    claims, signature = read_back
    signed = {k: v for k, v in claims.items() if k != "kid"}
    entry = conn.execute(
        sa.select(badge).where(badge.c.badge_id == str(claims.get("bid", "")))
    ).first()
    if not signing.verify(str(claims.get("kid", "")), canonical_json(signed), signature):
        return BadgeCheck(BadgeStatus.ALTERED if entry else BadgeStatus.FORGED, claims)
    if entry is None or entry.token_sha256 != _digest(token):
        return BadgeCheck(BadgeStatus.FORGED, claims)
    if entry.revoked_at is not None:
        return BadgeCheck(BadgeStatus.REVOKED, claims)
    if int(claims.get("exp", 0)) < datetime.now(UTC).timestamp():
        return BadgeCheck(BadgeStatus.EXPIRED, claims)
    if current_grade != claims.get("grade"):
        return BadgeCheck(BadgeStatus.OUTDATED, claims, current_grade)
    return BadgeCheck(BadgeStatus.VALID, claims, current_grade)
