"""Complaints: anyone may file one; platforms and regulators read them.

Filing goes through governance's complaint intake, which de-duplicates repeats and opens the
handling case; the portal counts as an online 12315 channel, the national consumer complaint
service that the portal stands in for.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ecredit.governance.services.complaints import ComplaintIntake, file_complaint
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Caller, Conn, Ctx
from ecredit.web.models import Complaint
from ecredit.web.problems import Problem, problem_responses
from ecredit.web.queries import complaints, subjects
from ecredit.web.security import Principal, Role, allow, open_to_all

router = APIRouter(prefix="/complaints", tags=["投诉举报 complaints"])
PORTAL_CHANNEL = "12315"

Category = Literal[
    "quality", "counterfeit", "not_as_described", "delivery", "refund", "price", "service", "fraud"
]


class ComplaintForm(BaseModel):
    target_id: str = Field(max_length=64)
    category: Category
    text: str = Field(min_length=5, max_length=2000)
    shop_id: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, max_length=64)


class Filed(BaseModel):
    complaint_id: str
    duplicate: bool
    """True when the same complaint was already on file; its number is returned."""


def _check_references(conn: sa.Connection, form: ComplaintForm) -> None:
    """The target must be public, the shop (if given) must be the target's."""
    shops = KIND_TABLES["shops"]
    if subjects.public_subject(conn, form.target_id) is None:
        raise Problem(
            422,
            "unknown-target",
            f"被投诉主体不存在：{form.target_id}",
            f"no such subject: {form.target_id}",
        )
    if form.shop_id:
        shop = conn.execute(sa.select(shops).where(shops.c.shop_id == form.shop_id)).first()
        if shop is None or form.target_id not in (shop.merchant_id, shop.platform_id):
            raise Problem(
                422,
                "unknown-shop",
                f"网店不属于被投诉主体：{form.shop_id}",
                f"the shop does not belong to the subject: {form.shop_id}",
            )
    if form.order_id:
        _check_order(conn, form)


def _check_order(conn: sa.Connection, form: ComplaintForm) -> None:
    orders = KIND_TABLES["orders"]
    found = conn.execute(sa.select(orders).where(orders.c.order_id == form.order_id)).first()
    if found is None or (form.shop_id and found.shop_id != form.shop_id):
        raise Problem(
            422,
            "unknown-order",
            f"订单不存在或不属于该网店：{form.order_id}",
            f"no such order on that shop: {form.order_id}",
        )


def file(ctx: Ctx, caller: Principal, form: ComplaintForm) -> Filed:
    with ctx.engine.connect() as conn:
        _check_references(conn, form)
    filed = file_complaint(
        ctx.engine,
        ComplaintIntake(
            channel=PORTAL_CHANNEL,
            target_id=form.target_id,
            category=form.category,
            complainant_id=caller.subject_id if caller.role is Role.SUBJECT else None,
            shop_id=form.shop_id,
            order_id=form.order_id,
            text=form.text,
        ),
    )
    return Filed(complaint_id=filed.complaint_id, duplicate=filed.duplicate)


@router.post(
    "",
    response_model=Filed,
    status_code=201,
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(422, 429),
    summary="提交投诉举报 / File a complaint",
)
async def create(form: ComplaintForm, ctx: Ctx, caller: Caller) -> Filed:
    return await run_in_threadpool(file, ctx, caller, form)


@router.get(
    "",
    response_model=list[Complaint],
    dependencies=[Depends(allow(Role.PLATFORM))],
    responses=problem_responses(401, 403),
    summary="本平台网店的投诉 / Complaints about the platform's shops",
)
def listing(conn: Conn, caller: Caller, audit: Audit) -> list[Complaint]:
    audit.read("complaints.platform")
    return complaints.on_platform(conn, caller.subject_id or "")
