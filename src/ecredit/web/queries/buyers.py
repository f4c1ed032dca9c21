"""Buyers' credit points (买家信用积分) as evaluation stored them, and whose buyer a buyer is.

Buyers are consumers, natural persons: their points are read only through the buyer credit
API by the buyer, the platforms the buyer trades on and regulators, never on the portal.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.storage.evaluations import latest_buyer_credit
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.models import BuyerCreditView
from ecredit.web.queries.evaluation import credit_level_name

orders = KIND_TABLES["orders"]
shops = KIND_TABLES["shops"]


def buys_on(conn: sa.Connection, buyer_id: str, platform_id: str) -> bool:
    """Whether the buyer ever ordered from a shop on the platform: a platform's own buyers are
    those its sellers can rate. `orders.buyer_id` is indexed, so this reads one buyer's orders."""
    query = (
        sa.select(orders.c.order_id)
        .join(shops, shops.c.shop_id == orders.c.shop_id)
        .where(orders.c.buyer_id == buyer_id, shops.c.platform_id == platform_id)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def credit(conn: sa.Connection, buyer_id: str) -> BuyerCreditView | None:
    found = latest_buyer_credit(conn, buyer_id)
    if found is None:
        return None
    return BuyerCreditView(
        buyer_id=found.buyer_id,
        points=found.points,
        level=found.level,
        level_name=credit_level_name(found.level),
        as_of=found.as_of,
        run_id=found.run_id,
    )
