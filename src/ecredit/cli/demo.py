"""`ecredit demo`: the whole product on the embedded default, start to finish.

Each capability adds its step here as it lands, so the demo always shows the product as it
stands: generate → ingest → (evaluate → detect → lists → serve).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ecredit.cli import web
from ecredit.cli.common import console
from ecredit.cli.governance import demo_governance
from ecredit.cli.ingest import ingest_paths, print_reports
from ecredit.generate import generate_world
from ecredit.privacy.keys import load_keyring
from ecredit.storage.database import connect, migrate

DEMO_DIR = Path("var/demo")


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
    console.rule("[bold]3. 名单、异议与信用修复 / lists, objections and repair")
    demo_governance(engine)
    console.print(f"[green]演示数据库 / demo database:[/green] {db}")
    if serve:
        console.rule("[bold]4. 门户与控制台 / portal and console")
        web.serve(db=db, demo_accounts=True)
