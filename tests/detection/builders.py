"""Hand-made marketplaces for detection tests: every row written out, times in naive UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from ecredit.engines.base import INPUT_KINDS, empty_table

T0 = datetime(2026, 3, 2, 8, 0, 0)
"""A Monday morning; every test time is an offset from it."""


def at(hours: float = 0.0, days: float = 0.0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


@dataclass
class World:
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    _orders: int = 0
    _events: int = 0
    _ratings: int = 0

    def add(self, kind: str, /, **row: object) -> None:
        self.rows.setdefault(kind, []).append(row)

    def subject(
        self,
        subject_id: str,
        subject_type: str = "consumer",
        registered_on: date = date(2020, 1, 1),
        phone: str | None = None,
        region: str | None = None,
    ) -> str:
        self.add(
            "subjects",
            subject_id=subject_id,
            subject_type=subject_type,
            legal_form="person" if subject_type == "consumer" else "organisation",
            name=subject_id,
            phone=phone,
            region=region,
            registered_on=registered_on,
        )
        return subject_id

    def shop(self, shop_id: str, region: str = "330106", list_price: float = 100.0) -> str:
        """A shop, its merchant `M<shop_id>` and one product `P<shop_id>`."""
        if not self.rows.get("subjects") or self.rows["subjects"][0]["subject_id"] != "PF":
            self.rows.setdefault("subjects", []).insert(
                0,
                {
                    "subject_id": "PF",
                    "subject_type": "platform",
                    "legal_form": "organisation",
                    "name": "PF",
                    "registered_on": date(2010, 1, 1),
                },
            )
        self.subject(f"M{shop_id}", "merchant", region=region)
        self.add(
            "shops",
            shop_id=shop_id,
            platform_id="PF",
            merchant_id=f"M{shop_id}",
            name=shop_id,
            opened_on=date(2019, 1, 1),
        )
        self.add(
            "products",
            product_id=f"P{shop_id}",
            shop_id=shop_id,
            gtin="6901234567892",
            title=shop_id,
            list_price=list_price,
            listed_at=datetime(2019, 1, 1),
        )
        return shop_id

    def order(
        self,
        buyer: str,
        shop: str,
        when: datetime,
        price: float = 100.0,
        device: str | None = None,
        ip: str | None = None,
        address: str | None = None,
        shipped: datetime | None = None,
    ) -> str:
        self._orders += 1
        order_id = f"O{self._orders:05d}"
        self.add(
            "orders",
            order_id=order_id,
            shop_id=shop,
            buyer_id=buyer,
            product_id=f"P{shop}",
            quantity=1,
            unit_price=price,
            amount=price,
            ordered_at=when,
            paid_at=when + timedelta(minutes=1),
            shipped_at=shipped,
            status="completed",
            device_id=device or f"dev-{buyer}",
            ip=ip or f"ip-{buyer}",
            address_token=address or f"addr-{buyer}",
        )
        return order_id

    def rating(self, order_id: str, score: int, when: datetime, kind: str = "initial") -> str:
        self._ratings += 1
        rating_id = f"R{self._ratings:05d}"
        self.add(
            "ratings",
            rating_id=rating_id,
            order_id=order_id,
            direction="buyer_to_seller",
            kind=kind,
            score=score,
            rated_at=when,
        )
        return rating_id

    def event(
        self,
        order_id: str,
        event_type: str,
        when: datetime,
        tracking_no: str,
        region: str | None = None,
        weight_g: int | None = 800,
    ) -> None:
        self._events += 1
        self.add(
            "logistics",
            event_id=f"E{self._events:05d}",
            order_id=order_id,
            carrier_id="L1",
            tracking_no=tracking_no,
            event_type=event_type,
            occurred_at=when,
            region=region,
            weight_g=weight_g,
        )

    def tables(self) -> dict[str, pa.Table]:
        tables = {}
        for name, kind in INPUT_KINDS.items():
            schema = empty_table(kind).schema
            rows = self.rows.get(name, [])
            tables[name] = pa.Table.from_pylist(
                [{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema
            )
        return tables


def organic(
    world: World, seed: int = 0, buyers: int = 300, shops: int = 40, orders: int = 1500
) -> None:
    """A skewed honest market: popular shops and heavy buyers, each order with its own device."""
    rng = np.random.default_rng(seed)
    for s in range(shops):
        world.shop(f"S{s:02d}")
    for b in range(buyers):
        world.subject(f"C{b:03d}")
    shop_weight = 1.0 / np.arange(1, shops + 1) ** 0.8
    buyer_weight = rng.pareto(2.0, buyers) + 1.0
    chosen_shops = rng.choice(shops, orders, p=shop_weight / shop_weight.sum())
    chosen_buyers = rng.choice(buyers, orders, p=buyer_weight / buyer_weight.sum())
    minutes = np.sort(rng.integers(0, 60 * 24 * 60, orders))
    for s, b, m in zip(
        chosen_shops.tolist(), chosen_buyers.tolist(), minutes.tolist(), strict=True
    ):
        world.order(f"C{b:03d}", f"S{s:02d}", T0 + timedelta(minutes=m))


def planted_ring(world: World, accounts: int = 8, shops: int = 3) -> tuple[list[str], list[str]]:
    """A brushing ring: fresh accounts on two shared devices, every account buying (below cost,
    rating positively) at every ring shop, plus camouflage at the two most popular shops."""
    ring_accounts = [
        world.subject(f"R{a:02d}", registered_on=date(2026, 2, 20)) for a in range(accounts)
    ]
    ring_shops = [world.shop(f"X{s}") for s in range(shops)]
    for a, account in enumerate(ring_accounts):
        device = f"farm-{a % 2}"
        for s, shop in enumerate(ring_shops):
            when = at(hours=3 * a + s, days=5)
            order_id = world.order(account, shop, when, price=5.0, device=device)
            world.rating(order_id, 1, when + timedelta(days=2))
        for s, shop in enumerate(("S00", "S01")):
            world.order(account, shop, at(hours=a, days=9 + s), device=device)
    return ring_accounts, ring_shops


def malicious_campaign(world: World, target: str, reviewers: int = 4) -> list[str]:
    """Single-purchase accounts on one device that buy once from `target` and rate it −1."""
    accounts = [
        world.subject(f"V{r:02d}", registered_on=date(2026, 2, 25)) for r in range(reviewers)
    ]
    for r, account in enumerate(accounts):
        order_id = world.order(account, target, at(days=20 + r), device="campaign")
        world.rating(order_id, -1, at(days=21 + r))
    return accounts


def mixed_world() -> World:
    """Organic trade, one brushing ring and one malicious-review campaign against `S03`."""
    world = World()
    organic(world)
    planted_ring(world)
    malicious_campaign(world, "S03")
    return world
