"""Detection measured against the synthetic world's ground truth (`truth/labels.csv`).

Three views, because one number would hide what matters:

* per manipulation type and entity kind — are the accused shops, subjects, orders, ratings and
  tracking numbers the labelled ones (precision, recall, F1)?
* per brushing ring density — rings are injected at several densities and sparse rings are the
  hard ones; each case is matched to the ring it overlaps most, and a density's cases are scored
  against that density's rings;
* hard negatives — flash sales, loyal buyers and hub shops look suspicious but are honest; the
  count of them that any case names should be zero.

Camouflage orders (real purchases by a ring's accounts at honest shops) are labelled brushing
but are not positives: flagging them would punish the honest shops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ecredit.detection.cases import Case
from ecredit.detection.rules import Manipulation, Role

NOT_POSITIVE_ROLES = ("camouflage",)
HARD_NEGATIVES = ("flash_sale", "loyal_buyer", "hub_shop")
RING_KINDS = ("subject", "shop")


@dataclass(frozen=True)
class Evaluation:
    by_type: pl.DataFrame
    """manipulation, entity_kind, truth, flagged, correct, precision, recall, f1"""
    by_density: pl.DataFrame
    """density, rings, entity_kind ("ring" = subjects and shops, or "order"), truth, flagged,
    correct, precision, recall, f1"""
    hard_negatives: pl.DataFrame
    """manipulation, entity_kind, labelled, flagged"""


def read_labels(truth_dir: Path) -> pl.DataFrame:
    labels = pl.read_csv(truth_dir / "labels.csv", infer_schema=False)
    return labels.with_columns(
        pl.col("detail").str.extract(r"role=([^;]+)").alias("truth_role"),
        pl.col("detail").str.extract(r"density=([^;]+)").cast(pl.Float64).alias("density"),
    )


def case_members(cases: Sequence[Case]) -> pl.DataFrame:
    """Every entity a case names (context entities are only shown, never named)."""
    frames = [
        c.members.with_columns(
            pl.lit(c.case_id).alias("case_id"), pl.lit(c.manipulation.value).alias("manipulation")
        )
        for c in cases
    ]
    schema = {
        "entity_kind": pl.String,
        "entity_id": pl.String,
        "role": pl.String,
        "case_id": pl.String,
        "manipulation": pl.String,
    }
    members = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    return members.filter(pl.col("role") != Role.CONTEXT.value)


def _scores(frame: pl.DataFrame) -> pl.DataFrame:
    precision = pl.when(pl.col("flagged") > 0).then(pl.col("correct") / pl.col("flagged"))
    recall = pl.when(pl.col("truth") > 0).then(pl.col("correct") / pl.col("truth"))
    return frame.with_columns(precision.alias("precision"), recall.alias("recall")).with_columns(
        pl.when(pl.col("precision") + pl.col("recall") > 0)
        .then(2 * pl.col("precision") * pl.col("recall") / (pl.col("precision") + pl.col("recall")))
        .otherwise(0.0)
        .alias("f1")
    )


def _counts(truth: set[str], flagged: set[str]) -> dict[str, int]:
    return {"truth": len(truth), "flagged": len(flagged), "correct": len(truth & flagged)}


def _ids(frame: pl.DataFrame) -> set[str]:
    return set(frame.get_column("entity_id").to_list())


def by_type(labels: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    positives = labels.filter(~pl.col("truth_role").is_in(NOT_POSITIVE_ROLES))
    rows = []
    for manipulation in Manipulation:
        truth = positives.filter(pl.col("manipulation") == manipulation.value)
        named = members.filter(pl.col("manipulation") == manipulation.value)
        kinds = sorted(set(truth.get_column("entity_kind")) | set(named.get_column("entity_kind")))
        for kind in kinds:
            rows.append(
                {
                    "manipulation": manipulation.value,
                    "entity_kind": kind,
                    **_counts(
                        _ids(truth.filter(pl.col("entity_kind") == kind)),
                        _ids(named.filter(pl.col("entity_kind") == kind)),
                    ),
                }
            )
    schema = {
        "manipulation": pl.String,
        "entity_kind": pl.String,
        "truth": pl.Int64,
        "flagged": pl.Int64,
        "correct": pl.Int64,
    }
    return _scores(pl.DataFrame(rows, schema=schema))


def by_density(labels: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Brushing cases scored against the rings they overlap most, by the rings' density."""
    rings = labels.filter(pl.col("manipulation") == Manipulation.BRUSHING.value)
    density = (
        rings.filter(pl.col("density").is_not_null())
        .group_by("group_id")
        .agg(pl.col("density").first())
    )
    rings = rings.drop("density").join(density, on="group_id")
    brushing = members.filter(pl.col("manipulation") == Manipulation.BRUSHING.value)
    overlap = (
        brushing.filter(pl.col("entity_kind").is_in(RING_KINDS))
        .join(
            rings.filter(pl.col("entity_kind").is_in(RING_KINDS)), on=["entity_kind", "entity_id"]
        )
        .group_by("case_id", "group_id")
        .len()
        .sort("len", "group_id", descending=[True, False])
        .unique("case_id", keep="first")
        .join(density, on="group_id")
        .select("case_id", "density")
    )
    rows = []
    for d in sorted(density.get_column("density").unique().to_list()):
        cases = overlap.filter(pl.col("density") == d).select("case_id")
        named = brushing.join(cases, on="case_id")
        truth = rings.filter(pl.col("density") == d)
        groups = truth.get_column("group_id").n_unique()
        ring_truth = truth.filter(pl.col("entity_kind").is_in(RING_KINDS))
        ring_named = named.filter(pl.col("entity_kind").is_in(RING_KINDS))
        order_truth = truth.filter(
            pl.col("entity_kind") == "order", ~pl.col("truth_role").is_in(NOT_POSITIVE_ROLES)
        )
        order_named = named.filter(pl.col("entity_kind") == "order")
        for kind, t, n in (
            ("ring", ring_truth, ring_named),
            ("order", order_truth, order_named),
        ):
            keyed = {
                "density": d,
                "rings": groups,
                "entity_kind": kind,
                **_counts(
                    set(t.select(pl.concat_str("entity_kind", "entity_id")).to_series()),
                    set(n.select(pl.concat_str("entity_kind", "entity_id")).to_series()),
                ),
            }
            rows.append(keyed)
    schema = {
        "density": pl.Float64,
        "rings": pl.Int64,
        "entity_kind": pl.String,
        "truth": pl.Int64,
        "flagged": pl.Int64,
        "correct": pl.Int64,
    }
    return _scores(pl.DataFrame(rows, schema=schema))


def hard_negatives(labels: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    named = members.select("entity_kind", "entity_id").unique()
    negatives = (
        labels.filter(pl.col("manipulation").is_in(HARD_NEGATIVES))
        .select("manipulation", "entity_kind", "entity_id")
        .unique()
    )
    flagged = negatives.join(named, on=["entity_kind", "entity_id"], how="semi")
    counts = negatives.group_by("manipulation", "entity_kind").agg(pl.len().alias("labelled"))
    hit = flagged.group_by("manipulation", "entity_kind").agg(pl.len().alias("flagged"))
    return (
        counts.join(hit, on=["manipulation", "entity_kind"], how="left")
        .with_columns(pl.col("flagged").fill_null(0).cast(pl.Int64))
        .sort("manipulation", "entity_kind")
    )


def evaluate(cases: Sequence[Case], truth_dir: Path) -> Evaluation:
    labels = read_labels(Path(truth_dir))
    members = case_members(cases)
    return Evaluation(
        by_type=by_type(labels, members),
        by_density=by_density(labels, members),
        hard_negatives=hard_negatives(labels, members),
    )
