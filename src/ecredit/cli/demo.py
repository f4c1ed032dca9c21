"""`ecredit demo`: the whole product on the embedded default, start to finish.

Each capability adds its step here as it lands, so the demo always shows the product as it
stands: generate → ingest → (evaluate → detect → lists → serve).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ecredit.cli import web
from ecredit.cli.common import console
from ecredit.cli.detect import run as detect_run
from ecredit.cli.evaluate import run as evaluate_run
from ecredit.cli.governance import demo_governance
from ecredit.cli.ingest import ingest_paths, print_reports
from ecredit.detection.cases import confirm_case
from ecredit.detection.rules import load_policy
from ecredit.generate import generate_world
from ecredit.privacy.keys import load_keyring
from ecredit.storage import detection as detection_store
from ecredit.storage.database import connect, migrate
from ecredit.storage.evaluations import RunInfo, latest_run, load_results

DEMO_DIR = Path("var/demo")
REVIEWER = "演示审核员 demo reviewer"


def _generate(out: Path, merchants: int, seed: int, err: Console) -> None:
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    ) as progress:
        tasks: dict[str, int] = {}

        def on_progress(kind: str, rows: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(f"生成 {kind} / generating {kind}", total=None)
            progress.update(tasks[kind], completed=rows)

        generate_world(out, merchants=merchants, seed=seed, progress=on_progress)


def _confirm_brushing(engine: sa.Engine) -> list[str]:
    """Stand in for a platform reviewer: confirm the brushing cases the detectors found."""
    policy = load_policy()
    with engine.connect() as conn:
        cases = detection_store.list_cases(conn, status="new", manipulation="brushing")
    merchants: list[str] = []
    for case in cases:
        confirm_case(
            engine, case.case_id, "演示审核员 demo reviewer", "证据充分 / evidence holds", policy
        )
        with engine.connect() as conn:
            members = detection_store.case_members(conn, case.case_id)
        merchants.extend(m.entity_id for m in members if m.role == "merchant")
    console.print(f"已确认刷单案件 / brushing cases confirmed: {len(cases)}")
    return sorted(set(merchants))


def _show_score_changes(engine: sa.Engine, before: RunInfo | None, merchants: list[str]) -> None:
    after = latest_run(engine)
    if before is None or after is None or not merchants:
        return
    old = {r["subject_id"]: r for r in load_results(engine, before.run_id)}
    new = {r["subject_id"]: r for r in load_results(engine, after.run_id)}
    table = Table(title="确认刷单后的商家 / merchants after confirmed brushing")
    for header in ("商家 merchant", "之前 before", "之后 after", "主要原因 top reason"):
        table.add_column(header)
    for merchant in merchants[:10]:
        if merchant in old and merchant in new:
            table.add_row(
                merchant,
                f"{old[merchant]['score']:.0f} {old[merchant]['grade']}",
                f"{new[merchant]['score']:.0f} {new[merchant]['grade']}",
                str(new[merchant]["reasons_zh"]).split(";")[0][:60],
            )
    console.print(table)


def demo(
    merchants: Annotated[int, typer.Option(help="商家数量 / number of merchants")] = 200,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 42,
    out: Annotated[Path, typer.Option(help="演示数据目录 / demo directory")] = DEMO_DIR,
    serve: Annotated[
        bool, typer.Option(help="最后启动门户 / end by serving the portal on 127.0.0.1:8000")
    ] = True,
) -> None:
    """演示：生成→导入→… / Demo: generate → ingest → … on SQLite + DuckDB."""
    err = Console(stderr=True)
    world = out / "world"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    console.rule("[bold]1. 生成合成电商数据 / generate a synthetic world")
    _generate(world, merchants, seed, err)
    console.rule("[bold]2. 导入 / ingest")
    db = f"sqlite:///{out / 'ecredit.sqlite'}"
    engine = connect(db)
    migrate(engine)
    reports = ingest_paths(engine, [world], load_keyring(), encoding="auto", rejects=None)
    print_reports(reports)
    console.rule("[bold]3. 综合信用评价 / evaluate")
    evaluate_run(db=db)
    before = latest_run(engine)
    console.rule("[bold]4. 操纵行为监测 / detect")
    detect_run(db=db, limit=10)
    confirmed = _confirm_brushing(engine)
    console.rule("[bold]5. 确认后重新评价 / re-evaluate after confirmed cases")
    evaluate_run(db=db)
    _show_score_changes(engine, before, confirmed)
    console.rule("[bold]6. 名单、异议与信用修复 / lists, objections and repair")
    demo_governance(engine)
    console.print(f"[green]演示数据库 / demo database:[/green] {db}")
    if serve:
        console.rule("[bold]7. 门户与控制台 / portal and console")
        web.serve(db=db, demo_accounts=True)
