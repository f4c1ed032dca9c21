"""Calibration: fit indicator weights and bins from observed outcomes, as a new model version.

A monotonic scorecard (optbinning: binning with a monotonic event rate per indicator, then
logistic regression on weights of evidence) is fitted on a training split and judged by AUC
and KS on a held-out split. The scorecard maps exactly onto the indicator system: each
indicator's bins become a `bins` normalisation and its points range becomes its weight, so the
calibrated model scores through the same code as the hand-set one. The result is written to a
new file with a new version; the active model is never touched — switching is a deliberate act.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from ecredit.evaluation.policy import IndicatorModel

HELD_OUT_SHARE = 0.3
MIN_OUTCOMES_PER_CLASS = 10


@dataclass(frozen=True)
class Calibration:
    model: IndicatorModel
    subject_type: str
    auc: float
    ks: float
    train_rows: int
    test_rows: int
    events: int
    skipped: tuple[str, ...]
    """Indicators the data could not fit; they carry weight 0 in the new model."""
    baseline_auc: float | None
    """AUC of the active model's scores on the same held-out rows, when scores were given."""


def ks_statistic(outcome: np.ndarray, risk: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(outcome, risk)
    return float(np.max(tpr - fpr))


def _trend(direction: str) -> str:
    """Outcomes are bad events: a higher-is-better indicator must lower the event rate."""
    return "descending" if direction == "higher_better" else "ascending"


def _fittable(values: pd.Series, outcome: np.ndarray, direction: str) -> bool:
    """Whether optbinning can bin an indicator on these rows; one that never varies, or has too
    few distinct values beside its missing ones, cannot be fitted and keeps weight 0."""
    from optbinning import OptimalBinning

    if values.nunique(dropna=True) < 2:
        return False
    try:
        binning = OptimalBinning(str(values.name), monotonic_trend=_trend(direction))
        binning.fit(values.to_numpy(), outcome).binning_table.build()
    except ValueError:
        return False
    return True


def _bins(scorecard: object, name: str) -> tuple[list[float], list[float], float]:
    """Edges, points per regular bin and points for a missing value of one indicator."""
    table = scorecard.table(style="detailed")  # type: ignore[attr-defined]
    rows = table[table["Variable"] == name]
    regular = rows[~rows["Bin"].astype(str).isin(["Special", "Missing"])]
    missing = rows[rows["Bin"].astype(str) == "Missing"]["Points"]
    edges = list(scorecard.binning_process_.get_binned_variable(name).splits)  # type: ignore[attr-defined]
    points = [float(p) for p in regular["Points"]]
    return (
        [float(e) for e in edges],
        points,
        float(missing.iloc[0]) if len(missing) else float("nan"),
    )


def calibrate(
    features: pd.DataFrame,
    outcomes: pd.Series,
    active: IndicatorModel,
    subject_type: str,
    seed: int = 0,
    active_scores: pd.Series | None = None,
) -> Calibration:
    """Fit on `features` (one column per indicator, index subject id) against 0/1 outcomes."""
    from optbinning import BinningProcess, Scorecard

    weighed = list(active.subject_types[subject_type].weights)
    data = features.reindex(columns=weighed).join(outcomes.rename("outcome"), how="inner")
    y = data.pop("outcome").astype(int).to_numpy()
    if min(int(y.sum()), int(len(y) - y.sum())) < MIN_OUTCOMES_PER_CLASS:
        raise ValueError(
            f"结果样本不足 / need at least {MIN_OUTCOMES_PER_CLASS} subjects with and without "
            f"the outcome; got {int(y.sum())} of {len(y)}"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        data, y, test_size=HELD_OUT_SHARE, stratify=y, random_state=seed
    )
    names = [n for n in weighed if _fittable(x_train[n], y_train, active.indicators[n].direction)]
    x_train, x_test = x_train[names], x_test[names]
    process = BinningProcess(
        names,
        binning_fit_params={
            n: {"monotonic_trend": _trend(active.indicators[n].direction)} for n in names
        },
    )
    scorecard = Scorecard(binning_process=process, estimator=LogisticRegression())
    scorecard.fit(x_train, y_train)
    risk = scorecard.predict_proba(x_test)[:, 1]
    calibrated = _calibrated_model(active, subject_type, scorecard, names, x_train, y_train)
    baseline = None
    if active_scores is not None:
        held_out = active_scores.reindex(x_test.index)
        baseline = float(roc_auc_score(y_test, -held_out.to_numpy()))
    return Calibration(
        model=calibrated,
        subject_type=subject_type,
        auc=float(roc_auc_score(y_test, risk)),
        ks=ks_statistic(y_test, risk),
        train_rows=len(y_train),
        test_rows=len(y_test),
        events=int(y.sum()),
        skipped=tuple(n for n in weighed if n not in names),
        baseline_auc=baseline,
    )


def _calibrated_model(
    active: IndicatorModel,
    subject_type: str,
    scorecard: object,
    names: list[str],
    x_train: pd.DataFrame,
    y_train: np.ndarray,
) -> IndicatorModel:
    """Points become shares of 0…1 per indicator (1 = safest bin) and weights = point ranges."""
    orientation = -1.0 if roc_auc_score(y_train, scorecard.score(x_train)) > 0.5 else 1.0  # type: ignore[attr-defined]
    data = active.model_dump(mode="json")
    weights = dict.fromkeys(data["subject_types"][subject_type]["weights"], 0.0)
    for name in names:
        edges, points, missing = _bins(scorecard, name)
        oriented = [orientation * p for p in points]
        missing_points = orientation * missing if not math.isnan(missing) else min(oriented)
        low, high = min(*oriented, missing_points), max(*oriented, missing_points)
        spread = high - low
        weights[name] = round(spread, 6)
        indicator = data["indicators"][name]
        indicator["normalisation"] = {
            "kind": "bins",
            "edges": edges,
            "scores": [round((p - low) / spread, 6) if spread else 1.0 for p in oriented],
        }
        indicator["missing_score"] = round((missing_points - low) / spread, 6) if spread else 1.0
    if sum(weights.values()) <= 0:
        raise ValueError("没有指标区分结果 / no indicator separates the outcomes")
    data["subject_types"][subject_type]["weights"] = weights
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    data["version"] = f"{active.version}-cal{stamp}"
    return IndicatorModel.model_validate(data)


def write_model(calibration: Calibration, directory: Path, source: str) -> Path:
    """Write the calibrated model to a new file; refuses to overwrite anything."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"indicators-{calibration.model.version}.yaml"
    header = (
        f"# 校准模型 / calibrated model {calibration.model.version}\n"
        f"# from outcomes {source}, subject type {calibration.subject_type}: "
        f"AUC {calibration.auc:.3f}, KS {calibration.ks:.3f} on {calibration.test_rows} held-out "
        f"subjects ({calibration.train_rows} trained, {calibration.events} with the outcome).\n"
        f"# Not active until passed explicitly: ecredit evaluate run --model {path.name}\n"
    )
    body = yaml.safe_dump(
        calibration.model.model_dump(mode="json", exclude_none=True),
        allow_unicode=True,
        sort_keys=False,
    )
    with path.open("x", encoding="utf-8") as fh:
        fh.write(header + body)
    return path
