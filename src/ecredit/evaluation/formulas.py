"""Indicator formulas: the names `indicators.yaml` refers to, each a sum-then-divide recipe.

A formula names row-level *measures* on fact frames (summed per subject over the indicator's
window), a *value* computed from those sums, and optionally an *evidence* flag selecting the
rows that hurt the subject, so every score traces back to orders, ratings, complaints,
parcels or records. Sums of integers are exact, so the value is the same on every engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import narwhals as nw

from ecredit.evaluation.calendar import SECONDS_PER_DAY
from ecredit.evaluation.frames import flag
from ecredit.evaluation.policy import Indicator, Model
from ecredit.evaluation.ratings import credit_level, dsr_value

Measures = dict[str, tuple[str, nw.Expr]]
"""Measure name → (fact frame, row expression summed per subject)."""
Lookup = Callable[[str, str], nw.Expr]
"""(measure name, window variant) → the summed measure column."""

LOOKBACK_VARIANTS = ("short", "long")


@dataclass(frozen=True)
class Formula:
    fact: str
    measures: Callable[[Indicator], Measures]
    value: Callable[[Lookup, Indicator, Model], nw.Expr]
    evidence: Callable[[Indicator], nw.Expr] | None = None
    ref_kind: str = ""
    ref_column: str = ""
    evidence_fact: str | None = None
    """Where evidence rows come from when `fact` holds totals rather than rows."""


def _one() -> nw.Expr:
    return nw.lit(1)


def ratio(numerator: nw.Expr, denominator: nw.Expr) -> nw.Expr:
    """Null without a denominator: guarded, because engines disagree on x/0 (inf, null, error)."""
    return nw.when(denominator > 0).then(numerator / denominator.clip(lower_bound=1))


def _allowed(rate: nw.Expr, count: nw.Expr, ind: Indicator) -> nw.Expr:
    """eBay's small-sample allowance: a handful of incidents never rates worse than the cap."""
    if "allowance" not in ind.params:
        return rate
    capped = nw.min_horizontal(rate, nw.lit(ind.params["allowance_rate"]))
    return nw.when(count <= ind.params["allowance"]).then(capped).otherwise(rate)


def _rate(numerator: str, *denominators: str) -> Callable[[Lookup, Indicator, Model], nw.Expr]:
    """A rate over the indicator's window; with `lookback`, the eBay volume rule picks it.

    Several denominators add up: complaints are rated against orders and parcels together,
    so one formula serves sellers, platforms and logistics companies.
    """

    def value(m: Lookup, ind: Indicator, model: Model) -> nw.Expr:
        def base(variant: str) -> nw.Expr:
            return nw.sum_horizontal(*[m(d, variant) for d in denominators])

        def rate(variant: str) -> nw.Expr:
            count = m(numerator, variant)
            return _allowed(ratio(count, base(variant)), count, ind)

        if ind.window != "lookback":
            return rate("")
        volume = base("short") >= model.indicators.lookback.volume_threshold
        return nw.when(volume).then(rate("short")).otherwise(rate("long"))

    return value


def _mean_days(total_s: str, count: str) -> Callable[[Lookup, Indicator, Model], nw.Expr]:
    def value(m: Lookup, ind: Indicator, model: Model) -> nw.Expr:
        return ratio(m(total_s, ""), m(count, "")) / SECONDS_PER_DAY

    return value


def _dsr(dimension: str) -> Formula:
    column = f"dsr_{dimension}"
    rated = (nw.col("valid") == 1) & ~nw.col(column).is_null()
    return Formula(
        fact="ratings",
        measures=lambda ind: {
            "total": ("ratings", nw.when(rated).then(nw.col(column)).otherwise(0)),
            "count": ("ratings", flag(rated)),
        },
        value=lambda m, ind, model: dsr_value(m("total", ""), m("count", ""), model.ratings),
        evidence=lambda ind: rated & (nw.col(column) <= 2),
        ref_kind="ratings",
        ref_column="rating_id",
    )


def _late(ind: Indicator) -> nw.Expr:
    """Shipped more than the handling time after payment (an unpaid order is never late).
    Both times are whole seconds, so "more than" a fraction of a second means more than its
    floor."""
    due = nw.col("paid_at").dt.offset_by(f"{math.floor(ind.params['handling_hours'] * 3600)}s")
    return (nw.col("shipped") == 1) & (nw.col("shipped_at") > due)


def _severity_weight(ind: Indicator) -> nw.Expr:
    weight = nw.lit(0)
    for severity, points in ind.params.items():
        weight = nw.when(nw.col("severity") == severity).then(int(points)).otherwise(weight)
    return weight


_DISPLAYED = nw.col("displayed") == 1
_NEGATIVE = _DISPLAYED & nw.col("severity").is_in(("minor", "general", "serious"))
_SERIOUS = _DISPLAYED & (nw.col("severity") == "serious")
_CREDITABLE = _DISPLAYED & (nw.col("severity") == "positive") & (nw.col("record_class") != "basic")
_FAILED_VERIFICATION = _DISPLAYED & (nw.col("type_code") == "BAS03")
_BAD = (nw.col("valid") == 1) & (nw.col("score") == -1)


def _settled(ind: Indicator) -> nw.Expr:
    return nw.col("age_s") >= ind.params["settle_days"] * SECONDS_PER_DAY


FORMULAS: dict[str, Formula] = {
    "registration_years": Formula(
        fact="subjects",
        measures=lambda ind: {"days": ("subjects", nw.col("age_days"))},
        value=lambda m, ind, model: m("days", "") / 365.25,
    ),
    "identity_verified": Formula(
        fact="records",
        measures=lambda ind: {
            "identifier": ("subjects", nw.col("has_identifier")),
            "failed": ("records", flag(_FAILED_VERIFICATION)),
        },
        value=lambda m, ind, model: (
            nw.when(m("failed", "") == 0).then(m("identifier", "")).otherwise(0.0)
        ),
        evidence=lambda ind: _FAILED_VERIFICATION,
        ref_kind="records",
        ref_column="record_id",
    ),
    "order_defect_rate": Formula(
        fact="orders",
        measures=lambda ind: {
            "defects": ("orders", nw.col("defect")),
            "orders": ("orders", _one()),
        },
        value=_rate("defects", "orders"),
        evidence=lambda ind: nw.col("defect") == 1,
        ref_kind="orders",
        ref_column="order_id",
    ),
    "late_shipment_rate": Formula(
        fact="orders",
        measures=lambda ind: {
            "late": ("orders", flag(_late(ind))),
            "shipped": ("orders", nw.col("shipped")),
        },
        value=_rate("late", "shipped"),
        evidence=_late,
        ref_kind="orders",
        ref_column="order_id",
    ),
    "cancellation_rate": Formula(
        fact="orders",
        measures=lambda ind: {
            "cancels": ("orders", nw.col("seller_cancel")),
            "orders": ("orders", _one()),
        },
        value=_rate("cancels", "orders"),
        evidence=lambda ind: nw.col("seller_cancel") == 1,
        ref_kind="orders",
        ref_column="order_id",
    ),
    "valid_tracking_rate": Formula(
        fact="orders",
        measures=lambda ind: {
            "tracked": ("orders", nw.col("shipped") * nw.col("tracked")),
            "shipped": ("orders", nw.col("shipped")),
        },
        value=_rate("tracked", "shipped"),
        evidence=lambda ind: (nw.col("shipped") == 1) & (nw.col("tracked") == 0),
        ref_kind="orders",
        ref_column="order_id",
    ),
    "delivery_days": Formula(
        fact="parcels",
        measures=lambda ind: {
            "transit_s": ("parcels", nw.col("done") * nw.col("transit_s")),
            "done": ("parcels", nw.col("done")),
        },
        value=_mean_days("transit_s", "done"),
        evidence=lambda ind: (
            (nw.col("done") == 1)
            & (nw.col("transit_s") > ind.params["slow_days"] * SECONDS_PER_DAY)
        ),
        ref_kind="logistics",
        ref_column="tracking_no",
    ),
    "tracking_completeness": Formula(
        fact="parcels",
        measures=lambda ind: {
            "complete": (
                "parcels",
                flag(_settled(ind) & ((nw.col("done") + nw.col("returned")) > 0)),
            ),
            "settled": ("parcels", flag(_settled(ind))),
        },
        value=_rate("complete", "settled"),
        evidence=lambda ind: _settled(ind) & (nw.col("done") + nw.col("returned") == 0),
        ref_kind="logistics",
        ref_column="tracking_no",
    ),
    "returned_share": Formula(
        fact="parcels",
        measures=lambda ind: {
            "returned": ("parcels", nw.col("returned")),
            "parcels": ("parcels", _one()),
        },
        value=_rate("returned", "parcels"),
        evidence=lambda ind: nw.col("returned") == 1,
        ref_kind="logistics",
        ref_column="tracking_no",
    ),
    "positive_rate": Formula(
        fact="weekly",
        measures=lambda ind: {
            "good": ("weekly", nw.col("good")),
            "rated": ("weekly", nw.col("rated")),
        },
        value=_rate("good", "rated"),
        evidence=lambda ind: _BAD,
        ref_kind="ratings",
        ref_column="rating_id",
        evidence_fact="ratings",
    ),
    "dsr_description": _dsr("description"),
    "dsr_service": _dsr("service"),
    "dsr_logistics": _dsr("logistics"),
    "credit_level": Formula(
        fact="points",
        measures=lambda ind: {
            "rated": ("ratings", nw.col("valid") * nw.col("point")),
            "deducted": ("points", nw.col("deducted")),
        },
        value=lambda m, ind, model: credit_level(m("rated", "") - m("deducted", ""), model.ratings),
    ),
    "invalid_rating_share": Formula(
        fact="ratings",
        measures=lambda ind: {
            "invalid": ("ratings", 1 - nw.col("valid")),
            "ratings": ("ratings", _one()),
        },
        value=_rate("invalid", "ratings"),
        evidence=lambda ind: nw.col("valid") == 0,
        ref_kind="ratings",
        ref_column="rating_id",
    ),
    "invalid_ratings": Formula(
        fact="ratings",
        measures=lambda ind: {"invalid": ("ratings", 1 - nw.col("valid"))},
        value=lambda m, ind, model: m("invalid", ""),
        evidence=lambda ind: nw.col("valid") == 0,
        ref_kind="ratings",
        ref_column="rating_id",
    ),
    "bad_rating_reply_rate": Formula(
        fact="ratings",
        measures=lambda ind: {
            "replied": ("ratings", flag(_BAD & (nw.col("replied") == 1))),
            "bad": ("ratings", flag(_BAD)),
        },
        value=_rate("replied", "bad"),
        evidence=lambda ind: _BAD & (nw.col("replied") == 0),
        ref_kind="ratings",
        ref_column="rating_id",
    ),
    "negative_records": Formula(
        fact="records",
        measures=lambda ind: {
            "weight": ("records", nw.when(_NEGATIVE).then(_severity_weight(ind)).otherwise(0))
        },
        value=lambda m, ind, model: m("weight", ""),
        evidence=lambda ind: _NEGATIVE,
        ref_kind="records",
        ref_column="record_id",
    ),
    "serious_records": Formula(
        fact="records",
        measures=lambda ind: {"serious": ("records", flag(_SERIOUS))},
        value=lambda m, ind, model: m("serious", ""),
        evidence=lambda ind: _SERIOUS,
        ref_kind="records",
        ref_column="record_id",
    ),
    "positive_records": Formula(
        fact="records",
        measures=lambda ind: {"positive": ("records", flag(_CREDITABLE))},
        value=lambda m, ind, model: m("positive", ""),
    ),
    "complaint_rate": Formula(
        fact="complaints",
        measures=lambda ind: {
            "complaints": ("complaints", nw.col("counted")),
            "orders": ("orders", _one()),
            "parcels": ("parcels", _one()),
        },
        value=_rate("complaints", "orders", "parcels"),
        evidence=lambda ind: nw.col("counted") == 1,
        ref_kind="complaints",
        ref_column="complaint_id",
    ),
    "complaint_resolution_days": Formula(
        fact="complaints",
        measures=lambda ind: {
            "duration_s": ("complaints", nw.col("counted") * nw.col("duration_s")),
            "complaints": ("complaints", nw.col("counted")),
        },
        value=_mean_days("duration_s", "complaints"),
        evidence=lambda ind: nw.col("counted") == 1,
        ref_kind="complaints",
        ref_column="complaint_id",
    ),
}
