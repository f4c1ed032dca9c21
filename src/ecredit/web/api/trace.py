"""Order and product trace, for the parties to an order and for regulators."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ecredit.web.access_log import AccessLog, Audit
from ecredit.web.api.deps import Caller, Conn
from ecredit.web.models import OrderTrace, ProductTrace
from ecredit.web.problems import not_found, problem_responses
from ecredit.web.queries import trace
from ecredit.web.security import Principal, Role, allow

router = APIRouter(prefix="/trace", tags=["产品信息溯源 trace"])
TRACE_ROLES = [Depends(allow(Role.SUBJECT, Role.PLATFORM, Role.REGULATOR, Role.ADMIN))]


def order_for(conn: Conn, order_id: str, audit: AccessLog) -> OrderTrace:
    """Registered under the buyer, the private person whose purchase the trail shows, and
    decided by `privacy.access.authorise` before the trail is assembled: the buyer itself,
    regulators, the platform and merchant the order was placed with (`own_transaction`), an
    administrator only with the buyer's consent."""
    buyer_id = trace.order_buyer(conn, order_id)
    if buyer_id is None:
        raise not_found("订单", "order", order_id)
    audit.transaction("trace.order", buyer_id, order_id)
    found = trace.order_trace(conn, order_id)
    if found is None:  # deleted between the two reads
        raise not_found("订单", "order", order_id)
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
def order(order_id: str, conn: Conn, audit: Audit) -> OrderTrace:
    return order_for(conn, order_id, audit)


@router.get(
    "/products/{gtin}",
    response_model=ProductTrace,
    dependencies=TRACE_ROLES,
    responses=problem_responses(401, 403, 404),
    summary="商品条码溯源 / Listings and orders of a GTIN",
)
def product(gtin: str, conn: Conn, caller: Caller, audit: Audit) -> ProductTrace:
    return product_for(conn, caller, gtin, audit)
