"""The injected, labelled manipulation and the hard negatives, planned before any order exists.

Planning first fixes exactly which accounts, shops and timestamps each campaign uses; order
generation then merges these "special" orders into the organic stream by time. The fake accounts
of rings and review campaigns are real consumers (registered shortly before their campaign) whose
organic activity weight is set to zero, so they only ever buy as the plan says.

Brushing rings are bipartite blocks: `buyers x shops` with exactly round(density x block)
distinct buyer-shop pairs, chosen so that every buyer and every shop of the ring takes part (which
needs at least 1/density of each). Each fake buyer also buys a few times from popular honest shops
as camouflage. Half the rings cover their fake orders with empty parcels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import IntEnum, IntFlag

import numpy as np

from ecredit.generate import regions
from ecredit.generate.calendar import DAY, HOUR, HOUR_WEIGHTS, ODD_HOURS, to_date
from ecredit.generate.config import WorldConfig
from ecredit.generate.naming import IdKind, ids, public_ip
from ecredit.generate.population import CARRIERS, Population
from ecredit.generate.rng import Stream, stream, weighted_index
from ecredit.generate.sinks import Outputs
from ecredit.generate.truth import Group, Manipulation, write_labels


class Role(IntEnum):
    ORGANIC = 0
    BRUSHING = 1
    CAMOUFLAGE = 2
    MALICIOUS = 3
    FLASH = 4
    LOYAL = 5


class MerchantFlag(IntFlag):
    RING = 1
    EMPTY_PARCEL = 2
    FAKE_TRAFFIC = 4
    INSTIGATOR = 8


_RING_BAND = 0.05
"""Rings recruit shops below the top 5 % by popularity; camouflage goes to the top 5 %."""


class _ShopUse(IntEnum):
    FREE = 0
    HUB = 1
    RING = 2
    VICTIM = 3
    INSTIGATOR = 4
    FLASH = 5
    LOYAL = 6
    BOOSTED = 7


@dataclass
class SpecialOrders:
    """Planned orders; -1 (or 0 for hashes) means "as for an organic order"."""

    at: np.ndarray
    shop: np.ndarray
    buyer: np.ndarray
    role: np.ndarray
    group: np.ndarray
    product_local: np.ndarray
    price_factor: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    address: np.ndarray
    dest_region: np.ndarray
    carrier: np.ndarray
    parcel_group: np.ndarray
    parcel: np.ndarray

    def __len__(self) -> int:
        return len(self.at)

    def take(self, index: np.ndarray | slice) -> SpecialOrders:
        return SpecialOrders(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


_DEFAULTS: dict[str, tuple[int | float, type]] = {
    "at": (0, np.int64),
    "shop": (0, np.int64),
    "buyer": (0, np.int64),
    "role": (Role.ORGANIC, np.int64),
    "group": (-1, np.int32),
    "product_local": (-1, np.int64),
    "price_factor": (0.0, np.float64),
    "device": (0, np.uint64),
    "ip": (-1, np.int64),
    "address": (0, np.uint64),
    "dest_region": (-1, np.int64),
    "carrier": (-1, np.int64),
    "parcel_group": (-1, np.int32),
    "parcel": (-1, np.int64),
}


def special_orders(n: int, **given: np.ndarray | int | float) -> SpecialOrders:
    """Orders before fulfilment; fields not given take their "as organic" default."""
    values = {}
    for name, (default, dtype) in _DEFAULTS.items():
        value = given.get(name, default)
        values[name] = (
            np.asarray(value, dtype=dtype) if np.ndim(value) else np.full(n, value, dtype=dtype)
        )
    return SpecialOrders(**values)


@dataclass
class FakeTraffic:
    shop: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    factor: np.ndarray


@dataclass
class Plan:
    special: SpecialOrders
    groups: list[Group]
    entity_labels: list[tuple[IdKind, np.ndarray, int, str]]
    """(id kind, entity indices, group index, role) of labelled subjects and shops."""
    merchant_flags: np.ndarray
    malicious_accounts: np.ndarray
    fake_traffic: FakeTraffic
    parcel_numbers: np.ndarray
    """Tracking-number serials of the empty-parcel pools, all above every order number."""
    parcel_number_groups: np.ndarray
    parcel_carriers: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)


class _Planner:
    def __init__(self, seed: int, pop: Population, orders: int, config: WorldConfig) -> None:
        self.rng = stream(seed, Stream.PLAN)
        self.pop = pop
        self.config = config
        self.orders = orders
        self.budget = int(orders * config.special_order_budget)
        self.planned = 0
        self.days = pop.timeline.days
        self.use = np.zeros(pop.shops, dtype=np.int8)
        self.reserved = np.zeros(pop.consumers, dtype=bool)
        self.by_rank = np.argsort(-pop.shop_weight, kind="stable")
        self.ring_shops: list[int] = []
        self.groups: list[Group] = []
        self.group_counts: dict[str, int] = {}
        self.specials: list[SpecialOrders] = []
        self.labels: list[tuple[IdKind, np.ndarray, int, str]] = []
        self.flags = np.zeros(pop.merchants, dtype=np.int8)
        self.parcel_numbers: list[np.ndarray] = []
        self.parcel_groups: list[np.ndarray] = []
        self.parcel_carriers: list[np.ndarray] = []
        self.skipped: dict[str, int] = {}
        self.traffic: list[tuple[int, int, int, float]] = []
        self.malicious_accounts: list[np.ndarray] = []

    def group(self, prefix: str, manipulation: Manipulation, detail: str = "") -> int:
        self.group_counts[prefix] = number = self.group_counts.get(prefix, 0) + 1
        self.groups.append(Group(f"{prefix}{number:04d}", manipulation, detail))
        return len(self.groups) - 1

    def label(self, kind: IdKind, index: np.ndarray, group: int, role: str) -> None:
        self.labels.append((kind, np.asarray(index), group, role))

    def label_merchants(self, shops: np.ndarray, group: int, role: str, flag: MerchantFlag) -> None:
        merchants = np.unique(self.pop.shop_merchant[shops])
        self.flags[merchants] |= flag
        self.label(IdKind.MERCHANT, merchants, group, role)

    def fits(self, kind: str, n: int) -> bool:
        if self.planned + n > self.budget:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return False
        self.planned += n
        return True

    def free_shops(
        self,
        n: int,
        opened_before: int,
        ranks: tuple[float, float] = (0.0, 1.0),
        platform: int | None = None,
    ) -> np.ndarray | None:
        """`n` distinct unused shops open before the day within a popularity band (0 = most
        popular), on `platform` if it has enough. Sampling by rejection keeps planning linear in
        the number of campaigns rather than campaigns times shops."""
        lo, hi = (int(r * self.pop.shops) for r in ranks)
        hi = min(max(hi, lo + 1), self.pop.shops)
        for strict in (True, False) if platform is not None else (False,):
            for _ in range(6):
                shops = self.by_rank[self.rng.integers(lo, hi, 16 * n + 16)]
                ok = (self.use[shops] == _ShopUse.FREE) & (
                    self.pop.shop_opened[shops] < opened_before
                )
                if strict:
                    ok &= self.pop.shop_platform[shops] == platform
                found = _first_unique(shops[ok], n)
                if len(found) == n:
                    return np.sort(found)
        return None

    def ring_shop(self, opened_before: int, platform: int | None = None) -> np.ndarray | None:
        """One shop of an earlier ring, on the platform if possible."""
        if not self.ring_shops:
            return None
        draw = self.rng.integers(0, len(self.ring_shops), 16).tolist()
        shops = np.array([self.ring_shops[i] for i in draw], dtype=np.int64)
        shops = shops[self.pop.shop_opened[shops] < opened_before]
        on_platform = shops[self.pop.shop_platform[shops] == platform]
        shops = on_platform if len(on_platform) else shops
        return shops[self.rng.integers(0, len(shops), 1)] if len(shops) else None

    def popular_honest(self, opened_before: int, count: int = 20) -> np.ndarray:
        """Up to `count` of the most popular honest shops open before the day: where camouflage
        purchases go. They come from the top popularity band, which rings never recruit from."""
        top = self.by_rank[: max(1, int(self.pop.shops * _RING_BAND))]
        honest = np.isin(self.use[top], (_ShopUse.FREE, _ShopUse.HUB))
        return top[honest & (self.pop.shop_opened[top] < opened_before)][:count]

    def accounts(self, n: int, before_day: int) -> np.ndarray:
        """Reserve `n` unreserved consumers who registered shortly before `before_day`."""
        pop = self.pop
        hi = int(pop.consumers_registered_before(before_day))
        span = 90
        while True:
            lo = int(pop.consumers_registered_before(before_day - span))
            for _ in range(4):
                draw = self.rng.integers(lo, max(hi, lo + 1), 8 * n + 16)
                chosen = _first_unique(draw[~self.reserved[draw]], n)
                if len(chosen) == n:
                    self.reserved[chosen] = True
                    return np.sort(chosen)
            if lo == 0:
                raise ValueError("too few consumers for the planned fake accounts; add orders")
            span *= 2

    def window(self, min_len: int, max_len: int) -> tuple[int, int]:
        length = int(self.rng.integers(min_len, max_len + 1))
        first = int(self.rng.integers(min(30, self.days - length - 1), self.days - length))
        return first, min(first + length, self.days - 1)

    def times(
        self, first: np.ndarray | int, last: np.ndarray | int, hours: np.ndarray
    ) -> np.ndarray:
        n = len(hours)
        day = self.rng.integers(first, np.asarray(last) + 1, n)
        return (
            (self.pop.timeline.start_day + day) * DAY + hours * HOUR + self.rng.integers(0, HOUR, n)
        )

    def normal_hours(self, n: int) -> np.ndarray:
        return weighted_index(self.rng.random(n), HOUR_WEIGHTS)

    def pools(self, n_buyers: int) -> dict[str, np.ndarray]:
        """Devices, IPs (one /24) and delivery addresses that a group of accounts shares."""
        rng = self.rng
        ip_block = public_ip(rng.integers(0, 2**62, 1, dtype=np.int64).astype(np.uint64))[0] & ~255
        n_addresses = max(1, n_buyers // 6)
        return {
            "device": rng.integers(1, 2**62, max(2, n_buyers // 4), dtype=np.int64).astype(
                np.uint64
            ),
            "ip": ip_block + rng.integers(2, 254, max(2, n_buyers // 5)),
            "address": rng.integers(1, 2**62, n_addresses, dtype=np.int64).astype(np.uint64),
            "address_region": rng.integers(0, len(regions.CODES), n_addresses),
        }

    def shared(self, pool: dict[str, np.ndarray], buyer_slot: np.ndarray) -> dict[str, np.ndarray]:
        n = len(buyer_slot)
        address = self.rng.integers(0, len(pool["address"]), n)
        return {
            "device": pool["device"][buyer_slot % len(pool["device"])],
            "ip": pool["ip"][self.rng.integers(0, len(pool["ip"]), n)],
            "address": pool["address"][address],
            "dest_region": pool["address_region"][address],
        }

    def block_pairs(self, n_buyers: int, n_shops: int, density: float) -> np.ndarray:
        """Distinct (buyer, shop) cells covering every row and column, `density` of the block."""
        cells = max(n_buyers, n_shops, round(density * n_buyers * n_shops))
        cover = np.arange(max(n_buyers, n_shops))
        chosen = (cover % n_buyers) * n_shops + self.rng.permutation(n_shops)[cover % n_shops]
        rest = np.setdiff1d(np.arange(n_buyers * n_shops), chosen)
        extra = self.rng.choice(rest, cells - len(chosen), replace=False)
        return np.sort(np.concatenate([chosen, extra]))

    def ring(self, density: float, empty_parcels: bool) -> None:
        rng = self.rng
        need = math.ceil(1 / density - 1e-9)
        n_shops = max(need, int(rng.integers(3, 7)))
        n_buyers = max(need, int(rng.integers(8, 31)))
        first, last = self.window(20, 90)
        start = self.pop.timeline.start_day + first
        platform = int(weighted_index(rng.random(1), np.bincount(self.pop.shop_platform))[0])
        shops = self.free_shops(n_shops, start, (_RING_BAND, 1.0), platform)
        if shops is None:
            self.skipped["brushing"] = self.skipped.get("brushing", 0) + 1
            return
        cells = self.block_pairs(n_buyers, n_shops, density)
        repeats = 1 + rng.poisson(0.8, len(cells))
        honest = self.popular_honest(start)
        camouflage = (1 + np.minimum(rng.poisson(1.2, n_buyers), 4)) * (len(honest) > 0)
        if not self.fits("brushing", int(repeats.sum() + camouflage.sum())):
            return
        self.use[shops] = _ShopUse.RING
        self.ring_shops.extend(shops.tolist())
        buyers = self.accounts(n_buyers, start)
        detail = f"density={density};buyers={n_buyers};shops={n_shops};pairs={len(cells)}"
        g = self.group("BR", Manipulation.BRUSHING, detail)
        self.label(IdKind.SHOP, shops, g, "colluding_shop")
        self.label_merchants(shops, g, "colluding_merchant", MerchantFlag.RING)
        self.label(IdKind.CONSUMER, buyers, g, "fake_buyer")
        pool = self.pools(n_buyers)

        slot = np.repeat(cells // n_shops, repeats)
        n = len(slot)
        odd = rng.random(n) < 0.45
        hours = np.where(odd, rng.choice(ODD_HOURS, n), self.normal_hours(n))
        fake = special_orders(
            n,
            at=self.times(first, last, hours),
            shop=shops[np.repeat(cells % n_shops, repeats)],
            buyer=buyers[slot],
            role=Role.BRUSHING,
            group=g,
            product_local=(rng.random(n) < 0.3).astype(np.int64),
            price_factor=np.where(rng.random(n) < 0.6, rng.uniform(0.01, 0.15, n), 0.0),
            **self.shared(pool, slot),
        )
        if empty_parcels:
            self.empty_parcels(fake, shops, g)
        self.specials.append(fake)

        slot = np.repeat(np.arange(n_buyers), camouflage)
        n = len(slot)
        camo_shops = rng.choice(
            honest, n, p=self.pop.shop_weight[honest] / self.pop.shop_weight[honest].sum()
        )
        self.specials.append(
            special_orders(
                n,
                at=self.times(first, min(last + 60, self.days - 1), self.normal_hours(n)),
                shop=camo_shops,
                buyer=buyers[slot],
                role=Role.CAMOUFLAGE,
                group=g,
                **self.shared(pool, slot),
            )
        )

    def empty_parcels(self, fake: SpecialOrders, shops: np.ndarray, ring_group: int) -> None:
        """Fake orders get fabricated shipments from a small pool of reused tracking numbers."""
        g = self.group("EP", Manipulation.EMPTY_PARCEL, f"ring={self.groups[ring_group].group_id}")
        self.label(IdKind.SHOP, shops, g, "shipper")
        self.label_merchants(shops, g, "shipper_merchant", MerchantFlag.EMPTY_PARCEL)
        first = self.orders + 1 + sum(len(p) for p in self.parcel_numbers)
        numbers = first + np.arange(max(2, len(fake) // 4))
        self.parcel_numbers.append(numbers)
        self.parcel_groups.append(np.full(len(numbers), g, dtype=np.int32))
        fake.parcel_group[:] = g
        fake.parcel[:] = numbers[self.rng.integers(0, len(numbers), len(fake))]
        fake.carrier[:] = self.rng.integers(0, CARRIERS)
        self.parcel_carriers.append(np.full(len(numbers), fake.carrier[0], dtype=np.int64))

    def malicious(self) -> None:
        rng = self.rng
        first, last = self.window(7, 14)
        start = self.pop.timeline.start_day + first
        victim = self.free_shops(1, start, (0.0, 0.1))
        if victim is None:
            self.skipped["malicious_review"] = self.skipped.get("malicious_review", 0) + 1
            return
        platform = int(self.pop.shop_platform[victim[0]])
        instigator = self.ring_shop(start, platform) if rng.random() < 0.5 else None
        if instigator is None:
            instigator = self.free_shops(1, start, platform=platform)
        n = int(rng.integers(4, 13))
        if instigator is None or not self.fits("malicious_review", n):
            return
        self.use[victim] = _ShopUse.VICTIM
        self.use[instigator] = np.where(
            self.use[instigator] == _ShopUse.FREE, _ShopUse.INSTIGATOR, self.use[instigator]
        )
        accounts = self.accounts(n, start)
        g = self.group("MR", Manipulation.MALICIOUS_REVIEW)
        self.label(IdKind.SHOP, victim, g, "victim")
        self.label(IdKind.SHOP, instigator, g, "instigator")
        self.label_merchants(instigator, g, "instigator", MerchantFlag.INSTIGATOR)
        self.label(IdKind.CONSUMER, accounts, g, "reviewer")
        self.malicious_accounts.append(accounts)
        slot = np.arange(n)
        self.specials.append(
            special_orders(
                n,
                at=self.times(first, last, self.normal_hours(n)),
                shop=victim[0],
                buyer=accounts,
                role=Role.MALICIOUS,
                group=g,
                **self.shared(self.pools(max(3, n // 2)), slot),
            )
        )

    def flash_sale(self) -> None:
        rng = self.rng
        day = int(rng.integers(0, self.days))
        hour = int(rng.choice([10, 20]))
        shop = self.free_shops(1, self.pop.timeline.start_day + day, (0.005, 0.3))
        n_wanted = min(int(rng.integers(30, 201)), self.pop.consumers // 4)
        if shop is None or not self.fits("flash_sale", n_wanted):
            return
        self.use[shop] = _ShopUse.FLASH
        absolute = self.pop.timeline.start_day + day
        draws = self.pop.sample_consumers(rng.random(2 * n_wanted), np.full(2 * n_wanted, absolute))
        unique, first_seen = np.unique(draws, return_index=True)
        buyers = unique[np.argsort(first_seen)][:n_wanted]
        n = len(buyers)
        when = f"{to_date(absolute).isoformat()} {hour:02d}:00"
        g = self.group("FS", Manipulation.FLASH_SALE, f"start={when};buyers={n}")
        self.label(IdKind.SHOP, shop, g, "flash_shop")
        offset = np.minimum(rng.exponential(600.0, n), HOUR - 1).astype(np.int64)
        self.specials.append(
            special_orders(
                n,
                at=absolute * DAY + hour * HOUR + offset,
                shop=shop[0],
                buyer=buyers,
                role=Role.FLASH,
                group=g,
                product_local=0,
                price_factor=rng.uniform(0.3, 0.6),
            )
        )

    def loyal_buyer(self) -> None:
        rng = self.rng
        start = self.pop.timeline.start_day
        shop = self.free_shops(1, start, (0.005, 1.0))
        n = int(rng.integers(15, 41))
        if shop is None or not self.fits("loyal_buyer", n):
            return
        self.use[shop] = _ShopUse.LOYAL
        buyer = self.pop.sample_consumers(rng.random(1), np.array([start]))
        days = rng.integers(0, self.days // 4) + np.cumsum(rng.gamma(4.0, 3.0, n)).astype(np.int64)
        days = days[days < self.days]
        g = self.group("LB", Manipulation.LOYAL_BUYER, f"orders={len(days)}")
        self.label(IdKind.CONSUMER, buyer, g, "loyal_buyer")
        self.label(IdKind.SHOP, shop, g, "favourite_shop")
        hours = np.clip(rng.integers(19, 23) + rng.integers(-1, 2, len(days)), 0, 23)
        at = (start + days) * DAY + hours * HOUR + rng.integers(0, HOUR, len(days))
        self.specials.append(
            special_orders(len(days), at=at, shop=shop[0], buyer=buyer[0], role=Role.LOYAL, group=g)
        )

    def hubs(self) -> None:
        count = max(1, round(self.pop.shops * self.config.hub_share))
        for rank, shop in enumerate(self.by_rank[:count]):
            g = self.group("HB", Manipulation.HUB_SHOP, f"popularity_rank={rank + 1}")
            self.use[shop] = _ShopUse.HUB
            self.label(IdKind.SHOP, np.array([shop]), g, "hub")

    def boosted_traffic(self) -> None:
        rng = self.rng
        first_window = self.days - self.config.traffic_days
        start = int(rng.integers(max(first_window, 0), self.days - 7))
        end = min(start + int(rng.integers(7, 31)), self.days - 1)
        opened_before = self.pop.timeline.start_day + start
        shop = self.ring_shop(opened_before) if rng.random() < 0.5 else None
        shop = shop if shop is not None else self.free_shops(1, opened_before)
        if shop is None:
            self.skipped["fake_traffic"] = self.skipped.get("fake_traffic", 0) + 1
            return
        self.use[shop] = np.where(self.use[shop] == _ShopUse.FREE, _ShopUse.BOOSTED, self.use[shop])
        factor = round(float(rng.uniform(5.0, 30.0)), 1)
        first_date = to_date(self.pop.timeline.start_day + start).isoformat()
        last_date = to_date(self.pop.timeline.start_day + end).isoformat()
        g = self.group(
            "FT", Manipulation.FAKE_TRAFFIC, f"factor={factor};from={first_date};to={last_date}"
        )
        self.label(IdKind.SHOP, shop, g, "boosted_shop")
        self.label_merchants(shop, g, "merchant", MerchantFlag.FAKE_TRAFFIC)
        self.traffic.append((int(shop[0]), start, end, factor))

    def build(self) -> Plan:
        special = concat_orders(self.specials)
        traffic = np.array(self.traffic, dtype=np.float64).reshape(-1, 4)
        return Plan(
            special=special.take(np.argsort(special.at, kind="stable")),
            groups=self.groups,
            entity_labels=self.labels,
            merchant_flags=self.flags,
            malicious_accounts=np.concatenate([np.zeros(0, np.int64), *self.malicious_accounts]),
            fake_traffic=FakeTraffic(
                shop=traffic[:, 0].astype(np.int64),
                first_day=traffic[:, 1].astype(np.int64),
                last_day=traffic[:, 2].astype(np.int64),
                factor=traffic[:, 3],
            ),
            parcel_numbers=np.concatenate([np.zeros(0, np.int64), *self.parcel_numbers]),
            parcel_number_groups=np.concatenate([np.zeros(0, np.int32), *self.parcel_groups]),
            parcel_carriers=np.concatenate([np.zeros(0, np.int64), *self.parcel_carriers]),
            skipped=self.skipped,
        )


def _first_unique(values: np.ndarray, n: int) -> np.ndarray:
    """The first `n` distinct values, in order of first appearance."""
    unique, first = np.unique(values, return_index=True)
    return unique[np.argsort(first)][:n]


def concat_orders(parts: list[SpecialOrders]) -> SpecialOrders:
    if not parts:
        return special_orders(0)
    return SpecialOrders(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in fields(SpecialOrders)
        }
    )


def write_entity_labels(out: Outputs, plan: Plan) -> None:
    """Subject and shop labels, one chunk per (id kind, role) in order of first appearance."""
    combos: dict[tuple[IdKind, str], list[tuple[np.ndarray, int]]] = {}
    for kind, index, group, role in plan.entity_labels:
        combos.setdefault((kind, role), []).append((index, group))
    for (kind, role), parts in combos.items():
        index = np.concatenate([part[0] for part in parts])
        groups = np.concatenate([np.full(len(part[0]), part[1]) for part in parts])
        entity_kind = "shop" if kind == IdKind.SHOP else "subject"
        write_labels(out, entity_kind, ids(kind, index), plan.groups, groups, role)


def plan_world(seed: int, pop: Population, orders: int, config: WorldConfig) -> Plan:
    """Plan every campaign, take fake accounts out of organic sampling and freeze the weights."""
    planner = _Planner(seed, pop, orders, config)
    shops = pop.shops
    planner.hubs()
    rings = max(2, shops // config.shops_per_ring)
    campaigns = max(1, shops // config.shops_per_malicious_campaign)
    for i in range(max(rings, campaigns)):
        if i < rings:
            densities = config.ring_densities
            planner.ring(densities[i % len(densities)], empty_parcels=i % 2 == 0)
        if i < campaigns:
            planner.malicious()
    pop.consumer_weight[planner.reserved] = 0.0
    pop.finalise()
    flash_sales = max(1, shops // config.shops_per_flash_sale)
    loyal = max(1, shops // config.shops_per_loyal_buyer)
    for i in range(max(flash_sales, loyal)):
        if i < flash_sales:
            planner.flash_sale()
        if i < loyal:
            planner.loyal_buyer()
    for _ in range(max(1, shops // config.shops_per_fake_traffic)):
        planner.boosted_traffic()
    return planner.build()
