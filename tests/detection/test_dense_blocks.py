"""Brushing-ring detection on synthetic buyer × shop graphs.

The organic background is Chung-Lu with power-law degrees, so it has a real degree-driven dense
core (heavy buyers × popular shops): a detector without the null model reports that core, which
is what makes the "organic core is not reported" test able to fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from ecredit.detection.dense_blocks import (
    Block,
    InteractionGraph,
    batch_peel,
    batch_peel_round,
    densest_block,
    detect_brushing_rings,
    poisson_score,
    shop_weights,
)

N_BUYERS, N_SHOPS, ORGANIC_ORDERS = 30_000, 3_000, 300_000


@dataclass(frozen=True)
class Ring:
    buyers: np.ndarray
    shops: np.ndarray


@dataclass(frozen=True)
class World:
    graph: InteractionGraph
    rings: list[Ring]


def power_law(rng: np.random.Generator, n: int, exponent: float, size: int) -> np.ndarray:
    weights = (np.arange(n) + 1.0) ** -exponent
    return rng.choice(n, size=size, p=weights / weights.sum())


def make_world(
    seed: int,
    rings: tuple[tuple[int, int, float, float], ...] = (),
    organic: int = ORGANIC_ORDERS,
) -> World:
    """Organic orders plus rings given as (buyers, shops, in-ring density, camouflage ratio).

    Ring members are drawn from the light half of buyers and mid-popularity shops, and camouflage
    orders go to shops in proportion to popularity, as a brusher hiding among real orders would.
    """
    rng = np.random.default_rng(seed)
    buyers = [power_law(rng, N_BUYERS, 0.5, organic)]
    shops = [power_law(rng, N_SHOPS, 0.8, organic)]
    free_buyers = rng.permutation(np.arange(N_BUYERS // 2, N_BUYERS))
    free_shops = rng.permutation(np.arange(N_SHOPS // 10, N_SHOPS))
    planted = []
    for n_b, n_s, density, camouflage in rings:
        ring_b, free_buyers = free_buyers[:n_b], free_buyers[n_b:]
        ring_s, free_shops = free_shops[:n_s], free_shops[n_s:]
        grid = rng.random((n_b, n_s)) < density
        b_idx, s_idx = np.nonzero(grid)
        camo = np.repeat(ring_b, rng.poisson(camouflage * grid.sum(axis=1)))
        buyers += [ring_b[b_idx], camo]
        shops += [ring_s[s_idx], power_law(rng, N_SHOPS, 0.8, camo.size)]
        planted.append(Ring(np.sort(ring_b), np.sort(ring_s)))
    graph = InteractionGraph.from_edges(
        np.concatenate(buyers), np.concatenate(shops), n_buyers=N_BUYERS, n_shops=N_SHOPS
    )
    return World(graph, planted)


def overlap(block: Block, ring: Ring) -> tuple[float, float]:
    """Node precision and recall of a block against one planted ring."""
    hits = np.isin(block.buyers, ring.buyers).sum() + np.isin(block.shops, ring.shops).sum()
    return (
        hits / (block.buyers.size + block.shops.size),
        hits / (ring.buyers.size + ring.shops.size),
    )


def test_planted_ring_is_found() -> None:
    world = make_world(1, rings=((40, 12, 0.7, 0.0),))
    blocks = detect_brushing_rings(world.graph)
    assert len(blocks) == 1
    precision, recall = overlap(blocks[0], world.rings[0])
    assert precision >= 0.95
    assert recall >= 0.6
    assert blocks[0].edges >= 10 * blocks[0].expected_edges


def test_two_rings_give_two_blocks() -> None:
    world = make_world(2, rings=((40, 12, 0.7, 0.0), (30, 8, 0.8, 0.5)))
    blocks = detect_brushing_rings(world.graph)
    assert len(blocks) == 2
    for ring in world.rings:
        assert sum(overlap(block, ring)[0] >= 0.95 for block in blocks) == 1


def test_camouflaged_ring_is_still_found() -> None:
    """Each fake buyer places twice as many orders at popular honest shops as in the ring."""
    world = make_world(3, rings=((40, 12, 0.7, 2.0),))
    camouflage_shops = np.setdiff1d(world.graph.shops[ORGANIC_ORDERS:], world.rings[0].shops)
    assert camouflage_shops.size > 100
    blocks = detect_brushing_rings(world.graph)
    assert len(blocks) == 1
    precision, recall = overlap(blocks[0], world.rings[0])
    assert precision >= 0.95
    assert recall >= 0.6


def test_organic_core_is_not_reported() -> None:
    world = make_world(4)
    core = densest_block(world.graph)
    assert core is not None
    assert np.median(core.buyers) < N_BUYERS // 20, "plain FRAUDAR returns the heavy buyers"
    assert np.median(core.shops) < N_SHOPS // 20, "... and the popular shops"
    assert core.edges < 1.5 * core.expected_edges, "which is as dense as their degrees predict"
    without_null = detect_brushing_rings(world.graph, null_weight=0.0, min_lift=0.0, min_score=0.0)
    assert without_null, "a detector without the null model reports the core"
    assert detect_brushing_rings(world.graph) == []


def test_organic_core_does_not_hide_a_ring() -> None:
    world = make_world(5, rings=((30, 10, 0.8, 1.0),))
    core = densest_block(world.graph)
    assert core is not None
    assert core.edges < 1.5 * core.expected_edges
    blocks = detect_brushing_rings(world.graph)
    assert len(blocks) == 1
    assert overlap(blocks[0], world.rings[0])[0] >= 0.95


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_batch_peel_finds_the_ring(seed: int) -> None:
    """Rounds remove whole groups at once, so a few organic nodes may survive with the ring."""
    world = make_world(seed, rings=((40, 12, 0.7, 1.0),))
    block = batch_peel(world.graph)
    assert block is not None
    precision, recall = overlap(block, world.rings[0])
    assert precision >= 0.85
    assert recall >= 0.6
    assert block.edges >= 10 * block.expected_edges


def test_batch_peel_round_removes_nodes_below_their_side_average() -> None:
    # buyer 0 orders from both shops, buyer 1 from shop 0 only; unit weights, no null penalty.
    buyers = np.array([0, 0, 1], dtype=np.int32)
    shops = np.array([0, 1, 0], dtype=np.int32)
    keep, density = batch_peel_round(
        buyers, shops, np.ones(3), np.zeros(2), np.zeros(2), epsilon=0.0
    )
    assert density == pytest.approx(3 / 4)
    assert keep.tolist() == [True, False, False]


def brute_force_greedy(
    buyers: np.ndarray, shops: np.ndarray, graph: InteractionGraph, alpha: float
) -> float:
    """One-node-at-a-time peeling with every gain recomputed from scratch: the specification."""
    weights = shop_weights(graph.shop_degree)
    alive_b = np.ones(graph.n_buyers, dtype=bool)
    alive_s = np.ones(graph.n_shops, dtype=bool)

    def state() -> tuple[np.ndarray, np.ndarray, float]:
        live = alive_b[buyers] & alive_s[shops]
        mass_b = np.bincount(buyers[live], weights[shops[live]], graph.n_buyers)
        mass_s = np.bincount(shops[live], weights[shops[live]], graph.n_shops)
        charge_b = alpha * graph.buyer_degree / graph.total
        charge_s = weights * graph.shop_degree
        gain_b = mass_b - charge_b * charge_s[alive_s].sum()
        gain_s = mass_s - charge_s * charge_b[alive_b].sum()
        mass = mass_b.sum() - charge_b[alive_b].sum() * charge_s[alive_s].sum()
        return gain_b, gain_s, mass / (alive_b.sum() + alive_s.sum())

    best = state()[2]
    while True:
        gain_b, gain_s, _ = state()
        b = np.flatnonzero(alive_b)[np.argmin(gain_b[alive_b])]
        s = np.flatnonzero(alive_s)[np.argmin(gain_s[alive_s])]
        if gain_b[b] <= gain_s[s]:
            alive_b[b] = False
        else:
            alive_s[s] = False
        if not (alive_b.any() and alive_s.any()):
            return best
        best = max(best, state()[2])


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_greedy_peel_matches_the_brute_force_specification(alpha: float) -> None:
    rng = np.random.default_rng(7)
    buyers = np.concatenate([rng.integers(0, 40, 300), np.repeat(np.arange(5), 6)])
    shops = np.concatenate([rng.integers(0, 25, 300), np.tile(np.arange(20, 26), 5)])
    graph = InteractionGraph.from_edges(buyers, shops)
    block = densest_block(graph, null_weight=alpha)
    assert block is not None
    nodes = block.buyers.size + block.shops.size
    objective = block.density - alpha * (
        (graph.buyer_degree[block.buyers].sum() / graph.total)
        * (shop_weights(graph.shop_degree)[block.shops] * graph.shop_degree[block.shops]).sum()
        / nodes
    )
    assert objective == pytest.approx(brute_force_greedy(buyers, shops, graph, alpha))


def test_repeated_rows_add_up_as_order_counts() -> None:
    rows = InteractionGraph.from_edges(np.array([0, 0, 1]), np.array([2, 2, 0]))
    counted = InteractionGraph.from_edges(np.array([0, 1]), np.array([2, 0]), np.array([2, 1]))
    assert rows.buyer_degree.tolist() == counted.buyer_degree.tolist() == [2.0, 1.0]
    assert rows.shop_degree.tolist() == counted.shop_degree.tolist() == [1.0, 0.0, 2.0]
    assert rows.total == counted.total == 3.0


def test_poisson_score_is_zero_unless_denser_than_expected() -> None:
    assert poisson_score(5, 10) == 0.0
    assert poisson_score(20, 10) == pytest.approx(20 * np.log(2) - 10)
