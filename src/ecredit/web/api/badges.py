"""Shop badges: issue (platforms, for their shops), verify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ecredit.storage.tables import KIND_TABLES
from ecredit.web import badges
from ecredit.web.api.deps import Caller, Conn, Ctx
from ecredit.web.badges import STATUS_TEXT, BadgeCheck, BadgeStatus
from ecredit.web.capabilities import Capabilities
from ecredit.web.problems import not_found, problem_responses
from ecredit.web.queries import evaluation, subjects
from ecredit.web.security import Role, allow, forbidden, open_to_all

router = APIRouter(prefix="/badges", tags=["电子链接标识 badges"])


class BadgeRequest(BaseModel):
    shop_id: str


class IssuedBadge(BaseModel):
    token: str
    svg_url: str
    verify_url: str
    embed_html: str
    expires_at: datetime


class BadgeVerification(BaseModel):
    status: BadgeStatus
    trusted: bool
    messages: dict[str, str]
    subject_id: str | None = None
    subject_name: str | None = None
    shop_id: str | None = None
    grade: str | None = None
    current_grade: str | None = None
    expires_at: datetime | None = None


def current_grade(conn: sa.Connection, caps: Capabilities, subject_id: str) -> str | None:
    if not caps.has("evaluation"):
        return None
    found = evaluation.latest(conn, subject_id)
    return found.grade if found else None


def check_token(conn: sa.Connection, ctx: Ctx, token: str) -> BadgeCheck:
    read_back = badges.read(token)
    subject_id = str(read_back[0].get("sub", "")) if read_back else ""
    grade = current_grade(conn, ctx.capabilities, subject_id)
    return badges.check(conn, ctx.signing, token, grade)


def describe(result: BadgeCheck) -> BadgeVerification:
    zh, en = STATUS_TEXT[result.status]
    claims = result.claims or {}
    expires = claims.get("exp")
    return BadgeVerification(
        status=result.status,
        trusted=result.trusted,
        messages={"zh-CN": zh, "en": en},
        subject_id=claims.get("sub"),
        subject_name=claims.get("name"),
        shop_id=claims.get("shop"),
        grade=claims.get("grade"),
        current_grade=result.current_grade,
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
    )


def badge_links(base_url: str, token: str) -> tuple[str, str, str]:
    base = base_url.rstrip("/")
    svg, page = f"{base}/badge/{token}.svg", f"{base}/badge/{token}"
    embed = f'<a href="{page}"><img src="{svg}" alt="电子链接标识 / ecredit badge"></a>'
    return svg, page, embed


@router.post(
    "",
    response_model=IssuedBadge,
    status_code=201,
    dependencies=[Depends(allow(Role.PLATFORM, Role.REGULATOR, Role.ADMIN))],
    responses=problem_responses(401, 403, 404, 422),
    summary="签发网店电子链接标识 / Issue a shop badge",
)
def issue(body: BadgeRequest, ctx: Ctx, caller: Caller) -> IssuedBadge:
    shops = KIND_TABLES["shops"]
    with ctx.engine.begin() as conn:
        shop = conn.execute(sa.select(shops).where(shops.c.shop_id == body.shop_id)).first()
        if shop is None:
            raise not_found("网店", "shop", body.shop_id)
        if caller.role is Role.PLATFORM and shop.platform_id != caller.subject_id:
            raise forbidden("只能为本平台的网店签发标识", "only for shops on your own platform")
        merchant = subjects.any_subject(conn, shop.merchant_id)
        token, expires = badges.issue(
            conn,
            ctx.signing,
            merchant.subject_id,
            subjects.public_name(merchant.name, merchant.legal_form),
            shop.shop_id,
            current_grade(conn, ctx.capabilities, merchant.subject_id),
            ctx.settings.badge_valid_days,
            caller.label(),
        )
    svg, page, embed = badge_links(ctx.settings.public_base_url, token)
    return IssuedBadge(
        token=token, svg_url=svg, verify_url=page, embed_html=embed, expires_at=expires
    )


@router.get(
    "/verification",
    response_model=BadgeVerification,
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(422, 429),
    summary="核验电子链接标识 / Verify a badge token",
)
def verify(
    conn: Conn, ctx: Ctx, token: Annotated[str, Query(max_length=4096)]
) -> BadgeVerification:
    return describe(check_token(conn, ctx, token))
