"""Buyers' credit points (买家信用积分) from worked examples: sellers' ratings of buyers count
under the shops' rules, and the two directions never mix.

Times are UTC; China Standard Time is UTC+8, which decides months.
"""

from __future__ import annotations

from collections.abc import Callable

import narwhals as nw

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.evaluation import ratings as rules
from ecredit.evaluation.policy import Model
from tests.evaluation.test_rating_rules import FAR_FUTURE, day, rated, trade, world

SELLER = "seller_to_buyer"


def seller_trade(n: int, *args: object, **kwargs: object) -> tuple[dict, dict]:
    """An order and the shop's initial rating of its buyer (no DSR: buyers are not scored on it)."""
    return trade(n, *args, direction=SELLER, **kwargs)  # type: ignore[arg-type]


def rated_buyers(engine: DuckDBEngine, model: Model) -> nw.LazyFrame:
    frame = rules.seller_ratings(
        engine.read("ratings"),
        engine.read("orders"),
        engine.read("rating_flag"),
        model.ratings,
        FAR_FUTURE,
        engine,
    )
    return engine.materialise(frame)


def buyer_credit(engine: DuckDBEngine, model: Model) -> dict[str, tuple[int, int]]:
    """buyer → (points, level)."""
    credit = rules.credit_points(rated_buyers(engine, model), engine, model.ratings, "buyer_id")
    return {r["buyer_id"]: (r["points"], r["level"]) for r in engine.to_arrow(credit).to_pylist()}


def test_pair_cap_on_a_shops_ratings_of_a_buyer(duck: Callable, model: Model) -> None:
    # S1 rates B1 in January: 8 good (different items) → capped at +6; 2 bad → −2.
    # 2024-01-31 20:00 UTC is 1 February 04:00 in China: February, 2 more good → +2.
    # S2 is another pair: its 3 good ratings of B1 in January count in full → +3.
    # B1: 6 − 2 + 2 + 3 = 9 points, level 1 (4–10); B2: 1 point, level 0.
    january = [seller_trade(i, day(i)) for i in range(8)]
    january += [seller_trade(8, day(9), -1), seller_trade(9, day(10), -1)]
    february = [seller_trade(10, day(30, 20)), seller_trade(11, day(35))]
    other_shop = [seller_trade(20 + i, day(i), shop="S2") for i in range(3)]
    other_buyer = [seller_trade(30, day(2), buyer="B2")]
    engine = duck(world(january + february + other_shop + other_buyer))
    assert buyer_credit(engine, model) == {"B1": (9, 1), "B2": (1, 0)}


def test_pair_cap_limits_a_shops_bad_ratings_of_a_buyer(duck: Callable, model: Model) -> None:
    # Nine bad ratings of B1 by one shop in one month cost at most 6 points.
    engine = duck(world([seller_trade(i, day(i), -1) for i in range(9)]))
    assert buyer_credit(engine, model) == {"B1": (-6, 0)}


def test_same_item_within_14_days_by_order_time_counts_once(duck: Callable, model: Model) -> None:
    # S1 rates B1 for the same item on orders of days 0 5 13 14 20 27 28 60: day 0 counts and
    # opens [0, 14); day 14 opens [14, 28); day 28 counts; day 60 counts → 4 of 8 count.
    # Rating times do not matter: order 1 rated on day 40 still falls in day 0's window.
    days = (0, 5, 13, 14, 20, 27, 28, 60)
    same = [seller_trade(i, day(d), product="P") for i, d in enumerate(days)]
    same[1] = seller_trade(1, day(5), product="P", rated_at=day(40))
    # Another item 3 days later counts on its own: 5 points, level 1.
    engine = duck(world([*same, seller_trade(8, day(3), product="Q")]))
    assert buyer_credit(engine, model) == {"B1": (5, 1)}


def test_invalid_seller_rating_counts_zero(duck: Callable, model: Model) -> None:
    # X1 is confirmed as brushing: it counts 0, and opens no same-item window either, so the
    # same item ordered 5 days later (order 2) counts: 2 of 3 good ratings count.
    trades = [
        seller_trade(0, day(0), product="P"),
        seller_trade(1, day(20), product="Q"),
        seller_trade(2, day(25), product="Q"),
    ]
    flag = {"rating_id": "R1", "valid_score": False, "set_at": day(40)}
    engine = duck(world(trades, rating_flag=[flag]))
    assert buyer_credit(engine, model) == {"B1": (2, 0)}
    rows = engine.to_arrow(rated_buyers(engine, model)).to_pylist()
    assert {r["rating_id"]: r["valid"] for r in rows} == {"R0": 1, "R1": 0, "R2": 1}


def test_the_two_directions_never_mix(duck: Callable, model: Model) -> None:
    # Order O0: B1 rates S1 good (R0), S1 rates B1 bad (X0). Order O1: only B1 rates S1 (good).
    # The buyer's points come from X0 alone (−1); the shop's rated trades hold R0 and R1 only.
    buyer_rated, seller_rated = trade(0, day(0)), trade(1, day(1))
    _, rating = buyer_rated
    of_buyer = {**rating, "rating_id": "X0", "direction": SELLER, "score": -1}
    of_buyer.update(dsr_description=None, dsr_service=None, dsr_logistics=None)
    engine = duck(world([buyer_rated, seller_rated], ratings=[of_buyer]))
    assert buyer_credit(engine, model) == {"B1": (-1, 0)}
    shops = engine.to_arrow(rated(engine, model))
    assert sorted(shops.column("rating_id").to_pylist()) == ["R0", "R1"]
    buyers = engine.to_arrow(rated_buyers(engine, model)).to_pylist()
    assert [(r["rating_id"], r["buyer_id"], r["point"]) for r in buyers] == [("X0", "B1", -1)]


def test_ratings_after_the_as_of_date_do_not_count(duck: Callable, model: Model) -> None:
    trades = [seller_trade(0, day(0)), seller_trade(1, day(1), rated_at=day(10))]
    engine = duck(world(trades))
    frame = rules.seller_ratings(
        engine.read("ratings"),
        engine.read("orders"),
        engine.read("rating_flag"),
        model.ratings,
        day(5),
        engine,
    )
    assert engine.to_arrow(frame).column("rating_id").to_pylist() == ["R0"]


def test_without_seller_ratings_no_buyer_has_points(duck: Callable, model: Model) -> None:
    # Only buyers rate here (as in the benchmark world): the orders are never joined, and the
    # rated frame is empty with the columns the rules read.
    engine = duck(world([trade(0, day(0)), trade(1, day(1), buyer="B2")]))
    frame = engine.to_arrow(rated_buyers(engine, model))
    assert frame.num_rows == 0
    assert frame.column_names == [
        "rating_id",
        "shop_id",
        "buyer_id",
        "product_id",
        "point",
        "valid",
        "ordered_at",
    ]
    assert buyer_credit(engine, model) == {}
