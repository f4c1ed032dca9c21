"""Daily shop traffic over the last `traffic_days` days (platforms report 近90天 statistics).

Visitors follow from conversions: every ordering buyer visited, and each shop converts a stable
share (1-6 %) of its visitors, so unique visitors are orders divided by the conversion rate plus
noise, visits are unique visitors times pages per visitor, clicks a shop-specific share of visits.
Fake traffic multiplies visits, clicks and visitors of a shop for a few weeks while its orders
stay where they were. A shop-day without a single visit (common in the long tail) has no row.
Orders arrive in time order, so a day's rows are emitted as soon as the order stream has moved
past it and only a day or two of per-shop counters is ever held.
"""

from __future__ import annotations

import numpy as np

from ecredit.generate import columns as col
from ecredit.generate.calendar import DAY
from ecredit.generate.naming import Books
from ecredit.generate.orders import OrderBatch
from ecredit.generate.plan import FakeTraffic
from ecredit.generate.population import Population
from ecredit.generate.rng import Attr, Stream, stream
from ecredit.generate.sinks import Outputs


class TrafficBuilder:
    def __init__(
        self, seed: int, pop: Population, books: Books, fake: FakeTraffic, traffic_days: int
    ) -> None:
        self.seed = seed
        self.pop = pop
        self.books = books
        self.fake = fake
        every = np.arange(pop.shops)
        self.conversion = 0.01 + 0.05 * pop.hasher.unit(every, Attr.CONVERSION)
        self.pages = 1.0 + 2.0 * pop.hasher.unit(every, Attr.PAGES)
        self.click_rate = 0.3 + 0.4 * pop.hasher.unit(every, Attr.CLICK_RATE)
        timeline = pop.timeline
        self.next_day = timeline.end_day - min(traffic_days, timeline.days) + 1
        self.orders: dict[int, np.ndarray] = {}

    def add(self, out: Outputs, b: OrderBatch) -> None:
        """Count the chunk's orders per shop and day, then emit every day the stream has passed."""
        day = b.ordered // DAY
        recent = day >= self.next_day
        for d in np.unique(day[recent]).tolist():
            counts = np.bincount(b.shop[day == d], minlength=self.pop.shops)
            self.orders[d] = self.orders.get(d, 0) + counts
        if len(day):
            self.flush(out, int(day[-1]))

    def flush(self, out: Outputs, before_day: int) -> None:
        while self.next_day < min(before_day, self.pop.timeline.end_day + 1):
            out.put("traffic", self._day(self.next_day, self.orders.pop(self.next_day, None)))
            self.next_day += 1

    def _day(self, day: int, orders: np.ndarray | None) -> dict:
        pop = self.pop
        rng = stream(self.seed, Stream.TRAFFIC, day)
        open_shops = int(pop.shops_open_before(day))
        shop = np.arange(open_shops)
        converted = (
            np.zeros(open_shops) if orders is None else orders[:open_shops].astype(np.float64)
        )
        weight = pop.shop_weight[:open_shops]
        expected = converted.sum() * weight / max(weight.sum(), 1e-9)
        conversion = self.conversion[:open_shops]
        browsers = rng.poisson((converted + 0.5 * expected + 0.01) * (1 / conversion - 1))
        visitors = converted.astype(np.int64) + browsers
        visits = visitors + rng.poisson(visitors * (self.pages[:open_shops] - 1))
        clicks = rng.binomial(visits, self.click_rate[:open_shops])
        relative = day - pop.timeline.start_day
        active = (self.fake.first_day <= relative) & (relative <= self.fake.last_day)
        for s, factor in zip(self.fake.shop[active], self.fake.factor[active], strict=True):
            if s < len(shop):
                visits[s] = round(visits[s] * factor) + 1
                clicks[s] = round(clicks[s] * factor)
                visitors[s] = round(visitors[s] * factor * 0.8)
        keep = visits > 0
        return {
            "shop_id": self.books.shops.take(shop[keep]),
            "day": col.dates(np.full(int(keep.sum()), day)),
            "visits": col.ints(visits[keep]),
            "clicks": col.ints(clicks[keep]),
            "unique_visitors": col.ints(visitors[keep]),
        }
