"""Buyers' credit points (买家信用积分) as evaluation stored them.

Buyers are consumers, natural persons: their points are read only through the buyer credit
API by the buyer, the platforms the buyer trades on and regulators, never on the portal; whose
buyer a buyer is, is `privacy.access.authorise`'s `own_transaction` scope.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.storage.evaluations import latest_buyer_credit
from ecredit.web.models import BuyerCreditView
from ecredit.web.queries.evaluation import credit_level_name


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
