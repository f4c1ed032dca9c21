"""`ecredit detect …`: manipulation detection, the review queue, external rating networks.

A sub-app; the main app mounts it as `detect`. Detection reads the ingested database (or a
generated directory with `--source`) and always stores its cases in the database, where the
review queue (`detect cases …`) takes them from new to confirmed or dismissed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import polars as pl
import sqlalchemy as sa
import typer
from rich.table import Table

from ecredit.cli.common import EXIT_UNUSABLE, DbOption, console, err_console
from ecredit.detection import rating_network
from ecredit.detection.cases import (
    NAMES,
    Case,
    Decision,
    ReviewError,
    confirm_case,
    dismiss_case,
    save_cases,
)
from ecredit.detection.pipeline import detect
from ecredit.detection.rules import Manipulation, load_policy
from ecredit.detection.truth import Evaluation, evaluate
from ecredit.engines.common import ENGINE_NAMES, open_engine
from ecredit.engines.sources import DatabaseSource, DirectorySource
from ecredit.storage import detection as store
from ecredit.storage.database import connect, database_url, migrate

detect_app = typer.Typer(
    help="操纵行为监测（刷单炒信、恶意评价、空包裹、虚假流量）/ manipulation detection "
    "(brushing, malicious reviews, empty parcels, fake traffic)",
    no_args_is_help=True,
)
cases_app = typer.Typer(
    help="案件审核队列 / the case review queue (new → confirmed / dismissed)",
    no_args_is_help=True,
)
detect_app.add_typer(cases_app, name="cases")

EngineOption = Annotated[
    str, typer.Option("--engine", help=f"计算引擎 / engine: {', '.join(ENGINE_NAMES)}")
]
SourceOption = Annotated[
    Path | None,
    typer.Option(
        "--source", help="生成数据目录（代替数据库读取）/ directory of generated files to read"
    ),
]
ReviewerOption = Annotated[str, typer.Option("--reviewer", help="审核人 / reviewer")]
ReasonOption = Annotated[str, typer.Option("--reason", help="理由 / reason")]


def _type_name(manipulation: str) -> str:
    _, zh, en = NAMES[Manipulation(manipulation)]
    return f"{zh} {en}"


def _case_table(title: str, *headers: str) -> Table:
    """Case ids never wrap or shorten: a reviewer copies them into `confirm`."""
    table = Table(title=title)
    table.add_column("案件 case", no_wrap=True, min_width=15)
    for header in headers:
        table.add_column(header, justify="right" if "score" in header else "left")
    return table


def _print_found(cases: Sequence[Case], limit: int) -> None:
    table = _case_table(
        f"发现的案件 / cases found: {len(cases)}",
        "类型 type",
        "分数 score",
        "摘要 summary",
        "主要证据 main evidence",
    )
    for case in cases[:limit]:
        table.add_row(
            case.case_id,
            _type_name(case.manipulation),
            f"{case.score:.1f}",
            f"{case.summary_zh}\n{case.summary_en}",
            f"{case.evidence[0].text_zh}\n{case.evidence[0].text_en}",
        )
    console.print(table)
    if len(cases) > limit:
        console.print(f"… 另有 {len(cases) - limit} 个 / {len(cases) - limit} more")


def _metric(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _metrics_table(title: str, frame: pl.DataFrame, keys: Sequence[str]) -> Table:
    table = Table(title=title)
    for key in (*keys, "truth", "flagged", "correct", "precision", "recall", "f1"):
        table.add_column(key, justify="left" if key in keys else "right")
    for row in frame.iter_rows(named=True):
        table.add_row(
            *(str(row[k]) for k in keys),
            *(str(row[k]) for k in ("truth", "flagged", "correct")),
            *(_metric(row[k]) for k in ("precision", "recall", "f1")),
        )
    return table


def _print_evaluation(result: Evaluation) -> None:
    console.print(
        _metrics_table(
            "按类型评估 / by manipulation type", result.by_type, ("manipulation", "entity_kind")
        )
    )
    console.print(
        _metrics_table(
            "刷单团伙按密度 / brushing rings by density (ring = accounts, merchants and shops)",
            result.by_density,
            ("density", "rings", "entity_kind"),
        )
    )
    table = Table(title="困难负例（应为 0）/ hard negatives flagged (should be 0)")
    for header in ("manipulation", "entity_kind", "labelled", "flagged"):
        table.add_column(header)
    for row in result.hard_negatives.iter_rows():
        flagged = f"[red]{row[3]}[/red]" if row[3] else "0"
        table.add_row(row[0], row[1], str(row[2]), flagged)
    console.print(table)


@detect_app.command("run")
def run(
    engine: EngineOption = "duckdb",
    db: DbOption = None,
    source: SourceOption = None,
    evaluate_dir: Annotated[
        Path | None,
        typer.Option(
            "--evaluate",
            help="生成数据的 truth 目录，对照评估 / a generated truth/ directory to score against",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="显示的案件数 / cases to show")] = 20,
) -> None:
    """运行监测并保存案件 / Run every detector on the ingested data (or --source), store cases."""
    if engine not in ENGINE_NAMES:
        err_console.print(f"[red]未知引擎 / unknown engine:[/red] {engine}")
        raise typer.Exit(EXIT_UNUSABLE)
    if source is not None and not source.is_dir():
        err_console.print(f"[red]找不到目录 / no such directory:[/red] {source}")
        raise typer.Exit(EXIT_UNUSABLE)
    url = database_url(db)
    db_engine = connect(url)
    migrate(db_engine)
    policy = load_policy()
    query_engine = open_engine(engine, DirectorySource(source) if source else DatabaseSource(url))
    try:
        with console.status("监测中 / detecting …"):
            detection = detect(query_engine, policy, database_url=None if source else url)
    finally:
        query_engine.close()
    shown = str(source) if source else sa.make_url(url).render_as_string(hide_password=True)
    new = save_cases(db_engine, detection.cases, policy, engine, shown)
    _print_found(detection.cases, limit)
    console.print(f"[green]新案件已保存 / new cases stored:[/green] {new}")
    if evaluate_dir is not None:
        _print_evaluation(evaluate(detection.cases, evaluate_dir))


@detect_app.command("ratings")
def ratings(
    input_path: Annotated[
        Path, typer.Option("--input", help="评价网络 CSV：rater,ratee,rating,unix_ts")
    ],
    out: Annotated[Path, typer.Option("--out", help="输出 CSV：subject,score（越高越可疑）")],
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="已知标签 CSV：user,label（-1 欺诈 fraud / +1 正常 benign）"),
    ] = None,
) -> None:
    """评价网络打分 / Score any rating network (higher = more suspicious; out-of-fold with
    --labels)."""
    if not input_path.is_file():
        err_console.print(f"[red]找不到文件 / file not found:[/red] {input_path}")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        subjects = rating_network.run(input_path, out, labels)
    except ValueError as exc:
        err_console.print(f"[red]无法评分 / cannot score:[/red] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from exc
    console.print(f"[green]已评分 / scored:[/green] {subjects:,} → {out}")


@cases_app.command("list")
def list_cases(
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help="状态 / status: new, confirmed, dismissed")
    ] = None,
    manipulation: Annotated[
        str | None,
        typer.Option("--type", help=f"类型 / type: {', '.join(m.value for m in Manipulation)}"),
    ] = None,
    limit: Annotated[int, typer.Option(help="最多显示 / at most")] = 50,
) -> None:
    """案件列表 / List cases, highest score first."""
    engine = connect(db)
    migrate(engine)
    with engine.connect() as conn:
        rows = store.list_cases(conn, status, manipulation, limit)
    table = _case_table(
        f"案件 / cases: {len(rows)}", "类型 type", "分数 score", "状态 status", "摘要 summary"
    )
    for row in rows:
        table.add_row(
            row.case_id,
            _type_name(row.manipulation),
            f"{row.score:.1f}",
            row.status,
            f"{row.summary_zh}\n{row.summary_en}",
        )
    console.print(table)


@cases_app.command("show")
def show(
    case_id: Annotated[str, typer.Argument(help="案件编号 / case id")], db: DbOption = None
) -> None:
    """案件详情：成员、证据、审核记录 / A case with its members, evidence and reviews."""
    engine = connect(db)
    migrate(engine)
    with engine.connect() as conn:
        case = store.get_case(conn, case_id)
        if case is None:
            err_console.print(f"[red]没有这个案件 / no such case:[/red] {case_id}")
            raise typer.Exit(EXIT_UNUSABLE)
        members = store.case_members(conn, case_id)
        evidence = store.case_evidence_rows(conn, case_id)
        reviews = store.case_reviews(conn, case_id)
    console.rule(f"[bold]{case.case_id}[/bold] {_type_name(case.manipulation)} · {case.status}")
    console.print(f"{case.summary_zh}\n{case.summary_en}\n分数 score {case.score:.2f}")
    table = Table(title="证据 / evidence")
    table.add_column("信号 signal")
    table.add_column("说明 explanation")
    for e in evidence:
        table.add_row(e.signal, f"{e.text_zh}\n{e.text_en}")
    console.print(table)
    by_role = Table(title="成员 / members")
    for header in ("类别 kind", "角色 role", "数量 count", "编号 ids"):
        by_role.add_column(header)
    groups: dict[tuple[str, str], list[str]] = {}
    for m in members:
        groups.setdefault((m.entity_kind, m.role), []).append(m.entity_id)
    for (kind, role), ids in sorted(groups.items()):
        more = f" … (+{len(ids) - 8})" if len(ids) > 8 else ""
        by_role.add_row(kind, role, str(len(ids)), ", ".join(ids[:8]) + more)
    console.print(by_role)
    history = Table(title="审核记录 / review history")
    for header in ("时间 at", "状态 status", "审核人 reviewer", "理由 reason"):
        history.add_column(header)
    for r in reviews:
        history.add_row(str(r.decided_at), r.status, r.reviewer, r.reason)
    console.print(history)


def _decide(decision: Decision) -> None:
    console.print(f"[green]{decision.case_id} → {decision.status}[/green]")
    if decision.records:
        console.print(f"信用记录 / credit records written: {', '.join(decision.records)}")
    if decision.flagged_ratings:
        console.print(f"评价不再计分 / ratings no longer counted: {decision.flagged_ratings:,}")


@cases_app.command("confirm")
def confirm(
    case_id: Annotated[str, typer.Argument(help="案件编号 / case id")],
    reviewer: ReviewerOption,
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """确认案件：写入信用记录并使相关评价不计分 / Confirm: write credit records, stop its
    ratings from counting."""
    engine = connect(db)
    migrate(engine)
    try:
        _decide(confirm_case(engine, case_id, reviewer, reason, load_policy()))
    except ReviewError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_UNUSABLE) from exc


@cases_app.command("dismiss")
def dismiss(
    case_id: Annotated[str, typer.Argument(help="案件编号 / case id")],
    reviewer: ReviewerOption,
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """驳回案件 / Dismiss a case (nothing is written but the decision)."""
    engine = connect(db)
    migrate(engine)
    try:
        _decide(dismiss_case(engine, case_id, reviewer, reason))
    except ReviewError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_UNUSABLE) from exc
