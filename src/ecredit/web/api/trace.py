"""Order and product trace, for the parties to an order and for regulators."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ecredit.web.access_log import AccessLog, Audit
from ecredit.web.api.deps import Caller, Conn
from ecredit.web.models import OrderTrace, ProductTrace
from ecredit.web.problems import not_found, problem_responses
from ecredit.web.queries import trace
from ecredit.web.security import Principal, Role, allow, forbidden

router = APIRouter(prefix="/trace", tags=["产品信息溯源 trace"])
TRACE_ROLES = [Depends(allow(Role.SUBJECT, Role.PLATFORM, Role.REGULATOR, Role.ADMIN))]


def may_see_order(caller: Principal, found: OrderTrace) -> bool:
    if caller.role in (Role.REGULATOR, Role.ADMIN):
        return True
    if caller.role is Role.PLATFORM:
        return found.platform_id == caller.subject_id
    return caller.subject_id in (found.merchant_id, found.buyer_id)


def order_for(conn: Conn, caller: Principal, order_id: str, audit: AccessLog) -> OrderTrace:
    """Registered under the buyer, the private person whose purchase the trail shows."""
    found = trace.order_trace(conn, order_id)
    if found is None:
        raise not_found("订单", "order", order_id)
    if not may_see_order(caller, found):
        raise forbidden("只有订单当事方和监管部门可查看", "only the parties and regulators")
    audit.read("trace.order", found.buyer_id)
    return found


def product_for(conn: Conn, caller: Principal, gtin: str, audit: AccessLog) -> ProductTrace:
    """Platforms and merchants see the listings that are theirs; regulators see all."""
    listings = [
        p
        for p in trace.product_listings(conn, gtin)
        if caller.role in (Role.REGULATOR, Role.ADMIN)
        or caller.subject_id in (p.platform_id, p.merchant_id)
    ]
    if not listings:
        raise not_found("商品条码", "GTIN", gtin)
    audit.read("trace.product")
    return trace.product_trace(conn, gtin, listings)


@router.get(
    "/orders/{order_id}",
    response_model=OrderTrace,
    dependencies=TRACE_ROLES,
    responses=problem_responses(401, 403, 404),
    summary="订单全程留痕 / Whole trail of an order, gaps marked",
)
def order(order_id: str, conn: Conn, caller: Caller, audit: Audit) -> OrderTrace:
    return order_for(conn, caller, order_id, audit)


@router.get(
    "/products/{gtin}",
    response_model=ProductTrace,
    dependencies=TRACE_ROLES,
    responses=problem_responses(401, 403, 404),
    summary="商品条码溯源 / Listings and orders of a GTIN",
)
def product(gtin: str, conn: Conn, caller: Caller, audit: Audit) -> ProductTrace:
    return product_for(conn, caller, gtin, audit)
