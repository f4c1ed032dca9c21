"""Reproduce the rating-network fraud figures on Bitcoin Alpha under the masked protocol.

    .venv/bin/python bench/rating_fraud.py [--splits 10] [--symmetric-mask]

The published labels leak through the ratings that made them, so every figure here goes
through the shared protocol script: ``prepare`` masks the network, the detector sees only the
masked file, and ``score`` computes ROC-AUC / AP. Supervised figures train on the labels of a
stratified random half of the visible labelled subjects and are scored on the other half.

``--symmetric-mask`` additionally drops ratings from fraud-labelled to labelled subjects. The
published mask removes labelled-to-labelled ratings for benign raters only, so a subject's
outgoing ratings differ by its own label; the symmetric mask shows how much a detector owes
to that asymmetry.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ecredit.detection.rating_network import (
    FRAUD,
    read_labels,
    read_rating_network,
    run,
    write_scores,
)

DATA = Path("/work/shared/data/bitcoin-alpha")
EVAL = Path("/work/shared/scripts/rating_fraud_eval.py")


def evaluate(script: Path, network: Path, labels: Path, scores: Path) -> dict[str, float]:
    command = [sys.executable, str(script), "score", "--network", str(network)]
    command += ["--labels", str(labels), "--scores", str(scores), "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True).stdout)


def prepare(script: Path, data: Path, out: Path, symmetric: bool) -> None:
    command = [sys.executable, str(script), "prepare", "--network", str(data / "alpha_network.csv")]
    command += ["--labels", str(data / "alpha_gt.csv"), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    if symmetric:
        labelled = set(read_labels(data / "alpha_gt.csv"))
        with out.open(newline="") as handle:
            rows = [r for r in csv.reader(handle) if r and not {r[0], r[1]} <= labelled]
        with out.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)


def write_labels(path: Path, labels: dict[str, int]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(labels.items())


def trivial_baseline(masked: Path, out: Path) -> None:
    """Minus the mean incoming rating: the README's yardstick, kept to show the mask holds."""
    net = read_rating_network(masked)
    count = np.bincount(net.ratee, minlength=net.size)
    total = np.bincount(net.ratee, weights=net.rating, minlength=net.size)
    mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    write_scores(out, dict(zip(net.subjects, (-mean).tolist(), strict=True)))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def supervised_splits(
    script: Path, masked: Path, labels: dict[str, int], work: Path, splits: int
) -> list[dict[str, float]]:
    """Train on a random half of the labels, score the other half; the half is never seen."""
    visible = set(read_rating_network(masked).subjects)
    users = sorted(u for u in labels if u in visible)
    classes = [labels[u] == FRAUD for u in users]
    results = []
    for seed in range(splits):
        train, test = train_test_split(users, test_size=0.5, stratify=classes, random_state=seed)
        write_labels(work / "train.csv", {u: labels[u] for u in train})
        write_labels(work / "test.csv", {u: labels[u] for u in test})
        seconds = timed(lambda: run(masked, work / "sup.csv", work / "train.csv"))
        result = evaluate(script, masked, work / "test.csv", work / "sup.csv")
        results.append(result | {"seconds": seconds})
        print(
            f"  split {seed}: ROC-AUC {result['roc_auc']:.4f}  AP "
            f"{result['average_precision']:.4f}  ({seconds:.1f}s)",
            flush=True,
        )
    return results


def summary(results: list[dict[str, float]], key: str) -> str:
    values = [r[key] for r in results]
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--eval-script", type=Path, default=EVAL)
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--symmetric-mask", action="store_true")
    args = parser.parse_args()
    gt = args.data / "alpha_gt.csv"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        masked = work / "masked.csv"
        prepare(args.eval_script, args.data, masked, args.symmetric_mask)
        print("mask:", "symmetric" if args.symmetric_mask else "published")
        trivial_baseline(masked, work / "trivial.csv")
        trivial = evaluate(args.eval_script, masked, gt, work / "trivial.csv")
        print(
            f"trivial (-mean incoming rating): ROC-AUC {trivial['roc_auc']:.4f}  "
            f"AP {trivial['average_precision']:.4f}"
        )
        seconds = timed(lambda: run(masked, work / "unsup.csv"))
        unsup = evaluate(args.eval_script, masked, gt, work / "unsup.csv")
        print(
            f"unsupervised, all {unsup['labelled']} labelled: ROC-AUC {unsup['roc_auc']:.4f}  "
            f"AP {unsup['average_precision']:.4f}  ({seconds:.1f}s)"
        )
        print(f"supervised, {args.splits} half splits:")
        results = supervised_splits(args.eval_script, masked, read_labels(gt), work, args.splits)
        print(
            f"supervised: ROC-AUC {summary(results, 'roc_auc')}  "
            f"AP {summary(results, 'average_precision')}  "
            f"({statistics.mean(r['seconds'] for r in results):.1f}s per split)"
        )


if __name__ == "__main__":
    main()
