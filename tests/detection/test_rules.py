"""Each behaviour rule on a hand-made example that must fire, next to a near miss that must not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import pytest

from ecredit.detection.pipeline import prepare_inputs, rule_hits
from ecredit.detection.rules import RULES_BY_NAME, load_policy, run_rule
from ecredit.engines.base import Engine
from ecredit.engines.sources import ArrowSource
from tests.detection.builders import T0, World, at, mixed_world

Duck = Callable[[World], Engine]


def fired(duck: Duck, world: World, rule: str) -> pl.DataFrame:
    engine = duck(world)
    table = engine.to_arrow(run_rule(RULES_BY_NAME[rule], prepare_inputs(engine), load_policy()))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def ids(hits: pl.DataFrame, kind: str, role: str | None = None) -> set[str]:
    rows = hits.filter(pl.col("entity_kind") == kind)
    if role:
        rows = rows.filter(pl.col("role") == role)
    return set(rows.get_column("entity_id").to_list())


def shops_and_buyers(world: World, shops: int = 2, buyers: int = 12) -> None:
    for s in range(1, shops + 1):
        world.shop(f"S{s}")
    for b in range(1, buyers + 1):
        world.subject(f"B{b}")


def test_order_concentration_needs_three_orders_within_the_hour(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    for minutes in (0, 20, 50):
        w.order("B1", "S1", at(hours=minutes / 60))
    for minutes in (0, 35, 70):  # near miss: the third order comes after the hour
        w.order("B2", "S1", at(hours=minutes / 60))
    for minutes in (0, 10):  # near miss: only two
        w.order("B3", "S1", at(hours=minutes / 60))
    for shop in ("S1", "S2", "S1"):  # near miss: three orders, but not all at one shop
        w.order("B4", shop, at(hours=0.1))
    hits = fired(duck, w, "order_concentration")
    assert ids(hits, "subject") == {"B1"}
    assert ids(hits, "shop") == {"S1"}
    assert len(ids(hits, "order")) == 3
    assert hits.get_column("measure").max() == 3


def test_below_list_price_needs_three_cheap_orders_at_one_shop(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    for b in ("B1", "B2", "B3"):
        w.order(b, "S1", at(days=1), price=10.0)
    for b, price in (("B4", 10.0), ("B5", 10.0), ("B6", 25.0)):  # near miss: 25 % is not < 20 %
        w.order(b, "S2", at(days=1), price=price)
    hits = fired(duck, w, "below_list_price")
    assert ids(hits, "shop", "shop") == {"S1"}
    assert ids(hits, "subject", "buyer") == {"B1", "B2", "B3"}


@pytest.mark.parametrize(
    ("rule", "column", "accounts"),
    [("shared_device", "device", 3), ("shared_ip", "ip", 5), ("shared_address", "address", 4)],
)
def test_shared_identity_counts_accounts(duck: Duck, rule: str, column: str, accounts: int) -> None:
    w = World()
    shops_and_buyers(w)
    for b in range(1, accounts + 1):
        w.order(f"B{b}", "S1", at(days=b), **{column: "shared"})
    for b in range(accounts + 1, 2 * accounts):  # near miss: one account fewer
        w.order(f"B{b}", "S2", at(days=b), **{column: "almost"})
    hits = fired(duck, w, rule)
    assert set(hits.get_column("finding")) == {"shared"}
    assert ids(hits, "subject", "account") == {f"B{b}" for b in range(1, accounts + 1)}
    assert hits.get_column("manipulation").is_null().all()


def test_shared_phone_prefix_needs_a_share_of_the_shop(duck: Duck) -> None:
    w = World()
    w.shop("S1")
    w.shop("S2")
    for b in range(3):
        w.subject(f"P{b}", phone=f"1391234{b:04d}")
        w.order(f"P{b}", "S1", at(days=b))
    w.subject("Q0", phone="13800000000")
    w.order("Q0", "S1", at(days=3))
    for b in range(3):  # near miss: same segment, but 3 of S2's 20 buyers
        w.subject(f"N{b}", phone=f"1357777{b:04d}")
        w.order(f"N{b}", "S2", at(days=b))
    for b in range(17):
        w.subject(f"D{b}", phone=f"1{50 + b}0000000{b % 10}")
        w.order(f"D{b}", "S2", at(days=b))
    hits = fired(duck, w, "shared_phone_prefix")
    assert ids(hits, "subject", "account") == {"P0", "P1", "P2"}
    assert ids(hits, "shop", "context") == {"S1"}


def test_review_burst_needs_new_accounts_to_dominate_the_window(duck: Duck) -> None:
    w = World()
    w.shop("S1")
    w.shop("S2")
    for shop in ("S1", "S2"):
        for b in range(5):
            buyer = w.subject(f"{shop}N{b}", registered_on=date(2026, 2, 25))
            w.rating(w.order(buyer, shop, at(days=b / 2)), 1, at(days=1 + b / 2))
    for b in range(10):  # near miss: S2's established customers outnumber the new ones
        buyer = w.subject(f"S2O{b}", registered_on=date(2018, 1, 1))
        w.rating(w.order(buyer, "S2", at(days=b / 5)), 1, at(days=1 + b / 5))
    hits = fired(duck, w, "review_burst")
    assert ids(hits, "shop", "shop") == {"S1"}
    assert ids(hits, "subject", "context") == {f"S1N{b}" for b in range(5)}


def test_malicious_review_needs_single_purchase_accounts_that_only_complain(duck: Duck) -> None:
    w = World()
    w.shop("S1")
    w.shop("S2")
    for b in range(3):
        buyer = w.subject(f"A{b}")
        w.rating(w.order(buyer, "S1", at(days=b)), -1, at(days=b + 1))
    for b in range(2):  # near miss at S2: a third complainer also bought elsewhere
        buyer = w.subject(f"N{b}")
        w.rating(w.order(buyer, "S2", at(days=b)), -1, at(days=b + 1))
    w.subject("N2")
    w.rating(w.order("N2", "S2", at(days=2)), -1, at(days=3))
    w.order("N2", "S1", at(days=4))
    hits = fired(duck, w, "malicious_review")
    assert ids(hits, "shop", "target") == {"S1"}
    assert ids(hits, "subject", "reviewer") == {"A0", "A1", "A2"}
    assert len(ids(hits, "rating")) == 3


def ship(w: World, buyer: str, shop: str, day: float = 1) -> str:
    return w.order(buyer, shop, at(days=day), shipped=at(days=day, hours=2))


def test_no_pickup_scan_needs_a_later_scan_without_pickup(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    for b, tracking in (("B1", "T1"), ("B2", "T2")):
        o = ship(w, b, "S1")
        w.event(o, "transit", at(days=1, hours=3), tracking)
        w.event(o, "delivered", at(days=2), tracking)
    o = ship(w, "B3", "S2")  # near miss: one such parcel at S2 …
    w.event(o, "delivered", at(days=2), "T3")
    o = ship(w, "B4", "S2")  # … and one picked up an hour after shipping
    w.event(o, "pickup", at(days=1, hours=3), "T4")
    w.event(o, "delivered", at(days=2), "T4")
    hits = fired(duck, w, "no_pickup_scan")
    assert ids(hits, "shop") == {"S1"}
    assert ids(hits, "tracking_no") == {"T1", "T2"}


def test_fast_delivery_compares_with_the_distance(duck: Duck) -> None:
    w = World()
    w.shop("S1", region="330106")
    w.shop("S2", region="330106")
    for b in range(4):
        w.subject(f"B{b}")
    for b, hours in ((0, 3), (1, 4)):  # Hangzhou → Beijing in 3–4 hours
        o = ship(w, f"B{b}", "S1")
        w.event(o, "delivered", at(days=1, hours=2 + hours), f"T{b}", region="110105")
    for b, (hours, region) in ((2, (10, "110105")), (3, (3, "330102"))):  # near misses
        o = ship(w, f"B{b}", "S2")
        w.event(o, "delivered", at(days=1, hours=2 + hours), f"T{b}", region=region)
    hits = fired(duck, w, "fast_delivery")
    assert ids(hits, "shop") == {"S1"}


def test_zero_weight_needs_two_parcels(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    for b, shop, weight in (("B1", "S1", 0), ("B2", "S1", 0), ("B3", "S2", 0), ("B4", "S2", 500)):
        o = ship(w, b, shop)
        w.event(o, "pickup", at(days=1, hours=3), f"T{b}", weight_g=weight)
    hits = fired(duck, w, "zero_weight")
    assert ids(hits, "shop") == {"S1"}


def test_reused_tracking_no_needs_two_orders(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    for b in ("B1", "B2"):
        o = ship(w, b, "S1")
        w.event(o, "pickup", at(days=1, hours=3), "TWICE")
    o = ship(w, "B3", "S2")  # near miss: many scans, one order
    for event in ("pickup", "transit", "delivered", "signed"):
        w.event(o, event, at(days=1, hours=3), "ONCE")
    hits = fired(duck, w, "reused_tracking_no")
    assert set(hits.get_column("finding")) == {"TWICE"}
    assert ids(hits, "shop") == {"S1"}
    assert len(ids(hits, "order")) == 2


def test_same_second_signing_needs_different_buyers(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w)
    second = at(days=2, hours=5)
    for b in ("B1", "B2"):
        o = ship(w, b, "S1")
        w.event(o, "signed", second, f"T{b}")
    for n in range(2):  # near miss: one buyer's two parcels signed together
        o = ship(w, "B3", "S2")
        w.event(o, "signed", second, f"U{n}")
    hits = fired(duck, w, "same_second_signing")
    assert ids(hits, "shop") == {"S1"}
    assert ids(hits, "tracking_no") == {"TB1", "TB2"}


def test_fake_traffic_compares_a_week_with_the_shops_usual_week(duck: Duck) -> None:
    w = World()
    shops_and_buyers(w, buyers=1)
    for shop, boost in (("S1", 10), ("S2", 2)):  # S2 is the near miss: only twice as busy
        for day in range(56):
            visits = 100 * (boost if day >= 49 else 1)
            w.add(
                "traffic",
                shop_id=shop,
                day=(T0 + timedelta(days=day)).date(),
                visits=visits,
                clicks=visits // 2,
                unique_visitors=visits // 2,
            )
            w.order("B1", shop, at(days=day, hours=2))
    hits = fired(duck, w, "fake_traffic")
    assert ids(hits, "shop") == {"S1"}
    assert hits.get_column("measure").max() > 8


@pytest.mark.spark
def test_rules_give_the_same_hits_on_spark(duck: Duck, spark: object) -> None:
    from ecredit.engines.spark import SparkEngine

    world = mixed_world()
    policy = load_policy()
    local = duck(world)
    expected = rule_hits(local, prepare_inputs(local), policy)
    engine = SparkEngine(ArrowSource(world.tables()), session=spark)  # type: ignore[arg-type]
    try:
        actual = rule_hits(engine, prepare_inputs(engine), policy)
    finally:
        engine.close()
    assert expected.height > 0
    key = [c for c in expected.columns if c != "manipulation"]
    assert expected.sort(key).equals(actual.sort(key))
