"""Order and product trace (产品信息溯源, seed 001 §十): every step an order left behind.

The trail is assembled from what platforms and carriers reported — listing, order, payment,
shipment, each logistics scan, signature, ratings, complaints — in time order. Gaps are the
steps a real parcel cannot skip (a shipment with no pickup scan, a signature before pickup, a
silent stretch of days, a rating before delivery, a parcel too light to hold goods): they are
what empty parcels and fake orders look like, so they are marked where they occur.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import sqlalchemy as sa

from ecredit.storage.tables import KIND_TABLES
from ecredit.web.models import Label, Listing, OrderLine, OrderTrace, ProductTrace, TraceEvent

orders = KIND_TABLES["orders"]
products = KIND_TABLES["products"]
shops = KIND_TABLES["shops"]
logistics = KIND_TABLES["logistics"]
ratings = KIND_TABLES["ratings"]
complaints = KIND_TABLES["complaints"]
subjects = KIND_TABLES["subjects"]

SILENT_DAYS = 5
"""No scan for longer than this between pickup and signature is a gap."""
LIGHT_PARCEL_G = 50
"""Lighter than a letter: typical of empty parcels (空包裹)."""
PRODUCT_ORDER_LIMIT = 100
SHIPPED_STATUSES = ("shipped", "delivered", "completed")
DELIVERED_STATUSES = ("delivered", "completed")

STAGES: dict[str, Label] = {
    "listed": Label(zh="商品上架", en="Listed"),
    "ordered": Label(zh="下单", en="Ordered"),
    "paid": Label(zh="付款", en="Paid"),
    "shipped": Label(zh="发货", en="Shipped"),
    "scan_pickup": Label(zh="揽收", en="Picked up"),
    "scan_transit": Label(zh="运输中", en="In transit"),
    "scan_delivered": Label(zh="派送", en="Out for delivery"),
    "scan_signed": Label(zh="签收", en="Signed"),
    "scan_returned": Label(zh="退回", en="Returned"),
    "rated": Label(zh="评价", en="Rated"),
    "complained": Label(zh="投诉", en="Complaint"),
    "resolved": Label(zh="投诉办结", en="Complaint resolved"),
    "delisted": Label(zh="商品下架", en="Delisted"),
}
GAPS: dict[str, Label] = {
    "no_pickup": Label(zh="已发货但无揽收扫描", en="Shipped but no pickup scan"),
    "no_signature": Label(zh="已完成但无签收记录", en="Completed but no signature scan"),
    "signed_before_pickup": Label(zh="签收早于揽收", en="Signed before pickup"),
    "silent": Label(zh="物流轨迹中断", en="No logistics scan for days"),
    "rated_before_delivery": Label(zh="签收前已评价", en="Rated before delivery"),
    "light_parcel": Label(zh="包裹重量异常偏轻", en="Parcel suspiciously light"),
}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC times; make every time comparable."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _event(at: datetime | None, stage: str, detail: str | None = None) -> TraceEvent:
    return TraceEvent(at=_aware(at), stage=stage, name=STAGES[stage], detail=detail)


def _gap(at: datetime | None, code: str, detail: str | None = None) -> TraceEvent:
    return TraceEvent(at=_aware(at), stage="gap", name=GAPS[code], detail=detail, gap=True)


def _scan_events(scans: list[sa.Row]) -> list[TraceEvent]:
    return [
        _event(
            s.occurred_at,
            f"scan_{s.event_type}",
            f"{s.carrier_name} {s.tracking_no}" + (f" · {s.region}" if s.region else ""),
        )
        for s in scans
    ]


def _logistics_gaps(order: sa.Row, scans: list[sa.Row]) -> list[TraceEvent]:
    found: list[TraceEvent] = []
    by_type: dict[str, list[sa.Row]] = {}
    for s in scans:
        by_type.setdefault(s.event_type, []).append(s)
    pickup = by_type.get("pickup", [])
    signed = by_type.get("signed", [])
    if order.status in SHIPPED_STATUSES and not pickup:
        found.append(_gap(order.shipped_at, "no_pickup"))
    if order.status in DELIVERED_STATUSES and not signed and "returned" not in by_type:
        found.append(_gap(order.shipped_at, "no_signature"))
    if pickup and signed and _aware(signed[0].occurred_at) < _aware(pickup[0].occurred_at):
        found.append(_gap(signed[0].occurred_at, "signed_before_pickup"))
    for s in pickup:
        if s.weight_g is not None and s.weight_g < LIGHT_PARCEL_G:
            found.append(_gap(s.occurred_at, "light_parcel", f"{s.weight_g} g"))
    for before, after in pairwise(scans):
        silence = _aware(after.occurred_at) - _aware(before.occurred_at)
        if silence > timedelta(days=SILENT_DAYS):
            found.append(_gap(before.occurred_at, "silent", f"{silence.days} 天 / days"))
    return found


def _rating_events(rows: list[sa.Row], signed_at: datetime | None) -> list[TraceEvent]:
    events = []
    for r in rows:
        score = {1: "好评 +1", 0: "中评 0", -1: "差评 −1"}.get(r.score, r.kind)
        events.append(_event(r.rated_at, "rated", f"{r.direction} · {r.kind} · {score}"))
        if r.direction == "buyer_to_seller" and (
            signed_at is None or _aware(r.rated_at) < signed_at
        ):
            events.append(_gap(r.rated_at, "rated_before_delivery"))
    return events


def _complaint_events(rows: list[sa.Row]) -> list[TraceEvent]:
    events = []
    for c in rows:
        events.append(_event(c.received_at, "complained", f"{c.complaint_id} · {c.category}"))
        if c.resolved_at:
            events.append(_event(c.resolved_at, "resolved", c.outcome))
    return events


def _order_row(conn: sa.Connection, order_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(
            orders,
            products.c.gtin,
            products.c.title,
            products.c.listed_at,
            products.c.delisted_at,
            shops.c.merchant_id,
            shops.c.platform_id,
        )
        .join(products, products.c.product_id == orders.c.product_id)
        .join(shops, shops.c.shop_id == orders.c.shop_id)
        .where(orders.c.order_id == order_id)
    ).first()


def _scans(conn: sa.Connection, order_ids: list[str]) -> dict[str, list[sa.Row]]:
    rows = conn.execute(
        sa.select(logistics, subjects.c.name.label("carrier_name"))
        .join(subjects, subjects.c.subject_id == logistics.c.carrier_id)
        .where(logistics.c.order_id.in_(order_ids))
        .order_by(logistics.c.occurred_at, logistics.c.event_id)
    )
    found: dict[str, list[sa.Row]] = {}
    for r in rows:
        found.setdefault(r.order_id, []).append(r)
    return found


def _trail(order: sa.Row, scans: list[sa.Row], rated: list[sa.Row], complained: list[sa.Row]):
    signed = next((s.occurred_at for s in scans if s.event_type == "signed"), None)
    events = [
        _event(order.listed_at, "listed", order.title),
        _event(order.ordered_at, "ordered", f"{order.quantity} × {order.unit_price}"),
        *([_event(order.paid_at, "paid", str(order.amount))] if order.paid_at else []),
        *([_event(order.shipped_at, "shipped")] if order.shipped_at else []),
        *_scan_events(scans),
        *_rating_events(rated, _aware(signed)),
        *_complaint_events(complained),
        *([_event(order.delisted_at, "delisted")] if order.delisted_at else []),
        *_logistics_gaps(order, scans),
    ]
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(events, key=lambda e: (e.at or far_future, e.gap))


def order_buyer(conn: sa.Connection, order_id: str) -> str | None:
    """Whose purchase the order is: what reading its trail is authorised and registered under,
    looked up alone so the trail is assembled only once the read is granted."""
    query = sa.select(orders.c.buyer_id).where(orders.c.order_id == order_id)
    return conn.execute(query).scalar_one_or_none()


def order_trace(conn: sa.Connection, order_id: str) -> OrderTrace | None:
    order = _order_row(conn, order_id)
    if order is None:
        return None
    rated = conn.execute(
        sa.select(ratings).where(ratings.c.order_id == order_id).order_by(ratings.c.rated_at)
    ).all()
    complained = conn.execute(sa.select(complaints).where(complaints.c.order_id == order_id)).all()
    events = _trail(order, _scans(conn, [order_id]).get(order_id, []), rated, complained)
    return OrderTrace(
        order_id=order.order_id,
        shop_id=order.shop_id,
        merchant_id=order.merchant_id,
        platform_id=order.platform_id,
        buyer_id=order.buyer_id,
        product_id=order.product_id,
        gtin=order.gtin,
        title=order.title,
        status=order.status,
        events=events,
        gaps=sum(e.gap for e in events),
    )


def product_listings(conn: sa.Connection, gtin: str) -> list[sa.Row]:
    return conn.execute(
        sa.select(products, shops.c.merchant_id, shops.c.platform_id, shops.c.name.label("shop"))
        .join(shops, shops.c.shop_id == products.c.shop_id)
        .where(products.c.gtin == gtin)
        .order_by(products.c.listed_at)
    ).all()


def product_trace(
    conn: sa.Connection, gtin: str, listings: list[sa.Row], limit: int = PRODUCT_ORDER_LIMIT
) -> ProductTrace:
    """The newest orders of every listing of one GTIN, each summarised by stages and gaps."""
    product_ids = [p.product_id for p in listings]
    in_products = orders.c.product_id.in_(product_ids)
    total = conn.execute(sa.select(sa.func.count()).where(in_products)).scalar_one()
    order_ids = (
        conn.execute(
            sa.select(orders.c.order_id).where(in_products).order_by(orders.c.ordered_at.desc())
        )
        .scalars()
        .all()[:limit]
    )
    lines = [_line(t) for oid in order_ids if (t := order_trace(conn, oid))]
    return ProductTrace(
        gtin=gtin,
        listings=[
            Listing(
                product_id=p.product_id,
                title=p.title,
                shop_id=p.shop_id,
                shop=p.shop,
                merchant_id=p.merchant_id,
                platform_id=p.platform_id,
                listed_at=_aware(p.listed_at),
                delisted_at=_aware(p.delisted_at),
            )
            for p in listings
        ],
        orders=lines,
        total_orders=total,
        orders_with_gaps=sum(1 for line in lines if line.gaps),
    )


def _line(trace: OrderTrace) -> OrderLine:
    ordered = next(e.at for e in trace.events if e.stage == "ordered")
    stages = list(dict.fromkeys(e.stage for e in trace.events if not e.gap))
    return OrderLine(
        order_id=trace.order_id,
        ordered_at=ordered,
        status=trace.status,
        stages=stages,
        gaps=trace.gaps,
    )
