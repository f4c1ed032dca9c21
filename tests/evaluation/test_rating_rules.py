"""Every rating rule from a worked example, with the arithmetic spelled out.

Times are UTC; China Standard Time is UTC+8, which decides months and weeks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import narwhals as nw
import pyarrow as pa
import pytest

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.evaluation import ratings as rules
from ecredit.evaluation.policy import Model
from tests.evaluation.world import Rows

FAR_FUTURE = datetime(2030, 1, 1)
T0 = datetime(2024, 1, 1)


def day(n: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hours)


def trade(
    n: int,
    ordered_at: datetime,
    score: int = 1,
    buyer: str = "B1",
    product: str | None = None,
    rated_at: datetime | None = None,
    dsr: int | None = None,
    direction: str = "buyer_to_seller",
    shop: str = "S1",
) -> tuple[dict[str, object], dict[str, object]]:
    """An order and its initial rating, by the buyer unless `direction` says otherwise."""
    order = {
        "order_id": f"O{n}",
        "shop_id": shop,
        "buyer_id": buyer,
        "product_id": product or f"P{n}",
        "ordered_at": ordered_at,
    }
    rating = {
        "rating_id": f"R{n}",
        "order_id": f"O{n}",
        "direction": direction,
        "kind": "initial",
        "score": score,
        "dsr_description": dsr,
        "dsr_service": dsr,
        "dsr_logistics": dsr,
        "text": "好评",
        "rated_at": rated_at or ordered_at + timedelta(days=3),
    }
    return order, rating


def world(trades: list[tuple[dict[str, object], dict[str, object]]], **extra: list) -> Rows:
    return {
        "orders": [o for o, _ in trades],
        "ratings": [r for _, r in trades] + extra.pop("ratings", []),
        "rating_flag": extra.pop("rating_flag", []),
    }


def rated(engine: DuckDBEngine, model: Model) -> nw.LazyFrame:
    frame = rules.buyer_ratings(
        engine.read("ratings"),
        engine.read("orders"),
        engine.read("rating_flag"),
        model.ratings,
        FAR_FUTURE,
    )
    return engine.materialise(frame)


def counted(engine: DuckDBEngine, model: Model) -> tuple[nw.LazyFrame, nw.LazyFrame]:
    """The rated trades, and the valid ones the same-item rule counts."""
    trades = rated(engine, model)
    dropped = rules.same_item_dropped(trades, engine, model.ratings)
    kept = trades.filter(nw.col("valid") == 1).join(dropped, on="rating_id", how="anti")
    return trades, kept


def counted_ids(engine: DuckDBEngine, model: Model) -> list[str]:
    _, kept = counted(engine, model)
    return sorted(engine.to_arrow(kept).column("rating_id").to_pylist())


def points(engine: DuckDBEngine, model: Model) -> dict[tuple[str, int], int]:
    """Credit points per buyer and month: the counted ratings' points less the pair cap's
    excess, and the deductions per shop agree with them."""
    trades, kept = counted(engine, model)
    month = rules.order_month(model.ratings).alias("month")
    totals: dict[tuple[str, int], int] = {}
    for r in engine.to_arrow(kept.with_columns(month)).to_pylist():
        key = (r["buyer_id"], r["month"])
        totals[key] = totals.get(key, 0) + r["point"]
    dropped = rules.same_item_dropped(trades, engine, model.ratings)
    for r in engine.to_arrow(rules.pair_cap_excess(trades, dropped, model.ratings)).to_pylist():
        totals[(r["buyer_id"], r["month"])] -= r["excess"]
    valid = sum(r["point"] for r in engine.to_arrow(trades).to_pylist() if r["valid"] == 1)
    deducted = engine.to_arrow(rules.point_deductions(trades, engine, model.ratings, "shop_id"))
    assert valid - sum(deducted.column("deducted").to_pylist()) == sum(totals.values())
    return totals


JANUARY, FEBRUARY = 2024 * 12 + 0, 2024 * 12 + 1
JANUARY_1 = 19723
"""2024-01-01 as days since 1970-01-01, a Monday."""


def test_pair_cap_six_each_way_per_natural_month(duck: Callable, model: Model) -> None:
    # B1 in January: 8 good ratings (different items) → capped at +6; 2 bad → −2; net 4.
    january = [trade(i, day(i)) for i in range(8)] + [trade(8, day(9), -1), trade(9, day(10), -1)]
    # 2024-01-31 20:00 UTC is 1 February 04:00 in China: February, with 2 more good ratings.
    february = [trade(10, day(30, 20)), trade(11, day(35))]
    other = [trade(12, day(2), buyer="B2")]
    engine = duck(world(january + february + other))
    assert points(engine, model) == {("B1", JANUARY): 4, ("B1", FEBRUARY): 2, ("B2", JANUARY): 1}


def test_pair_cap_also_limits_bad_ratings(duck: Callable, model: Model) -> None:
    # 9 bad ratings from one buyer in a month cost at most 6 points.
    engine = duck(world([trade(i, day(i), -1) for i in range(9)]))
    assert points(engine, model) == {("B1", JANUARY): -6}


def test_same_item_within_14_days_by_order_time_counts_once(duck: Callable, model: Model) -> None:
    # Same buyer, same item, ordered on days 0 5 13 14 20 27 28 60:
    # day 0 counts and opens [0, 14); day 14 counts, opens [14, 28); day 28 counts; day 60 counts.
    same = [trade(i, day(d), product="P") for i, d in enumerate((0, 5, 13, 14, 20, 27, 28, 60))]
    other_item = [trade(8, day(1), product="Q")]
    # Two purchases of an item: 20 days apart both count, 3 days apart only the first.
    twice = [
        trade(9, day(2), product="W"),
        trade(10, day(22), product="W"),
        trade(11, day(3), product="V"),
        trade(12, day(6), product="V"),
    ]
    # Rating times do not matter: the late rating of order 1 still falls in day 0's window.
    same[1] = trade(1, day(5), product="P", rated_at=day(40))
    engine = duck(world(same + other_item + twice))
    assert counted_ids(engine, model) == sorted(["R0", "R3", "R6", "R7", "R8", "R9", "R10", "R11"])


def test_invalid_rating_opens_no_dedupe_window(duck: Callable, model: Model) -> None:
    # With R0 confirmed as brushing, day 5 counts first: windows [5, 19), [20, 34), then 60.
    same = [trade(i, day(d), product="P") for i, d in enumerate((0, 5, 13, 14, 20, 27, 28, 60))]
    flag = {"rating_id": "R0", "valid_score": False, "set_at": day(50)}
    engine = duck(world(same, rating_flag=[flag]))
    assert counted_ids(engine, model) == ["R1", "R4", "R7"]


def test_brushing_rating_counts_zero(duck: Callable, model: Model) -> None:
    trades = [trade(0, day(0)), trade(1, day(1)), trade(2, day(2))]
    flag = {"rating_id": "R1", "valid_score": False, "set_at": day(20)}
    engine = duck(world(trades, rating_flag=[flag]))
    assert points(engine, model) == {("B1", JANUARY): 2}


def test_latest_flag_row_wins(duck: Callable, model: Model) -> None:
    # Flagged as brushing, then cleared on appeal: the rating counts again.
    flags = [
        {"rating_id": "R0", "valid_score": False, "set_at": day(10)},
        {"rating_id": "R0", "valid_score": True, "set_at": day(20)},
    ]
    engine = duck(world([trade(0, day(0))], rating_flag=flags))
    assert points(engine, model) == {("B1", JANUARY): 1}


def test_shielded_rating_is_kept_and_still_counts(duck: Callable, model: Model) -> None:
    flag = {
        "rating_id": "R0",
        "valid_score": True,
        "shield_reason": "insult_defamation",
        "set_at": day(5),
    }
    engine = duck(world([trade(0, day(0)), trade(1, day(1))], rating_flag=[flag]))
    assert points(engine, model) == {("B1", JANUARY): 2}
    public = engine.read("ratings").pipe(rules.public_ratings, engine.read("rating_flag"))
    rows = {r["rating_id"]: r for r in engine.to_arrow(public).to_pylist()}
    assert set(rows) == {"R0", "R1"}
    assert rows["R0"]["shielded"] and rows["R0"]["text"] is None and rows["R0"]["counts"]
    assert not rows["R1"]["shielded"] and rows["R1"]["text"] == "好评"


def test_positive_rate_counts_a_rater_once_per_calendar_week(duck: Callable, model: Model) -> None:
    # 2024-01-01 is a Monday. B1: good Mon, Wed and Sun, bad Tue → one good + one bad that week.
    # 2024-01-07 17:00 UTC is Monday 8 January 01:00 in China: B1's good rating in week 2.
    # B2: one good in week 1. A neutral rating is left out of the rate.
    ratings = [
        trade(0, day(-3), rated_at=day(0, 2)),
        trade(1, day(-3), rated_at=day(2, 2)),
        trade(2, day(-3), rated_at=day(6, 2)),
        trade(3, day(-3), -1, rated_at=day(1, 2)),
        trade(4, day(-3), rated_at=day(6, 17)),
        trade(5, day(-3), buyer="B2", rated_at=day(3)),
        trade(6, day(-3), 0, buyer="B3", rated_at=day(3)),
    ]
    engine = duck(world(ratings))
    weekly = rules.weekly_ratings(rated(engine, model), model.ratings, day(-30), day(30))
    rows = engine.to_arrow(weekly).to_pylist()
    first_week = (JANUARY_1 + 3) // 7
    assert sorted(
        (r["buyer_id"], r["score"], r["week"] - first_week, r["ratings"]) for r in rows
    ) == [
        ("B1", -1, 0, 1),
        ("B1", 1, 0, 3),
        ("B1", 1, 1, 1),
        ("B2", 1, 0, 1),
    ]
    good = sum(r["score"] == 1 for r in rows)
    assert good / len(rows) == pytest.approx(0.75)


def test_positive_rate_window_is_twelve_months(duck: Callable, model: Model) -> None:
    engine = duck(world([trade(0, day(-400)), trade(1, day(-10), buyer="B2")]))
    end = day(0)
    start = datetime(2023, 1, 1)  # 12 months before 2024-01-01
    weekly = rules.weekly_ratings(rated(engine, model), model.ratings, start, end)
    assert engine.to_arrow(weekly).column("buyer_id").to_pylist() == ["B2"]


def _scalar(engine: DuckDBEngine, expr: nw.Expr) -> float | None:
    frame = engine.from_arrow(pa.table({"one": [1]}))
    return engine.to_arrow(frame.select(expr.cast(nw.Float64).alias("v"))).column("v")[0].as_py()


def test_dsr_hidden_below_ten_ratings_then_smoothed(duck: Callable, model: Model) -> None:
    engine = duck({})
    # Nine five-star ratings: not shown.
    assert _scalar(engine, rules.dsr_value(nw.lit(45), nw.lit(9), model.ratings)) is None
    # Ten five-star ratings: (7 × 3.5 + 50) / (7 + 10) = 74.5 / 17 ≈ 4.382, not 5.0.
    shown = _scalar(engine, rules.dsr_value(nw.lit(50), nw.lit(10), model.ratings))
    assert shown == pytest.approx(74.5 / 17)


def test_credit_levels(duck: Callable, model: Model) -> None:
    engine = duck({})
    expected = {0: 0, 3: 0, 4: 1, 10: 1, 11: 2, 250: 5, 251: 6, 5001: 10, 10_000_001: 20}
    for points_, level in expected.items():
        assert _scalar(engine, rules.credit_level(nw.lit(points_), model.ratings)) == level


def _reply(n: int, parent: str, at: datetime, text: str = "谢谢") -> dict[str, object]:
    return {
        "rating_id": f"Y{n}",
        "order_id": "O0",
        "direction": "seller_to_buyer",
        "kind": "reply",
        "parent_rating_id": parent,
        "text": text,
        "rated_at": at,
    }


def test_seller_reply_within_30_days_500_chars_one_reply(duck: Callable, model: Model) -> None:
    trades = [trade(0, day(0), -1, rated_at=day(1)), trade(1, day(0), -1, rated_at=day(1))]
    replies = [
        _reply(1, "R0", day(2)),  # accepted: first, in time, short
        _reply(2, "R0", day(3)),  # refused: R0 already has its reply
        _reply(3, "R1", day(2), "长" * 501),  # refused: 501 characters
        _reply(4, "R1", day(31)),  # accepted: 30 days after the rating, exactly in time
        _reply(5, "R1", day(32)),  # refused: one reply only (and late)
    ]
    engine = duck(world(trades, ratings=replies))
    accepted = rules.accepted_replies(engine.read("ratings"), model.ratings)
    assert sorted(engine.to_arrow(accepted).column("rating_id").to_pylist()) == ["Y1", "Y4"]
    late = duck(
        world([trade(0, day(0), -1, rated_at=day(1))], ratings=[_reply(6, "R0", day(31, 1))])
    )
    assert (
        engine.to_arrow(rules.accepted_replies(late.read("ratings"), model.ratings)).num_rows == 0
    )


def _follow_up(n: int, parent: str, at: datetime) -> dict[str, object]:
    return {
        "rating_id": f"F{n}",
        "order_id": "O0",
        "direction": "buyer_to_seller",
        "kind": "follow_up",
        "parent_rating_id": parent,
        "text": "用了半年，还行",
        "rated_at": at,
    }


def test_follow_up_within_180_days(duck: Callable, model: Model) -> None:
    trades = [trade(0, day(0), rated_at=day(1)), trade(1, day(0), rated_at=day(1))]
    follow_ups = [
        _follow_up(1, "R0", day(181)),  # 180 days after the rating: accepted
        _follow_up(2, "R1", day(181, 1)),  # one hour later than that: refused
        _follow_up(3, "R9", day(5)),  # no such rating: refused
    ]
    engine = duck(world(trades, ratings=follow_ups))
    accepted = rules.accepted_follow_ups(engine.read("ratings"), model.ratings)
    assert engine.to_arrow(accepted).column("rating_id").to_pylist() == ["F1"]


def test_replied_flag_marks_answered_bad_ratings(duck: Callable, model: Model) -> None:
    trades = [trade(0, day(0), -1, rated_at=day(1)), trade(1, day(0), -1, rated_at=day(1))]
    engine = duck(world(trades, ratings=[_reply(1, "R0", day(2))]))
    rows = engine.to_arrow(rated(engine, model)).to_pylist()
    assert {r["rating_id"]: r["replied"] for r in rows} == {"R0": 1, "R1": 0}
