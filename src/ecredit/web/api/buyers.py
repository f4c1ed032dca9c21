"""Buyers' credit points (买家信用积分, seed 001 §四 交易双方信用互评), for authorised readers only.

A buyer is a natural person, so its points are personal information: never public, and read
only by the buyer itself, the platforms it trades on and regulators. Agencies are left out:
a third party's query about a person needs the person's written consent (征信业管理条例
Art.18), which ecredit does not record.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends

from ecredit.storage.evaluations import evaluation_buyer_credit
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Caller, Conn, Ctx
from ecredit.web.models import BuyerCreditView
from ecredit.web.problems import not_found, not_installed, problem_responses
from ecredit.web.queries import buyers
from ecredit.web.security import Principal, Role, allow, forbidden

router = APIRouter(prefix="/buyers", tags=["买家信用积分 buyer credit"])
BUYER_CREDIT_ROLES = [Depends(allow(Role.SUBJECT, Role.PLATFORM, Role.REGULATOR))]


def may_read(conn: sa.Connection, caller: Principal, buyer_id: str) -> bool:
    """Decided before looking for the points, so a refused caller cannot learn whether a
    buyer has any."""
    if caller.role is Role.REGULATOR:
        return True
    if caller.role is Role.PLATFORM:
        return caller.subject_id is not None and buyers.buys_on(conn, buyer_id, caller.subject_id)
    return caller.subject_id == buyer_id


@router.get(
    "/{buyer_id}/credit",
    response_model=BuyerCreditView,
    dependencies=BUYER_CREDIT_ROLES,
    responses=problem_responses(401, 403, 404, 501),
    summary="买家信用积分 / A buyer's credit points and level (the buyer, its platforms, "
    "regulators)",
)
def credit(buyer_id: str, conn: Conn, ctx: Ctx, caller: Caller, audit: Audit) -> BuyerCreditView:
    if not ctx.capabilities.has_table(evaluation_buyer_credit.name):
        raise not_installed("买家信用积分", "buyer credit points")
    if not may_read(conn, caller, buyer_id):
        raise forbidden(
            "只有买家本人、其交易平台和监管部门可查看",
            "only the buyer, its platforms and regulators",
        )
    found = buyers.credit(conn, buyer_id)
    if found is None:
        raise not_found("买家信用积分", "buyer credit points", buyer_id)
    audit.read("buyer_credit", buyer_id)
    return found
