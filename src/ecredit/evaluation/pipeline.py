"""The comprehensive evaluation (综合信用评价) as one batch job over an engine.

facts → per-subject measure sums (shop facts roll up to the merchant and to the platform) →
indicator values → normalised shares → score, grade, risk class and overrides, plus the
per-indicator contributions and the evidence rows behind them. All of it is Narwhals, so the
same plan runs on DuckDB and Spark.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce

import narwhals as nw
import pyarrow as pa

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

WEIGHTS_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("subject_type", "indicator", "dimension")]
    + [(c, pa.float64()) for c in ("share", "weight")]
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
    buyer_credit: nw.LazyFrame
    """Buyers' credit points and level from sellers' ratings (买家信用积分), one row per buyer."""


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


def _sums(frame: nw.LazyFrame, key: str, columns: list[str]) -> nw.LazyFrame:
    return frame.group_by(key).agg(*[nw.col(c).sum().cast(nw.Float64).alias(c) for c in columns])


def _rolled_up(per_shop: nw.LazyFrame, columns: list[str]) -> nw.LazyFrame:
    """A shop's sums count for its merchant and, separately, its platform.

    The role travels as `subject_type`, so a self-operated shop (platform = merchant) is not
    counted twice for the one subject.
    """
    return nw.concat(
        [
            _sums(per_shop, owner, columns).select(
                nw.col(owner).alias("subject_id"), nw.lit(role).alias("subject_type"), *columns
            )
            for owner, role in (("merchant_id", "merchant"), ("platform_id", "platform"))
        ]
    )


def _wide(engine: Engine, facts: Facts, model: Model, period: Period) -> nw.LazyFrame:
    """One row per subject with every measure summed over its facts.

    Shop-owned facts are summed per shop once, into one small table that both roll-ups read;
    summing the facts again per owner would run each pass over the rated trades twice.
    """
    wide = facts.frames["subjects"].select("subject_id", "subject_type")
    per_shop = facts.shops
    measure_columns: list[str] = []
    shop_columns: list[str] = []
    for fact, exprs in _measure_specs(model, period.end).items():
        rows = facts.frames[fact].select(
            OWNER[fact], *[e.cast(nw.Int64).alias(c) for c, e in exprs.items()]
        )
        sums = _sums(rows, OWNER[fact], list(exprs))
        if fact in SHOP_OWNED:
            per_shop = per_shop.join(sums, on="shop_id", how="left")
            shop_columns.extend(exprs)
        else:
            wide = wide.join(sums.rename({OWNER[fact]: "subject_id"}), on="subject_id", how="left")
        measure_columns.extend(exprs)
    if shop_columns:
        rolled = _rolled_up(engine.materialise(per_shop), shop_columns)
        wide = wide.join(rolled, on=["subject_id", "subject_type"], how="left")
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


def _column_of(prefix: str, names: list[str]) -> nw.Expr:
    """The `<prefix>__<indicator>` column named by each row's `indicator`."""
    picked = nw.lit(None, dtype=nw.Float64)
    for name in names:
        chosen = nw.when(nw.col("indicator") == name).then(nw.col(f"{prefix}__{name}"))
        picked = chosen.otherwise(picked)
    return picked


def _contributions(engine: Engine, scored: nw.LazyFrame, model: Model) -> nw.LazyFrame:
    """One row per subject and weighted indicator of its type.

    The weights travel as a small table joined on the subject type, so the whole long form is
    one plan rather than one select per type and indicator (some sixty plans, each bound by
    the engine, which costs more than running them on small worlds).
    """
    weights: dict[str, list[object]] = defaultdict(list)
    for subject_type in model.indicators.subject_types:
        for name, share in shares(model.indicators, subject_type).items():
            weights["subject_type"].append(subject_type)
            weights["indicator"].append(name)
            weights["dimension"].append(model.indicators.indicators[name].dimension)
            weights["share"].append(share)
            weights["weight"].append(share / 1000)
    table = pa.table(weights, schema=WEIGHTS_SCHEMA)
    names = sorted(set(table.column("indicator").to_pylist()))
    part = nw.col("normalised")
    return (
        scored.join(engine.from_arrow(table), on="subject_type")
        .with_columns(
            _column_of("value", names).alias("value"),
            _column_of("normalised", names).alias("normalised"),
        )
        .select(
            "subject_id",
            "indicator",
            "dimension",
            "value",
            "normalised",
            "weight",
            (nw.col("share") * part).alias("points"),
            (nw.col("share") * (1 - part)).alias("lost"),
        )
    )


def _cited(scores: nw.LazyFrame, top_reasons: nw.LazyFrame, model: Model) -> nw.LazyFrame:
    """(subject, indicator) pairs a reason will name: top losses and fired overrides. Kept as a
    table: the evidence of every fact reads it."""
    keys = [top_reasons.select("subject_id", "indicator")]
    for o in model.grades.overrides:
        fired = scores.filter(nw.col(f"override__{o.name}"))
        keys.append(fired.select("subject_id", nw.lit(o.indicator).alias("indicator")))
    return nw.concat(keys).unique()


def _evidence(
    engine: Engine, facts: Facts, model: Model, period: Period, cited: nw.LazyFrame
) -> nw.LazyFrame:
    """The first rows (by id) behind each cited pair, and only behind those: ranking every
    defective order or negative rating of every subject would cost more than the scores.

    Where several indicators draw evidence from one fact, the rows any of them could cite are
    kept in one filtered pass, and each indicator picks from those instead of reading the whole
    fact again; the cited subjects are then matched per fact rather than per indicator, which
    keeps the plan small enough to bind quickly. Each cited owner's first rows are kept before
    they are matched: a platform's first rows are among its shops' first rows, and ranking
    within each shop sorts small groups instead of a platform's millions.
    """
    conditions: dict[str, list[tuple[str, Formula, nw.Expr]]] = defaultdict(list)
    for name in model.indicators.used():
        ind = model.indicators.indicators[name]
        formula: Formula = FORMULAS[ind.formula]
        if formula.evidence is None:
            continue
        start = min(
            (s for s in _windows(ind, model, period.end).values() if s is not None), default=None
        )
        fact = formula.evidence_fact or formula.fact
        conditions[fact].append((name, formula, formula.evidence(ind) & _in_window(fact, start)))
    parts = []
    for fact, citing in conditions.items():
        owner = OWNER[fact]
        candidates = facts.frames[fact]
        if len(citing) > 1:
            candidates = engine.materialise(
                candidates.filter(reduce(operator.or_, [c for _, _, c in citing]))
            )
        flagged = nw.concat(
            [
                candidates.filter(condition).select(
                    owner,
                    nw.lit(name).alias("indicator"),
                    nw.lit(formula.ref_kind).alias("ref_kind"),
                    nw.col(formula.ref_column).alias("ref_id"),
                )
                for name, formula, condition in citing
            ]
        )
        pairs = cited.filter(nw.col("indicator").is_in([name for name, _, _ in citing]))
        if fact in SHOP_OWNED:
            owners = nw.concat(
                [
                    facts.shops.join(pairs, left_on=role, right_on="subject_id").select(
                        "shop_id", nw.col(role).alias("subject_id"), "indicator"
                    )
                    for role in ("merchant_id", "platform_id")
                ]
            )
        else:
            owners = pairs.with_columns(nw.col("subject_id").alias(owner))
        keys = [owner, "indicator"]
        cited_owners = owners.group_by(*keys).agg(nw.len()).select(*keys)
        first = flagged.join(cited_owners, on=keys, how="semi").filter(_first_few(owner))
        parts.append(
            first.join(owners, on=keys).select("subject_id", "indicator", "ref_kind", "ref_id")
        )
    return nw.concat(parts).filter(_first_few("subject_id"))


def _first_few(owner: str) -> nw.Expr:
    return (
        nw.col("ref_id").cum_count().over(owner, "indicator", order_by="ref_id")
        <= EVIDENCE_PER_INDICATOR
    )


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
    """Evaluate every merchant, platform and logistics company registered by `as_of`, and give
    every buyer that sellers rated its credit points."""
    period = Period.of(as_of, model.ratings.calendar_utc_offset_hours)
    facts = build_facts(engine, model, period, _orders_start(model, period.end))
    scored = engine.materialise(_scores(_wide(engine, facts, model, period), model))
    contributions = engine.materialise(_contributions(engine, scored, model))
    top = engine.materialise(_top_reasons(contributions))
    cited = engine.materialise(_cited(scored, top, model))
    evidence = engine.materialise(_evidence(engine, facts, model, period, cited))
    flags = [c for c in scored.collect_schema().names() if c.startswith("override__")]
    scores = scored.select("subject_id", "subject_type", "score", "grade", "risk_class", *flags)
    return Evaluation(model, period, scores, contributions, evidence, top, facts.buyer_credit)
