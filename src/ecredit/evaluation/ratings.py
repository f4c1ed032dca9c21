"""Rating rules (信用互评与信用积分): which ratings count, and for how much.

Each rule is a small Narwhals function so it runs unchanged on DuckDB and Spark. Ratings are
never removed from the data: a rule only decides whether a rating *counts*; shielded ratings
keep counting (shielding hides text, it does not judge the trade), and ratings of orders
confirmed as brushing count 0 through the `rating_flag` table that detection appends to.
"""

from __future__ import annotations

from datetime import datetime

import narwhals as nw

from ecredit.engines.base import Engine
from ecredit.evaluation.calendar import (
    SECONDS_PER_DAY,
    epoch_seconds,
    local,
    month_number,
    week_number,
)
from ecredit.evaluation.frames import distinct_flag
from ecredit.evaluation.policy import RatingPolicy

SAME_ITEM = ("buyer_id", "product_id")
IN_ORDER = ("order_s", "rating_id")
DSR_COLUMNS = ("dsr_description", "dsr_service", "dsr_logistics")
COUNTED = ("rating_id", "shop_id", "buyer_id", "month", "score")
"""What the pair cap needs of a counted rating."""
_TIME_DIGITS = 12
"""Order times as zero-padded text sort like numbers (epoch seconds have 10 digits until 2286)."""


def latest_flags(flags: nw.LazyFrame) -> nw.LazyFrame:
    """The current flag state per rating: its latest row (ties: invalid wins, to stay safe)."""
    latest = flags.group_by("rating_id").agg(nw.col("set_at").max())
    return (
        flags.join(latest, on=["rating_id", "set_at"])
        .group_by("rating_id")
        .agg(
            nw.col("valid_score").cast(nw.Int64).min().alias("valid"), nw.col("shield_reason").max()
        )
    )


def _with_parent_delay(children: nw.LazyFrame, parents: nw.LazyFrame) -> nw.LazyFrame:
    """Children joined to their parent rating, with the delay in seconds between the two.

    Times are converted after the join, so only children pay for it, not every rating."""
    parent = parents.select(
        nw.col("rating_id").alias("parent_rating_id"), nw.col("rated_at").alias("parent_at")
    )
    delay = epoch_seconds(nw.col("rated_at")) - epoch_seconds(nw.col("parent_at"))
    return children.join(parent, on="parent_rating_id").with_columns(delay.alias("delay_s"))


def accepted_replies(ratings: nw.LazyFrame, policy: RatingPolicy) -> nw.LazyFrame:
    """Seller replies that stand: to a buyer's rating, within the window, short enough, first.

    Submissions breaking the window or length rule never take the reply slot, as a platform
    would have refused them at the door.
    """
    replies = _with_parent_delay(
        ratings.filter(nw.col("kind") == "reply"),
        ratings.filter(nw.col("direction") == "buyer_to_seller"),
    )
    eligible = replies.filter(
        nw.col("delay_s").is_between(0, policy.reply.window_days * SECONDS_PER_DAY),
        nw.col("text").str.len_chars() <= policy.reply.max_chars,
    )
    rank = (
        nw.col("rating_id").cum_count().over("parent_rating_id", order_by=["rated_at", "rating_id"])
    )
    return eligible.filter(rank <= policy.reply.max_replies).select(
        "rating_id", "parent_rating_id", "rated_at"
    )


def accepted_follow_ups(ratings: nw.LazyFrame, policy: RatingPolicy) -> nw.LazyFrame:
    """Follow-up ratings added within the window after the initial rating they extend."""
    follow_ups = _with_parent_delay(
        ratings.filter(nw.col("kind") == "follow_up"), ratings.filter(nw.col("kind") == "initial")
    )
    return follow_ups.filter(
        nw.col("delay_s").is_between(0, policy.follow_up_window_days * SECONDS_PER_DAY)
    ).select("rating_id", "parent_rating_id", "score", "text", "rated_at")


def public_ratings(ratings: nw.LazyFrame, flags: nw.LazyFrame) -> nw.LazyFrame:
    """Every rating as the public sees it: shielded ones stay listed with their text withheld."""
    shielded = ~nw.col("shield_reason").is_null()
    return (
        ratings.join(latest_flags(flags), on="rating_id", how="left")
        .with_columns(
            shielded.alias("shielded"),
            nw.when(~shielded).then(nw.col("text")).alias("text"),
            (nw.col("valid").fill_null(1) == 1).alias("counts"),
        )
        .drop("valid")
    )


def buyer_ratings(
    ratings: nw.LazyFrame,
    orders: nw.LazyFrame,
    flags: nw.LazyFrame,
    policy: RatingPolicy,
    end: datetime,
) -> nw.LazyFrame:
    """Initial buyer-to-seller ratings made before `end`, with their order and flag state."""
    initial = ratings.filter(
        nw.col("kind") == "initial",
        nw.col("direction") == "buyer_to_seller",
        nw.col("rated_at") < end,
    ).select("rating_id", "order_id", "score", *DSR_COLUMNS, "rated_at")
    order_cols = orders.select("order_id", "shop_id", "buyer_id", "product_id", "ordered_at")
    replies = accepted_replies(ratings.filter(nw.col("rated_at") < end), policy)
    replied = distinct_flag(replies, "parent_rating_id", "replied").rename(
        {"parent_rating_id": "rating_id"}
    )
    month = month_number(local(nw.col("ordered_at"), policy.calendar_utc_offset_hours))
    return (
        initial.join(order_cols, on="order_id")
        .join(latest_flags(flags), on="rating_id", how="left")
        .join(replied, on="rating_id", how="left")
        .select(
            "rating_id",
            "shop_id",
            "buyer_id",
            "product_id",
            "score",
            *DSR_COLUMNS,
            "rated_at",
            nw.col("valid").fill_null(1),
            nw.col("replied").fill_null(0),
            epoch_seconds(nw.col("ordered_at")).alias("order_s"),
            month.alias("month"),
        )
    )


def _bursts(rated: nw.LazyFrame, window_s: int) -> nw.LazyFrame:
    """Split each buyer+item series where the gap reaches the window; bursts are independent."""
    gap = nw.col("order_s") - nw.col("order_s").shift(1).over(*SAME_ITEM, order_by=IN_ORDER)
    starts = rated.with_columns((gap.is_null() | (gap >= window_s)).cast(nw.Int64).alias("starts"))
    return starts.with_columns(
        nw.col("starts").cum_sum().over(*SAME_ITEM, order_by=IN_ORDER).cast(nw.Int64).alias("burst")
    )


def _first_in_order() -> nw.Expr:
    """Minimum of `order time ‖ rating id`: the earliest rating, ties to the lowest id, in one
    aggregation — a join-free arg-min that every engine runs alike."""
    time_text = nw.col("order_s").cast(nw.String).str.zfill(_TIME_DIGITS)
    return nw.concat_str([time_text, nw.col("rating_id")]).min()


def _firsts(rows: nw.LazyFrame, keys: list[str]) -> nw.LazyFrame:
    """The earliest rating of each group, with the columns the pair cap needs."""
    first = rows.group_by(*keys).agg(_first_in_order().str.slice(_TIME_DIGITS).alias("rating_id"))
    return rows.join(first.select("rating_id"), on="rating_id").select(*COUNTED)


def same_item_counted(rated: nw.LazyFrame, engine: Engine, policy: RatingPolicy) -> nw.LazyFrame:
    """The ratings that count under the same-buyer-same-item rule, with `COUNTED` columns.

    Within 14 days of a counted rating (by order time) further ratings of the same item by the
    same buyer do not count; the next one after that window counts and opens a new window.
    Most buyer+item series hold one rating, and most others span less than the window and keep
    their first; both are settled with aggregations and joins, because window functions over
    millions of tiny partitions are slow on every engine. The few longer series are cut into
    bursts at gaps of a full window, and the sequential chain inside a burst runs in rounds —
    one counted rating per burst per round, each round materialised.
    """
    window_s = policy.credit_points.same_item_dedupe_days * SECONDS_PER_DAY
    keys = list(SAME_ITEM)
    valid = rated.filter(nw.col("valid") == 1).select(*COUNTED, "product_id", "order_s")
    repeated = engine.materialise(
        valid.group_by(*keys)
        .agg(
            nw.len().alias("n"),
            (nw.col("order_s").max() - nw.col("order_s").min()).alias("span"),
        )
        .filter(nw.col("n") > 1)
        .select(*keys, "span")
    )
    counted = [valid.join(repeated, on=keys, how="anti").select(*COUNTED)]
    several = engine.materialise(valid.join(repeated, on=keys))
    counted.append(_firsts(several.filter(nw.col("span") < window_s), keys))
    burst = [*keys, "burst"]
    pending = engine.materialise(
        _bursts(several.filter(nw.col("span") >= window_s), window_s).select(
            *COUNTED, *burst, "order_s"
        )
    )
    while engine.to_arrow(pending.head(1)).num_rows:
        first = pending.group_by(*burst).agg(_first_in_order().alias("first"))
        ranked = engine.materialise(
            pending.join(first, on=burst).with_columns(
                nw.col("first").str.slice(0, _TIME_DIGITS).cast(nw.Int64).alias("anchor"),
                nw.col("first").str.slice(_TIME_DIGITS).alias("anchor_id"),
            )
        )
        counted.append(ranked.filter(nw.col("rating_id") == nw.col("anchor_id")).select(*COUNTED))
        pending = engine.materialise(
            ranked.filter(nw.col("order_s") >= nw.col("anchor") + window_s).select(
                *COUNTED, *burst, "order_s"
            )
        )
    return nw.concat(counted)


def pair_points(counted: nw.LazyFrame, policy: RatingPolicy) -> nw.LazyFrame:
    """Credit points per buyer, shop and natural month, each side capped at the pair cap.

    Good and bad ratings are capped separately (+6 and −6), so one buyer can neither build
    nor destroy more than six points a month; the month is that of the order time.
    """
    cap = policy.credit_points.pair_cap_per_natural_month
    good, bad = policy.values["good"], policy.values["bad"]
    return (
        counted.group_by("shop_id", "buyer_id", "month")
        .agg(
            (nw.col("score") == good).cast(nw.Int64).sum().alias("good"),
            (nw.col("score") == bad).cast(nw.Int64).sum().alias("bad"),
        )
        .select(
            "shop_id",
            "buyer_id",
            "month",
            (nw.col("good").clip(upper_bound=cap) - nw.col("bad").clip(upper_bound=cap)).alias(
                "points"
            ),
        )
    )


def credit_level(points: nw.Expr, policy: RatingPolicy) -> nw.Expr:
    """Level 0–20: how many level thresholds the points reach."""
    return nw.sum_horizontal(
        *[(points >= level.min_points).cast(nw.Int64) for level in policy.levels]
    )


def weekly_ratings(
    rated: nw.LazyFrame, policy: RatingPolicy, start: datetime, end: datetime
) -> nw.LazyFrame:
    """Rated trades for the positive rate: one per rater, shop, calendar week and value.

    Neutral ratings are dropped; `ratings` says how many ratings each row stands for.
    """
    week = week_number(local(nw.col("rated_at"), policy.calendar_utc_offset_hours))
    return (
        rated.filter(
            nw.col("valid") == 1,
            nw.col("score") != policy.values["neutral"],
            nw.col("rated_at") >= start,
            nw.col("rated_at") < end,
        )
        .with_columns(week.alias("week"))
        .group_by("shop_id", "buyer_id", "week", "score")
        .agg(nw.len().alias("ratings"))
    )


def dsr_value(total: nw.Expr, count: nw.Expr, policy: RatingPolicy) -> nw.Expr:
    """Bayesian-smoothed DSR, or null while too few ratings exist to show it."""
    prior = policy.dsr.bayes_prior
    smoothed = (total + prior.count * prior.mean) / (count + prior.count)
    return nw.when(count >= policy.dsr.min_ratings_to_show).then(smoothed)
