"""Credit reports (信用报告): a PDF and a signed JSON twin, registered under one number.

The signature (Ed25519 over the canonical JSON) proves who issued the twin and that it is
unaltered; the registry proves the number was issued and holds the digests of both files,
which is how an altered PDF is caught. "Current" means the subject's file still reads the same
as when the report was issued (same content digest) and the validity period has not ended.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from ecredit.storage.web import issued_report
from ecredit.web import documents
from ecredit.web.capabilities import Capabilities
from ecredit.web.queries import profile, subjects
from ecredit.web.settings import WebSettings
from ecredit.web.signing import SigningKeys, b64url, canonical_json, unb64url

SIGNATURE_ALGORITHM = "Ed25519"


class Scope(StrEnum):
    PUBLIC = "public"
    """Only what is publicly disclosed."""
    FULL = "full"
    """The whole archive, for the subject itself and those entitled to it."""


class Verdict(StrEnum):
    GENUINE_CURRENT = "genuine_current"
    GENUINE_OUTDATED = "genuine_outdated"
    EXPIRED = "expired"
    ALTERED = "altered"
    FORGED = "forged"
    UNKNOWN = "unknown"


VERDICTS: dict[Verdict, tuple[str, str]] = {
    Verdict.GENUINE_CURRENT: ("报告真实有效，内容为最新", "Genuine and current"),
    Verdict.GENUINE_OUTDATED: (
        "报告真实，但主体信息已有更新，请重新获取",
        "Genuine, but the subject's file has changed since; obtain a new report",
    ),
    Verdict.EXPIRED: ("报告真实，但已过有效期", "Genuine, but past its validity period"),
    Verdict.ALTERED: ("报告已被篡改", "The report has been altered"),
    Verdict.FORGED: ("报告系伪造，签名无效", "Forged: the signature is not ecredit's"),
    Verdict.UNKNOWN: ("查无此报告编号", "No report was issued under this number"),
}


def _content(conn: sa.Connection, row: sa.Row, scope: Scope, caps: Capabilities) -> dict:
    view = profile.archive if scope is Scope.FULL else profile.profile
    return view(conn, row, caps).model_dump(mode="json", exclude={"capabilities"})


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_report_no() -> str:
    return "CR" + datetime.now(UTC).strftime("%Y%m%d") + secrets.token_hex(4).upper()


def verify_url(settings: WebSettings, report_no: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/verify/{report_no}"


@dataclass(frozen=True)
class Issued:
    report_no: str
    document: dict
    pdf: bytes


def issue(
    conn: sa.Connection,
    row: sa.Row,
    scope: Scope,
    issued_to: str,
    signing: SigningKeys,
    settings: WebSettings,
    caps: Capabilities,
) -> Issued:
    """Build, sign, render and register one report in the caller's transaction."""
    now = datetime.now(UTC).replace(microsecond=0)
    report_no = new_report_no()
    content = _content(conn, row, scope, caps)
    content_sha256 = _digest(canonical_json(content))
    header = {
        "report_no": report_no,
        "scope": scope.value,
        "issued_at": now.isoformat(),
        "valid_until": (now + timedelta(days=settings.report_valid_days)).isoformat(),
        "issuer": "ecredit",
        "verify_url": verify_url(settings, report_no),
    }
    unsigned = {"report": header, "content": content, "content_sha256": content_sha256}
    kid, signature = signing.sign(canonical_json(unsigned))
    document = {
        **unsigned,
        "signature": {"alg": SIGNATURE_ALGORITHM, "kid": kid, "value": b64url(signature)},
    }
    document_json = json.dumps(document, ensure_ascii=False, indent=2)
    pdf = documents.pdf(
        documents.render(
            documents.environment(),
            "report_pdf.html",
            report=header,
            content=content,
            qr=documents.qr_svg(header["verify_url"]),
            subject_name=subjects.public_name(row.name, row.legal_form),
        )
    )
    conn.execute(
        issued_report.insert().values(
            report_no=report_no,
            subject_id=row.subject_id,
            scope=scope.value,
            issued_at=now,
            valid_until=now + timedelta(days=settings.report_valid_days),
            issued_to=issued_to,
            signing_key_id=kid,
            content_sha256=content_sha256,
            json_sha256=_digest(document_json.encode()),
            pdf_sha256=_digest(pdf),
            document_json=document_json,
            document_pdf=pdf,
        )
    )
    return Issued(report_no, document, pdf)


def registered(conn: sa.Connection, report_no: str) -> sa.Row | None:
    return conn.execute(
        sa.select(issued_report).where(issued_report.c.report_no == report_no)
    ).first()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


EMPTY: tuple[object, ...] = (None, [], {})


def as_issued(fresh: Any, issued: Any) -> Any:
    """Today's content in the shape the report was issued in: a field the profile gained since
    is left out while it is empty, so an upgrade alone does not turn every report issued before
    it into "outdated"; once it holds something, that is news the report lacks, and it counts."""
    if isinstance(fresh, dict) and isinstance(issued, dict):
        return {
            key: as_issued(value, issued.get(key))
            for key, value in fresh.items()
            if key in issued or value not in EMPTY
        }
    if isinstance(fresh, list) and isinstance(issued, list):
        return [
            as_issued(item, issued[i] if i < len(issued) else None) for i, item in enumerate(fresh)
        ]
    return fresh


def standing(conn: sa.Connection, entry: sa.Row, caps: Capabilities) -> Verdict:
    """Genuine entries are current, outdated or expired."""
    if _aware(entry.valid_until) < datetime.now(UTC):
        return Verdict.EXPIRED
    row = subjects.any_subject(conn, entry.subject_id)
    issued = json.loads(entry.document_json)["content"]
    fresh = as_issued(_content(conn, row, Scope(entry.scope), caps), issued)
    current = _digest(canonical_json(fresh)) == entry.content_sha256
    return Verdict.GENUINE_CURRENT if current else Verdict.GENUINE_OUTDATED


def signature_valid(document: dict, signing: SigningKeys) -> bool:
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != SIGNATURE_ALGORITHM:
        return False
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    try:
        raw = unb64url(str(signature.get("value", "")))
    except ValueError:
        return False
    return signing.verify(str(signature.get("kid", "")), canonical_json(unsigned), raw)


def check_json(
    conn: sa.Connection, data: bytes, signing: SigningKeys, caps: Capabilities
) -> tuple[Verdict, sa.Row | None]:
    try:
        document = json.loads(data)
        report_no = str(document["report"]["report_no"])
    except (ValueError, KeyError, TypeError):
        return Verdict.FORGED, None
    entry = registered(conn, report_no)
    if not signature_valid(document, signing):
        return (Verdict.ALTERED if entry else Verdict.FORGED), entry
    if entry is None:
        return Verdict.UNKNOWN, None
    content_ok = _digest(canonical_json(document["content"])) == entry.content_sha256
    if not content_ok or document.get("content_sha256") != entry.content_sha256:
        return Verdict.ALTERED, entry
    return standing(conn, entry, caps), entry


def check_pdf(
    conn: sa.Connection, data: bytes, caps: Capabilities, report_no: str | None = None
) -> tuple[Verdict, sa.Row | None]:
    """A PDF is genuine only byte for byte: its digest must be one the registry holds."""
    entry = conn.execute(
        sa.select(issued_report).where(issued_report.c.pdf_sha256 == _digest(data))
    ).first()
    if entry is not None and report_no in (None, entry.report_no):
        return standing(conn, entry, caps), entry
    claimed = registered(conn, report_no) if report_no else None
    return (Verdict.ALTERED if claimed else Verdict.UNKNOWN), claimed


def check_file(
    conn: sa.Connection,
    data: bytes,
    signing: SigningKeys,
    caps: Capabilities,
    report_no: str | None = None,
) -> tuple[Verdict, sa.Row | None]:
    if data.startswith(b"%PDF"):
        return check_pdf(conn, data, caps, report_no)
    return check_json(conn, data, signing, caps)
