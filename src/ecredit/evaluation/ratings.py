"""Rating rules (信用互评与信用积分): which ratings count, and for how much.

Each rule is a small Narwhals function so it runs unchanged on DuckDB and Spark. Ratings are
never removed from the data: a rule only decides whether a rating *counts*; shielded ratings
keep counting (shielding hides text, it does not judge the trade), and ratings of orders
confirmed as brushing count 0 through the `rating_flag` table that detection appends to.

Credit points are mutual (交易双方信用互评, seed 001 §四): buyers' ratings give shops points and
sellers' ratings give buyers points, under the same rules. A rated frame of either direction
has the same columns (`rating_id`, `shop_id`, `buyer_id`, `product_id`, `point`, `valid`,
`ordered_at`); the rules only need to be told which of `shop_id` and `buyer_id` is the rated
party (`RATED_PARTY`).
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
from ecredit.evaluation.frames import distinct_flag, flag
from ecredit.evaluation.policy import RatingPolicy

RATED_PARTY = {"buyer_to_seller": "shop_id", "seller_to_buyer": "buyer_id"}
"""The column naming who a rating of each direction rates: points are kept per rated party."""
SAME_ITEM = ("buyer_id", "product_id")
"""A product belongs to one shop, so buyer + product is also the shop + buyer + item of the
rule in the seller-to-buyer direction."""
IN_ORDER = ("order_s", "rating_id")
DSR_COLUMNS = ("dsr_description", "dsr_service", "dsr_logistics")
SMALL_INTS = ("score", "point", *DSR_COLUMNS, "valid", "replied")
"""Columns of a rated trade that hold −1…5: kept as Int8, because the rated frame is the
largest thing an evaluation keeps (one row per rating) and every sum casts to Int64 first."""
PAIR = ("shop_id", "buyer_id", "month")
"""The pair cap's unit: one buyer and one shop in one natural month, whichever rates whom."""
DEDUPED = ("rating_id", *PAIR, "point")
"""What the credit points need of a rating the same-item rule drops."""
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


def _initial_ratings(
    ratings: nw.LazyFrame, flags: nw.LazyFrame, end: datetime, direction: str
) -> nw.LazyFrame:
    """Initial ratings in one direction made before `end`, with their flag state (`valid`,
    null where never flagged). The direction is filtered first, in the scan: each direction's
    frame then costs only its own ratings."""
    initial = ratings.filter(
        nw.col("kind") == "initial",
        nw.col("direction") == direction,
        nw.col("rated_at") < end,
    )
    return initial.join(
        latest_flags(flags).select("rating_id", "valid"), on="rating_id", how="left"
    )


def _counting(policy: RatingPolicy) -> tuple[nw.Expr, nw.Expr]:
    """`point`, what a rating is worth in credit points before the same-item rule and the pair
    cap (+1 good, −1 bad, 0 neutral), and `valid`, 1 unless a flag says it does not count."""
    point = flag(nw.col("score") == policy.values["good"]) - flag(
        nw.col("score") == policy.values["bad"]
    )
    return point.alias("point"), nw.col("valid").fill_null(1)


def _traded(narrow: nw.LazyFrame, orders: nw.LazyFrame) -> nw.LazyFrame:
    """Ratings joined to the parties, item and time of their order. The rating side is narrowed
    before it meets the orders, because it is the side the join holds in memory."""
    order_cols = orders.select("order_id", "shop_id", "buyer_id", "product_id", "ordered_at")
    return narrow.join(order_cols, on="order_id")


def buyer_ratings(
    ratings: nw.LazyFrame,
    orders: nw.LazyFrame,
    flags: nw.LazyFrame,
    policy: RatingPolicy,
    end: datetime,
) -> nw.LazyFrame:
    """Initial buyer-to-seller ratings made before `end`, with their order and flag state.

    Derived values (order month, order time in seconds) are left to the rules that need them:
    this frame is materialised with one row per rating, so every column it carries costs
    memory at national scale, while the rules compute them on the fly or on a few rows.
    """
    replies = accepted_replies(ratings.filter(nw.col("rated_at") < end), policy)
    replied = distinct_flag(replies, "parent_rating_id", "replied").rename(
        {"parent_rating_id": "rating_id"}
    )
    narrow = (
        _initial_ratings(ratings, flags, end, "buyer_to_seller")
        .join(replied, on="rating_id", how="left")
        .with_columns(*_counting(policy), nw.col("replied").fill_null(0))
        .select("rating_id", "order_id", *[nw.col(c).cast(nw.Int8) for c in SMALL_INTS], "rated_at")
    )
    return _traded(narrow, orders).select(
        "rating_id", "shop_id", "buyer_id", "product_id", *SMALL_INTS, "rated_at", "ordered_at"
    )


def seller_ratings(
    ratings: nw.LazyFrame,
    orders: nw.LazyFrame,
    flags: nw.LazyFrame,
    policy: RatingPolicy,
    end: datetime,
    engine: Engine,
) -> nw.LazyFrame:
    """Initial seller-to-buyer ratings made before `end`: the rated frame of buyer credit points.

    Only what the point rules read is kept: a seller's rating of a buyer has no DSR, and no
    indicator uses its replies. The ratings are materialised before they meet the orders, and
    where there are none the orders are not read: Spark would otherwise scan and shuffle every
    order before finding the join empty, a pass as long as the rated trades' own join, paid by
    every source whose sellers do not rate buyers.
    """
    narrow = engine.materialise(
        _initial_ratings(ratings, flags, end, "seller_to_buyer")
        .with_columns(*_counting(policy))
        .select("rating_id", "order_id", *[nw.col(c).cast(nw.Int8) for c in ("point", "valid")])
    )
    if not engine.to_arrow(narrow.head(1)).num_rows:
        orders = orders.head(0)
    return _traded(narrow, orders).select(
        "rating_id", "shop_id", "buyer_id", "product_id", "point", "valid", "ordered_at"
    )


def order_month(policy: RatingPolicy) -> nw.Expr:
    """The natural month of the order time, in local time: the pair cap's period."""
    return month_number(local(nw.col("ordered_at"), policy.calendar_utc_offset_hours))


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
    """The earliest rating of each group."""
    first = rows.group_by(*keys).agg(_first_in_order().str.slice(_TIME_DIGITS).alias("rating_id"))
    return rows.join(first.select("rating_id"), on="rating_id").select("rating_id")


def same_item_dropped(rated: nw.LazyFrame, engine: Engine, policy: RatingPolicy) -> nw.LazyFrame:
    """The valid ratings the same-item rule does not count, with `DEDUPED` columns.

    Within 14 days of a counted rating (by order time) further ratings between the same buyer
    and shop for the same item do not count, whichever of the two rates the other; the next
    one after that window counts and opens a new window.
    Only a series with more than one rating can drop any, and only if it has more than two or
    spans less than the window (two purchases of an item further apart both count, the usual
    repeat purchase); finding those series is the one pass over every rating, and the rule then
    works on their few rows. A series spanning less than the window keeps its first; a longer
    one is cut into bursts at gaps of a full window, and the sequential chain inside a burst
    runs in rounds — one counted rating per burst per round, each round materialised — because
    window functions over millions of tiny partitions are slow on every engine. The first round
    needs no aggregation: a burst's first rating is where it starts. Seconds are taken of a
    series' first and last order time rather than of every rating (they are monotonic), and of
    each order time only inside the series the rule works on.
    """
    window_s = policy.credit_points.same_item_dedupe_days * SECONDS_PER_DAY
    keys = list(SAME_ITEM)
    valid = rated.filter(nw.col("valid") == 1)
    first_s, last_s = (epoch_seconds(nw.col(c)) for c in ("first_at", "last_at"))
    repeated = engine.materialise(
        valid.group_by(*keys)
        .agg(
            nw.len().alias("n"),
            nw.col("ordered_at").min().alias("first_at"),
            nw.col("ordered_at").max().alias("last_at"),
        )
        .filter(nw.col("n") > 1)
        .select(*keys, "n", (last_s - first_s).alias("span"))
    )
    drops_some = (nw.col("n") > 2) | (nw.col("span") < window_s)
    several = engine.materialise(
        valid.join(repeated.filter(drops_some), on=keys).select(
            "rating_id",
            "shop_id",
            *keys,
            order_month(policy).alias("month"),
            "point",
            "span",
            epoch_seconds(nw.col("ordered_at")).alias("order_s"),
        )
    )
    counted = [_firsts(several.filter(nw.col("span") < window_s), keys)]
    burst = [*keys, "burst"]
    bursts = engine.materialise(
        _bursts(several.filter(nw.col("span") >= window_s), window_s)
        .with_columns(nw.col("order_s").min().over(*burst).alias("anchor"))
        .select("rating_id", *burst, "order_s", "starts", "anchor")
    )
    counted.append(bursts.filter(nw.col("starts") == 1).select("rating_id"))
    pending = engine.materialise(
        bursts.filter(nw.col("order_s") >= nw.col("anchor") + window_s).select(
            "rating_id", *burst, "order_s"
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
        counted.append(
            ranked.filter(nw.col("rating_id") == nw.col("anchor_id")).select("rating_id")
        )
        pending = engine.materialise(
            ranked.filter(nw.col("order_s") >= nw.col("anchor") + window_s).select(
                "rating_id", *burst, "order_s"
            )
        )
    return engine.materialise(
        several.join(nw.concat(counted), on="rating_id", how="anti").select(*DEDUPED)
    )


def pair_cap_excess(
    rated: nw.LazyFrame, dropped: nw.LazyFrame, policy: RatingPolicy
) -> nw.LazyFrame:
    """Per pair over the cap, the points the cap takes back (good beyond +6 less bad beyond −6).

    Good and bad ratings are capped separately (+6 and −6), so one trading partner can neither
    build nor destroy more than six points a month; the month is that of the order time. A
    pair can only exceed the cap if its valid ratings do, so the one pass over every rating
    keeps just those pairs; the ratings the same-item rule drops are then taken off their counts.
    """
    cap = policy.credit_points.pair_cap_per_natural_month

    def counts(frame: nw.LazyFrame) -> nw.LazyFrame:
        return frame.group_by(*PAIR).agg(
            (nw.col("point") > 0).cast(nw.Int64).sum().alias("good"),
            (nw.col("point") < 0).cast(nw.Int64).sum().alias("bad"),
        )

    over = counts(
        rated.filter(nw.col("valid") == 1, nw.col("point") != 0).with_columns(
            order_month(policy).alias("month")
        )
    ).filter((nw.col("good") > cap) | (nw.col("bad") > cap))
    lost = counts(dropped).rename({"good": "good_dropped", "bad": "bad_dropped"})
    good = nw.col("good") - nw.col("good_dropped").fill_null(0)
    bad = nw.col("bad") - nw.col("bad_dropped").fill_null(0)
    excess = (good - good.clip(upper_bound=cap)) - (bad - bad.clip(upper_bound=cap))
    return over.join(lost, on=list(PAIR), how="left").select(*PAIR, excess.alias("excess"))


def point_deductions(
    rated: nw.LazyFrame, engine: Engine, policy: RatingPolicy, party: str
) -> nw.LazyFrame:
    """Per rated party (`party`, see `RATED_PARTY`), the points its valid ratings are worth but
    the rules do not count.

    A party's credit points are the sum of its valid ratings' points less these deductions
    (same-item repeats, then the pair cap): the plain sum is a cheap per-party total, and only
    the few ratings and pairs the rules touch are looked at one by one.
    """
    dropped = same_item_dropped(rated, engine, policy)
    return (
        nw.concat(
            [
                dropped.select(party, nw.col("point").cast(nw.Int64).alias("deducted")),
                pair_cap_excess(rated, dropped, policy).select(
                    party, nw.col("excess").cast(nw.Int64).alias("deducted")
                ),
            ]
        )
        .group_by(party)
        .agg(nw.col("deducted").sum())
    )


def credit_points(
    rated: nw.LazyFrame, engine: Engine, policy: RatingPolicy, party: str
) -> nw.LazyFrame:
    """Per rated party: `points` and `level`, one row for every party rated at all.

    Shops' points are not built here but as the `credit_level` indicator from the sums the
    evaluation takes of the rated trades anyway; a party without an indicator (a buyer) needs
    that sum of its own.
    """
    valid_points = (nw.col("valid") * nw.col("point")).cast(nw.Int64)
    totals = rated.group_by(party).agg(valid_points.sum().alias("valid_points"))
    deducted = point_deductions(rated, engine, policy, party)
    points = (nw.col("valid_points") - nw.col("deducted").fill_null(0)).cast(nw.Int64)
    return (
        totals.join(deducted, on=party, how="left")
        .select(party, points.alias("points"))
        .with_columns(credit_level(nw.col("points"), policy).alias("level"))
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
