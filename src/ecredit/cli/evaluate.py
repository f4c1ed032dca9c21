"""`ecredit evaluate …` and `ecredit inspect …`: evaluation, calibration, random inspections.

Sub-apps only; the main app mounts them. Data comes from a generated directory (`--source`)
or the database (`--db`); results are stored in the database whenever `--db` is given.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecredit.engines.base import Engine
from ecredit.engines.common import ENGINE_NAMES, open_engine
from ecredit.engines.sources import DatabaseSource, DirectorySource, Source
from ecredit.evaluation.calibration import calibrate, write_model
from ecredit.evaluation.inspection import draw_plan, new_seed
from ecredit.evaluation.policy import Model, load_model
from ecredit.evaluation.results import EvaluationResult, run_evaluation, write_csv
from ecredit.governance import services
from ecredit.governance.ports import Score
from ecredit.storage.database import connect, database_url, migrate
from ecredit.storage.evaluations import (
    latest_run,
    load_results,
    save_evaluation,
    save_inspection_plan,
)

evaluate_app = typer.Typer(
    help="综合信用评价 / comprehensive credit evaluation", no_args_is_help=True
)
inspect_app = typer.Typer(help="双随机抽查 / random inspections", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

EXIT_UNUSABLE = 2

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="数据库地址（读取并保存结果）/ database URL (read, and store results)"
    ),
]
SourceOption = Annotated[
    Path | None,
    typer.Option(
        "--source", help="生成数据目录（优先于 --db 读取）/ directory of generated files (read)"
    ),
]
EngineOption = Annotated[
    str, typer.Option("--engine", help=f"计算引擎 / engine: {', '.join(ENGINE_NAMES)}")
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="评价基准日 / as-of date (默认 default: 最新订单日期 date of the newest order)",
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="指标体系文件 / indicator model YAML (默认 default: active)"),
]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]{message}[/red]")
    return typer.Exit(EXIT_UNUSABLE)


def _source(db: str | None, source: Path | None) -> tuple[Source, str]:
    if source is not None:
        if not source.is_dir():
            raise _fail(f"找不到目录 / not a directory: {source}")
        return DirectorySource(source), f"dir:{source.resolve()}"
    url = database_url(db)
    return DatabaseSource(url), sa.make_url(url).render_as_string(hide_password=True)


@contextmanager
def _engine(name: str, source: Source) -> Iterator[Engine]:
    if name not in ENGINE_NAMES:
        raise _fail(f"未知引擎 / unknown engine: {name}")
    engine = open_engine(name, source)
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def _step(description: str) -> Iterator[None]:
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def _evaluate(
    db: str | None, source: Path | None, engine: str, as_of: datetime | None, model: Model
) -> tuple[EvaluationResult, str]:
    data, described = _source(db, source)
    with _engine(engine, data) as eng, _step(f"评价中 / evaluating ({engine})"):
        return run_evaluation(eng, as_of.date() if as_of else None, model), described


def _summary(result: EvaluationResult) -> None:
    counts = result.grade_counts()
    grades = sorted({g for _, g in counts})
    table = Table(title=f"评价结果 / evaluation — {result.as_of}, model {result.model_version}")
    table.add_column("主体类型 subject type")
    for grade in grades:
        table.add_column(grade, justify="right")
    for subject_type in sorted({t for t, _ in counts}):
        table.add_row(subject_type, *[f"{counts.get((subject_type, g), 0):,}" for g in grades])
    console.print(table)
    rated, with_points = result.buyer_credit.num_rows, result.buyers_with_points()
    console.print(
        f"买家信用积分 / buyer credit points: {with_points:,} 名买家有积分"
        f"（卖家评价过 {rated:,} 名） / {with_points:,} buyers have points"
        f" ({rated:,} rated by sellers)",
        soft_wrap=True,
    )


def _hand_to_governance(db_engine: sa.Engine, result: EvaluationResult, run_id: int) -> None:
    """Scores of the database's own subjects go to governance, whose list criteria and
    score-drop warning compare against them and whose queued re-evaluations they answer.
    (A run over a directory of files scores subjects the database may not know.)"""
    scores = (
        Score(row["subject_id"], row["score"], row["grade"], result.as_of, result.model_version)
        for row in result.results.select(["subject_id", "score", "grade"]).to_pylist()
    )
    drops = services.note_scores(db_engine, scores, f"evaluation run {run_id}")
    if drops:
        console.print(f"信用分大幅下降预警 / score-drop warnings raised: {drops}")


@evaluate_app.command("run")
def run(
    db: DbOption = None,
    source: SourceOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="结果 CSV 文件 / write results as CSV")
    ] = None,
    model: ModelOption = None,
) -> None:
    """评价所有商家、平台和物流企业 / Score, grade and explain every merchant, platform and
    logistics company."""
    started = datetime.now(UTC)
    result, described = _evaluate(db, source, engine, as_of, load_model(indicators=model))
    _summary(result)
    if db is not None or source is None:
        db_engine = connect(db)
        migrate(db_engine)
        run_id = save_evaluation(db_engine, result, described, started)
        console.print(f"已保存评价 / stored as run {run_id}")
        if source is None:
            _hand_to_governance(db_engine, result, run_id)
    if out is not None:
        write_csv(result, out)
        console.print(f"已写出 / written: {out} ({result.results.num_rows:,} 行 rows)")


def _outcomes(path: Path, column: str | None) -> pd.Series:
    frame = pd.read_csv(path, dtype={"subject_id": str})
    names = [c for c in frame.columns if c != "subject_id"]
    chosen = column or (names[0] if len(names) == 1 else None)
    if "subject_id" not in frame.columns or chosen not in frame.columns:
        raise _fail(
            "结果文件需要 subject_id 和一个结果列（或 --outcome-column）/ outcomes need "
            "subject_id and one outcome column (or --outcome-column)"
        )
    return frame.set_index("subject_id")[chosen]


@evaluate_app.command("calibrate")
def calibrate_command(
    outcomes: Annotated[
        Path, typer.Option("--outcomes", help="结果文件 CSV: subject_id + 0/1 结果 / outcomes CSV")
    ],
    db: DbOption = None,
    source: SourceOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
    model: ModelOption = None,
    subject_type: Annotated[
        str, typer.Option("--subject-type", help="主体类型 / subject type to calibrate")
    ] = "merchant",
    outcome_column: Annotated[
        str | None, typer.Option("--outcome-column", help="结果列 / outcome column")
    ] = None,
    model_dir: Annotated[
        Path, typer.Option("--model-dir", help="新模型目录 / where the new model file goes")
    ] = Path("var/models"),
    seed: Annotated[int, typer.Option(help="划分随机种子 / split seed")] = 0,
) -> None:
    """按观察结果校准指标权重，写出新模型版本 / Fit weights from outcomes into a NEW model
    version (the active model is never replaced)."""
    active = load_model(indicators=model)
    target = _outcomes(outcomes, outcome_column)
    result, _ = _evaluate(db, source, engine, as_of, active)
    values = result.contributions.to_pandas()
    features = values.pivot(index="subject_id", columns="indicator", values="value")
    scores = result.results.to_pandas().set_index("subject_id")["score"]
    with _step("校准中 / calibrating"):
        try:
            fitted = calibrate(features, target, active.indicators, subject_type, seed, scores)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    path = write_model(fitted, model_dir, str(outcomes))
    table = Table(title="校准结果 / calibration (held-out split)")
    for header in ("指标 metric", "新模型 new", "现行模型 active"):
        table.add_column(header)
    baseline = f"{fitted.baseline_auc:.3f}" if fitted.baseline_auc is not None else "—"
    table.add_row("AUC", f"{fitted.auc:.3f}", baseline)
    table.add_row("KS", f"{fitted.ks:.3f}", "")
    table.add_row("训练/检验 train/test", f"{fitted.train_rows}/{fitted.test_rows}", "")
    console.print(table)
    if fitted.skipped:
        console.print(f"无法拟合、权重为 0 / not fitted, weight 0: {', '.join(fitted.skipped)}")
    console.print(
        f"新模型 / new model {fitted.model.version}: {path}\n"
        f"现行模型未改变；启用请用 / active model unchanged; use it with: --model {path}"
    )


def _pool(inspectors: Path) -> list[str]:
    lines = inspectors.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ratios(overrides: list[str], defaults: dict[str, float]) -> dict[str, float]:
    ratios = dict(defaults)
    for item in overrides:
        key, _, value = item.partition("=")
        try:
            ratios[key.strip()] = float(value)
        except ValueError as exc:
            raise _fail(f"比例格式应为 A=0.05 / ratio must look like A=0.05: {item}") from exc
    return ratios


@inspect_app.command("plan")
def plan(
    db: Annotated[str, typer.Option("--db", help="数据库地址 / database URL")],
    inspectors: Annotated[
        Path, typer.Option("--inspectors", help="检查人员名单，每行一个 / inspector pool file")
    ],
    run_id: Annotated[
        int | None, typer.Option("--run", help="评价批次 / evaluation run (默认 default: latest)")
    ] = None,
    ratio: Annotated[
        list[str] | None, typer.Option("--ratio", help="抽查比例 / sampling ratio, e.g. D=0.5")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="随机种子（复现）/ seed, to reproduce a plan")
    ] = None,
    actor: Annotated[str, typer.Option("--actor", help="操作人 / who draws")] = "system",
    out: Annotated[Path | None, typer.Option("--out", help="抽查清单 CSV / write draws")] = None,
) -> None:
    """按风险分类随机抽取检查对象和检查人员 / Draw subjects per risk class and inspectors at
    random; the seed and every draw are logged."""
    db_engine = connect(db)
    migrate(db_engine)
    if run_id is None:
        latest = latest_run(db_engine)
        if latest is None:
            raise _fail("没有评价结果，请先运行 evaluate run / no evaluation stored yet")
        run_id = latest.run_id
    chosen = run_id
    subjects = [(r["subject_id"], r["risk_class"]) for r in load_results(db_engine, chosen)]
    if not subjects:
        raise _fail(f"评价批次 {chosen} 无结果 / run {chosen} has no results")
    policy = load_model().grades.inspection
    ratios = _ratios(ratio or [], policy.ratios)
    pool = _pool(inspectors)
    seed = new_seed() if seed is None else seed
    try:
        draws = draw_plan(subjects, pool, ratios, policy.inspectors_per_check, seed)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    rows = [(d.subject_id, d.risk_class, d.inspector_id) for d in draws]
    plan_id = save_inspection_plan(
        db_engine, chosen, seed, ratios, policy.inspectors_per_check, pool, rows, actor
    )
    table = Table(title=f"抽查计划 / inspection plan {plan_id} — run {chosen}, seed {seed}")
    for header in ("风险分类 risk class", "比例 ratio", "主体 subjects", "抽中 drawn"):
        table.add_column(header, justify="right")
    for risk_class in sorted(ratios):
        total = sum(1 for _, r in subjects if r == risk_class)
        drawn = len({d.subject_id for d in draws if d.risk_class == risk_class})
        table.add_row(risk_class, f"{ratios[risk_class]:.0%}", f"{total:,}", f"{drawn:,}")
    console.print(table)
    if out is not None:
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(("plan_id", "seq", "subject_id", "risk_class", "inspector_id"))
            writer.writerows((plan_id, i, *row) for i, row in enumerate(rows, start=1))
        console.print(f"已写出 / written: {out}")
