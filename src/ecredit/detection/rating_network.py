"""Rating-network scoring for mutual ratings (交易双方互评): which subjects are fraudulent.

After a trade both parties rate each other, so every subject is a rater and a ratee at once.
A fraudulent subject (a scammer, or an account that exists for brushing / malicious_review)
shows up in two places: what its counterparties say about it, and how it behaves over time.

The unsupervised scorer is a REV2-style fixed point (Kumar et al., WSDM 2018) with two
changes that matter on real trading data:

* goodness is shrunk towards *neutral* (0), not towards the population mean, because on a
  trading platform standing must be earned: a subject with two positive ratings is not
  as trustworthy as one with two hundred;
* a rating counts in proportion to the rater's own standing (EigenTrust-like), so praise
  from subjects nobody vouches for, such as a brushing ring's fresh accounts, counts less.

A birdnest-like behavioural signal, the subject's activity span, is added because
hit-and-run accounts trade briefly and disappear.

The supervised mode feeds these scores, plain rating statistics, neighbour aggregates and
aggregates of the known labels of neighbours to gradient boosting, and never lets a labelled
subject be scored by a model whose training labels included its own.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FRAUD = -1
BENIGN = 1
_SECONDS_PER_DAY = 86_400.0
_CANONICAL_TOPS = (1.0, 5.0, 10.0, 100.0)


@dataclass(frozen=True)
class RatingScale:
    """The platform's rating range; its midpoint is what the platform means by neutral."""

    low: float
    high: float

    def normalise(self, raw: FloatArray) -> FloatArray:
        return 2.0 * (raw - self.low) / (self.high - self.low) - 1.0


@dataclass(frozen=True)
class RatingNetwork:
    """Ratings as parallel arrays so that every score is a vectorised pass over edges."""

    subjects: tuple[str, ...]
    rater: IntArray
    ratee: IntArray
    rating: FloatArray
    time: FloatArray
    scale: RatingScale

    @property
    def size(self) -> int:
        return len(self.subjects)

    def index(self) -> dict[str, int]:
        return {subject: i for i, subject in enumerate(self.subjects)}


@dataclass(frozen=True)
class Rev2Params:
    """Priors of the fixed point; fixed rather than searched per network, because unlabelled
    data offers nothing to search them by. The defaults were picked on a development half of
    the Bitcoin Alpha labels and confirmed on the other half.

    ``goodness_prior`` is the number of neutral pseudo-ratings every ratee starts with;
    ``fairness_prior`` the number of average pseudo-ratings every rater starts with.
    """

    fairness_prior: float = 1.0
    goodness_prior: float = 3.0
    fairness_weight: float = 1.0
    agreement_weight: float = 1.0
    max_iter: int = 200
    tol: float = 1e-7


@dataclass(frozen=True)
class Reputation:
    fairness: FloatArray
    goodness: FloatArray
    reliability: FloatArray


def _top(value: float, above: float) -> float:
    """A canonical scale end, so a 1..5 platform whose users gave only 3..5 is not stretched."""
    return next((t for t in _CANONICAL_TOPS if value <= t and t > above), max(value, above + 1.0))


def detect_scale(raw: FloatArray) -> RatingScale:
    """Signed data keeps zero as neutral; unsigned data has its midpoint as neutral."""
    if raw.size == 0:
        return RatingScale(-1.0, 1.0)
    lowest, highest = float(raw.min()), float(raw.max())
    if lowest < 0:
        bound = _top(max(-lowest, highest), 0.0)
        return RatingScale(-bound, bound)
    low = 1.0 if lowest >= 1.0 and highest > 1.0 else 0.0
    return RatingScale(low, _top(highest, low))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_rows(path: Path, width: int, first_numeric: int) -> list[list[str]]:
    """Rows of a CSV whose header is optional: a first row without a number is a header."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle) if row]
    if rows and not _is_number(rows[0][width - 1]):
        rows = rows[1:]
    for line, row in enumerate(rows, 1):
        if len(row) < width or not all(_is_number(cell) for cell in row[first_numeric:width]):
            raise ValueError(f"{path}: malformed row {line}: {row!r}")
    return rows


def read_rating_network(path: Path | str) -> RatingNetwork:
    rows = _read_rows(Path(path), 4, first_numeric=2)
    names = np.array([row[0] for row in rows] + [row[1] for row in rows], dtype=str)
    subjects, codes = np.unique(names, return_inverse=True)
    raw = np.array([float(row[2]) for row in rows], dtype=np.float64)
    scale = detect_scale(raw)
    return RatingNetwork(
        subjects=tuple(str(s) for s in subjects),
        rater=codes[: len(rows)].astype(np.int64),
        ratee=codes[len(rows) :].astype(np.int64),
        rating=scale.normalise(raw),
        time=np.array([float(row[3]) for row in rows], dtype=np.float64),
        scale=scale,
    )


def read_labels(path: Path | str) -> dict[str, int]:
    """Later rows win, as in the published ground truth that repeats a few users."""
    labels = {row[0]: int(float(row[1])) for row in _read_rows(Path(path), 2, first_numeric=1)}
    unknown = set(labels.values()) - {FRAUD, BENIGN}
    if unknown:
        raise ValueError(f"{path}: labels must be {FRAUD} (fraud) or {BENIGN}, got {unknown}")
    return labels


def write_scores(path: Path | str, scores: Mapping[str, float]) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "score"])
        writer.writerows((subject, f"{score:.8g}") for subject, score in scores.items())


def _sum_by(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    return np.bincount(index, weights=values, minlength=size).astype(np.float64)


def _mean_by(index: IntArray, values: FloatArray, size: int, empty: float = 0.0) -> FloatArray:
    counts = np.bincount(index, minlength=size)
    sums = _sum_by(index, values, size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), empty)


def _goodness(
    net: RatingNetwork, reliability: FloatArray, goodness: FloatArray, prior: float
) -> FloatArray:
    """Reliability- and standing-weighted mean rating received, shrunk towards neutral."""
    weight = reliability * (1.0 + goodness[net.rater]) / 2.0
    received = _sum_by(net.ratee, weight * net.rating, net.size)
    return received / (_sum_by(net.ratee, weight, net.size) + prior)


def _reliability(
    net: RatingNetwork, fairness: FloatArray, goodness: FloatArray, p: Rev2Params
) -> FloatArray:
    agreement = 1.0 - np.abs(net.rating - goodness[net.ratee]) / 2.0
    mixed = p.fairness_weight * fairness[net.rater] + p.agreement_weight * agreement
    return mixed / (p.fairness_weight + p.agreement_weight)


def _fairness(
    net: RatingNetwork, reliability: FloatArray, fairness: FloatArray, prior: float
) -> FloatArray:
    """Mean reliability of the ratings given, shrunk towards the current mean fairness."""
    out_degree = np.bincount(net.rater, minlength=net.size)
    active = out_degree > 0
    mean = float(fairness[active].mean()) if active.any() else 1.0
    return (_sum_by(net.rater, reliability, net.size) + prior * mean) / (out_degree + prior)


def reputation(net: RatingNetwork, params: Rev2Params | None = None) -> Reputation:
    """Iterate goodness (as ratee), reliability (per rating) and fairness (as rater).

    Every update is a weighted sum over all ratings at once, so a pass costs O(ratings).
    """
    p = params or Rev2Params()
    fairness, goodness = np.ones(net.size), np.zeros(net.size)
    reliability = np.ones(net.rating.size)
    for _ in range(p.max_iter):
        new_goodness = _goodness(net, reliability, goodness, p.goodness_prior)
        reliability = _reliability(net, fairness, new_goodness, p)
        new_fairness = _fairness(net, reliability, fairness, p.fairness_prior)
        change = max(
            float(np.abs(new_goodness - goodness).max(initial=0.0)),
            float(np.abs(new_fairness - fairness).max(initial=0.0)),
        )
        fairness, goodness = new_fairness, new_goodness
        if change < p.tol:
            break
    return Reputation(fairness, goodness, reliability)


def activity_bounds(net: RatingNetwork) -> tuple[FloatArray, FloatArray]:
    """First and last time a subject rated or was rated."""
    who = np.concatenate([net.rater, net.ratee])
    when = np.concatenate([net.time, net.time])
    first = np.full(net.size, np.inf)
    last = np.full(net.size, -np.inf)
    np.minimum.at(first, who, when)
    np.maximum.at(last, who, when)
    return first, last


def _zscore(values: FloatArray) -> FloatArray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def suspicion(rep: Reputation, span_days: FloatArray) -> FloatArray:
    """Equal weights on standardised signals, because without labels nothing justifies others."""
    return _zscore(-rep.goodness) + _zscore(-np.log1p(span_days))


def score_unsupervised(net: RatingNetwork, params: Rev2Params | None = None) -> FloatArray:
    first, last = activity_bounds(net)
    return suspicion(reputation(net, params), (last - first) / _SECONDS_PER_DAY)


def _rating_features(net: RatingNetwork) -> dict[str, FloatArray]:
    n, s = net.size, net.rating
    negative = (s < 0).astype(np.float64)
    in_degree = np.bincount(net.ratee, minlength=n)
    out_degree = np.bincount(net.rater, minlength=n)
    in_mean = _mean_by(net.ratee, s, n)
    in_sq = _mean_by(net.ratee, s * s, n)
    return {
        "log_in_degree": np.log1p(in_degree),
        "log_out_degree": np.log1p(out_degree),
        "in_mean": in_mean,
        "in_std": np.sqrt(np.maximum(in_sq - in_mean**2, 0.0)),
        "out_mean": _mean_by(net.rater, s, n),
        "in_negative_share": _mean_by(net.ratee, negative, n),
        "out_negative_share": _mean_by(net.rater, negative, n),
        "in_negative_count": _sum_by(net.ratee, negative, n),
    }


def _time_features(net: RatingNetwork) -> dict[str, FloatArray]:
    first, last = activity_bounds(net)
    start = float(net.time.min()) if net.time.size else 0.0
    first_rated = np.full(net.size, np.inf)
    np.minimum.at(first_rated, net.ratee, net.time)
    never_rated = ~np.isfinite(first_rated)
    first_rated[never_rated] = last[never_rated]
    return {
        "first_seen_days": (first - start) / _SECONDS_PER_DAY,
        "last_seen_days": (last - start) / _SECONDS_PER_DAY,
        "log_span_days": np.log1p((last - first) / _SECONDS_PER_DAY),
        "days_to_first_rating": (first_rated - first) / _SECONDS_PER_DAY,
    }


def _neighbour_features(
    net: RatingNetwork, rep: Reputation, score: FloatArray
) -> dict[str, FloatArray]:
    """Birds of a feather: who praises a subject and whom it praises say much about it."""
    n, s = net.size, net.rating
    positive = s > 0
    log_in_degree = np.log1p(np.bincount(net.ratee, minlength=n))
    return {
        "goodness": rep.goodness,
        "fairness": rep.fairness,
        "suspicion": score,
        "in_reliability": _mean_by(net.ratee, rep.reliability, n, 1.0),
        "out_reliability": _mean_by(net.rater, rep.reliability, n, 1.0),
        "praisers_suspicion": _mean_by(net.ratee[positive], score[net.rater[positive]], n),
        "praised_suspicion": _mean_by(net.rater[positive], score[net.ratee[positive]], n),
        "raters_goodness": _mean_by(net.ratee, rep.goodness[net.rater], n),
        "raters_log_in_degree": _mean_by(net.ratee, log_in_degree[net.rater], n),
        "ratees_log_in_degree": _mean_by(net.rater, log_in_degree[net.ratee], n),
    }


def base_features(net: RatingNetwork, params: Rev2Params | None = None) -> dict[str, FloatArray]:
    """Every feature that does not depend on labels, so it is computed once per network."""
    rep = reputation(net, params)
    time = _time_features(net)
    score = suspicion(rep, np.expm1(time["log_span_days"]))
    return _rating_features(net) | time | _neighbour_features(net, rep, score)


def label_features(net: RatingNetwork, known: IntArray) -> dict[str, FloatArray]:
    """What subjects with known labels said about a subject, through ratings it *received*.

    ``known`` holds FRAUD, BENIGN or 0 (unknown) per subject. Ratings a subject *gave* to
    labelled subjects are left out on purpose: whether they are visible can depend on the
    subject's own label (the published masking protocol drops them for benign raters only,
    so "has rated a labelled subject" alone would give fraud away). Self-ratings are ignored
    and the two-hop affinity leaves out the edge that leads back to the subject, so a
    subject's own label never enters its row.
    """
    n = net.size
    other = net.rater != net.ratee
    rater, ratee, rating = net.rater[other], net.ratee[other], net.rating[other]
    pos, neg = (rating > 0).astype(np.float64), (rating < 0).astype(np.float64)
    by_fraud = (known[rater] == FRAUD).astype(np.float64)
    by_benign = (known[rater] == BENIGN).astype(np.float64)
    praise_to_fraud = pos * (known[ratee] == FRAUD)
    out_degree = np.bincount(rater, minlength=n).astype(np.float64)
    affinity_sum = _sum_by(rater, praise_to_fraud, n)
    rest = np.maximum(out_degree[rater] - 1.0, 1.0)
    affinity_without_me = (affinity_sum[rater] - praise_to_fraud) / rest
    return {
        "praised_by_fraud": _sum_by(ratee, pos * by_fraud, n),
        "blamed_by_fraud": _sum_by(ratee, neg * by_fraud, n),
        "praised_by_benign": _sum_by(ratee, pos * by_benign, n),
        "blamed_by_benign": _sum_by(ratee, neg * by_benign, n),
        "raters_fraud_affinity": _mean_by(ratee, affinity_without_me, n),
    }


def feature_matrix(*groups: Mapping[str, FloatArray]) -> FloatArray:
    return np.column_stack([column for group in groups for column in group.values()])


@dataclass(frozen=True)
class BoostingConfig:
    """Shallow, slow-learning trees: a few hundred labels cannot support more."""

    max_iter: int
    max_leaf_nodes: int
    learning_rate: float = 0.05
    min_samples_leaf: int = 8
    l2_regularization: float = 1.0

    def model(self, seed: int) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            learning_rate=self.learning_rate,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=seed,
        )


CONFIG_GRID = tuple(
    BoostingConfig(max_iter=it, max_leaf_nodes=leaves) for it, leaves in product((100, 300), (4, 8))
)
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Blend:
    """The model's probability mixed with the unsupervised percentile, which carries the
    whole network's evidence and steadies a model trained on few labels."""

    config: BoostingConfig
    prior_weight: float

    def mix(self, probability: FloatArray, prior: FloatArray) -> FloatArray:
        return (1.0 - self.prior_weight) * probability + self.prior_weight * prior


@dataclass(frozen=True)
class SupervisedScorer:
    """Label features are rebuilt per fold from that fold's training labels only, which is
    what keeps out-of-fold scores honest."""

    net: RatingNetwork
    base: FloatArray
    prior: FloatArray
    n_folds: int = 5
    seed: int = 0

    def _fit_predict(
        self, config: BoostingConfig, labels: IntArray, train: IntArray, target: IntArray
    ) -> FloatArray:
        known = np.zeros(self.net.size, dtype=np.int64)
        known[train] = labels[train]
        features = np.column_stack([self.base, feature_matrix(label_features(self.net, known))])
        # A few hundred rows gain nothing from OpenMP threads, and on a busy machine their
        # spinning made each fit an order of magnitude slower.
        with threadpool_limits(limits=1, user_api="openmp"):
            model = config.model(self.seed).fit(features[train], labels[train] == FRAUD)
            return model.predict_proba(features[target])[:, 1]

    def out_of_fold(
        self, config: BoostingConfig, labels: IntArray, labelled: IntArray
    ) -> FloatArray:
        """One probability per labelled subject, each from a model that never saw its label."""
        folds = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.seed)
        scores = np.zeros(labelled.size)
        for fit_part, held_part in folds.split(labelled, labels[labelled]):
            held = labelled[held_part]
            scores[held_part] = self._fit_predict(config, labels, labelled[fit_part], held)
        return scores

    def select(self, labels: IntArray, labelled: IntArray) -> tuple[Blend, FloatArray]:
        """Pick model and blend by cross-validated ROC-AUC on the given labels alone."""
        truth = labels[labelled] == FRAUD
        prior = self.prior[labelled]
        candidates = []
        for config in CONFIG_GRID:
            probability = self.out_of_fold(config, labels, labelled)
            for weight in PRIOR_WEIGHTS:
                blend = Blend(config, weight)
                candidates.append((blend, blend.mix(probability, prior)))
        return max(candidates, key=lambda candidate: roc_auc_score(truth, candidate[1]))

    def score(self, labels: IntArray) -> FloatArray:
        labelled = np.flatnonzero(labels != 0)
        unlabelled = np.flatnonzero(labels == 0)
        blend, out_of_fold = self.select(labels, labelled)
        scores = np.zeros(self.net.size)
        scores[labelled] = out_of_fold
        if unlabelled.size:
            probability = self._fit_predict(blend.config, labels, labelled, unlabelled)
            scores[unlabelled] = blend.mix(probability, self.prior[unlabelled])
        return scores


def _label_vector(net: RatingNetwork, labels: Mapping[str, int]) -> IntArray:
    """Labels of subjects absent from the network cannot be used and are dropped."""
    index = net.index()
    vector = np.zeros(net.size, dtype=np.int64)
    for subject, label in labels.items():
        if subject in index:
            vector[index[subject]] = label
    return vector


def score_supervised(
    net: RatingNetwork, labels: Mapping[str, int], n_folds: int = 5, seed: int = 0
) -> FloatArray:
    """Suspicion in [0, 1]: out-of-fold for labelled subjects, model score for the rest."""
    vector = _label_vector(net, labels)
    if min(np.sum(vector == FRAUD), np.sum(vector == BENIGN)) < n_folds:
        raise ValueError(f"need at least {n_folds} labelled subjects of each class")
    base = base_features(net)
    prior = rankdata(base["suspicion"]) / net.size
    return SupervisedScorer(net, feature_matrix(base), prior, n_folds, seed).score(vector)


def run(input_path: Path | str, out_path: Path | str, labels_path: Path | str | None = None) -> int:
    """Score every subject of a rating CSV; returns how many subjects were written."""
    net = read_rating_network(input_path)
    if labels_path is None:
        scores = score_unsupervised(net)
    else:
        scores = score_supervised(net, read_labels(labels_path))
    write_scores(out_path, dict(zip(net.subjects, scores.tolist(), strict=True)))
    return net.size
