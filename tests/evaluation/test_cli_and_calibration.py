"""The `evaluate` and `inspect` commands end to end, and calibration from outcomes."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from ecredit.cli.evaluate import evaluate_app, inspect_app
from ecredit.evaluation.calibration import calibrate
from ecredit.evaluation.policy import load_model
from ecredit.records.catalogue import policy_path
from tests.engines.test_same_results import write_generated
from tests.evaluation.world import EXTRA_SLOPPY, SLOPPY

app = typer.Typer()
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(inspect_app, name="inspect")
runner = CliRunner()


def test_evaluate_run_stores_and_writes_csv(tmp_path: Path) -> None:
    world = tmp_path / "world"
    world.mkdir()
    write_generated(world)
    db = f"sqlite:///{tmp_path / 'e.sqlite'}"
    out = tmp_path / "results.csv"
    args = ["evaluate", "run", "--source", str(world), "--db", db, "--as-of", "2025-06-30"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "stored as run 1" in result.output
    assert "189 buyers have points (203 rated by sellers)" in result.output
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 24 and {r["grade"] for r in rows} <= set("ABCD")
    pool = tmp_path / "inspectors.txt"
    pool.write_text("# 执法人员\nI1\nI2\nI3\n", encoding="utf-8")
    draws = tmp_path / "draws.csv"
    plan = ["inspect", "plan", "--db", db, "--inspectors", str(pool), "--seed", "5"]
    first = runner.invoke(app, [*plan, "--ratio", "D=1", "--out", str(draws)])
    assert first.exit_code == 0, first.output
    drawn = list(csv.DictReader(draws.open(encoding="utf-8")))
    assert {r["subject_id"] for r in drawn if r["risk_class"] == "D"} == {"M17", "M18"}
    again = runner.invoke(app, [*plan, "--ratio", "D=1", "--out", str(tmp_path / "again.csv")])
    assert again.exit_code == 0
    assert [r[2:] for r in csv.reader((tmp_path / "again.csv").open())] == [
        r[2:] for r in csv.reader(draws.open())
    ]


def test_evaluate_run_defaults_to_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'default.sqlite'}"
    monkeypatch.setenv("ECREDIT_DATABASE_URL", url)
    result = runner.invoke(app, ["evaluate", "run"])
    assert result.exit_code == 0, result.output
    assert "default.sqlite" in result.output or "run 1" in result.output


def test_evaluate_run_rejects_a_missing_source_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "run", "--source", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_calibration_fits_monotonic_scorecard_with_auc_and_ks() -> None:
    rng = np.random.default_rng(3)
    model = load_model().indicators
    n = 2000
    features = pd.DataFrame(
        {name: rng.random(n) for name in model.subject_types["merchant"].weights},
        index=[f"M{i}" for i in range(n)],
    )
    features["order_defect_rate"] = rng.exponential(0.01, n)
    risk = 1 / (1 + np.exp(-(-3 + 150 * features["order_defect_rate"])))
    outcomes = pd.Series((rng.random(n) < risk).astype(int), index=features.index)
    fitted = calibrate(features, outcomes, model, "merchant", seed=1)
    assert fitted.auc > 0.75 and 0.3 < fitted.ks <= 1
    assert fitted.test_rows == 600 and fitted.train_rows == 1400
    odr = fitted.model.indicators["order_defect_rate"].normalisation
    assert odr.kind == "bins" and odr.scores == sorted(odr.scores, reverse=True)  # monotonic
    weights = fitted.model.subject_types["merchant"].weights
    assert weights["order_defect_rate"] == max(weights.values())
    assert fitted.model.version.startswith(f"{model.version}-cal")


def test_calibrate_command_writes_a_new_version_only(tmp_path: Path) -> None:
    from tests.evaluation.world import build_world

    world = tmp_path / "world"
    world.mkdir()
    write_generated(world, build_world(extra_sloppy=True))
    outcomes = tmp_path / "outcomes.csv"
    bad = set(SLOPPY + EXTRA_SLOPPY)
    merchants = [f"M{i:02d}" for i in range(1, 41)]
    outcomes.write_text(
        "subject_id,seriously_dishonest_within_12m\n"
        + "".join(f"{m},{int(m in bad)}\n" for m in merchants),
        encoding="utf-8",
    )
    active = policy_path("indicators.yaml")
    before = hashlib.sha256(active.read_bytes()).hexdigest()
    models = tmp_path / "models"
    args = ["evaluate", "calibrate", "--outcomes", str(outcomes), "--source", str(world)]
    result = runner.invoke(app, [*args, "--as-of", "2025-06-30", "--model-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "KS" in result.output
    written = list(models.glob("indicators-2026.1-cal*.yaml"))
    assert len(written) == 1
    assert hashlib.sha256(active.read_bytes()).hexdigest() == before
    calibrated = load_model(indicators=written[0])
    assert calibrated.version != load_model().version
    rerun = runner.invoke(
        app,
        [
            "evaluate",
            "run",
            "--source",
            str(world),
            "--as-of",
            "2025-06-30",
            "--model",
            str(written[0]),
        ],
    )
    assert rerun.exit_code == 0, rerun.output
    assert calibrated.version in rerun.output


@pytest.mark.parametrize("column", [None, "seriously_dishonest_within_12m"])
def test_outcome_column_is_found(tmp_path: Path, column: str | None) -> None:
    from ecredit.cli.evaluate import _outcomes

    path = tmp_path / "o.csv"
    path.write_text("subject_id,seriously_dishonest_within_12m\nM1,1\n", encoding="utf-8")
    assert _outcomes(path, column).to_dict() == {"M1": 1}
