"""Behaviour rules: named, configurable tests for brushing, malicious reviews, empty parcels and
fake traffic, each with its threshold in `policy/detection.yaml`.

Every rule is a function of conformed input frames written once with Narwhals, so DuckDB and
Spark give the same answer. A rule returns *hits* in one long shape (see `HIT_COLUMNS`): a
*finding* (one device, one shop, one buyer × shop pair …) and every entity it involves, one row
each, with the finding's `measure`. Rules only say what they saw; turning findings into cases,
and deciding who is accused, is `ecredit.detection.cases`' job. The long shape is what lets one
piece of code merge findings of every rule, whatever entities each rule talks about.

A finding's `measure` is always a count or ratio that reached the rule's `threshold`, so
`measure / threshold ≥ 1` says how clearly the rule fired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import narwhals as nw
import yaml
from pydantic import BaseModel

from ecredit.engines.sources import CHINA_STANDARD_TIME_HOURS
from ecredit.evaluation.calendar import SECONDS_PER_DAY, day_number, epoch_seconds, local
from ecredit.records.catalogue import policy_path

Inputs = Mapping[str, nw.LazyFrame]
"""Conformed input kinds by name, plus `phone_prefixes` (subject_id, phone_prefix)."""

HIT_COLUMNS = (
    "rule",
    "manipulation",
    "finding",
    "entity_kind",
    "entity_id",
    "role",
    "measure",
    "first_at",
    "last_at",
)
"""`manipulation` is null for supporting rules (shared devices …), which only strengthen and
extend cases that other signals open; `first_at`/`last_at` bound the finding's events."""


class Manipulation(StrEnum):
    BRUSHING = "brushing"
    MALICIOUS_REVIEW = "malicious_review"
    EMPTY_PARCEL = "empty_parcel"
    FAKE_TRAFFIC = "fake_traffic"


class Role(StrEnum):
    """How an entity takes part in a finding.

    Accused roles are who a confirmed case writes records to; all of them but the merchant
    (derived from its shop, not observed) also link findings into one case.
    """

    BUYER = "buyer"
    ACCOUNT = "account"
    REVIEWER = "reviewer"
    SHOP = "shop"
    MERCHANT = "merchant"
    TARGET = "target"
    CONTEXT = "context"
    ORDER = "order"
    RATING = "rating"
    PARCEL = "parcel"


ACCUSED_ROLES = frozenset({Role.BUYER, Role.ACCOUNT, Role.REVIEWER, Role.SHOP, Role.MERCHANT})
LINKING_ROLES = ACCUSED_ROLES - {Role.MERCHANT}


# --- policy ----------------------------------------------------------------------------------


class OrderConcentration(BaseModel):
    orders: int
    window_minutes: int

    @property
    def threshold(self) -> float:
        return self.orders


class MinOrders(BaseModel):
    min_orders: int

    @property
    def threshold(self) -> float:
        return self.min_orders


class BelowListPrice(MinOrders):
    max_price_ratio: float


class SharedIdentity(BaseModel):
    min_accounts: int

    @property
    def threshold(self) -> float:
        return self.min_accounts


class SharedPhonePrefix(SharedIdentity):
    prefix_digits: int
    min_share: float


class ReviewBurst(BaseModel):
    new_account_days: int
    window_days: int
    min_ratings: int
    min_share: float

    @property
    def threshold(self) -> float:
        return self.min_ratings


class MaliciousReview(BaseModel):
    max_orders: int
    window_days: int
    min_reviewers: int

    @property
    def threshold(self) -> float:
        return self.min_reviewers


class NoPickupScan(MinOrders):
    handling_hours: float


class FastDelivery(MinOrders):
    min_hours: dict[str, float]


class SameSecondSigning(MinOrders):
    max_chance: float


class FakeTraffic(BaseModel):
    window_days: int
    min_ratio: float
    min_visits: int

    @property
    def threshold(self) -> float:
        return self.min_ratio


class RulePolicy(BaseModel):
    order_concentration: OrderConcentration
    below_list_price: BelowListPrice
    shared_device: SharedIdentity
    shared_ip: SharedIdentity
    shared_address: SharedIdentity
    shared_phone_prefix: SharedPhonePrefix
    review_burst: ReviewBurst
    malicious_review: MaliciousReview
    no_pickup_scan: NoPickupScan
    fast_delivery: FastDelivery
    zero_weight: MinOrders
    reused_tracking_no: MinOrders
    same_second_signing: SameSecondSigning
    fake_traffic: FakeTraffic


class DenseBlockPolicy(BaseModel):
    method: Literal["greedy", "batch"]
    max_blocks: int
    column_constant: float
    null_weight: float
    min_density: float
    min_lift: float
    min_score: float
    min_buyers: int
    min_shops: int
    batch_epsilon: float
    merge_identities: list[str]
    max_orders_per_account: int


class FarmOrdersPolicy(BaseModel):
    min_accounts: int
    min_orders: int
    min_lift: float
    min_score: float
    min_share_of_shop: float


class RatingNetworkPolicy(BaseModel):
    max_fairness: float
    min_ratings: int


class CasePolicy(BaseModel):
    min_score: dict[Manipulation, float]


class RecordRule(BaseModel):
    type_code: str
    roles: list[Role]


class RecordPolicy(BaseModel):
    source_kind: str
    source_name: str
    by_manipulation: dict[Manipulation, RecordRule]
    invalidate_ratings: list[Manipulation]
    fake_trades: list[Manipulation] = []


class DetectionPolicy(BaseModel):
    version: str
    rules: RulePolicy
    dense_blocks: DenseBlockPolicy
    farm_orders: FarmOrdersPolicy
    rating_network: RatingNetworkPolicy
    cases: CasePolicy
    records: RecordPolicy


@cache
def load_policy(path: Path | None = None) -> DetectionPolicy:
    path = path or policy_path("detection.yaml")
    return DetectionPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- shared building blocks ------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One entity column of a flagged frame and what it is in the finding."""

    role: Role
    entity_kind: str
    column: str


BUYER = Member(Role.BUYER, "subject", "buyer_id")
ACCOUNT = Member(Role.ACCOUNT, "subject", "buyer_id")
SHOP = Member(Role.SHOP, "shop", "shop_id")
TARGET_SHOP = Member(Role.TARGET, "shop", "shop_id")
ORDER = Member(Role.ORDER, "order", "order_id")
RATING = Member(Role.RATING, "rating", "rating_id")
PARCEL = Member(Role.PARCEL, "tracking_no", "tracking_no")


def hits(
    flagged: nw.LazyFrame,
    rule: str,
    manipulation: Manipulation | None,
    finding: nw.Expr,
    measure: nw.Expr,
    members: Sequence[Member],
    at: str | None = None,
    until: str | None = None,
) -> nw.LazyFrame:
    """Unpivot a frame of flagged rows into hit rows, one per (finding, member).

    `finding` and `measure` must be constant within a finding; the earliest `at` and the latest
    `until` (default: `at`) over the finding become its `first_at`/`last_at`.
    """
    base = flagged.with_columns(
        finding.cast(nw.String).alias("finding"), measure.cast(nw.Float64).alias("measure")
    )
    if at:
        span = (nw.col(at).min().over("finding"), nw.col(until or at).max().over("finding"))
    else:
        span = (nw.lit(None), nw.lit(None))
    base = base.with_columns(
        span[0].cast(nw.Datetime("us")).alias("first_at"),
        span[1].cast(nw.Datetime("us")).alias("last_at"),
    )
    parts = [
        base.filter(~nw.col(m.column).is_null()).select(
            nw.lit(rule, dtype=nw.String).alias("rule"),
            nw.lit(manipulation.value if manipulation else None, dtype=nw.String).alias(
                "manipulation"
            ),
            nw.col("finding"),
            nw.lit(m.entity_kind, dtype=nw.String).alias("entity_kind"),
            nw.col(m.column).cast(nw.String).alias("entity_id"),
            nw.lit(m.role.value, dtype=nw.String).alias("role"),
            nw.col("measure"),
            nw.col("first_at"),
            nw.col("last_at"),
        )
        for m in members
    ]
    return nw.concat(parts, how="vertical").unique()


def per_shop(
    flagged_orders: nw.LazyFrame,
    rule: str,
    manipulation: Manipulation,
    min_orders: int,
    members: Sequence[Member],
    at: str | None = None,
) -> nw.LazyFrame:
    """Findings by shop from flagged orders: a shop is flagged once it has `min_orders` of them.

    One odd order is a mistake; several at one shop are a practice. The shop stands accused.
    """
    counts = flagged_orders.group_by("shop_id").agg(
        nw.col("order_id").n_unique().alias("flagged_orders")
    )
    counted = flagged_orders.join(counts, on="shop_id").filter(
        nw.col("flagged_orders") >= min_orders
    )
    return hits(
        counted,
        rule,
        manipulation,
        nw.col("shop_id"),
        nw.col("flagged_orders"),
        [SHOP, ORDER, *members],
        at,
    )


WINDOW_KEY = ("shop_id", "tiling", "window")


def tiled(frame: nw.LazyFrame, day: nw.Expr, window_days: int) -> nw.LazyFrame:
    """The rows twice, once per tiling of the calendar into windows (`tiling`, `window`).

    The second tiling is offset by half a window, so a burst no longer than half a window falls
    wholly inside one window of one tiling, which fixed windows alone would cut in two; rolling
    windows would cost a self-join.
    """
    return nw.concat(
        [
            frame.with_columns(
                nw.lit(tiling).alias("tiling"), ((day + offset) // window_days).alias("window")
            )
            for tiling, offset in enumerate((0, window_days // 2))
        ],
        how="vertical",
    )


def window_finding() -> nw.Expr:
    return nw.concat_str([nw.col(c).cast(nw.String) for c in WINDOW_KEY], separator="/")


def local_day(moment: nw.Expr) -> nw.Expr:
    """The China Standard Time calendar day: traffic days and windows are local dates."""
    return day_number(local(moment, CHINA_STANDARD_TIME_HOURS))


def buyer_ratings(data: Inputs) -> nw.LazyFrame:
    """Initial buyer → shop ratings with the order's buyer and shop."""
    orders = data["orders"].select("order_id", "buyer_id", "shop_id")
    return (
        data["ratings"]
        .filter(nw.col("direction") == "buyer_to_seller", nw.col("kind") == "initial")
        .select("rating_id", "order_id", "score", "rated_at")
        .join(orders, on="order_id")
    )


# --- brushing --------------------------------------------------------------------------------


def order_concentration(data: Inputs, p: OrderConcentration) -> nw.LazyFrame:
    """Orders in a run of `orders` by one buyer with one shop within `window_minutes`.

    The k-th next order of the same pair is one shifted row away, so "k orders within the
    window" is a single window function, exact and free of self-joins; every order of such a
    run is flagged.
    """
    k, pair = p.orders, ("buyer_id", "shop_id")
    order_by = ["t", "order_id"]
    timed = data["orders"].select(
        "order_id",
        "buyer_id",
        "shop_id",
        "ordered_at",
        epoch_seconds(nw.col("ordered_at")).alias("t"),
    )
    run_end = nw.col("t").shift(-(k - 1)).over(*pair, order_by=order_by)
    starts = timed.with_columns(
        ((run_end - nw.col("t")) < p.window_minutes * 60).fill_null(False).alias("starts")
    )
    in_run = nw.any_horizontal(
        *(
            nw.col("starts").shift(i).over(*pair, order_by=order_by).fill_null(False)
            for i in range(k)
        ),
        ignore_nulls=True,
    )
    flagged = starts.with_columns(in_run.alias("in_run")).filter(nw.col("in_run"))
    return hits(
        flagged,
        "order_concentration",
        Manipulation.BRUSHING,
        nw.concat_str([nw.col("buyer_id"), nw.col("shop_id")], separator=" → "),
        nw.len().over(*pair),
        [BUYER, SHOP, ORDER],
        "ordered_at",
    )


def below_list_price(data: Inputs, p: BelowListPrice) -> nw.LazyFrame:
    """Orders paid at a fraction of the list price: rings refund or never pay the real price."""
    prices = data["products"].select("product_id", "list_price")
    cheap = (
        data["orders"]
        .join(prices, on="product_id")
        .filter(
            nw.col("list_price") > 0,
            nw.col("unit_price") < p.max_price_ratio * nw.col("list_price"),
        )
    )
    return per_shop(
        cheap, "below_list_price", Manipulation.BRUSHING, p.min_orders, [BUYER], "ordered_at"
    )


def _shared(column: str, rule: str) -> Callable[[Inputs, SharedIdentity], nw.LazyFrame]:
    def find(data: Inputs, p: SharedIdentity) -> nw.LazyFrame:
        """Buyer accounts that used one device / IP / address: an account farm's footprint."""
        used = (
            data["orders"]
            .filter(~nw.col(column).is_null())
            .group_by(column, "buyer_id")
            .agg(
                nw.col("ordered_at").min().alias("first"), nw.col("ordered_at").max().alias("last")
            )
        )
        counted = used.with_columns(nw.len().over(column).alias("accounts")).filter(
            nw.col("accounts") >= p.min_accounts
        )
        return hits(
            counted, rule, None, nw.col(column), nw.col("accounts"), [ACCOUNT], "first", "last"
        )

    return find


shared_device = _shared("device_id", "shared_device")
shared_ip = _shared("ip", "shared_ip")
shared_address = _shared("address_token", "shared_address")


def shared_phone_prefix(data: Inputs, p: SharedPhonePrefix) -> nw.LazyFrame:
    """Accounts of one mobile number segment buying from one shop, as a share of its buyers.

    A segment holds ten thousand numbers of one city, so only a share of the shop's buyers
    (not a count alone) separates a batch of purchased SIM cards from a popular local shop.
    """
    pairs = (
        data["orders"]
        .select("shop_id", "buyer_id")
        .unique()
        .with_columns(nw.len().over("shop_id").alias("shop_buyers"))
    )
    prefixes = data["phone_prefixes"].select(
        nw.col("subject_id").alias("buyer_id"),
        nw.col("phone_prefix").str.slice(0, p.prefix_digits).alias("phone_prefix"),
    )
    grouped = (
        pairs.join(prefixes, on="buyer_id")
        .filter(nw.col("phone_prefix").str.len_chars() == p.prefix_digits)
        .with_columns(nw.len().over("shop_id", "phone_prefix").alias("accounts"))
        .filter(
            nw.col("accounts") >= p.min_accounts,
            nw.col("accounts") >= p.min_share * nw.col("shop_buyers"),
        )
    )
    return hits(
        grouped,
        "shared_phone_prefix",
        None,
        nw.concat_str([nw.col("phone_prefix"), nw.col("shop_id")], separator=" @ "),
        nw.col("accounts"),
        [ACCOUNT, Member(Role.CONTEXT, "shop", "shop_id")],
    )


def review_burst(data: Inputs, p: ReviewBurst) -> nw.LazyFrame:
    """Windows in which new accounts give a shop many positive ratings, and most of its ratings.

    The share keeps popular shops, whose new customers alone fill any count, out of it. The
    reviewers are context, not accused: a genuine new customer may rate in the same week.
    """
    registered = data["subjects"].select(
        nw.col("subject_id").alias("buyer_id"), day_number(nw.col("registered_on")).alias("reg")
    )
    rated = buyer_ratings(data).join(registered, on="buyer_id", how="left")
    day = local_day(nw.col("rated_at"))
    new_praise = ((day - nw.col("reg")) <= p.new_account_days) & (nw.col("score") == 1)
    rated = tiled(
        rated.with_columns(new_praise.fill_null(False).alias("new_praise")), day, p.window_days
    )
    counted = rated.with_columns(
        nw.len().over(*WINDOW_KEY).alias("ratings"),
        nw.col("new_praise").cast(nw.Int64).sum().over(*WINDOW_KEY).alias("praise"),
    ).filter(
        nw.col("new_praise"),
        nw.col("praise") >= p.min_ratings,
        nw.col("praise") >= p.min_share * nw.col("ratings"),
    )
    return hits(
        counted,
        "review_burst",
        Manipulation.BRUSHING,
        window_finding(),
        nw.col("praise"),
        [SHOP, Member(Role.CONTEXT, "subject", "buyer_id")],
        "rated_at",
    )


def malicious_review(data: Inputs, p: MaliciousReview) -> nw.LazyFrame:
    """Single-purchase accounts that only ever rated negatively, converging on one shop.

    One such reviewer is an unhappy customer; several on one shop within a window is a campaign.
    The shop is the target, never accused; the reviewers are.
    """
    bought = data["orders"].group_by("buyer_id").agg(nw.len().alias("bought"))
    rated = buyer_ratings(data).with_columns(
        nw.len().over("buyer_id").alias("given"),
        (nw.col("score") == -1).cast(nw.Int64).sum().over("buyer_id").alias("negative"),
    )
    suspects = rated.join(bought, on="buyer_id").filter(
        nw.col("bought") <= p.max_orders,
        nw.col("negative") == nw.col("given"),
    )
    framed = tiled(suspects, local_day(nw.col("rated_at")), p.window_days)
    reviewers = framed.group_by(*WINDOW_KEY).agg(nw.col("buyer_id").n_unique().alias("reviewers"))
    counted = framed.join(reviewers, on=list(WINDOW_KEY)).filter(
        nw.col("reviewers") >= p.min_reviewers
    )
    return hits(
        counted,
        "malicious_review",
        Manipulation.MALICIOUS_REVIEW,
        window_finding(),
        nw.col("reviewers"),
        [TARGET_SHOP, Member(Role.REVIEWER, "subject", "buyer_id"), RATING, ORDER],
        "rated_at",
    )


# --- empty parcels ---------------------------------------------------------------------------


def parcels(data: Inputs) -> nw.LazyFrame:
    """One row per shipped order: its scans summarised, and where it left from and went to.

    The origin is the merchant's registered region (an empty parcel has no pickup scan to
    place it); the destination is where it was delivered or signed for.
    """
    t = epoch_seconds(nw.col("occurred_at"))
    arrived = nw.col("event_type").is_in(["delivered", "signed"])
    scans = (
        data["logistics"]
        .group_by("order_id")
        .agg(
            nw.when(nw.col("event_type") == "pickup").then(t).min().alias("pickup_s"),
            nw.when(arrived).then(t).min().alias("arrived_s"),
            nw.when(arrived).then(nw.col("region")).max().alias("to_region"),
            t.max().alias("last_scan_s"),
            nw.col("weight_g").min().alias("min_weight_g"),
            nw.col("tracking_no").max().alias("tracking_no"),
        )
    )
    merchants = (
        data["shops"]
        .select("shop_id", "merchant_id")
        .join(
            data["subjects"].select(
                nw.col("subject_id").alias("merchant_id"), nw.col("region").alias("from_region")
            ),
            on="merchant_id",
            how="left",
        )
    )
    return (
        data["orders"]
        .filter(~nw.col("shipped_at").is_null())
        .select(
            "order_id",
            "shop_id",
            "buyer_id",
            "shipped_at",
            epoch_seconds(nw.col("shipped_at")).alias("shipped_s"),
        )
        .join(scans, on="order_id")
        .join(merchants, on="shop_id", how="left")
    )


def no_pickup_scan(data: Inputs, p: NoPickupScan) -> nw.LazyFrame:
    """Parcels that moved on without a pickup scan within the handling time."""
    late = nw.col("pickup_s").is_null() | (
        nw.col("pickup_s") - nw.col("shipped_s") > p.handling_hours * 3600
    )
    flagged = data["parcels"].filter(nw.col("last_scan_s") > nw.col("shipped_s"), late)
    return per_shop(
        flagged, "no_pickup_scan", Manipulation.EMPTY_PARCEL, p.min_orders, [PARCEL], "shipped_at"
    )


def _tier_hours(p: FastDelivery) -> nw.Expr:
    same = {
        n: nw.col("from_region").str.slice(0, n) == nw.col("to_region").str.slice(0, n)
        for n in (4, 2)
    }
    return (
        nw.when(same[4])
        .then(p.min_hours["same_city"])
        .when(same[2])
        .then(p.min_hours["same_province"])
        .otherwise(p.min_hours["other"])
    )


def fast_delivery(data: Inputs, p: FastDelivery) -> nw.LazyFrame:
    """Delivered sooner after shipping than roads allow between the two regions."""
    flagged = data["parcels"].filter(
        ~nw.col("from_region").is_null(),
        ~nw.col("to_region").is_null(),
        nw.col("arrived_s") - nw.col("shipped_s") < _tier_hours(p) * 3600,
    )
    return per_shop(
        flagged, "fast_delivery", Manipulation.EMPTY_PARCEL, p.min_orders, [PARCEL], "shipped_at"
    )


def zero_weight(data: Inputs, p: MinOrders) -> nw.LazyFrame:
    """A scan weighing the parcel at 0 g: nothing was in it."""
    flagged = data["parcels"].filter(nw.col("min_weight_g") == 0)
    return per_shop(
        flagged, "zero_weight", Manipulation.EMPTY_PARCEL, p.min_orders, [PARCEL], "shipped_at"
    )


def reused_tracking_no(data: Inputs, p: MinOrders) -> nw.LazyFrame:
    """One tracking number on several orders: a waybill bought once and shown many times."""
    used = (
        data["logistics"]
        .group_by("tracking_no", "order_id")
        .agg(nw.col("occurred_at").min().alias("first"))
        .join(data["orders"].select("order_id", "shop_id"), on="order_id")
        .with_columns(nw.len().over("tracking_no").alias("orders"))
        .filter(nw.col("orders") >= p.min_orders)
    )
    return hits(
        used,
        "reused_tracking_no",
        Manipulation.EMPTY_PARCEL,
        nw.col("tracking_no"),
        nw.col("orders"),
        [PARCEL, ORDER, SHOP],
        "first",
    )


def same_second_signing(data: Inputs, p: SameSecondSigning) -> nw.LazyFrame:
    """A shop's parcels to different buyers signed for in the very same second.

    Only where chance cannot explain it: a shop signing n parcels over a span of T seconds
    expects n(n−1)/2T coincident pairs, which for a big shop is no longer rare.
    """
    signed = (
        data["logistics"]
        .filter(nw.col("event_type") == "signed")
        .select(
            "order_id",
            "tracking_no",
            "occurred_at",
            epoch_seconds(nw.col("occurred_at")).alias("t"),
        )
        .join(data["orders"].select("order_id", "shop_id", "buyer_id"), on="order_id")
    )
    span = nw.max_horizontal(nw.col("last") - nw.col("first"), nw.lit(SECONDS_PER_DAY))
    chance = (
        signed.group_by("shop_id")
        .agg(nw.len().alias("n"), nw.col("t").min().alias("first"), nw.col("t").max().alias("last"))
        .select("shop_id", (nw.col("n") * (nw.col("n") - 1) / (2 * span)).alias("chance"))
    )
    key = ("shop_id", "occurred_at")
    buyers = signed.group_by(*key).agg(nw.col("buyer_id").n_unique().alias("buyers"))
    flagged = (
        signed.join(buyers, on=list(key))
        .join(chance, on="shop_id")
        .filter(nw.col("buyers") >= p.min_orders, nw.col("chance") <= p.max_chance)
    )
    return hits(
        flagged,
        "same_second_signing",
        Manipulation.EMPTY_PARCEL,
        nw.concat_str([nw.col("shop_id"), nw.col("t").cast(nw.String)], separator=" @ "),
        nw.col("buyers"),
        [SHOP, ORDER, PARCEL],
        "occurred_at",
    )


# --- fake traffic ----------------------------------------------------------------------------


def _expected_traffic(name: str) -> nw.Expr:
    """Visits (or clicks) a week's sales predict from the shop's own medians: what a week
    without sales draws, plus what each sale brings. Medians, so a boosted stretch shorter than
    half the period cannot move them; at least one, so an empty shop divides safely."""
    sold = nw.col("sales")
    per_sale = nw.when(sold >= 1).then(nw.col(name) / sold).median().over("shop_id")
    idle = nw.when(sold == 0).then(nw.col(name)).median().over("shop_id")
    return nw.max_horizontal(idle.fill_null(0) + per_sale.fill_null(0) * sold, nw.lit(1.0))


def fake_traffic(data: Inputs, p: FakeTraffic) -> nw.LazyFrame:
    """Weeks whose visits or clicks are many times what the week's sales predict.

    Each shop is its own baseline, because conversion differs by category far more than by
    honesty; comparing with sales (not with last week's visits) keeps busy weeks honest.
    """
    weekly = (
        data["traffic"]
        .with_columns((day_number(nw.col("day")) // p.window_days).alias("week"))
        .group_by("shop_id", "week")
        .agg(
            nw.col("visits").sum().alias("visits"),
            nw.col("clicks").sum().alias("clicks"),
            nw.col("day").min().cast(nw.Datetime("us")).alias("from_day"),
            nw.col("day").max().cast(nw.Datetime("us")).alias("to_day"),
        )
    )
    sales = (
        data["orders"]
        .with_columns((local_day(nw.col("ordered_at")) // p.window_days).alias("week"))
        .group_by("shop_id", "week")
        .agg(nw.len().alias("sales"))
    )
    rated = (
        weekly.join(sales, on=["shop_id", "week"], how="left")
        .with_columns(nw.col("sales").fill_null(0))
        .with_columns(
            nw.max_horizontal(
                *(nw.col(name) / _expected_traffic(name) for name in ("visits", "clicks"))
            ).alias("lift")
        )
        .filter(nw.col("lift") >= p.min_ratio, nw.col("visits") >= p.min_visits)
    )
    return hits(
        rated,
        "fake_traffic",
        Manipulation.FAKE_TRAFFIC,
        nw.col("shop_id"),
        nw.col("lift").max().over("shop_id"),
        [SHOP],
        "from_day",
        "to_day",
    )


# --- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A named rule: what it finds, in words a platform reviewer reads, and how it runs.

    The evidence templates are filled with the finding (`finding`, `measure`, `count` findings,
    `period`) and the rule's policy fields, so a changed threshold shows in the wording.
    """

    name: str
    manipulation: Manipulation | None
    find: Callable[..., nw.LazyFrame]
    evidence_zh: str
    evidence_en: str


RULES: tuple[Rule, ...] = (
    Rule(
        "order_concentration",
        Manipulation.BRUSHING,
        order_concentration,
        "{count} 组买家与网店在 {window_minutes} 分钟内下单达 {orders} 笔以上，"
        "最多 {measure:.0f} 笔（{finding}，{period}）",
        "{count} buyer–shop pairs placed ≥ {orders} orders within {window_minutes} minutes, "
        "up to {measure:.0f} ({finding}, {period})",
    ),
    Rule(
        "below_list_price",
        Manipulation.BRUSHING,
        below_list_price,
        "{count} 家网店各有至少 {min_orders} 笔订单成交价低于标价的 {max_price_ratio:.0%}，"
        "最多 {measure:.0f} 笔（{finding}）",
        "{count} shops each sold ≥ {min_orders} orders below {max_price_ratio:.0%} of the list "
        "price, up to {measure:.0f} ({finding})",
    ),
    Rule(
        "shared_device",
        None,
        shared_device,
        "{count} 台设备各被 {min_accounts} 个以上买家账户使用，"
        "最多 {measure:.0f} 个（设备 {finding}）",
        "{count} devices each used by ≥ {min_accounts} buyer accounts, up to {measure:.0f} "
        "(device {finding})",
    ),
    Rule(
        "shared_ip",
        None,
        shared_ip,
        "{count} 个 IP 地址各被 {min_accounts} 个以上买家账户使用，"
        "最多 {measure:.0f} 个（{finding}）",
        "{count} IP addresses each used by ≥ {min_accounts} buyer accounts, up to "
        "{measure:.0f} ({finding})",
    ),
    Rule(
        "shared_address",
        None,
        shared_address,
        "{count} 个收货地址各被 {min_accounts} 个以上买家账户使用，最多 {measure:.0f} 个",
        "{count} delivery addresses each used by ≥ {min_accounts} buyer accounts, up to "
        "{measure:.0f}",
    ),
    Rule(
        "shared_phone_prefix",
        None,
        shared_phone_prefix,
        "{count} 个手机号段（前 {prefix_digits} 位）在同一网店有 {min_accounts} 个以上买家账户，"
        "最多 {measure:.0f} 个（{finding}）",
        "{count} phone number segments (first {prefix_digits} digits) with ≥ {min_accounts} "
        "buyer accounts at one shop, up to {measure:.0f} ({finding})",
    ),
    Rule(
        "review_burst",
        Manipulation.BRUSHING,
        review_burst,
        "{count} 个 {window_days} 天窗口内，注册不足 {new_account_days} 天的新账户集中给出好评，"
        "最多 {measure:.0f} 条（{period}）",
        "{count} windows of {window_days} days in which accounts younger than "
        "{new_account_days} days gave a burst of positive ratings, up to {measure:.0f} ({period})",
    ),
    Rule(
        "malicious_review",
        Manipulation.MALICIOUS_REVIEW,
        malicious_review,
        "{count} 个 {window_days} 天窗口内，仅购买 {max_orders} 次且只给差评的账户"
        "集中差评同一网店，最多 {measure:.0f} 个账户（{period}）",
        "{count} windows of {window_days} days in which accounts with at most {max_orders} "
        "purchase and only negative ratings converged on one shop, up to {measure:.0f} accounts "
        "({period})",
    ),
    Rule(
        "no_pickup_scan",
        Manipulation.EMPTY_PARCEL,
        no_pickup_scan,
        "{count} 家网店的包裹在发货后 {handling_hours:.0f} 小时内没有揽收扫描却有后续物流，"
        "最多 {measure:.0f} 单",
        "{count} shops shipped parcels that moved on without a pickup scan within "
        "{handling_hours:.0f} h, up to {measure:.0f} orders",
    ),
    Rule(
        "fast_delivery",
        Manipulation.EMPTY_PARCEL,
        fast_delivery,
        "{count} 家网店的包裹送达快于两地距离所允许的时间，最多 {measure:.0f} 单",
        "{count} shops had parcels delivered faster than the distance allows, up to "
        "{measure:.0f} orders",
    ),
    Rule(
        "zero_weight",
        Manipulation.EMPTY_PARCEL,
        zero_weight,
        "{count} 家网店的包裹称重为 0 克，最多 {measure:.0f} 单",
        "{count} shops had parcels weighed at 0 g, up to {measure:.0f} orders",
    ),
    Rule(
        "reused_tracking_no",
        Manipulation.EMPTY_PARCEL,
        reused_tracking_no,
        "{count} 个运单号被多个订单重复使用，最多 {measure:.0f} 单（运单 {finding}）",
        "{count} tracking numbers reused across orders, up to {measure:.0f} orders "
        "(waybill {finding})",
    ),
    Rule(
        "same_second_signing",
        Manipulation.EMPTY_PARCEL,
        same_second_signing,
        "{count} 次同一网店发往不同买家的包裹在同一秒签收，最多 {measure:.0f} 单（{period}）",
        "{count} times parcels of one shop to different buyers were signed in the same second, "
        "up to {measure:.0f} ({period})",
    ),
    Rule(
        "fake_traffic",
        Manipulation.FAKE_TRAFFIC,
        fake_traffic,
        "{count} 家网店一周的访问量/点击量达到其成交量所对应常态的 {measure:.1f} 倍"
        "（阈值 {min_ratio:.0f} 倍，{period}）",
        "{count} shops drew {measure:.1f}× the visits or clicks their sales that week predict "
        "(threshold {min_ratio:.0f}×, {period})",
    ),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rule_policy(policy: DetectionPolicy, name: str) -> BaseModel:
    return getattr(policy.rules, name)


def run_rule(rule: Rule, data: Inputs, policy: DetectionPolicy) -> nw.LazyFrame:
    return rule.find(data, rule_policy(policy, rule.name))
