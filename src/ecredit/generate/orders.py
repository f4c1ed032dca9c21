"""Orders, streamed in time order in chunks of whole hours.

The number of organic orders in every hour of the history is drawn once (a multinomial over the
calendar's hourly weights); a chunk is a run of consecutive hours holding about
`chunk_orders` orders, organic and planned alike. Each chunk has its own random stream, so chunk
*k* is identical whatever the machine or the chunks before it, and only one chunk of orders is ever
in memory. Shops and buyers are drawn by popularity among those that already existed on the
order's day; everything downstream (payment, shipment, delivery, confirmation, returns) is
computed here once, because the order's status at the end date depends on all of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate import regions
from ecredit.generate.calendar import DAY, HOUR
from ecredit.generate.config import WorldConfig
from ecredit.generate.naming import Books, IdKind, ids, order_digits, public_ip
from ecredit.generate.plan import Plan, Role, SpecialOrders, concat_orders, special_orders
from ecredit.generate.population import Population
from ecredit.generate.rng import Attr, Stream, stream, weighted_index
from ecredit.records.kinds import ORDER_STATUSES, ORDERS

STATUS = {name: code for code, name in enumerate(ORDER_STATUSES)}
CANCELLERS = ORDERS.field("cancelled_by").choices
_CANCELLED_BY = {name: code for code, name in enumerate(CANCELLERS)}
NONE = -1
_WEEK = 7 * DAY
_STATUS_VOCAB = col.vocab(ORDER_STATUSES)
_CANCELLER_VOCAB = col.vocab(CANCELLERS)


@dataclass
class OrderBatch:
    """One chunk of orders with their whole fulfilment timeline (NONE where it never happened)."""

    number: np.ndarray
    digits: np.ndarray
    order_ids: pa.Array
    shop: np.ndarray
    merchant: np.ndarray
    badness: np.ndarray
    buyer: np.ndarray
    product: np.ndarray
    category: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray
    amount_cents: np.ndarray
    role: np.ndarray
    group: np.ndarray
    parcel_group: np.ndarray
    parcel: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    address: np.ndarray
    origin: np.ndarray
    dest: np.ndarray
    carrier: np.ndarray
    grams: np.ndarray
    ordered: np.ndarray
    paid: np.ndarray
    shipped: np.ndarray
    picked: np.ndarray
    transit_out: np.ndarray
    transit_in: np.ndarray
    delivered: np.ndarray
    signed: np.ndarray
    confirmed: np.ndarray
    returned: np.ndarray
    status: np.ndarray
    cancelled_by: np.ndarray
    chargeback: np.ndarray

    def __len__(self) -> int:
        return len(self.number)

    def derived_ids(
        self, kind: IdKind, rows: np.ndarray, slot: int | np.ndarray | None = None
    ) -> pa.StringArray:
        """Ids made of order numbers: a rating's or event's id is its order's plus a slot digit."""
        suffix = None if slot is None else np.broadcast_to(np.asarray(slot), rows.shape)
        return col.affixed(self.digits[rows], kind.value, suffix)


class OrderStream:
    def __init__(
        self, seed: int, pop: Population, plan: Plan, orders: int, config: WorldConfig
    ) -> None:
        self.seed = seed
        self.pop = pop
        self.special = plan.special
        timeline = pop.timeline
        organic = orders - len(self.special)
        if organic < 0:
            raise ValueError("more planned orders than orders; raise `orders`")
        weights = timeline.hour_weights()
        rng = stream(seed, Stream.CALENDAR)
        self.organic_per_hour = rng.multinomial(organic, weights / weights.sum())
        special_hour = (self.special.at - timeline.start_ts) // HOUR
        per_hour = self.organic_per_hour + np.bincount(special_hour, minlength=len(weights))
        cumulative = np.cumsum(per_hour)
        cuts = np.searchsorted(
            cumulative, np.arange(config.chunk_orders, orders, config.chunk_orders)
        )
        self.bounds = np.unique(np.concatenate([[0], cuts + 1, [len(weights)]]))
        self.bounds = self.bounds[self.bounds <= len(weights)]

    def __iter__(self) -> Iterator[OrderBatch]:
        first = 1
        for i, (lo, hi) in enumerate(itertools.pairwise(self.bounds)):
            batch = self._batch(i, int(lo), int(hi), first)
            first += len(batch)
            yield batch

    def _batch(self, index: int, first_hour: int, last_hour: int, first_number: int) -> OrderBatch:
        pop = self.pop
        timeline = pop.timeline
        rng = stream(self.seed, Stream.ORDERS, index)
        hours = np.repeat(
            np.arange(first_hour, last_hour), self.organic_per_hour[first_hour:last_hour]
        )
        n_organic = len(hours)
        day = hours // 24
        organic = special_orders(
            n_organic,
            at=timeline.start_ts + hours * HOUR + rng.integers(0, HOUR, n_organic),
            shop=pop.sample_shops(rng.random(n_organic), day),
            buyer=pop.sample_consumers(rng.random(n_organic), timeline.start_day + day),
            role=Role.ORGANIC,
        )
        window = timeline.start_ts + np.array([first_hour, last_hour]) * HOUR
        lo, hi = np.searchsorted(self.special.at, window)
        merged = concat_orders([organic, self.special.take(slice(lo, hi))])
        planned = merged.take(np.argsort(merged.at, kind="stable"))
        return _build(rng, pop, planned, first_number)


def _choose_products(
    rng: np.random.Generator, pop: Population, shop: np.ndarray, local: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Popular products sell most; a product not on sale at that moment falls back to the
    shop's first product, which is on sale from the day the shop opens."""
    count = pop.shop_products[shop]
    drawn = (count * rng.random(len(shop)) ** 3).astype(np.int64)
    local = np.minimum(np.where(local >= 0, local, drawn), count - 1)
    product = pop.shop_product_offset[shop] + local
    listed, delisted = pop.product_listing(product, shop)
    off_sale = (listed > at) | ((delisted >= 0) & (delisted <= at))
    return np.where(off_sale, pop.shop_product_offset[shop], product)


def _build(
    rng: np.random.Generator, pop: Population, o: SpecialOrders, first_number: int
) -> OrderBatch:
    n = len(o)
    hasher = pop.hasher
    merchant = pop.shop_merchant[o.shop]
    product = _choose_products(rng, pop, o.shop, o.product_local, o.at)
    category = pop.product_category(product, o.shop)
    single = np.isin(o.role, (Role.BRUSHING, Role.FLASH))
    quantity = np.where(single, 1, np.minimum(rng.geometric(0.78, n), 10))
    coupon = np.where(rng.random(n) < 0.3, rng.uniform(0.75, 0.98, n), 1.0)
    factor = np.where(o.price_factor > 0, o.price_factor, coupon)
    unit = np.maximum(np.round(pop.list_cents(product, category) * factor), 1).astype(np.int64)
    second_address = rng.random(n) < 0.12
    own_address = np.where(
        second_address, hasher.bits(o.buyer, Attr.ADDRESS, 1), hasher.bits(o.buyer, Attr.ADDRESS)
    )
    own_region = pop.consumer_region(o.buyer)
    own_region[second_address] = pop.consumer_region(o.buyer[second_address], 1)
    own_device = np.where(
        rng.random(n) < 0.25,
        hasher.bits(o.buyer, Attr.DEVICE, 1),
        hasher.bits(o.buyer, Attr.DEVICE),
    )
    own_ip = np.where(
        rng.random(n) < 0.65,
        public_ip(hasher.bits(o.buyer, Attr.IP)),
        public_ip(rng.integers(0, 2**62, n, dtype=np.int64).astype(np.uint64)),
    )
    usual_carrier = np.where(
        rng.random(n) < 0.8,
        pop.merchant_carrier[merchant],
        weighted_index(rng.random(n), pop.carrier_shares),
    )
    number = first_number + np.arange(n, dtype=np.int64)
    digits = order_digits(number)
    base = dict(
        number=number,
        digits=digits,
        order_ids=col.affixed(digits, IdKind.ORDER.value),
        shop=o.shop,
        merchant=merchant,
        badness=pop.merchant_badness[merchant],
        buyer=o.buyer,
        product=product,
        category=category,
        quantity=quantity,
        unit_cents=unit,
        amount_cents=unit * quantity,
        role=o.role,
        group=o.group,
        parcel_group=o.parcel_group,
        parcel=o.parcel,
        device=np.where(o.device != 0, o.device, own_device),
        ip=np.where(o.ip >= 0, o.ip, own_ip),
        address=np.where(o.address != 0, o.address, own_address),
        origin=pop.merchant_region[merchant],
        dest=np.where(o.dest_region >= 0, o.dest_region, own_region),
        carrier=np.where(o.carrier >= 0, o.carrier, usual_carrier),
        grams=np.where(o.parcel >= 0, 0, pop.product_grams(product, category) * quantity),
        ordered=o.at,
    )
    return OrderBatch(**base, **_fulfil(rng, base, pop.timeline.end_ts))


def _lognormal_seconds(
    rng: np.random.Generator, median: np.ndarray, sigma: float, lo: float, hi: float
) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma), lo, hi).astype(np.int64)


def _cancellations(
    rng: np.random.Generator, brushing: np.ndarray, badness: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(never paid, who cancelled or NONE). Bad merchants cancel more often (out of stock);
    platforms' risk control cancels a share of brushing orders."""
    n = len(brushing)
    unpaid = ~brushing & (rng.random(n) < 0.03)
    u = rng.random(n)
    cancelled_by = np.full(n, NONE)
    cancelled_by[~brushing & (u < 0.015 + 0.03 * badness)] = _CANCELLED_BY["seller"]
    cancelled_by[~brushing & (u < 0.012)] = _CANCELLED_BY["buyer"]
    cancelled_by[unpaid] = _CANCELLED_BY["buyer"]
    risky = np.where(brushing, u < 0.06, u > 0.999)
    cancelled_by[~unpaid & risky] = _CANCELLED_BY["platform"]
    return unpaid, cancelled_by


def _delivery(
    rng: np.random.Generator, o: dict[str, np.ndarray], shipped: np.ndarray
) -> dict[str, np.ndarray]:
    """Scan times of a real parcel: pickup, the two sorting hubs, delivery and signature."""
    n = len(shipped)
    picked = shipped + rng.integers(300, 5 * HOUR, n)
    km = regions.ROAD_KM[o["origin"], o["dest"]]
    delivered = picked + ((12 + km / 40) * HOUR * rng.lognormal(0.0, 0.25, n)).astype(np.int64)
    transit_out = picked + rng.integers(2 * HOUR, 6 * HOUR, n)
    via_hub = regions.HUB[o["origin"]] != regions.HUB[o["dest"]]
    transit_in = np.maximum(delivered - rng.integers(3 * HOUR, 8 * HOUR, n), transit_out + 1800)
    locker = rng.random(n) < 0.4
    wait = np.where(locker, rng.integers(HOUR, 36 * HOUR, n), rng.integers(0, 20 * 60, n))
    return {
        "picked": picked,
        "transit_out": transit_out,
        "transit_in": np.where(via_hub, transit_in, NONE),
        "delivered": delivered,
        "signed": delivered + wait,
    }


def _empty_parcel(
    rng: np.random.Generator, parcel_group: np.ndarray, shipped: np.ndarray
) -> dict[str, np.ndarray]:
    """Scan times of an empty parcel: no pickup, one quick transit scan, "delivered" a few hours
    after shipping whatever the distance, signed in the ring's weekly batch at the same second
    as its other parcels."""
    n = len(shipped)
    delivered = shipped + rng.integers(40 * 60, 3 * HOUR, n)
    slot = 8 * HOUR + (parcel_group * 7919) % (12 * HOUR)
    return {
        "picked": np.full(n, NONE),
        "transit_out": shipped + rng.integers(60, 600, n),
        "transit_in": np.full(n, NONE),
        "delivered": delivered,
        "signed": (delivered - slot + _WEEK - 1) // _WEEK * _WEEK + slot,
    }


def _fulfil(
    rng: np.random.Generator, o: dict[str, np.ndarray], end_ts: int
) -> dict[str, np.ndarray]:
    """Payment, cancellation, shipment, delivery, confirmation, return and chargeback, and the
    resulting status at the end date; anything after the end date has not happened (NONE)."""
    brushing = o["role"] == Role.BRUSHING
    badness = o["badness"]
    n = len(brushing)
    paid = o["ordered"] + np.where(
        brushing, rng.integers(3, 40, n), _lognormal_seconds(rng, np.full(n, 75.0), 1.0, 3, 1800)
    )
    unpaid, cancelled_by = _cancellations(rng, brushing, badness)
    cancelled = cancelled_by != NONE
    ship_median = np.where(brushing, 3.0 * HOUR, 16.0 * HOUR * np.exp(0.8 * badness))
    shipped = paid + _lognormal_seconds(rng, ship_median, 0.7, 1200, 7 * DAY)
    real, fake = _delivery(rng, o, shipped), _empty_parcel(rng, o["parcel_group"], shipped)
    empty = o["parcel"] >= 0
    trail = {name: np.where(empty, fake[name], real[name]) for name in real}
    signed = trail["signed"]
    confirm_delay = np.where(
        brushing,
        rng.integers(600, 12 * HOUR, n),
        _lognormal_seconds(rng, np.full(n, 2.0 * DAY), 1.0, 60, 10 * DAY),
    )
    confirmed = signed + confirm_delay
    returns = ~brushing & (rng.random(n) < 0.02 + 0.05 * badness)
    returned = np.where(returns, signed + rng.integers(DAY, 7 * DAY, n), NONE)
    chargeback = ~cancelled & ~brushing & (rng.random(n) < 0.0006 + 0.004 * badness)

    shipped_ok = ~cancelled & (shipped <= end_ts)
    status = np.select(
        [
            cancelled,
            ~shipped_ok,
            chargeback | ((returned != NONE) & (returned <= end_ts)),
            confirmed <= end_ts,
            signed <= end_ts,
        ],
        [
            STATUS["cancelled"],
            STATUS["paid"],
            STATUS["refunded"],
            STATUS["completed"],
            STATUS["delivered"],
        ],
        STATUS["shipped"],
    )
    happened = {name: np.where(shipped_ok, times, NONE) for name, times in trail.items()}
    return happened | {
        "paid": np.where(unpaid, NONE, np.minimum(paid, end_ts)),
        "shipped": np.where(shipped_ok, shipped, NONE),
        "confirmed": np.where(status == STATUS["completed"], confirmed, NONE),
        "returned": np.where(shipped_ok, returned, NONE),
        "status": status,
        "cancelled_by": cancelled_by,
        "chargeback": chargeback,
    }


def order_columns(b: OrderBatch, books: Books) -> dict[str, pa.Array]:
    paid = b.paid != NONE
    shipped = b.shipped != NONE
    return {
        "order_id": b.order_ids,
        "shop_id": books.shops.take(b.shop),
        "buyer_id": ids(IdKind.CONSUMER, b.buyer),
        "product_id": ids(IdKind.PRODUCT, b.product),
        "quantity": col.ints(b.quantity),
        "unit_price": col.money(b.unit_cents),
        "amount": col.money(b.amount_cents),
        "ordered_at": col.timestamps(b.ordered),
        "paid_at": col.timestamps(b.paid, paid),
        "shipped_at": col.timestamps(b.shipped, shipped),
        "status": col.pick(_STATUS_VOCAB, b.status),
        "cancelled_by": col.masked(
            col.pick(_CANCELLER_VOCAB, np.maximum(b.cancelled_by, 0)), b.cancelled_by != NONE
        ),
        "chargeback": col.bools(b.chargeback),
        "device_id": col.hex_tokens(b.device),
        "ip": col.ipv4(b.ip),
        "address_token": col.hex_tokens(b.address),
    }
