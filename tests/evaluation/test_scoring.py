"""Scores, grades, risk classes, overrides, explanations and model validation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pytest
import yaml
from pydantic import ValidationError

from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource
from ecredit.evaluation.policy import GradePolicy, IndicatorModel, Model, load_model
from ecredit.evaluation.results import CSV_COLUMNS, EvaluationResult, run_evaluation, write_csv
from ecredit.evaluation.scoring import grade_expr, normalised, risk_class_expr
from ecredit.records.catalogue import policy_path
from tests.evaluation.world import AS_OF, BRUSHERS, HONEST, SERIOUS, SLOPPY, build_world


def graded(duck: Callable, policy: GradePolicy, scores: list[float], **flags: list[bool]) -> list:
    engine = duck({})
    columns = {"score": scores} | {
        f"override__{o.name}": flags.get(o.name, [False] * len(scores)) for o in policy.overrides
    }
    frame = engine.from_arrow(pa.table(columns))
    out = frame.select(grade_expr(policy).alias("g"), risk_class_expr(policy).alias("r"))
    return list(zip(*engine.to_arrow(out).to_pydict().values(), strict=True))


def test_public_grade_bands(duck: Callable, model: Model) -> None:
    scores = [1000, 671, 670.99, 601, 555, 554.9, 0]
    assert [g for g, _ in graded(duck, model.grades, scores)] == ["A", "A", "B", "B", "C", "D", "D"]


def test_finer_scheme_is_configuration_only(duck: Callable, model: Model) -> None:
    fine = model.grades.model_copy(update={"scheme": "fine"})
    grades = graded(duck, fine, [751, 750, 600, 100, 900], serious_dishonesty=[False] * 4 + [True])
    # A+ above 750; an override to the worst grade reaches E, which no score can.
    assert [g for g, _ in grades] == ["A+", "A", "C", "D", "E"]


def test_overrides_cap_grade_and_risk_class(duck: Callable, model: Model) -> None:
    rows = graded(
        duck,
        model.grades,
        [950, 950, 950, 560],
        serious_dishonesty=[True, False, False, False],
        confirmed_brushing=[False, True, False, True],
    )
    # Serious record → D/D; brushing → at most C/C; caps never improve a worse result.
    assert rows == [("D", "D"), ("C", "C"), ("A", "A"), ("C", "C")]


def test_linear_and_bins_normalisation(duck: Callable, model: Model) -> None:
    engine = duck({})
    frame = engine.from_arrow(pa.table({"v": pa.array([0.0, 0.0125, 0.05, None], pa.float64())}))
    odr = model.indicators.indicators["order_defect_rate"]
    linear = frame.select(normalised(nw.col("v"), odr, 0.5).alias("s"))
    assert engine.to_arrow(linear).column("s").to_pylist() == pytest.approx([1.0, 0.5, 0.0, 0.5])
    binned = odr.model_copy(
        update={
            "normalisation": odr.normalisation.model_copy(
                update={"kind": "bins", "edges": [0.01, 0.03], "scores": [1.0, 0.4, 0.0]}
            ),
            "missing_score": 0.2,
        }
    )
    shares = engine.to_arrow(frame.select(normalised(nw.col("v"), binned, 0.5).alias("s")))
    assert shares.column("s").to_pylist() == pytest.approx([1.0, 0.4, 0.0, 0.2])


def _yaml(name: str) -> dict:
    return yaml.safe_load(policy_path(name).read_text(encoding="utf-8"))


def test_model_rejects_unknown_indicator_weight() -> None:
    data = _yaml("indicators.yaml")
    data["subject_types"]["merchant"]["weights"]["made_up"] = 1
    with pytest.raises(ValidationError, match="unknown indicators"):
        IndicatorModel.model_validate(data)


def test_model_rejects_normalisation_against_direction() -> None:
    data = _yaml("indicators.yaml")
    data["indicators"]["order_defect_rate"]["normalisation"] = {
        "kind": "linear",
        "worst": 0,
        "best": 1,
    }
    with pytest.raises(ValidationError, match="against its direction"):
        IndicatorModel.model_validate(data)


def test_grades_reject_unordered_bands() -> None:
    data = _yaml("grades.yaml")
    data["schemes"]["public"][0]["min_score"] = 500
    with pytest.raises(ValidationError, match="descend"):
        GradePolicy.model_validate(data)


def test_policy_files_tag_their_sources() -> None:
    for name in ("ratings.yaml", "indicators.yaml", "grades.yaml"):
        text = policy_path(name).read_text(encoding="utf-8")
        assert "[R]" in text and ("[V]" in text or "[S]" in text), name


@pytest.fixture(scope="module")
def small_world_result() -> Iterator[EvaluationResult]:
    engine = DuckDBEngine(ArrowSource(build_world()))
    yield run_evaluation(engine, AS_OF, load_model())
    engine.close()


def test_every_subject_scored_graded_and_explained(small_world_result: EvaluationResult) -> None:
    rows = small_world_result.results.to_pylist()
    assert {r["subject_type"] for r in rows} == {"merchant", "platform", "logistics"}
    assert len(rows) == 24
    for r in rows:
        assert 0 <= r["score"] <= 1000
        assert r["grade"] in "ABCD" and r["risk_class"] in "ABCD"
        assert r["reasons_zh"] and r["reasons_en"] and " / " in r["reasons"]
        assert r["model_version"] == "2026.1"


def test_bad_subjects_grade_low_with_traceable_reasons(
    small_world_result: EvaluationResult,
) -> None:
    by_id = {r["subject_id"]: r for r in small_world_result.results.to_pylist()}
    assert all(by_id[m]["grade"] == "A" for m in HONEST)
    assert by_id[SLOPPY[0]]["grade"] == "D"
    assert "订单缺陷率" in by_id[SLOPPY[0]]["reasons_zh"]
    assert "Order defect rate" in by_id[SLOPPY[0]]["reasons_en"]
    assert "OM17-" in by_id[SLOPPY[0]]["reasons_zh"]  # cites the defective orders
    serious = by_id[SERIOUS[0]]
    assert (serious["grade"], serious["risk_class"], serious["overrides"]) == (
        "D",
        "D",
        "serious_dishonesty",
    )
    assert serious["reasons_zh"].startswith("存在严重失信记录") and "REC1" in serious["reasons_zh"]
    for brusher in BRUSHERS:
        assert by_id[brusher]["grade"] not in ("A", "B")
        assert by_id[brusher]["overrides"] == "confirmed_brushing"
    # Platforms hosting the rings lose points for it but are not capped like the brushers.
    assert by_id["P1"]["overrides"] == ""


def test_contributions_add_up_to_the_score(small_world_result: EvaluationResult) -> None:
    points: dict[str, float] = {}
    for row in small_world_result.contributions.to_pylist():
        points[row["subject_id"]] = points.get(row["subject_id"], 0.0) + row["points"]
    for row in small_world_result.results.to_pylist():
        assert points[row["subject_id"]] == pytest.approx(row["score"], abs=0.05)


def test_csv_header_and_rows(small_world_result: EvaluationResult, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    write_csv(small_world_result, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[0] == "subject_id,subject_type,score,grade,risk_class,model_version,reasons"
    assert len(lines) == 25
