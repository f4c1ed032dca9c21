"""Fact frames: the input kinds reduced once to the rows and columns indicators aggregate.

Every indicator is a sum over one or more fact frames, so building them is the only pass over
the large inputs (orders, ratings, logistics events). Each frame is materialised because
several passes read it (the per-subject sums, the rating rules, the evidence), and is kept as
narrow as those passes allow: at national scale the rated trades and the order window are
tens of millions of rows. Facts carry integers (0/1 flags, seconds, days) so that sums are
exact and both engines add them to the same result; times stay times where only compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import narwhals as nw
import pyarrow as pa

from ecredit.engines.base import Engine
from ecredit.evaluation import ratings
from ecredit.evaluation.calendar import day_end_utc, day_number, epoch_seconds, seconds_of
from ecredit.evaluation.frames import distinct_flag, flag
from ecredit.evaluation.policy import Model, months_before
from ecredit.records.catalogue import load_catalogue

EVALUATED_TYPES = ("merchant", "platform", "logistics")
TRACKED_EVENTS = ("pickup", "transit", "delivered", "signed")
DONE_EVENTS = ("delivered", "signed")
DISPLAYED_STATUSES = ("active", "disputed")
"""A disputed record stays displayed, marked, until the objection is decided (征信 Art.25)."""
UNCOUNTED_OUTCOMES = ("rejected", "withdrawn")

SHOP_OWNED = ("orders", "ratings", "weekly", "points")
"""`weekly` and `points` are already summed per shop: the rules behind them (weekly dedupe,
same-item dedupe and pair cap) need every row, their indicators only the shop totals. `points`
holds what the rules deduct from the points of a shop's valid ratings."""
OWNER = {
    "orders": "shop_id",
    "ratings": "shop_id",
    "weekly": "shop_id",
    "points": "shop_id",
    "complaints": "target_id",
    "records": "subject_id",
    "parcels": "carrier_id",
    "subjects": "subject_id",
}
TIME = {
    "orders": "ordered_at",
    "ratings": "rated_at",
    "weekly": None,
    "points": None,
    "complaints": "received_at",
    "records": None,
    "parcels": "pickup_at",
    "subjects": None,
}
"""The column each fact is windowed by; None where the fact frame is already windowed."""


@dataclass(frozen=True)
class Period:
    """The as-of date and the instants derived from it; every window ends at `end`."""

    as_of: date
    end: datetime
    end_s: int

    @classmethod
    def of(cls, as_of: date, utc_offset_hours: int) -> Period:
        end = day_end_utc(as_of, utc_offset_hours)
        return cls(as_of, end, seconds_of(end))

    def day(self, months_back: int = 0) -> int:
        """Day number (as `calendar.day_number`) of the as-of date, or `months_back` before it."""
        moment = months_before(
            datetime(self.as_of.year, self.as_of.month, self.as_of.day), months_back
        )
        return (moment - datetime(1970, 1, 1)).days


@dataclass(frozen=True)
class Facts:
    shops: nw.LazyFrame
    frames: dict[str, nw.LazyFrame]
    buyer_credit: nw.LazyFrame
    """Buyers' credit points and level (`buyer_id`, `points`, `level`) from sellers' ratings of
    them. Built here because it reads the same inputs as the rated trades; no indicator reads
    it, since consumers are rated parties but not evaluated subjects."""


def _complaint_facts(complaints: nw.LazyFrame, period: Period) -> nw.LazyFrame:
    received = complaints.filter(nw.col("received_at") < period.end)
    settled = ~nw.col("resolved_at").is_null() & (nw.col("resolved_at") < period.end)
    closed_s = nw.when(settled).then(epoch_seconds(nw.col("resolved_at"))).otherwise(period.end_s)
    counted = ~nw.col("outcome").fill_null("").is_in(UNCOUNTED_OUTCOMES) & (
        nw.col("status") != "refused"
    )
    return received.select(
        "complaint_id",
        "target_id",
        "order_id",
        "received_at",
        flag(counted).alias("counted"),
        flag(nw.col("outcome") == "upheld").alias("upheld"),
        (closed_s - epoch_seconds(nw.col("received_at"))).alias("duration_s"),
    )


def _parcel_facts(logistics: nw.LazyFrame, period: Period) -> nw.LazyFrame:
    events = logistics.filter(nw.col("occurred_at") < period.end)
    done_at = nw.when(nw.col("event_type").is_in(DONE_EVENTS)).then(nw.col("occurred_at"))
    parcels = events.group_by("carrier_id", "tracking_no").agg(
        nw.col("order_id").min(),
        nw.col("occurred_at").min().alias("pickup_at"),
        done_at.min().alias("done_at"),
        (nw.col("event_type") == "returned").cast(nw.Int64).max().alias("returned"),
    )
    return parcels.with_columns(
        flag(~nw.col("done_at").is_null()).alias("done"),
        (epoch_seconds(nw.col("done_at")) - epoch_seconds(nw.col("pickup_at"))).alias("transit_s"),
        (period.end_s - epoch_seconds(nw.col("pickup_at"))).alias("age_s"),
    ).drop("done_at")


def _order_facts(
    orders: nw.LazyFrame,
    complaints: nw.LazyFrame,
    logistics: nw.LazyFrame,
    period: Period,
    start: datetime | None,
) -> nw.LazyFrame:
    """One row per order in the widest order window, with its defect and shipping facts.

    Flags are Int8 (the frame holds every order of the window); payment and shipping times are
    kept to the whole second, as `epoch_seconds` would count them, but as times: comparing them
    costs a fraction of converting every order's times."""
    in_window = orders.filter(nw.col("ordered_at") < period.end)
    if start is not None:
        in_window = in_window.filter(nw.col("ordered_at") >= start)
    upheld = distinct_flag(
        complaints.filter(nw.col("upheld") == 1, ~nw.col("order_id").is_null()),
        "order_id",
        "upheld",
    )
    tracked = distinct_flag(
        logistics.filter(
            nw.col("occurred_at") < period.end,
            nw.col("event_type").is_in(TRACKED_EVENTS),
            ~nw.col("tracking_no").is_null(),
        ),
        "order_id",
        "tracked",
    )
    shipped = ~nw.col("shipped_at").is_null() & (nw.col("shipped_at") < period.end)
    seller_cancel = nw.col("cancelled_by").fill_null("") == "seller"
    defect = seller_cancel | nw.col("chargeback").fill_null(False) | (nw.col("upheld") == 1)
    return (
        in_window.join(upheld, on="order_id", how="left")
        .join(tracked, on="order_id", how="left")
        .with_columns(nw.col("upheld").fill_null(0), nw.col("tracked").fill_null(0))
        .select(
            "order_id",
            "shop_id",
            "ordered_at",
            flag(defect).cast(nw.Int8).alias("defect"),
            flag(seller_cancel).cast(nw.Int8).alias("seller_cancel"),
            flag(shipped).cast(nw.Int8).alias("shipped"),
            nw.col("tracked").cast(nw.Int8),
            *[nw.col(c).dt.truncate("1s") for c in ("paid_at", "shipped_at")],
        )
    )


def _status_shown(statuses: nw.LazyFrame, period: Period) -> nw.LazyFrame:
    """Per record with a status history: 1 if its latest status by the as-of date keeps it
    displayed. Rows at the same instant tie towards displayed: a record leaves the evaluation
    only through a status change that says so unambiguously."""
    changes = statuses.filter(nw.col("changed_at") < period.end)
    latest = changes.group_by("record_id").agg(nw.col("changed_at").max())
    return (
        changes.join(latest, on=["record_id", "changed_at"])
        .group_by("record_id")
        .agg(flag(nw.col("status").is_in(DISPLAYED_STATUSES)).max().alias("status_shown"))
    )


def _record_facts(
    engine: Engine,
    records: nw.LazyFrame,
    statuses: nw.LazyFrame,
    model: Model,
    period: Period,
) -> nw.LazyFrame:
    """Records that may still be displayed on the as-of date, with their severity and class.

    A record's status is the latest row of its status history (objections, repairs,
    withdrawals append there); `records.status` is only the status it was filed with.
    """
    catalogue = load_catalogue()
    types = engine.from_arrow(
        pa.table(
            {
                "type_code": [t.code for t in catalogue.record_types],
                "type_severity": [t.severity for t in catalogue.record_types],
                "record_class": [t.record_class for t in catalogue.record_types],
            }
        )
    )
    decided = day_number(nw.col("decided_on"))
    severity = nw.coalesce(nw.col("severity"), nw.col("type_severity"))
    shown_since = nw.lit(None, dtype=nw.Int64)
    for level, months in model.indicators.record_display_months.items():
        shown_since = nw.when(severity == level).then(period.day(months)).otherwise(shown_since)
    filed_shown = nw.col("status").is_null() | nw.col("status").is_in(DISPLAYED_STATUSES)
    status_shown = (
        nw.when(nw.col("status_shown").is_null())
        .then(filed_shown)
        .otherwise(nw.col("status_shown") == 1)
    )
    still_shown = shown_since.is_null() | (decided >= shown_since)
    return (
        records.join(types, on="type_code", how="left")
        .join(_status_shown(statuses, period), on="record_id", how="left")
        .filter(decided <= period.day())
        .select(
            "record_id",
            "subject_id",
            "type_code",
            nw.col("record_class").fill_null(""),
            severity.alias("severity"),
            flag(status_shown & still_shown).alias("displayed"),
        )
    )


def _subject_facts(subjects: nw.LazyFrame, period: Period) -> nw.LazyFrame:
    as_of_day = period.day()
    identifier = (
        nw.when(nw.col("legal_form") == "organisation")
        .then(nw.col("uscc"))
        .otherwise(nw.col("ric"))
    )
    return subjects.filter(
        nw.col("subject_type").is_in(EVALUATED_TYPES),
        day_number(nw.col("registered_on")) <= as_of_day,
    ).select(
        "subject_id",
        "subject_type",
        flag(~identifier.is_null()).alias("has_identifier"),
        (as_of_day - day_number(nw.col("registered_on"))).alias("age_days"),
    )


def build_facts(
    engine: Engine, model: Model, period: Period, orders_start: datetime | None
) -> Facts:
    """Read the inputs and materialise every fact frame. Each input is read once (a database
    source loads a whole table per read); orders are scanned twice, for the rated trades (all
    history) and for the order window, and ratings once per direction, each scan keeping only
    its direction's initial ratings."""
    policy = model.ratings
    complaints = engine.materialise(_complaint_facts(engine.read("complaints"), period))
    logistics = engine.read("logistics")
    all_ratings, all_orders, flags = (engine.read(k) for k in ("ratings", "orders", "rating_flag"))
    rated = engine.materialise(
        ratings.buyer_ratings(all_ratings, all_orders, flags, policy, period.end)
    )
    points = engine.materialise(
        ratings.point_deductions(rated, engine, policy, ratings.RATED_PARTY["buyer_to_seller"])
    )
    rated_buyers = engine.materialise(
        ratings.seller_ratings(all_ratings, all_orders, flags, policy, period.end, engine)
    )
    buyer_credit = engine.materialise(
        ratings.credit_points(rated_buyers, engine, policy, ratings.RATED_PARTY["seller_to_buyer"])
    )
    rate_start = months_before(period.end, policy.positive_rate.window_months)
    weekly = engine.materialise(
        ratings.weekly_ratings(rated, policy, rate_start, period.end)
        .group_by("shop_id")
        .agg(
            (nw.col("score") == policy.values["good"]).cast(nw.Int64).sum().alias("good"),
            nw.len().alias("rated"),
        )
    )
    records = _record_facts(
        engine, engine.read("records"), engine.read("record_status"), model, period
    )
    orders = _order_facts(all_orders, complaints, logistics, period, orders_start)
    frames = {
        "orders": engine.materialise(orders),
        "ratings": rated,
        "weekly": weekly,
        "points": points,
        "complaints": complaints,
        "records": engine.materialise(records),
        "parcels": engine.materialise(_parcel_facts(logistics, period)),
        "subjects": engine.materialise(_subject_facts(engine.read("subjects"), period)),
    }
    shops = engine.materialise(engine.read("shops").select("shop_id", "merchant_id", "platform_id"))
    return Facts(shops=shops, frames=frames, buyer_credit=buyer_credit)
