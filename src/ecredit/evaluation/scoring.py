"""From indicator values to 0–1000 scores, grades, risk classes and overrides.

Each indicator is normalised to 0 (worst) … 1 (best); a subject's score is 1000 times the
weighted mean for its subject type. The sum runs in the fixed order of the YAML weights, so
both engines add the same floating-point terms in the same order and agree to the last bit.
"""

from __future__ import annotations

import narwhals as nw

from ecredit.evaluation.policy import Band, GradePolicy, Indicator, IndicatorModel

SCALE = 1000


def normalised(value: nw.Expr, ind: Indicator, default_missing: float) -> nw.Expr:
    n = ind.normalisation
    if n.kind == "linear":
        share = ((value - n.worst) / (n.best - n.worst)).clip(0.0, 1.0)  # type: ignore[operator]
    else:
        share = nw.lit(n.scores[-1])
        for edge, score in reversed(list(zip(n.edges, n.scores, strict=False))):
            share = nw.when(value < edge).then(score).otherwise(share)
        share = nw.when(~value.is_null()).then(share)
    missing = default_missing if ind.missing_score is None else ind.missing_score
    return share.fill_null(missing)


def shares(model: IndicatorModel, subject_type: str) -> dict[str, float]:
    """Each indicator's share of the scale for a subject type (weights over their sum)."""
    weights = model.subject_types[subject_type].weights
    total = sum(weights.values())
    return {name: SCALE * w / total for name, w in weights.items()}


def score_expr(model: IndicatorModel) -> nw.Expr:
    score = nw.lit(None, dtype=nw.Float64)
    for subject_type in model.subject_types:
        terms = [
            nw.lit(share) * nw.col(f"normalised__{name}")
            for name, share in shares(model, subject_type).items()
        ]
        score = (
            nw.when(nw.col("subject_type") == subject_type)
            .then(nw.sum_horizontal(*terms))
            .otherwise(score)
        )
    return score


def _band_rank(score: nw.Expr, bands: list[Band]) -> nw.Expr:
    scored = [(i, b.min_score) for i, b in enumerate(bands) if b.min_score is not None]
    rank = nw.lit(scored[-1][0])
    for i, minimum in reversed(scored[:-1]):
        rank = nw.when(score >= minimum).then(i).otherwise(rank)
    return rank


def _letter(rank: nw.Expr, bands: list[Band]) -> nw.Expr:
    letter = nw.lit(bands[-1].grade)
    for i, band in reversed(list(enumerate(bands[:-1]))):
        letter = nw.when(rank == i).then(nw.lit(band.grade)).otherwise(letter)
    return letter


def override_flag(name: str) -> str:
    return f"override__{name}"


def override_flags(policy: GradePolicy) -> list[nw.Expr]:
    flags = []
    for o in policy.overrides:
        fired = nw.col(f"value__{o.indicator}").fill_null(0) > o.above
        if o.subject_types is not None:
            fired = fired & nw.col("subject_type").is_in(o.subject_types)
        flags.append(fired.alias(override_flag(o.name)))
    return flags


def _capped(score: nw.Expr, bands: list[Band], caps: list[tuple[str, str]]) -> nw.Expr:
    """The score's band, worsened by every override that fired (caps never improve a band)."""
    position = {b.grade: i for i, b in enumerate(bands)}
    position["worst"] = len(bands) - 1
    ranks = [_band_rank(score, bands)] + [
        nw.when(nw.col(override_flag(name))).then(position[grade]).otherwise(0)
        for name, grade in caps
    ]
    return _letter(nw.max_horizontal(*ranks), bands)


def grade_expr(policy: GradePolicy) -> nw.Expr:
    return _capped(nw.col("score"), policy.grades, [(o.name, o.grade) for o in policy.overrides])


def risk_class_expr(policy: GradePolicy) -> nw.Expr:
    return _capped(
        nw.col("score"), policy.risk_classes, [(o.name, o.risk_class) for o in policy.overrides]
    )
