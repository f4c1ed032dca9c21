"""Batch peeling on the engine finds a planted block on DuckDB and Spark, like its numpy twin."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ecredit.detection import dense_blocks
from ecredit.detection.peeling import peel_blocks
from ecredit.engines.base import Engine
from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource

PLANTED_BUYERS = {f"ring{b}" for b in range(10)}
PLANTED_SHOPS = {f"target{s}" for s in range(4)}


def planted_graph(seed: int = 0) -> pa.Table:
    """A skewed organic market with a dense core of heavy buyers × popular shops, a 10 × 4 ring
    (every pair, one or two orders each) and the ring's camouflage at the most popular shops."""
    rng = np.random.default_rng(seed)
    n_buyers, n_shops, n_orders = 400, 60, 2500
    buyer_weight = rng.pareto(1.5, n_buyers) + 1.0
    shop_weight = 1.0 / np.arange(1, n_shops + 1) ** 0.9
    buyers = [f"b{i}" for i in rng.choice(n_buyers, n_orders, p=buyer_weight / buyer_weight.sum())]
    shops = [f"s{i}" for i in rng.choice(n_shops, n_orders, p=shop_weight / shop_weight.sum())]
    for ring_buyer in sorted(PLANTED_BUYERS):
        for target in sorted(PLANTED_SHOPS):
            repeats = 1 + int(rng.integers(0, 2))
            buyers += [ring_buyer] * repeats
            shops += [target] * repeats
        buyers += [ring_buyer] * 2
        shops += ["s0", "s1"]
    orders = pa.table({"buyer_id": buyers, "shop_id": shops})
    return (
        orders.group_by(["buyer_id", "shop_id"])
        .aggregate([("buyer_id", "count")])
        .rename_columns(["buyer_id", "shop_id", "links"])
    )


def first_block(engine: Engine) -> tuple[set[str], set[str]]:
    edges = engine.from_arrow(planted_graph())
    blocks = peel_blocks(engine, edges, k=1, min_lift=5.0, min_score=20.0, patience=0)
    assert blocks, "no significant block found"
    return set(blocks[0].buyers), set(blocks[0].shops)


def test_batch_peeling_finds_the_planted_block_on_duckdb() -> None:
    engine = DuckDBEngine(ArrowSource({}))
    try:
        assert first_block(engine) == (PLANTED_BUYERS, PLANTED_SHOPS)
    finally:
        engine.close()


@pytest.mark.spark
def test_batch_peeling_finds_the_planted_block_on_spark(spark: object) -> None:
    from ecredit.engines.spark import SparkEngine

    engine = SparkEngine(ArrowSource({}), session=spark)  # type: ignore[arg-type]
    try:
        assert first_block(engine) == (PLANTED_BUYERS, PLANTED_SHOPS)
    finally:
        engine.close()


def test_frame_rounds_peel_like_the_numpy_rounds() -> None:
    """One rule, two executions: the engine's rounds and `dense_blocks.batch_peel` agree."""
    table = planted_graph(seed=3)
    buyers = table.column("buyer_id").to_pylist()
    shops = table.column("shop_id").to_pylist()
    buyer_ids, buyer_codes = np.unique(buyers, return_inverse=True)
    shop_ids, shop_codes = np.unique(shops, return_inverse=True)
    graph = dense_blocks.InteractionGraph.from_edges(
        buyer_codes, shop_codes, table.column("links").to_numpy()
    )
    expected = dense_blocks.batch_peel(graph)
    assert expected is not None
    engine = DuckDBEngine(ArrowSource({}))
    try:
        found = peel_blocks(
            engine, engine.from_arrow(table), k=1, min_lift=0.0, min_score=0.0, patience=0
        )
    finally:
        engine.close()
    assert set(found[0].buyers) == set(buyer_ids[expected.buyers])
    assert set(found[0].shops) == set(shop_ids[expected.shops])
    assert found[0].score == pytest.approx(expected.score)
