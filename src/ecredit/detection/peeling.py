"""Batch peeling (D-Cube style) of dense buyer × shop blocks, expressed on the engine interface.

`dense_blocks` peels one node at a time with a priority queue, which needs the whole graph in
one process. D-Cube (Shah et al., WSDM 2017) instead removes, each round, every node whose gain
is below its side's average: a round is two group-by sums, a handful of scalars and a semi-join,
which any engine runs over an edge table of any size, and O(log n) rounds suffice. The round's
rule is the one `dense_blocks.batch_peel_round` applies to numpy arrays — the same objective
(FRAUDAR column weights, charged with the degree null model) and the same comparison
(`dense_blocks.not_below`), here applied to Narwhals expressions — so both variants peel the same
way and are scored by the same Poisson statistic. Every round is materialised, which cuts the
plan (and on Spark the lineage) that would otherwise grow with each round.
"""

from __future__ import annotations

from dataclasses import dataclass

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecredit.detection.dense_blocks import not_below, poisson_score, shop_weights
from ecredit.engines.base import Engine

EDGE_COLUMNS = ("buyer_id", "shop_id", "links")
"""`links` is an edge's multiplicity: orders in a plain buyer × shop graph (detection caps
each account's orders, see `pipeline.brushing_edges`)."""


@dataclass(frozen=True)
class FoundBlock:
    """A block by ids, as both block searches report it to the case builder."""

    buyers: tuple[str, ...]
    shops: tuple[str, ...]
    links: int
    expected_links: float
    score: float

    @property
    def lift(self) -> float:
        return self.links / self.expected_links if self.expected_links > 0 else float("inf")


def _scalars(engine: Engine, frame: nw.LazyFrame, *exprs: nw.Expr) -> list[float]:
    row = engine.to_arrow(frame.select(*exprs)).to_pylist()[0]
    return [float(v or 0.0) for v in row.values()]


def weighted_edges(
    engine: Engine, edges: nw.LazyFrame, c: float, null_weight: float
) -> nw.LazyFrame:
    """Edges with their weight and both endpoints' null-model penalties, from full-graph degrees.

    Column weights come from `dense_blocks.shop_weights` on the shop table (one row per shop,
    small next to the edges), so there is one definition of the weighting.
    """
    (total,) = _scalars(engine, edges, nw.col("links").sum())
    shop_degree = engine.to_arrow(
        edges.group_by("shop_id").agg(nw.col("links").sum().alias("shop_degree"))
    )
    degrees = shop_degree.column("shop_degree").to_numpy().astype(np.float64)
    shops = engine.from_arrow(
        shop_degree.append_column("column_weight", pa.array(shop_weights(degrees, c)))
    )
    buyers = edges.group_by("buyer_id").agg(nw.col("links").sum().alias("buyer_degree"))
    weighted = (
        edges.join(buyers, on="buyer_id")
        .join(shops, on="shop_id")
        .select(
            *EDGE_COLUMNS,
            "buyer_degree",
            "shop_degree",
            (nw.col("column_weight") * nw.col("links")).alias("weight"),
            (null_weight * nw.col("buyer_degree") / total).alias("buyer_penalty"),
            (nw.col("column_weight") * nw.col("shop_degree")).alias("shop_penalty"),
        )
    )
    return engine.materialise(weighted)


@dataclass(frozen=True)
class Round:
    """One round: the nodes it started with, its density, and the edges that survive it."""

    nodes: tuple[int, int]
    density: float
    survivors: nw.LazyFrame


def _side(edges: nw.LazyFrame, node: str, penalty: str) -> nw.LazyFrame:
    return edges.group_by(node).agg(
        nw.col("weight").sum().alias("mass"), nw.col(penalty).max().alias("penalty")
    )


def _totals(side: nw.LazyFrame, prefix: str) -> nw.LazyFrame:
    return side.select(
        nw.col("mass").sum().alias(f"{prefix}_mass"),
        nw.col("penalty").sum().alias(f"{prefix}_charge"),
        nw.len().alias(f"{prefix}_nodes"),
    )


def peel_round(engine: Engine, edges: nw.LazyFrame, epsilon: float) -> Round:
    """`dense_blocks.batch_peel_round` on frames: two group-bys, one row of totals, a semi-join."""
    buyers = engine.materialise(_side(edges, "buyer_id", "buyer_penalty"))
    shops = engine.materialise(_side(edges, "shop_id", "shop_penalty"))
    totals = engine.to_arrow(
        _totals(buyers, "buyer").join(_totals(shops, "shop"), how="cross")
    ).to_pylist()[0]
    n_buyers, n_shops = int(totals["buyer_nodes"]), int(totals["shop_nodes"])
    buyer_charge, shop_charge = float(totals["buyer_charge"]), float(totals["shop_charge"])
    mass = float(totals["buyer_mass"]) - buyer_charge * shop_charge
    keep_buyers = buyers.filter(
        not_below(nw.col("mass"), nw.col("penalty") * shop_charge, mass / n_buyers, epsilon)
    ).select("buyer_id")
    keep_shops = shops.filter(
        not_below(nw.col("mass"), nw.col("penalty") * buyer_charge, mass / n_shops, epsilon)
    ).select("shop_id")
    survivors = engine.materialise(
        edges.join(keep_buyers, on="buyer_id", how="semi").join(
            keep_shops, on="shop_id", how="semi"
        )
    )
    return Round((n_buyers, n_shops), mass / (n_buyers + n_shops), survivors)


def densest(engine: Engine, edges: nw.LazyFrame, epsilon: float) -> nw.LazyFrame | None:
    """Edges of the densest round of batch peeling; None if there is nothing to peel.

    A round that starts with the nodes the previous one started with removed nothing: the
    peeling has reached its fixed point.
    """
    if _scalars(engine, edges, nw.len())[0] == 0:
        return None
    best_density, best = -np.inf, edges
    previous: tuple[int, int] | None = None
    while True:
        result = peel_round(engine, edges, epsilon)
        if result.density > best_density:
            best_density, best = result.density, edges
        if result.nodes == previous or 0 in result.nodes:
            return best
        previous, edges = result.nodes, result.survivors


def _block(engine: Engine, block_edges: nw.LazyFrame, total: float) -> FoundBlock:
    """Ids and Poisson score of a block, with the full-graph degrees as the null model."""
    buyers = engine.to_arrow(
        block_edges.group_by("buyer_id").agg(nw.col("buyer_degree").max()).sort("buyer_id")
    )
    shops = engine.to_arrow(
        block_edges.group_by("shop_id").agg(nw.col("shop_degree").max()).sort("shop_id")
    )
    (observed,) = _scalars(engine, block_edges, nw.col("links").sum())
    expected = (
        float(pc.sum(buyers.column("buyer_degree")).as_py())
        * float(pc.sum(shops.column("shop_degree")).as_py())
        / total
    )
    return FoundBlock(
        buyers=tuple(buyers.column("buyer_id").to_pylist()),
        shops=tuple(shops.column("shop_id").to_pylist()),
        links=int(observed),
        expected_links=expected,
        score=float(poisson_score(observed, expected)),
    )


def peel_blocks(
    engine: Engine,
    edges: nw.LazyFrame,
    *,
    k: int = 5,
    c: float = 5.0,
    null_weight: float = 1.0,
    epsilon: float = 0.0,
    min_lift: float = 10.0,
    min_score: float = 100.0,
    patience: int = 1,
) -> list[FoundBlock]:
    """Up to `k` significant blocks of an edge frame (buyer_id, shop_id, links).

    As in `dense_blocks.detect_brushing_rings`, a found block's edges leave the search whether
    or not it was significant, so an unusual-but-organic block cannot hide a ring behind it, and
    the search stops after `patience` insignificant blocks in a row.
    """
    region = weighted_edges(engine, edges.select(*EDGE_COLUMNS), c, null_weight)
    (total,) = _scalars(engine, region, nw.col("links").sum())
    found: list[FoundBlock] = []
    misses = 0
    while len(found) < k and misses <= patience:
        block_edges = densest(engine, region, epsilon)
        if block_edges is None:
            break
        block = _block(engine, block_edges, total)
        region = engine.materialise(
            region.join(
                block_edges.select("buyer_id", "shop_id"), on=["buyer_id", "shop_id"], how="anti"
            )
        )
        significant = block.links >= min_lift * block.expected_links and block.score >= min_score
        if significant:
            found.append(block)
        misses = 0 if significant else misses + 1
    return found
