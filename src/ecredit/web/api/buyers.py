"""Buyers' credit points (买家信用积分, seed 001 §四 交易双方信用互评), for authorised readers only.

A buyer is a natural person, so its points are personal information: never public, and read
only by the buyer itself (`self_query`), regulators (`statutory_duty`) and the platforms it
ordered on (`own_transaction`: the platform runs the mutual rating the points come from and
keeps the buyer's orders, 电子商务法 Art.31/39), as `privacy.access.authorise` decides for
every reader. A merchant is party to single sales, not to the buyer's standing, so
`authorise` refuses it here. Agencies are left out by the route: a third party's query about a
person needs the person's written consent (征信业管理条例 Art.18).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ecredit.storage.evaluations import evaluation_buyer_credit
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Conn, Ctx
from ecredit.web.models import BuyerCreditView
from ecredit.web.problems import not_found, not_installed, problem_responses
from ecredit.web.queries import buyers
from ecredit.web.security import Role, allow

router = APIRouter(prefix="/buyers", tags=["买家信用积分 buyer credit"])
BUYER_CREDIT_ROLES = [Depends(allow(Role.SUBJECT, Role.PLATFORM, Role.REGULATOR))]


@router.get(
    "/{buyer_id}/credit",
    response_model=BuyerCreditView,
    dependencies=BUYER_CREDIT_ROLES,
    responses=problem_responses(401, 403, 404, 501),
    summary="买家信用积分 / A buyer's credit points and level (the buyer, its platforms, "
    "regulators)",
)
def credit(buyer_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> BuyerCreditView:
    """Authorised and registered before looking for the points, so a refused caller cannot
    learn whether a buyer has any (nor, outside its own buyers, whether the buyer exists)."""
    if not ctx.capabilities.has_table(evaluation_buyer_credit.name):
        raise not_installed("买家信用积分", "buyer credit points")
    audit.transaction("buyer_credit", buyer_id)
    found = buyers.credit(conn, buyer_id)
    if found is None:
        raise not_found("买家信用积分", "buyer credit points", buyer_id)
    return found
