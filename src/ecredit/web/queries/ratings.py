"""Ratings of a seller as buyers gave them (信用评价), counted plainly.

The counts are the raw facts behind the evaluation; the credit level, positive rate and DSR
scores are the evaluation's own values (deduplicated and capped by the rating policy), taken
from its latest run when the evaluation capability is installed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ecredit.evaluation.policy import load_model
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.models import DsrScore, RatingCounts, RatingsSummary
from ecredit.web.queries import evaluation
from ecredit.web.queries.names import DSR_DIMENSIONS

ratings = KIND_TABLES["ratings"]
orders = KIND_TABLES["orders"]
shops = KIND_TABLES["shops"]


def _buyer_ratings(subject_id: str, since: datetime) -> sa.Select:
    return (
        sa.select(ratings)
        .join(orders, orders.c.order_id == ratings.c.order_id)
        .join(shops, shops.c.shop_id == orders.c.shop_id)
        .where(
            shops.c.merchant_id == subject_id,
            ratings.c.direction == "buyer_to_seller",
            ratings.c.rated_at >= since,
        )
        .subquery()
    )


def summary(conn: sa.Connection, subject_id: str, with_evaluation: bool) -> RatingsSummary:
    policy = load_model().ratings
    window_days = policy.dsr.window_days
    rated = _buyer_ratings(subject_id, datetime.now(UTC) - timedelta(days=window_days))
    initial = rated.c.kind == "initial"

    def count(condition: sa.ColumnElement[bool]) -> sa.Label:
        return sa.func.count().filter(condition)

    row = conn.execute(
        sa.select(
            count(initial & (rated.c.score == 1)).label("good"),
            count(initial & (rated.c.score == 0)).label("neutral"),
            count(initial & (rated.c.score == -1)).label("bad"),
            count(rated.c.kind == "follow_up").label("follow_ups"),
            *[sa.func.avg(rated.c[d]).label(d) for d in DSR_DIMENSIONS],
            *[sa.func.count(rated.c[d]).label(f"{d}_n") for d in DSR_DIMENSIONS],
        )
    ).one()
    values = evaluation.indicator_values(conn, subject_id) if with_evaluation else {}
    return RatingsSummary(
        subject_id=subject_id,
        window_days=window_days,
        counts=RatingCounts(
            good=row.good,
            neutral=row.neutral,
            bad=row.bad,
            positive_rate=values.get("positive_rate"),
        ),
        dsr=[
            DsrScore(
                dimension=d,
                name=name,
                average=_shown_average(row, d, policy.dsr.min_ratings_to_show),
                count=getattr(row, f"{d}_n"),
            )
            for d, name in DSR_DIMENSIONS.items()
        ],
        follow_ups=row.follow_ups,
        credit_level=evaluation.credit_level_name(values.get("credit_level")),
    )


def _shown_average(row: sa.Row, dimension: str, minimum: int) -> float | None:
    """Below the minimum number of ratings an average says little, so none is shown (eBay)."""
    if getattr(row, f"{dimension}_n") < minimum:
        return None
    return round(float(getattr(row, dimension)), 2)
