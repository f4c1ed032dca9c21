"""Benchmark brushing-ring detection on synthetic buyer × shop graphs with three planted rings.

The organic graph is Chung-Lu with power-law weights (a few heavy buyers and very popular shops
give it a dense, purely degree-driven core); the rings are dense blocks between random, mostly
light buyers and mid-popularity shops, two of them camouflaged with orders at popular shops.

Every size and implementation runs in a fresh subprocess so that peak RSS belongs to it alone.
Columns: "build" derives the degrees (``InteractionGraph.from_edges``); "cold" is the first
detection in a process with an empty numba cache, so JIT compilation is included (the build's
kernel compiles inside "build"); "warm" is the second detection on the same graph, in wall and
in CPU seconds (the CPU figure is the one to trust on a shared, loaded machine); "input" is the
peak RSS after generating the orders, "peak" the sampled peak RSS during build and detection.
Precision and recall are over buyer and shop nodes of all reported blocks against all planted
ring members; "rings" counts planted rings with at least half their members reported.

The reference FRAUDAR (``rgmining-fraudar``, pure Python, its own multi-block loop with three
blocks) runs in its own interpreter, given with ``--reference-python``, under ``--reference-cap``
seconds per size; a size that the previous run predicts will pass the cap is skipped. Install it
apart from the project, e.g.::

    python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install rgmining-fraudar==0.7.6
    .venv/bin/python bench/detect.py --sizes 1e6,1e7 --reference-python /tmp/benchenv/bin/python

"ecredit α=0" is this implementation with the null model switched off (plain FRAUDAR objective,
three blocks, nothing filtered): same objective as the reference, for speed and to show what the
organic core does to it.

This file must stay importable by the reference interpreter: only numpy at module level.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np

CHUNK = 1 << 23
RING_SHOP_RANK_FLOOR = 0.01


@dataclass(frozen=True)
class Ring:
    buyers: int
    shops: int
    density: float
    camouflage: float


RINGS = (Ring(100, 20, 0.5, 1.0), Ring(60, 15, 0.6, 0.0), Ring(40, 10, 0.8, 2.0))


@dataclass(frozen=True)
class World:
    buyers: np.ndarray
    shops: np.ndarray
    n_buyers: int
    n_shops: int
    rings: list[tuple[np.ndarray, np.ndarray]]

    @property
    def ring_buyers(self) -> np.ndarray:
        return np.unique(np.concatenate([buyers for buyers, _ in self.rings]))

    @property
    def ring_shops(self) -> np.ndarray:
        return np.unique(np.concatenate([shops for _, shops in self.rings]))


def power_law_ids(
    rng: np.random.Generator, n: int, exponent: float, out: np.ndarray, offset: float = 1.0
) -> None:
    """Fill ``out`` with ranks drawn ∝ (rank + offset)^-exponent by inverting the continuous CDF.

    O(1) per draw and chunked, so 10⁸ draws need neither a searchsorted over the CDF nor a float64
    array as long as ``out``.
    """
    a = 1.0 - exponent
    low, high = offset**a, (n + offset) ** a
    for start in range(0, out.size, CHUNK):
        u = rng.random(min(CHUNK, out.size - start))
        ranks = (low + u * (high - low)) ** (1.0 / a) - offset
        np.minimum(ranks, n - 1, out=ranks)
        out[start : start + u.size] = ranks


def make_world(edges: int, seed: int) -> World:
    rng = np.random.default_rng(seed)
    n_buyers, n_shops = edges // 8, max(1_000, edges // 100)
    planted = [_ring_orders(rng, ring, n_buyers, n_shops) for ring in RINGS]
    buyers = np.empty(edges, dtype=np.int32)
    shops = np.empty(edges, dtype=np.int32)
    at = edges - sum(b.size for b, _, _ in planted)
    power_law_ids(rng, n_buyers, 0.5, buyers[:at])
    power_law_ids(rng, n_shops, 0.8, shops[:at])
    rings = []
    for ring_buyers, ring_shops, members in planted:
        buyers[at : at + ring_buyers.size] = ring_buyers
        shops[at : at + ring_shops.size] = ring_shops
        at += ring_buyers.size
        rings.append(members)
    return World(buyers, shops, n_buyers, n_shops, rings)


def _ring_orders(
    rng: np.random.Generator, ring: Ring, n_buyers: int, n_shops: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A ring's orders, ring and camouflage, and its members (those with at least one order)."""
    buyers = rng.choice(n_buyers, ring.buyers, replace=False).astype(np.int32)
    floor = int(n_shops * RING_SHOP_RANK_FLOOR)
    shops = (floor + rng.choice(n_shops - floor, ring.shops, replace=False)).astype(np.int32)
    grid = rng.random((ring.buyers, ring.shops)) < ring.density
    b_idx, s_idx = np.nonzero(grid)
    camo_b = np.repeat(buyers, rng.poisson(ring.camouflage * grid.sum(axis=1)))
    camo_s = np.empty(camo_b.size, dtype=np.int32)
    power_law_ids(rng, n_shops, 0.8, camo_s)
    members = (buyers[grid.any(axis=1)], shops[grid.any(axis=0)])
    return (
        np.concatenate([buyers[b_idx], camo_b]),
        np.concatenate([shops[s_idx], camo_s]),
        members,
    )


def node_metrics(world: World, buyers: np.ndarray, shops: np.ndarray) -> tuple[float, float, int]:
    """Precision/recall over (side, id) nodes of all reported blocks; rings with ≥ half found."""
    hits = np.isin(buyers, world.ring_buyers).sum() + np.isin(shops, world.ring_shops).sum()
    reported = buyers.size + shops.size
    planted = world.ring_buyers.size + world.ring_shops.size
    precision = hits / reported if reported else float("nan")
    rings_found = sum(
        np.isin(ring_b, buyers).sum() + np.isin(ring_s, shops).sum()
        >= 0.5 * (ring_b.size + ring_s.size)
        for ring_b, ring_s in world.rings
    )
    return float(precision), float(hits / planted), int(rings_found)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Peak RSS over a region of code: ru_maxrss cannot be reset, a sampling thread can."""

    def __init__(self, interval: float = 0.005) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


PLAIN_FRAUDAR = {"k": 3, "null_weight": 0.0, "min_density": 0.0, "min_lift": 0.0, "min_score": 0.0}


def ecredit_worker(size: int, seed: int, mode: str) -> dict[str, object]:
    """Graph build (degrees) is timed apart from detection; both count towards the pipeline."""
    from ecredit.detection.dense_blocks import InteractionGraph, detect_brushing_rings

    options = {} if mode == "null" else PLAIN_FRAUDAR
    world = make_world(size, seed)
    rss_graph = peak_rss_mib()
    timings = []
    with RssSampler() as sampler:
        started = time.perf_counter()
        graph = InteractionGraph.from_edges(
            world.buyers, world.shops, n_buyers=world.n_buyers, n_shops=world.n_shops
        )
        build = time.perf_counter() - started
        for _ in range(2):
            started, cpu = time.perf_counter(), time.process_time()
            blocks = detect_brushing_rings(graph, **options)
            timings.append((time.perf_counter() - started, time.process_time() - cpu))
    buyers = np.concatenate([b.buyers for b in blocks]) if blocks else np.empty(0, np.int64)
    shops = np.concatenate([b.shops for b in blocks]) if blocks else np.empty(0, np.int64)
    precision, recall, rings = node_metrics(world, np.unique(buyers), np.unique(shops))
    return {
        "build_s": build,
        "cold_s": timings[0][0],
        "warm_s": timings[1][0],
        "warm_cpu_s": timings[1][1],
        "rss_graph_mib": rss_graph,
        "rss_peak_mib": sampler.peak / 2**20,
        "precision": precision,
        "recall": recall,
        "rings": rings,
        "blocks": [[b.buyers.size, b.shops.size, b.edges, round(b.lift)] for b in blocks],
    }


def reference_worker(size: int, seed: int) -> dict[str, object]:
    from fraudar.export.greedy import detectMultiple, listToSparseMatrix, logWeightedAveDegree

    world = make_world(size, seed)
    rss_graph = peak_rss_mib()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        matrix = listToSparseMatrix(world.buyers, world.shops)
        found = detectMultiple(matrix, logWeightedAveDegree, 3)
    elapsed = time.perf_counter() - started
    buyers = np.array(sorted(set().union(*(rows for (rows, _), _ in found))), dtype=np.int64)
    shops = np.array(sorted(set().union(*(cols for (_, cols), _ in found))), dtype=np.int64)
    precision, recall, rings = node_metrics(world, buyers, shops)
    return {
        "build_s": None,
        "cold_s": elapsed,
        "warm_s": None,
        "warm_cpu_s": None,
        "rss_graph_mib": rss_graph,
        "rss_peak_mib": peak_rss_mib(),
        "precision": precision,
        "recall": recall,
        "rings": rings,
        "blocks": [[len(rows), len(cols)] for (rows, cols), _ in found],
    }


def run_worker(args: list[str], python: str, cap: float | None, env: dict[str, str]) -> dict:
    command = [python, os.path.abspath(__file__), *args]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=cap, env=env, check=True
        )
    except subprocess.TimeoutExpired:
        return {"timeout": cap}
    except subprocess.CalledProcessError as error:
        return {"error": error.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(value: object, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_row(size: int, impl: str, result: dict) -> None:
    if "timeout" in result or "error" in result:
        reason = f"> {result['timeout']:.0f} s cap" if "timeout" in result else result["error"]
        print(f"| {size:>11,} | {impl:<16} | {reason} | | | | | | | | | |")
        return
    print(
        f"| {size:>11,} | {impl:<16} | {fmt(result['build_s'], '.2f'):>7} "
        f"| {fmt(result['cold_s'], '.2f'):>7} "
        f"| {fmt(result['warm_s'], '.2f'):>7} | {fmt(result['warm_cpu_s'], '.2f'):>7} "
        f"| {result['rss_graph_mib']:>9.0f} "
        f"| {result['rss_peak_mib']:>9.0f} | {result['precision']:>5.3f} "
        f"| {result['recall']:>5.3f} | {result['rings']}/3 | {result['blocks']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7", help="edge counts, comma separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference-python", help="interpreter with rgmining-fraudar installed")
    parser.add_argument("--reference-cap", type=float, default=600.0, help="seconds per size")
    parser.add_argument(
        "--plain-max", type=float, default=1e7, help="largest size for ecredit with α=0"
    )
    parser.add_argument("--worker", choices=["null", "plain", "reference"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if args.worker:
        if args.worker == "reference":
            result = reference_worker(sizes[0], args.seed)
        else:
            result = ecredit_worker(sizes[0], args.seed, args.worker)
        print(json.dumps(result))
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus={os.cpu_count()}  load={load}  python={sys.version.split()[0]}  seed={args.seed}")
    print(
        "| edges       | implementation   | build s | cold s  | warm s  | warm CPU s | input MiB "
        "| peak MiB "
        "| prec  | rec   | rings | blocks (buyers, shops[, orders, lift]) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    reference_per_edge = 0.0 if args.reference_python else float("inf")
    for size in sizes:
        common = ["--sizes", str(size), "--seed", str(args.seed)]
        modes = ["null", "plain"] if size <= args.plain_max else ["null"]
        for mode in modes:
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "NUMBA_CACHE_DIR": cache}
                result = run_worker([*common, "--worker", mode], sys.executable, None, env)
            print_row(size, "ecredit" if mode == "null" else "ecredit α=0", result)
            sys.stdout.flush()
        if reference_per_edge * size > args.reference_cap:
            continue
        result = run_worker(
            [*common, "--worker", "reference"],
            args.reference_python,
            args.reference_cap,
            dict(os.environ),
        )
        print_row(size, "rgmining-fraudar", result)
        # Its time grows at least linearly and its memory (~300 B per edge at 10⁷) too: do not
        # start a run that the last one predicts will pass the cap, or exhaust memory first.
        reference_per_edge = result.get("cold_s", float("inf")) / size
        sys.stdout.flush()


if __name__ == "__main__":
    main()
