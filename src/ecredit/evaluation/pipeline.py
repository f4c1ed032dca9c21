"""The comprehensive evaluation (综合信用评价) as one batch job over an engine.

facts → per-subject measure sums (shop facts roll up to the merchant and to the platform) →
indicator values → normalised shares → score, grade, risk class and overrides, plus the
per-indicator contributions and the evidence rows behind them. All of it is Narwhals, so the
same plan runs on DuckDB and Spark.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import narwhals as nw

from ecredit.engines.base import Engine
from ecredit.evaluation.facts import OWNER, SHOP_OWNED, TIME, Facts, Period, build_facts
from ecredit.evaluation.formulas import FORMULAS, LOOKBACK_VARIANTS, Formula, Lookup
from ecredit.evaluation.policy import Indicator, Model, months_before, window_start
from ecredit.evaluation.scoring import (
    grade_expr,
    normalised,
    override_flags,
    risk_class_expr,
    score_expr,
    shares,
)

EVIDENCE_PER_INDICATOR = 5
"""Enough rows to let a reader check a reason, few enough to store for every subject."""
TOP_REASONS = 3
MIN_LOST_POINTS = 0.05
"""Losses below what a score shows (one decimal) are not reasons."""


@dataclass(frozen=True)
class Evaluation:
    """Materialised results of one run; `scores` has one row per evaluated subject."""

    model: Model
    period: Period
    scores: nw.LazyFrame
    contributions: nw.LazyFrame
    evidence: nw.LazyFrame
    """Rows behind the reasons that are printed (top losses and overrides), a few per pair."""
    top_reasons: nw.LazyFrame


def _windows(ind: Indicator, model: Model, end: datetime) -> dict[str, datetime | None]:
    if ind.window == "lookback":
        lb = model.indicators.lookback
        months = {"short": lb.short_months, "long": lb.long_months}
        return {v: months_before(end, months[v]) for v in LOOKBACK_VARIANTS}
    return {"": window_start(ind.window, end)}


def _in_window(fact: str, start: datetime | None) -> nw.Expr:
    time = TIME[fact]
    if time is None or start is None:
        return nw.lit(True)
    return nw.col(time) >= start


def _measure_column(indicator: str, measure: str, variant: str) -> str:
    return f"m__{indicator}__{measure}__{variant}"


def _measure_specs(model: Model, end: datetime) -> dict[str, dict[str, nw.Expr]]:
    specs: dict[str, dict[str, nw.Expr]] = defaultdict(dict)
    for name in model.indicators.used():
        ind = model.indicators.indicators[name]
        for variant, start in _windows(ind, model, end).items():
            for measure, (fact, expr) in FORMULAS[ind.formula].measures(ind).items():
                windowed = nw.when(_in_window(fact, start)).then(expr).otherwise(0)
                specs[fact][_measure_column(name, measure, variant)] = windowed
    return specs


def _orders_start(model: Model, end: datetime) -> datetime | None:
    """The widest window any measure on orders needs; orders outside it are never read."""
    starts: list[datetime | None] = []
    for name in model.indicators.used():
        ind = model.indicators.indicators[name]
        if any(fact == "orders" for fact, _ in FORMULAS[ind.formula].measures(ind).values()):
            starts.extend(_windows(ind, model, end).values())
    if not starts or None in starts:
        return None
    return min(s for s in starts if s is not None)


def _by_subject(frame: nw.LazyFrame, fact: str, facts: Facts, columns: list[str]) -> nw.LazyFrame:
    """Sum to the owner; a shop's sums count for its merchant and, separately, its platform.

    The role travels as `subject_type`, so a self-operated shop (platform = merchant) is not
    counted twice for the one subject.
    """
    sums = [nw.col(c).sum().cast(nw.Float64).alias(c) for c in columns]
    if fact not in SHOP_OWNED:
        return frame.group_by(OWNER[fact]).agg(*sums).rename({OWNER[fact]: "subject_id"})
    per_shop = frame.group_by("shop_id").agg(*sums).join(facts.shops, on="shop_id")
    return nw.concat(
        [
            per_shop.group_by(owner)
            .agg(*sums)
            .select(nw.col(owner).alias("subject_id"), nw.lit(role).alias("subject_type"), *columns)
            for owner, role in (("merchant_id", "merchant"), ("platform_id", "platform"))
        ]
    )


def _wide(facts: Facts, model: Model, period: Period) -> nw.LazyFrame:
    wide = facts.frames["subjects"].select("subject_id", "subject_type")
    measure_columns: list[str] = []
    for fact, exprs in _measure_specs(model, period.end).items():
        rows = facts.frames[fact].select(
            OWNER[fact], *[e.cast(nw.Int64).alias(c) for c, e in exprs.items()]
        )
        keys = ["subject_id", "subject_type"] if fact in SHOP_OWNED else ["subject_id"]
        wide = wide.join(_by_subject(rows, fact, facts, list(exprs)), on=keys, how="left")
        measure_columns.extend(exprs)
    return wide.with_columns(nw.col(c).fill_null(0.0) for c in measure_columns)


def _lookup(indicator: str) -> Lookup:
    return lambda measure, variant: nw.col(_measure_column(indicator, measure, variant))


def _scores(wide: nw.LazyFrame, model: Model) -> nw.LazyFrame:
    used = model.indicators.used()
    indicators = model.indicators.indicators
    values = [
        FORMULAS[indicators[n].formula]
        .value(_lookup(n), indicators[n], model)
        .cast(nw.Float64)
        .alias(f"value__{n}")
        for n in used
    ]
    shares_ = [
        normalised(nw.col(f"value__{n}"), indicators[n], model.indicators.missing_score).alias(
            f"normalised__{n}"
        )
        for n in used
    ]
    return (
        wide.with_columns(*values)
        .with_columns(*shares_, *override_flags(model.grades))
        .with_columns(score_expr(model.indicators).alias("score"))
        .with_columns(
            grade_expr(model.grades).alias("grade"),
            risk_class_expr(model.grades).alias("risk_class"),
        )
    )


def _contributions(scored: nw.LazyFrame, model: Model) -> nw.LazyFrame:
    parts = []
    for subject_type in model.indicators.subject_types:
        for name, share in shares(model.indicators, subject_type).items():
            ind = model.indicators.indicators[name]
            part = nw.col(f"normalised__{name}")
            parts.append(
                scored.filter(nw.col("subject_type") == subject_type).select(
                    "subject_id",
                    nw.lit(name).alias("indicator"),
                    nw.lit(ind.dimension).alias("dimension"),
                    nw.col(f"value__{name}").alias("value"),
                    part.alias("normalised"),
                    nw.lit(share / 1000).alias("weight"),
                    (share * part).alias("points"),
                    (share * (1 - part)).alias("lost"),
                )
            )
    return nw.concat(parts)


def _cited(scores: nw.LazyFrame, top_reasons: nw.LazyFrame, model: Model) -> nw.LazyFrame:
    """(subject, indicator) pairs a reason will name: top losses and fired overrides."""
    keys = [top_reasons.select("subject_id", "indicator")]
    for o in model.grades.overrides:
        fired = scores.filter(nw.col(f"override__{o.name}"))
        keys.append(fired.select("subject_id", nw.lit(o.indicator).alias("indicator")))
    return nw.concat(keys).unique()


def _evidence(facts: Facts, model: Model, period: Period, cited: nw.LazyFrame) -> nw.LazyFrame:
    """The first rows (by id) behind each cited pair, and only behind those: ranking every
    defective order or negative rating of every subject would cost more than the scores."""
    parts = []
    for name in model.indicators.used():
        ind = model.indicators.indicators[name]
        formula: Formula = FORMULAS[ind.formula]
        if formula.evidence is None:
            continue
        start = min(
            (s for s in _windows(ind, model, period.end).values() if s is not None), default=None
        )
        fact = formula.evidence_fact or formula.fact
        rows = facts.frames[fact].filter(formula.evidence(ind), _in_window(fact, start))
        subjects = cited.filter(nw.col("indicator") == name).select("subject_id")
        owner = OWNER[fact]
        if fact in SHOP_OWNED:
            owners = nw.concat(
                [
                    facts.shops.join(subjects, left_on=role, right_on="subject_id").select(
                        "shop_id", nw.col(role).alias("subject_id")
                    )
                    for role in ("merchant_id", "platform_id")
                ]
            )
        else:
            owners = subjects.with_columns(nw.col("subject_id").alias(owner))
        parts.append(
            rows.join(owners, on=owner).select(
                "subject_id",
                nw.lit(name).alias("indicator"),
                nw.lit(formula.ref_kind).alias("ref_kind"),
                nw.col(formula.ref_column).alias("ref_id"),
            )
        )
    evidence = nw.concat(parts)
    rank = nw.col("ref_id").cum_count().over("subject_id", "indicator", order_by="ref_id")
    return evidence.filter(rank <= EVIDENCE_PER_INDICATOR)


def _top_reasons(contributions: nw.LazyFrame) -> nw.LazyFrame:
    """The indicators that cost each subject the most points, worst first."""
    losing = contributions.filter(nw.col("lost") >= MIN_LOST_POINTS).with_columns(
        (-nw.col("lost")).alias("gain")
    )
    rank = nw.col("indicator").cum_count().over("subject_id", order_by=["gain", "indicator"])
    return (
        losing.with_columns(rank.alias("rank"))
        .filter(nw.col("rank") <= TOP_REASONS)
        .select("subject_id", "rank", "indicator", "value", "lost")
    )


def evaluate(engine: Engine, model: Model, as_of: date) -> Evaluation:
    """Evaluate every merchant, platform and logistics company registered by `as_of`."""
    period = Period.of(as_of, model.ratings.calendar_utc_offset_hours)
    facts = build_facts(engine, model, period, _orders_start(model, period.end))
    scored = engine.materialise(_scores(_wide(facts, model, period), model))
    contributions = engine.materialise(_contributions(scored, model))
    top = engine.materialise(_top_reasons(contributions))
    evidence = engine.materialise(_evidence(facts, model, period, _cited(scored, top, model)))
    flags = [c for c in scored.collect_schema().names() if c.startswith("override__")]
    scores = scored.select("subject_id", "subject_type", "score", "grade", "risk_class", *flags)
    return Evaluation(model, period, scores, contributions, evidence, top)
