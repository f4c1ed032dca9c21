"""Dense-block detection of brushing rings (刷单炒信) on the buyer × shop interaction graph.

A brushing ring is a set of buyer accounts that place orders with a set of shops far more often
than the shops' and buyers' overall activity explains. On the bipartite buyer × shop graph it is
a dense block. Two things make the plain "densest block" the wrong answer on real data:

* **Camouflage.** Fake buyers also order from popular honest shops so that they look ordinary.
  FRAUDAR (Hooi et al., KDD 2016) makes the density metric resistant to that by weighting every
  edge with its shop's column weight ``1 / log(shop degree + c)``: camouflage lands on popular
  shops, whose edges weigh little, and it never touches the ring's own (obscure) shops.
* **The organic dense core.** Heavy buyers ordering from popular shops form a block that is
  dense simply because of their degrees. FRAUDAR reports that core first. Here every block is
  measured against a degree-preserving null model (Chung-Lu: a buyer of degree ``d_b`` and a shop
  of degree ``d_s`` share ``d_b·d_s/m`` orders in expectation, ``m`` the total), both while
  peeling and when deciding what to report.

Peeling objective. For a block with buyers ``B`` and shops ``S``::

    g_α(B, S) = [ Σ_{(b,s) ∈ B×S} c_s·n_bs  −  α · Σ_{b∈B} Σ_{s∈S} c_s·d_b·d_s / m ] / (|B| + |S|)

with ``n_bs`` the orders between ``b`` and ``s`` and ``c_s`` the column weight. ``α = 0`` is
FRAUDAR's log-weighted average degree (and keeps its 2-approximation guarantee). ``α = 1``
(``null_weight``, the default for detection) charges a block exactly the orders the null model
predicts: the organic core's mass is ≈ 0 while a ring (lift in the hundreds) keeps almost all of
its own. The penalty is bilinear, so removing a node changes every other node's gain by an amount
known in O(1); the priority queue keeps lower bounds and refreshes the minimum lazily. With
``α > 0`` the greedy is a heuristic without the approximation guarantee. (``α > 1`` looks
tempting, since it pushes organic blocks below zero, but then a mid-degree ring shop starts far
more negative than the light organic buyers and is peeled before them.)

Significance. A candidate block with ``O`` observed orders and ``E = (Σ_B d_b)(Σ_S d_s)/m``
expected orders (degrees of the full graph, so the block's own orders count against it) is
scored by the Poisson log-likelihood ratio (a Kulldorff-style scan statistic, in nats)::

    score = O·ln(O/E) − (O − E)   if O > E, else 0

and reported only if ``O/E ≥ min_lift``, ``score ≥ min_score`` and its density reaches
``min_density``. The lift rejects large organic blocks, whose score can be big merely because
``O`` is big; the score rejects tiny blocks, whose lift is big merely because ``E`` is tiny; the
density rejects sparse scatterings whose lift is big because their nodes are light. The
thresholds are far above what the search finds on purely organic power-law graphs of 10⁶–10⁸
orders (the best organic candidates there have lift ≈ 3–5, or a handful of orders).

Scale. An exact greedy costs a heap operation per order, far too much for 10⁸ orders. The graph
is first shrunk by batch rounds: every node whose null-corrected gain is below its side's average,
or below ``min_density``, leaves at once. Organic nodes (lift ≈ 1, gain ≈ 0) go within a handful
of passes, ring nodes (gain ≈ their in-ring weighted degree) stay, and the exact greedy runs on
what is left. That pruning is a heuristic: a ring whose members have in-ring weighted degree below
``min_density`` is lost. Everything per edge runs in numba.

:func:`batch_peel` is the D-Cube-style variant: every round removes all nodes whose gain is below
(1 + ε) times their side's average, so it needs O(log n) passes over an edge table and no priority
queue. Its round, :func:`batch_peel_round`, is a pure function of edge columns so that it can be
expressed on a dataframe engine; the shrinking step above is the same round, capped, in numba.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

IntArray = NDArray[np.int64]
Int32Array = NDArray[np.int32]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_COLUMN_CONSTANT = 5.0
_TIE = 1e-9


@dataclass(frozen=True)
class Block:
    """A dense buyer × shop block and how far it is from what the degrees predict.

    ``edges`` counts orders (edge multiplicities) inside the block that were still unexplained
    when it was found; ``density`` is FRAUDAR's column-weighted average degree of the block;
    ``expected_edges`` and ``score`` are the null-model figures described in the module docstring.
    """

    buyers: IntArray
    shops: IntArray
    edges: int
    density: float
    expected_edges: float
    score: float

    @property
    def lift(self) -> float:
        return self.edges / self.expected_edges if self.expected_edges > 0 else float("inf")


@dataclass(frozen=True)
class InteractionGraph:
    """Orders between buyers and shops as parallel int32 columns, one row per (buyer, shop) pair.

    Repeated pairs are allowed and add up; ``counts`` (orders per row) is empty when every row
    stands for one order, which saves a column on very large graphs. Degrees and the total are
    taken once from the full graph: they define the null model for every later search.
    """

    buyers: Int32Array
    shops: Int32Array
    counts: Int32Array
    buyer_degree: FloatArray
    shop_degree: FloatArray
    total: float

    @classmethod
    def from_edges(
        cls,
        buyers: NDArray[np.integer],
        shops: NDArray[np.integer],
        counts: NDArray[np.integer] | None = None,
        *,
        n_buyers: int | None = None,
        n_shops: int | None = None,
    ) -> InteractionGraph:
        buyer_ids = np.asarray(buyers, dtype=np.int32)
        shop_ids = np.asarray(shops, dtype=np.int32)
        if buyer_ids.shape != shop_ids.shape or buyer_ids.ndim != 1:
            raise ValueError("buyers and shops must be 1-d arrays of the same length")
        if buyer_ids.size and (buyer_ids.min() < 0 or shop_ids.min() < 0):
            raise ValueError("buyer and shop ids must be non-negative")
        orders = np.empty(0, np.int32) if counts is None else np.asarray(counts, dtype=np.int32)
        if orders.size not in (0, buyer_ids.size) or (orders.size and orders.min() < 1):
            raise ValueError("counts must hold one positive order count per row")
        n_b = max(n_buyers or 0, int(buyer_ids.max(initial=-1)) + 1)
        n_s = max(n_shops or 0, int(shop_ids.max(initial=-1)) + 1)
        buyer_degree, shop_degree = np.zeros(n_b), np.zeros(n_s)
        _accumulate(buyer_ids, shop_ids, orders, np.ones(n_s), buyer_degree, shop_degree)
        return cls(buyer_ids, shop_ids, orders, buyer_degree, shop_degree, float(shop_degree.sum()))

    @property
    def n_buyers(self) -> int:
        return self.buyer_degree.size

    @property
    def n_shops(self) -> int:
        return self.shop_degree.size


class _Edges(NamedTuple):
    """A subset of the graph's rows, compacted: what is left to explain in the search region."""

    buyers: Int32Array
    shops: Int32Array
    counts: Int32Array


def shop_weights(shop_degree: FloatArray, c: float = DEFAULT_COLUMN_CONSTANT) -> FloatArray:
    """FRAUDAR's column weights: an order with a popular shop is weak evidence of collusion."""
    return 1.0 / np.log(shop_degree + c)


def poisson_score(observed: float, expected: float) -> float:
    """Log-likelihood ratio (nats) of a block's order count against its Poisson expectation."""
    if observed <= expected:
        return 0.0
    if expected <= 0.0:
        return float("inf")
    return observed * np.log(observed / expected) - (observed - expected)


def densest_block(
    graph: InteractionGraph,
    *,
    c: float = DEFAULT_COLUMN_CONSTANT,
    null_weight: float = 0.0,
    min_density: float = 0.0,
) -> Block | None:
    """The block maximising ``g_α`` by greedy peeling; exactly FRAUDAR with the defaults.

    ``min_density > 0`` first shrinks the graph (see :func:`detect_brushing_rings`), which is what
    makes large graphs tractable but turns the search into a heuristic.
    """
    weights = shop_weights(graph.shop_degree, c)
    region = _all_edges(graph)
    if min_density > 0:
        region = _shrink(region, weights, graph, null_weight, min_density)
    if not region.buyers.size:
        return None
    buyers, shops = _peel(region, weights, graph, null_weight)
    return _score_block(region, buyers, shops, weights, graph)


def detect_brushing_rings(
    graph: InteractionGraph,
    k: int = 5,
    *,
    c: float = DEFAULT_COLUMN_CONSTANT,
    null_weight: float = 1.0,
    min_density: float = 1.0,
    min_lift: float = 10.0,
    min_score: float = 100.0,
    patience: int = 1,
) -> list[Block]:
    """Up to ``k`` significant blocks, most significant first within each search.

    The graph is first shrunk by batch rounds of the null-corrected gains (every node below its
    side's average gain or below ``min_density`` goes, until none does): the organic mass has
    lift ≈ 1 and leaves in a handful of vectorised passes, and the exact greedy then runs on
    what is left. Each candidate is split into connected components, because the greedy can
    keep two disjoint rings of similar density together; every component is scored on its own.
    The candidate's orders are then removed and the search repeats, whether or not anything was
    reported, so that an unusual-but-organic block cannot hide a ring behind it; it stops after
    ``patience`` candidates in a row without a significant component.
    """
    weights = shop_weights(graph.shop_degree, c)
    region = _shrink(_all_edges(graph), weights, graph, null_weight, min_density)
    found: list[Block] = []
    misses = 0
    while len(found) < k and region.buyers.size and misses <= patience:
        buyers, shops = _peel(region, weights, graph, null_weight)
        parts = [
            _score_block(region, part_buyers, part_shops, weights, graph)
            for part_buyers, part_shops in _components(region, buyers, shops)
        ]
        region = _shrink(
            _without(region, buyers, shops, graph), weights, graph, null_weight, min_density
        )
        significant = [
            part
            for part in parts
            if part.edges >= min_lift * part.expected_edges
            and part.score >= min_score
            and part.density >= min_density
        ]
        significant.sort(key=lambda block: block.score, reverse=True)
        found.extend(significant[: k - len(found)])
        misses = 0 if significant else misses + 1
    return found


def batch_peel_round(
    buyers: Int32Array,
    shops: Int32Array,
    weight: FloatArray,
    buyer_penalty: FloatArray,
    shop_penalty: FloatArray,
    epsilon: float,
) -> tuple[BoolArray, float]:
    """One D-Cube round: which surviving edges keep both endpoints, and the density before it.

    Written as group-by sums, two scalar totals and a filter so that it maps onto a dataframe
    engine. ``weight`` is ``c_s·n_bs`` per edge, ``buyer_penalty`` is ``α·d_b/m`` and
    ``shop_penalty`` is ``c_s·d_s``: the block's null charge is the product of their sums over
    surviving nodes, and a node's share of it is its own penalty times the other side's sum.

    As in D-Cube each side is compared with its own average gain (both sides' gains sum to the
    block's mass), and a node goes when its gain is below ``(1 + ε)`` times that average (``ε``
    times the magnitude, so that a negative average does not stall). Ties stay: with ``α = 1``
    every shop of the full graph has gain exactly zero, the shops' average, and removing ties
    would remove them all.
    """
    n_b, n_s = buyer_penalty.size, shop_penalty.size
    buyer_mass = np.bincount(buyers, weights=weight, minlength=n_b)
    shop_mass = np.bincount(shops, weights=weight, minlength=n_s)
    buyer_alive, shop_alive = buyer_mass > 0, shop_mass > 0
    buyer_charge = buyer_penalty[buyer_alive].sum()
    shop_charge = shop_penalty[shop_alive].sum()
    mass = float(weight.sum()) - buyer_charge * shop_charge
    buyer_keep = not_below(
        buyer_mass, buyer_penalty * shop_charge, mass / buyer_alive.sum(), epsilon
    )
    shop_keep = not_below(shop_mass, shop_penalty * buyer_charge, mass / shop_alive.sum(), epsilon)
    keep = buyer_keep[buyers] & shop_keep[shops]
    return keep, mass / (buyer_alive.sum() + shop_alive.sum())


def not_below(mass: FloatArray, charge: FloatArray, average: float, epsilon: float) -> BoolArray:
    """Gain ≥ threshold, where a shortfall within rounding of the two terms counts as a tie.

    Public because `peeling` applies the same comparison to engine expressions: one rule, so
    the in-memory and the engine peeling cannot drift apart."""
    threshold = average + epsilon * abs(average)
    return mass - charge >= threshold - _TIE * (mass + charge)


def batch_peel(
    graph: InteractionGraph,
    *,
    c: float = DEFAULT_COLUMN_CONSTANT,
    null_weight: float = 1.0,
    epsilon: float = 0.0,
) -> Block | None:
    """The best round of D-Cube-style batch peeling of ``g_α``, scored like the greedy blocks."""
    weights = shop_weights(graph.shop_degree, c)
    buyers, shops = graph.buyers, graph.shops
    weight = weights[shops] * (graph.counts if graph.counts.size else 1.0)
    buyer_penalty = null_weight * graph.buyer_degree / graph.total
    shop_penalty = weights * graph.shop_degree
    best_density, best = -np.inf, (buyers, shops)
    while buyers.size:
        keep, density = batch_peel_round(
            buyers, shops, weight, buyer_penalty, shop_penalty, epsilon
        )
        if density > best_density:
            best_density, best = density, (buyers, shops)
        if keep.all():
            break
        buyers, shops, weight = buyers[keep], shops[keep], weight[keep]
    if not np.isfinite(best_density):
        return None
    block_buyers = np.unique(best[0]).astype(np.int64)
    block_shops = np.unique(best[1]).astype(np.int64)
    return _score_block(_all_edges(graph), block_buyers, block_shops, weights, graph)


def _all_edges(graph: InteractionGraph) -> _Edges:
    return _Edges(graph.buyers, graph.shops, graph.counts)


def _shrink(
    edges: _Edges, weights: FloatArray, graph: InteractionGraph, alpha: float, floor: float
) -> _Edges:
    buyers, shops, counts = _shrink_kernel(
        edges.buyers,
        edges.shops,
        edges.counts,
        weights,
        graph.buyer_degree,
        graph.shop_degree,
        graph.total,
        alpha,
        floor,
    )
    return _Edges(buyers, shops, counts)


def _membership(
    buyers: IntArray, shops: IntArray, graph: InteractionGraph, edges: _Edges
) -> BoolArray:
    in_buyers = np.zeros(graph.n_buyers, dtype=np.bool_)
    in_shops = np.zeros(graph.n_shops, dtype=np.bool_)
    in_buyers[buyers] = True
    in_shops[shops] = True
    return in_buyers[edges.buyers] & in_shops[edges.shops]


def _without(edges: _Edges, buyers: IntArray, shops: IntArray, graph: InteractionGraph) -> _Edges:
    keep = ~_membership(buyers, shops, graph, edges)
    counts = edges.counts[keep] if edges.counts.size else edges.counts
    return _Edges(edges.buyers[keep], edges.shops[keep], counts)


def _peel(
    edges: _Edges, weights: FloatArray, graph: InteractionGraph, alpha: float
) -> tuple[IntArray, IntArray]:
    buyer_ids, local_buyers = _relabel(edges.buyers, graph.n_buyers)
    shop_ids, local_shops = _relabel(edges.shops, graph.n_shops)
    order, best_step = _greedy_peel(
        local_buyers,
        local_shops,
        edges.counts,
        weights[shop_ids],
        graph.buyer_degree[buyer_ids],
        graph.shop_degree[shop_ids],
        graph.total,
        alpha,
    )
    kept = np.ones(buyer_ids.size + shop_ids.size, dtype=np.bool_)
    kept[order[:best_step]] = False
    return buyer_ids[kept[: buyer_ids.size]], shop_ids[kept[buyer_ids.size :]]


def _components(
    edges: _Edges, buyers: IntArray, shops: IntArray
) -> list[tuple[IntArray, IntArray]]:
    """The block's connected components that have both a buyer and a shop."""
    inside = np.isin(edges.buyers, buyers) & np.isin(edges.shops, shops)
    local_b = np.searchsorted(buyers, edges.buyers[inside])
    local_s = buyers.size + np.searchsorted(shops, edges.shops[inside])
    n = buyers.size + shops.size
    adjacency = coo_matrix((np.ones(local_b.size), (local_b, local_s)), shape=(n, n))
    count, labels = connected_components(adjacency, directed=False)
    buyer_labels, shop_labels = labels[: buyers.size], labels[buyers.size :]
    parts = [(buyers[buyer_labels == i], shops[shop_labels == i]) for i in range(count)]
    return [(b, s) for b, s in parts if b.size and s.size]


def _relabel(ids: Int32Array, n: int) -> tuple[IntArray, Int32Array]:
    """Compact ids to 0..k-1 so that the peel's arrays are sized by the region, not the graph."""
    present = np.flatnonzero(np.bincount(ids, minlength=n))
    local = np.full(n, -1, dtype=np.int32)
    local[present] = np.arange(present.size, dtype=np.int32)
    return present, local[ids]


def _score_block(
    edges: _Edges,
    buyers: IntArray,
    shops: IntArray,
    weights: FloatArray,
    graph: InteractionGraph,
) -> Block:
    inside = _membership(buyers, shops, graph, edges)
    orders = edges.counts[inside] if edges.counts.size else np.ones(int(inside.sum()), np.int32)
    observed = int(orders.sum())
    weighted = float((weights[edges.shops[inside]] * orders).sum())
    expected = graph.buyer_degree[buyers].sum() * graph.shop_degree[shops].sum() / graph.total
    nodes = buyers.size + shops.size
    return Block(
        buyers=buyers,
        shops=shops,
        edges=observed,
        density=weighted / nodes if nodes else 0.0,
        expected_edges=float(expected),
        score=poisson_score(observed, expected),
    )


@numba.njit(cache=True, inline="always")
def _orders(counts: Int32Array, e: int) -> float:
    return float(counts[e]) if counts.size else 1.0


@numba.njit(cache=True)
def _shrink_kernel(
    buyers: Int32Array,
    shops: Int32Array,
    counts: Int32Array,
    weights: FloatArray,
    buyer_degree: FloatArray,
    shop_degree: FloatArray,
    total: float,
    alpha: float,
    floor: float,
) -> tuple[Int32Array, Int32Array, Int32Array]:
    """:func:`batch_peel_round` with ``ε = 0`` and a threshold capped at ``floor``, to a fixpoint.

    The cap is what stops the rounds: once a side's average gain passes ``floor`` only nodes
    below ``floor`` go, and the rounds reach a fixed point instead of peeling the rings too.
    Edges and surviving nodes are kept as compacted lists, so a round costs what survives.
    """
    buyer_mass = np.zeros(buyer_degree.size)
    shop_mass = np.zeros(shop_degree.size)
    buyer_keep = np.zeros(buyer_degree.size, dtype=np.bool_)
    shop_keep = np.zeros(shop_degree.size, dtype=np.bool_)
    mass = _accumulate(buyers, shops, counts, weights, buyer_mass, shop_mass)
    buyer_list = np.flatnonzero(buyer_mass)
    shop_list = np.flatnonzero(shop_mass)
    while buyers.size:
        buyer_charge = alpha / total * buyer_degree[buyer_list].sum()
        shop_charge = (weights[shop_list] * shop_degree[shop_list]).sum()
        mass -= buyer_charge * shop_charge
        buyer_floor = min(mass / buyer_list.size, floor)
        shop_floor = min(mass / shop_list.size, floor)
        for b in buyer_list:
            charge = alpha / total * buyer_degree[b] * shop_charge
            buyer_keep[b] = buyer_mass[b] - charge >= buyer_floor - _TIE * (buyer_mass[b] + charge)
            buyer_mass[b] = 0.0
        for s in shop_list:
            charge = weights[s] * shop_degree[s] * buyer_charge
            shop_keep[s] = shop_mass[s] - charge >= shop_floor - _TIE * (shop_mass[s] + charge)
            shop_mass[s] = 0.0
        before = buyers.size
        buyers, shops, counts = _filter(buyers, shops, counts, buyer_keep, shop_keep)
        mass = _accumulate(buyers, shops, counts, weights, buyer_mass, shop_mass)
        if buyers.size == before:
            break
        buyer_list = buyer_list[buyer_mass[buyer_list] > 0]
        shop_list = shop_list[shop_mass[shop_list] > 0]
    return buyers, shops, counts


@numba.njit(cache=True)
def _accumulate(
    buyers: Int32Array,
    shops: Int32Array,
    counts: Int32Array,
    weights: FloatArray,
    buyer_mass: FloatArray,
    shop_mass: FloatArray,
) -> float:
    """Add the edges' weighted orders to both sides' masses; return their total."""
    total = 0.0
    for e in range(buyers.size):
        w = weights[shops[e]] * _orders(counts, e)
        buyer_mass[buyers[e]] += w
        shop_mass[shops[e]] += w
        total += w
    return total


@numba.njit(cache=True)
def _filter(
    buyers: Int32Array,
    shops: Int32Array,
    counts: Int32Array,
    buyer_keep: BoolArray,
    shop_keep: BoolArray,
) -> tuple[Int32Array, Int32Array, Int32Array]:
    """The edges whose endpoints both stay, as new compact arrays."""
    keep = np.empty(buyers.size, dtype=np.bool_)
    for e in range(buyers.size):
        keep[e] = buyer_keep[buyers[e]] and shop_keep[shops[e]]
    return buyers[keep], shops[keep], counts[keep] if counts.size else counts


@numba.njit(cache=True)
def _csr(
    keys: Int32Array, others: Int32Array, values: FloatArray, n: int
) -> tuple[IntArray, Int32Array, FloatArray]:
    """Adjacency by counting sort: O(m), where an argsort of 10⁸ keys would cost seconds."""
    start = np.zeros(n + 1, dtype=np.int64)
    for e in range(keys.size):
        start[keys[e] + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    neighbours = np.empty(keys.size, dtype=np.int32)
    weight = np.empty(keys.size, dtype=np.float64)
    for e in range(keys.size):
        slot = fill[keys[e]]
        neighbours[slot] = others[e]
        weight[slot] = values[e]
        fill[keys[e]] = slot + 1
    return start, neighbours, weight


@numba.njit(cache=True, inline="always")
def _sift_up(heap: IntArray, pos: IntArray, key: FloatArray, i: int) -> None:
    v = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        u = heap[parent]
        if key[u] <= key[v]:
            break
        heap[i] = u
        pos[u] = i
        i = parent
    heap[i] = v
    pos[v] = i


@numba.njit(cache=True, inline="always")
def _sift_down(heap: IntArray, pos: IntArray, key: FloatArray, i: int, size: int) -> None:
    v = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[heap[child + 1]] < key[heap[child]]:
            child += 1
        u = heap[child]
        if key[v] <= key[u]:
            break
        heap[i] = u
        pos[u] = i
        i = child
    heap[i] = v
    pos[v] = i


@numba.njit(cache=True)
def _greedy_peel(
    buyers: Int32Array,
    shops: Int32Array,
    counts: Int32Array,
    weights: FloatArray,
    buyer_degree: FloatArray,
    shop_degree: FloatArray,
    total: float,
    alpha: float,
) -> tuple[IntArray, int]:
    """Remove the node of smallest gain until one side is empty; return the order and best step.

    Nodes are numbered buyers first, then shops. A buyer's gain is its surviving weighted degree
    minus ``α·d_b/m·C`` with ``C = Σ c_s·d_s`` over surviving shops; a shop's is its weighted
    degree minus ``α·c_s·d_s·D/m`` with ``D = Σ d_b`` over surviving buyers. ``C`` and ``D`` only
    shrink, so a gain stored earlier is a lower bound: the heap holds lower bounds, a neighbour's
    removal lowers its key exactly, and the top is refreshed until it is exact.
    """
    n_b = buyer_degree.size
    n = n_b + shop_degree.size
    edge_weight = np.empty(buyers.size)
    for e in range(buyers.size):
        edge_weight[e] = weights[shops[e]] * _orders(counts, e)
    shop_nodes = shops + n_b
    buyer_start, buyer_adj, buyer_w = _csr(buyers, shop_nodes, edge_weight, n_b)
    shop_start, shop_adj, shop_w = _csr(shops, buyers, edge_weight, shop_degree.size)

    mass = np.zeros(n)
    penalty = np.empty(n)
    for v in range(n_b):
        mass[v] = buyer_w[buyer_start[v] : buyer_start[v + 1]].sum()
        penalty[v] = alpha * buyer_degree[v] / total
    for s in range(shop_degree.size):
        mass[n_b + s] = shop_w[shop_start[s] : shop_start[s + 1]].sum()
        penalty[n_b + s] = alpha * weights[s] * shop_degree[s] / total
    buyer_sum = buyer_degree.sum()
    shop_sum = (weights * shop_degree).sum()
    edge_sum = edge_weight.sum()

    key = np.empty(n)
    for v in range(n):
        key[v] = mass[v] - penalty[v] * (shop_sum if v < n_b else buyer_sum)
    heap = np.arange(n)
    pos = np.arange(n)
    for i in range(n // 2 - 1, -1, -1):
        _sift_down(heap, pos, key, i, n)
    removed = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)

    alive_b, alive_s, size = n_b, n - n_b, n
    best = (edge_sum - alpha * buyer_sum * shop_sum / total) / n
    best_step = 0
    step = 0
    while True:
        while True:
            v = heap[0]
            exact = mass[v] - penalty[v] * (shop_sum if v < n_b else buyer_sum)
            if exact <= key[v] + 1e-12 * (1.0 + abs(exact)):
                break
            key[v] = exact
            _sift_down(heap, pos, key, 0, size)
            if heap[0] == v:
                break
        size -= 1
        heap[0] = heap[size]
        pos[heap[0]] = 0
        _sift_down(heap, pos, key, 0, size)
        removed[v] = True
        order[step] = v
        step += 1
        if v < n_b:
            start, adj, w = buyer_start[v], buyer_adj, buyer_w
            stop = buyer_start[v + 1]
            alive_b -= 1
            buyer_sum -= buyer_degree[v]
        else:
            start, adj, w = shop_start[v - n_b], shop_adj, shop_w
            stop = shop_start[v - n_b + 1]
            alive_s -= 1
            shop_sum -= weights[v - n_b] * shop_degree[v - n_b]
        for j in range(start, stop):
            u = adj[j]
            if not removed[u]:
                mass[u] -= w[j]
                key[u] -= w[j]
                _sift_up(heap, pos, key, pos[u])
        edge_sum -= mass[v]
        if alive_b == 0 or alive_s == 0:
            break
        density = (edge_sum - alpha * buyer_sum * shop_sum / total) / (alive_b + alive_s)
        if density > best:
            best = density
            best_step = step
    return order[:step], best_step
