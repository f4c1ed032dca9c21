"""Who exists in the world: platforms, logistics companies, couriers, a credit agency, merchants,
their shops and products, and consumers.

Only what order generation needs at random access is kept in memory (per-merchant and per-shop
arrays, and one cumulative weight per consumer); everything else about an entity — names, phone
numbers, product prices and listing times — is derived from its index by `Hasher` whenever a
table chunk needs it. Shops and consumers are numbered in the order they opened or registered, so
"open before day d" is always a prefix of the index range and sampling a popular shop or an
active buyer at a given time is one binary search in a cumulative weight array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ecredit.generate import regions, vocab
from ecredit.generate.calendar import DAY, HOUR, Timeline, day_number
from ecredit.generate.config import WorldConfig
from ecredit.generate.rng import Attr, Hasher, Stream, permute, stream, weighted_index

PLATFORMS = len(vocab.PLATFORMS)
CARRIERS = len(vocab.CARRIERS)
MAX_PRODUCTS_PER_SHOP = 300
CATEGORY_SHARES = np.array([c.share for c in vocab.CATEGORIES])
_PRICE_BOUNDS = np.log(np.array([c.price_yuan for c in vocab.CATEGORIES]))
_GRAM_BOUNDS = np.array([c.grams for c in vocab.CATEGORIES], dtype=np.int64)
_RIC_BIRTH_FIRST = day_number(date(regions.RIC_FIRST_BIRTH_YEAR, 1, 1))
_RIC_BIRTH_DAYS = day_number(date(2005, 1, 1)) - _RIC_BIRTH_FIRST
"""Natural persons are born 1983-2004: adults by the time they register."""
_ADULT_DAYS = 18 * 366


@dataclass
class Population:
    """Arrays describing every entity; indices into them are the entities' identities."""

    hasher: Hasher
    timeline: Timeline
    platform_registered: np.ndarray
    carrier_shares: np.ndarray
    courier_carrier: np.ndarray
    courier_offsets: np.ndarray
    courier_registered: np.ndarray
    merchant_person: np.ndarray
    merchant_region: np.ndarray
    merchant_registered: np.ndarray
    merchant_badness: np.ndarray
    merchant_carrier: np.ndarray
    merchant_category: np.ndarray
    shop_merchant: np.ndarray
    shop_platform: np.ndarray
    shop_opened: np.ndarray
    shop_category: np.ndarray
    shop_weight: np.ndarray
    shop_products: np.ndarray
    shop_product_offset: np.ndarray
    consumer_first_day: int
    consumer_registered_by: np.ndarray
    consumer_weight: np.ndarray
    shop_cdf: np.ndarray | None = None
    consumer_cdf: np.ndarray | None = None
    open_by_day: np.ndarray | None = field(default=None, repr=False)

    @property
    def couriers(self) -> int:
        return len(self.courier_carrier)

    @property
    def merchants(self) -> int:
        return len(self.merchant_person)

    @property
    def shops(self) -> int:
        return len(self.shop_merchant)

    @property
    def products(self) -> int:
        return int(self.shop_product_offset[-1])

    @property
    def consumers(self) -> int:
        return len(self.consumer_weight)

    def shops_open_before(self, day: np.ndarray | int) -> np.ndarray:
        """How many shops opened strictly before each (absolute) day: a prefix of shop indices."""
        return np.searchsorted(self.shop_opened, day, side="left")

    def shops_open_on(self, history_day: np.ndarray) -> np.ndarray:
        """`shops_open_before` for days counted from the start of the history, by table lookup."""
        if self.open_by_day is None:
            days = self.timeline.start_day + np.arange(self.timeline.days)
            self.open_by_day = self.shops_open_before(days)
        return self.open_by_day[history_day]

    def consumers_registered_before(self, day: np.ndarray) -> np.ndarray:
        offset = np.clip(np.asarray(day) - self.consumer_first_day, 0, None)
        return self.consumer_registered_by[np.minimum(offset, len(self.consumer_registered_by) - 1)]

    def consumer_registered_on(self, index: np.ndarray) -> np.ndarray:
        return (
            self.consumer_first_day
            + np.searchsorted(self.consumer_registered_by, index, side="right")
            - 1
        )

    def finalise(self) -> None:
        """Freeze the sampling weights once the plan has taken its accounts out of circulation.

        Consumer weights are summed in place: at 100 M orders they are the largest array in the
        world, and nothing needs the individual weights afterwards.
        """
        self.shop_cdf = np.cumsum(self.shop_weight)
        self.consumer_cdf = np.cumsum(self.consumer_weight, out=self.consumer_weight)

    def sample_shops(self, u: np.ndarray, history_day: np.ndarray) -> np.ndarray:
        return _prefix_sample(self.shop_cdf, self.shops_open_on(history_day), u)

    def sample_consumers(self, u: np.ndarray, day: np.ndarray) -> np.ndarray:
        return _prefix_sample(self.consumer_cdf, self.consumers_registered_before(day), u)

    def consumer_region(self, consumer: np.ndarray, address: int = 0) -> np.ndarray:
        return weighted_index(
            self.hasher.unit(consumer, Attr.REGION, address), regions.BUYER_WEIGHTS
        )

    def product_category(self, product: np.ndarray, shop: np.ndarray) -> np.ndarray:
        own = self.hasher.unit(product, Attr.CATEGORY) < 0.85
        other = weighted_index(self.hasher.unit(product, Attr.CATEGORY, 1), CATEGORY_SHARES)
        return np.where(own, self.shop_category[shop], other)

    def list_cents(self, product: np.ndarray, category: np.ndarray) -> np.ndarray:
        lo, hi = _PRICE_BOUNDS[category, 0], _PRICE_BOUNDS[category, 1]
        yuan = np.exp(lo + self.hasher.unit(product, Attr.PRICE) * (hi - lo))
        cents = np.maximum(np.round(yuan), 1).astype(np.int64) * 100
        return cents - 10 * (self.hasher.unit(product, Attr.PRICE, 1) < 0.4)

    def product_grams(self, product: np.ndarray, category: np.ndarray) -> np.ndarray:
        lo, hi = _GRAM_BOUNDS[category, 0], _GRAM_BOUNDS[category, 1]
        return lo + (self.hasher.unit(product, Attr.WEIGHT) * (hi - lo)).astype(np.int64)

    def product_listing(self, product: np.ndarray, shop: np.ndarray) -> tuple[np.ndarray, ...]:
        """(listed_at, delisted_at or -1). The first product of a shop is listed the day the shop
        opens and never delisted, so every open shop always has something to sell."""
        local = product - self.shop_product_offset[shop]
        opened = self.shop_opened[shop].astype(np.int64) * DAY
        anchor = opened + 8 * HOUR + self.hasher.below(product, Attr.LISTED, 2 * HOUR)
        span = self.timeline.end_ts - opened - 8 * HOUR
        later = opened + 8 * HOUR + (self.hasher.unit(product, Attr.LISTED, 1) ** 2.5 * span)
        listed = np.where(local == 0, anchor, later.astype(np.int64))
        delist = (
            listed + (7 + self.hasher.unit(product, Attr.DELISTED) * 500).astype(np.int64) * DAY
        )
        delisted_ok = (local > 0) & (self.hasher.unit(product, Attr.DELISTED, 1) < 0.12)
        delisted_ok &= delist <= self.timeline.end_ts
        return listed, np.where(delisted_ok, delist, -1)


def _prefix_sample(cdf: np.ndarray, available: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Weighted choice among the first `available` entities (each row its own prefix).

    The targets are searched in sorted order, which keeps the binary search within the cache
    even when the cumulative weights span millions of consumers.
    """
    last = np.maximum(available, 1) - 1
    target = u * cdf[last]
    order = np.argsort(target)
    found = np.empty(len(target), dtype=np.int64)
    found[order] = np.searchsorted(cdf, target[order], side="right")
    return np.minimum(found, last)


def _pareto(rng: np.random.Generator, n: int, alpha: float, cap: float) -> np.ndarray:
    return np.minimum((1.0 - rng.random(n)) ** (-1.0 / alpha), cap)


def build_population(
    seed: int, timeline: Timeline, merchants: int, orders: int, config: WorldConfig
) -> Population:
    hasher = Hasher(seed)
    rng = stream(seed, Stream.POPULATION)
    start = timeline.start_day
    platform_registered = start - rng.integers(9 * 365, 20 * 365, PLATFORMS)
    couriers = max(2 * CARRIERS, orders // 20_000)
    shares = np.array([c[2] for c in vocab.CARRIERS])
    courier_carrier = weighted_index(rng.random(couriers), shares)
    courier_carrier[:CARRIERS] = np.arange(CARRIERS)
    courier_carrier.sort()

    person = rng.random(merchants) < config.person_seller_share
    badness = rng.beta(1.1, 7.0, merchants)
    truly_bad = rng.random(merchants) < 0.04
    badness[truly_bad] = rng.uniform(0.6, 0.95, truly_bad.sum())
    before = start - (8 * 365 * rng.random(merchants) ** 1.3).astype(np.int64) - 30
    during = start + rng.integers(0, max(timeline.days - 60, 1), merchants)
    registered = np.where(rng.random(merchants) < 0.85, before, during)
    _, birth = person_identity(couriers + np.cumsum(person)[person] - 1)
    registered[person] = np.maximum(registered[person], birth + _ADULT_DAYS)
    category = weighted_index(rng.random(merchants), CATEGORY_SHARES)
    return Population(
        hasher=hasher,
        timeline=timeline,
        platform_registered=platform_registered,
        carrier_shares=shares,
        courier_carrier=courier_carrier,
        courier_offsets=np.searchsorted(courier_carrier, np.arange(CARRIERS + 1)),
        courier_registered=timeline.end_day - rng.integers(30, 6 * 365, couriers),
        merchant_person=person,
        merchant_region=weighted_index(rng.random(merchants), regions.SELLER_WEIGHTS),
        merchant_registered=registered,
        merchant_badness=badness,
        merchant_carrier=weighted_index(rng.random(merchants), shares),
        merchant_category=category,
        **_build_shops(seed, timeline, registered, platform_registered, badness, category),
        **_build_consumers(seed, timeline, orders, config),
    )


def person_identity(person_number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RIC region index, birth day) of each natural person, unique per person number."""
    count = len(regions.RIC_REGIONS)
    if len(person_number) and person_number.max() >= count * _RIC_BIRTH_DAYS:
        raise ValueError(f"at most {count * _RIC_BIRTH_DAYS} natural persons fit the ID scheme")
    slot = permute(person_number, count * _RIC_BIRTH_DAYS, key=11_643)
    return regions.RIC_REGIONS[slot % count], _RIC_BIRTH_FIRST + slot // count


def _build_shops(
    seed: int,
    timeline: Timeline,
    merchant_registered: np.ndarray,
    platform_registered: np.ndarray,
    badness: np.ndarray,
    merchant_category: np.ndarray,
) -> dict[str, np.ndarray]:
    rng = stream(seed, Stream.SHOPS)
    merchants = len(merchant_registered)
    extra = (rng.random(merchants) < 0.15).astype(np.int64) + (rng.random(merchants) < 0.04)
    counts = 1 + extra
    merchant = np.repeat(np.arange(merchants), counts)
    n = len(merchant)
    rank = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    first_platform = weighted_index(rng.random(merchants), np.array(vocab.PLATFORM_SHARES))
    step = rng.integers(1, PLATFORMS, merchants)
    platform = (first_platform[merchant] + rank * step[merchant]) % PLATFORMS
    delay = np.where(rank == 0, rng.integers(3, 400, n), rng.integers(60, 900, n))
    opened = np.maximum(merchant_registered[merchant], platform_registered[platform]) + delay
    opened = np.minimum(opened, timeline.end_day - 14)
    opened[np.argmin(opened)] = min(opened.min(), timeline.start_day - 30)
    weight = _pareto(rng, n, 1.1, 1e5) * (1.0 - 0.6 * badness[merchant])
    category = np.where(
        rng.random(n) < 0.9,
        merchant_category[merchant],
        weighted_index(rng.random(n), CATEGORY_SHARES),
    )
    products = 1 + np.minimum(
        rng.lognormal(1.3 + 0.35 * np.log(weight), 0.9).astype(np.int64), MAX_PRODUCTS_PER_SHOP - 1
    )
    order = np.lexsort((platform, merchant, opened))
    return {
        "shop_merchant": merchant[order],
        "shop_platform": platform[order],
        "shop_opened": opened[order],
        "shop_category": category[order],
        "shop_weight": weight[order],
        "shop_products": products[order],
        "shop_product_offset": np.concatenate([[0], np.cumsum(products[order])]),
    }


def _build_consumers(
    seed: int, timeline: Timeline, orders: int, config: WorldConfig
) -> dict[str, object]:
    rng = stream(seed, Stream.CONSUMERS)
    n = max(int(orders / config.orders_per_consumer), 600)
    first_day = timeline.start_day - 12 * 365
    pre = rng.random(n) < 0.72
    offset = np.where(
        pre,
        (12 * 365 * rng.random(n) ** 0.6).astype(np.int64),
        12 * 365 + (timeline.days * rng.random(n) ** 0.8).astype(np.int64),
    )
    per_day = np.bincount(offset, minlength=12 * 365 + timeline.days + 1)
    weight = _pareto(rng, n, 1.6, 5_000.0)
    weight[rng.random(n) < 0.25] *= 0.05
    return {
        "consumer_first_day": first_day,
        "consumer_registered_by": np.concatenate([[0], np.cumsum(per_day)]),
        "consumer_weight": weight,
    }
