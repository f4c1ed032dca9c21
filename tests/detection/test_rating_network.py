"""Rating-network scoring: parsing, scale detection, fraud ranking and leak-free supervision."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from ecredit.detection import rating_network as rn

DAY = 86_400
SCALES = [(-1, 1), (-5, 5), (-10, 10), (0, 1), (1, 5), (0, 5), (1, 10), (0, 10)]

Rating = tuple[str, str, float, int]


def write_ratings(path: Path, ratings: list[Rating], header: bool = False) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(["rater", "ratee", "rating", "unix_ts"])
        writer.writerows(ratings)
    return path


def read_scores(path: Path) -> dict[str, float]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["subject", "score"]
        return {row["subject"]: float(row["score"]) for row in reader}


@st.composite
def rated_scales(draw: st.DrawFn) -> tuple[tuple[int, int], list[int]]:
    """Ratings on a known scale, both ends included so the scale is identifiable."""
    low, high = draw(st.sampled_from(SCALES))
    middle = draw(st.lists(st.integers(low, high), max_size=30))
    return (low, high), [low, high, *middle]


@given(rated_scales(), st.booleans())
def test_scale_is_detected_and_ratings_normalised(
    case: tuple[tuple[int, int], list[int]], header: bool
) -> None:
    (low, high), raw = case
    rows = [(f"0{i}", f"x{i % 3}", r, 1_400_000_000 + i) for i, r in enumerate(raw)]
    with tempfile.TemporaryDirectory() as tmp:
        net = rn.read_rating_network(write_ratings(Path(tmp) / "r.csv", rows, header))
    assert (net.scale.low, net.scale.high) == (low, high)
    assert net.rating.min() == -1.0 and net.rating.max() == 1.0
    assert np.all(np.diff(net.rating[np.argsort(raw, kind="stable")]) >= 0)
    assert "00" in net.subjects and "x0" in net.subjects


@given(st.lists(st.floats(-1_000, 1_000, allow_nan=False), min_size=1, max_size=50))
def test_any_ratings_fit_inside_the_detected_scale(raw: list[float]) -> None:
    scale = rn.detect_scale(np.array(raw))
    normalised = scale.normalise(np.array(raw))
    assert scale.low < scale.high
    assert np.all((normalised >= -1.0 - 1e-12) & (normalised <= 1.0 + 1e-12))


def test_malformed_row_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b,5,100\nc,d,not-a-number,200\n")
    with pytest.raises(ValueError, match="malformed row 2"):
        rn.read_rating_network(path)


def marketplace(seed: int = 0) -> tuple[list[Rating], list[str]]:
    """Honest traders rate each other for two years; five fresh accounts brush each other
    with top marks for a week and scam three honest traders each. Scale −10..10."""
    rng = np.random.default_rng(seed)
    start = 1_400_000_000
    honest = [f"h{i}" for i in range(40)]
    ratings: list[Rating] = []
    for _ in range(600):
        a, b = rng.choice(len(honest), 2, replace=False)
        when = start + int(rng.integers(0, 730)) * DAY
        score = int(rng.choice([1, 2, 3, 5, 10, -1], p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05]))
        ratings += [(honest[a], honest[b], score, when), (honest[b], honest[a], score, when)]
    clique = [f"f{i}" for i in range(5)]
    burst = start + 400 * DAY
    for i, a in enumerate(clique):
        for j, b in enumerate(clique):
            if a != b:
                ratings.append((a, b, 10, burst + (i + j) * 3_600))
        for victim in honest[3 * i : 3 * i + 3]:
            ratings.append((victim, a, -10, burst + 5 * DAY))
    return ratings, clique


def test_planted_brushing_clique_gets_the_top_scores(tmp_path: Path) -> None:
    ratings, clique = marketplace()
    written = rn.run(write_ratings(tmp_path / "net.csv", ratings), tmp_path / "out.csv")
    scores = read_scores(tmp_path / "out.csv")
    top = sorted(scores, key=scores.__getitem__, reverse=True)[: len(clique)]
    assert set(top) == set(clique)
    assert written == len(scores) == 45


def test_output_covers_every_subject_in_both_modes(tmp_path: Path) -> None:
    ratings, clique = marketplace()
    ratings += [("only-rater", "h0", 3, 1_450_000_000), ("h1", "only-ratee", 7, 1_450_000_000)]
    network = write_ratings(tmp_path / "net.csv", ratings, header=True)
    labels = {**{f"h{i}": rn.BENIGN for i in range(10)}, **{f: rn.FRAUD for f in clique}}
    labels_path = tmp_path / "labels.csv"
    with labels_path.open("w", newline="") as handle:
        csv.writer(handle).writerows([("user", "label"), *labels.items(), ("ghost", -1)])
    expected = {r[0] for r in ratings} | {r[1] for r in ratings}
    rn.run(network, tmp_path / "unsup.csv")
    rn.run(network, tmp_path / "sup.csv", labels_path)
    for name in ("unsup.csv", "sup.csv"):
        scores = read_scores(tmp_path / name)
        assert set(scores) == expected
        assert all(np.isfinite(list(scores.values())))


def noise_labelled_network(n: int = 160, seed: int = 1) -> tuple[rn.RatingNetwork, np.ndarray]:
    """Subjects with distinctive features but labels that are pure coin flips."""
    rng = np.random.default_rng(seed)
    edges = 1_500
    rater = rng.integers(0, n, edges)
    ratee = (rater + rng.integers(1, n, edges)) % n
    net = rn.RatingNetwork(
        subjects=tuple(f"s{i}" for i in range(n)),
        rater=rater.astype(np.int64),
        ratee=ratee.astype(np.int64),
        rating=rng.uniform(-1, 1, edges),
        time=rng.uniform(1.3e9, 1.5e9, edges),
        scale=rn.RatingScale(-1.0, 1.0),
    )
    labels = rng.permutation(np.repeat([rn.FRAUD, rn.BENIGN], n // 2)).astype(np.int64)
    return net, labels


def test_out_of_fold_scores_carry_no_label_signal_on_noise() -> None:
    """A model that saw the label it scores memorises noise (AUC near 1); honest OOF is ~0.5."""
    net, labels = noise_labelled_network()
    labelled = {net.subjects[i]: int(y) for i, y in enumerate(labels)}
    scores = rn.score_supervised(net, labelled)
    assert roc_auc_score(labels == rn.FRAUD, scores) < 0.7


def test_each_fold_hides_exactly_its_held_out_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    net, labels = noise_labelled_network()
    seen: list[np.ndarray] = []
    original = rn.label_features

    def spy(network: rn.RatingNetwork, known: np.ndarray) -> dict[str, np.ndarray]:
        seen.append(known.copy())
        return original(network, known)

    monkeypatch.setattr(rn, "label_features", spy)
    base = rn.base_features(net)
    scorer = rn.SupervisedScorer(net, rn.feature_matrix(base), np.zeros(net.size), n_folds=4)
    labelled = np.arange(net.size)
    scorer.out_of_fold(rn.CONFIG_GRID[0], labels, labelled)
    hidden = [np.flatnonzero(known == 0) for known in seen]
    assert len(hidden) == 4
    assert sorted(np.concatenate(hidden).tolist()) == labelled.tolist()
    for known in seen:
        shown = known != 0
        assert np.array_equal(known[shown], labels[shown])
