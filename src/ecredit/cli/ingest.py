"""`ecredit ingest`: validated, idempotent import of platform and department files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ecredit.audit.log import Action, log_bulk_operation, operator
from ecredit.cli.common import (
    EXIT_OK,
    EXIT_REJECTS,
    EXIT_UNUSABLE,
    DbOption,
    console,
    err_console,
)
from ecredit.ingest.pipeline import IngestReport, guess_kind, ingest_file
from ecredit.ingest.readers import UnusableInput
from ecredit.privacy.keys import KeyRing, load_keyring
from ecredit.records.kinds import KINDS
from ecredit.storage.database import connect, migrate


def _input_files(paths: list[Path]) -> list[Path]:
    """Expand directories into their known kind files, in dependency order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for name in KINDS
                for ext in (".csv", ".jsonl", ".parquet")
                if (p := path / f"{name}{ext}").exists()
            )
        elif path.is_file():
            files.append(path)
        else:
            raise UnusableInput(f"找不到文件 / file not found: {path}")
    order = {name: i for i, name in enumerate(KINDS)}
    return sorted(files, key=lambda p: order.get(guess_kind(p) or "", len(order)))


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="输入文件或目录 / input files or directories")
    ],
    kind: Annotated[
        str | None,
        typer.Option(help=f"数据类别 / kind: {', '.join(KINDS)} (default: from the file name)"),
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="文件编码 / encoding: auto, utf-8, gb18030, gbk")
    ] = "auto",
    rejects: Annotated[
        Path | None,
        typer.Option(help="拒收记录文件 / rejects CSV (default: <input>.rejects.csv next to it)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """导入数据 / Ingest CSV (UTF-8 or GB18030), JSON Lines or Parquet files.

    Exit code 0: all rows accepted; 3: some rows rejected (see the rejects file);
    2: unusable input or arguments.
    """
    if kind and kind not in KINDS:
        err_console.print(f"[red]未知的数据类别 / unknown kind:[/red] {kind}")
        raise typer.Exit(EXIT_UNUSABLE)
    reports: list[IngestReport] = []
    try:
        files = _input_files(paths)
        if not files:
            raise UnusableInput("没有可导入的文件 / no input files found")
        engine = connect(db)
        migrate(engine)
        ingest_paths(engine, files, load_keyring(), encoding, rejects, kind, reports)
    except UnusableInput as exc:
        err_console.print(f"[red]无法导入 / unusable input:[/red] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from exc
    finally:
        print_reports(reports)
    raise typer.Exit(EXIT_REJECTS if any(r.rejected for r in reports) else EXIT_OK)


def ingest_paths(
    engine: sa.Engine,
    paths: list[Path],
    keys: KeyRing,
    encoding: str,
    rejects: Path | None,
    kind: str | None = None,
    reports: list[IngestReport] | None = None,
) -> list[IngestReport]:
    """Ingest files (directories expand to their kind files), reporting as each one ends."""
    reports = [] if reports is None else reports
    for path in _input_files(paths):
        file_kind = kind or guess_kind(path)
        if file_kind is None:
            raise UnusableInput(
                f"无法从文件名判断数据类别，请用 --kind / cannot tell the kind of {path}; "
                "use --kind"
            )
        report = _ingest_with_progress(engine, path, file_kind, keys, encoding, rejects)
        reports.append(report)
        _log_ingest(engine, report)
    return reports


def _log_ingest(engine: sa.Engine, report: IngestReport) -> None:
    """Bulk operations are registered in the access log (查询使用登记) like any query."""
    log_bulk_operation(engine, operator(), Action.INGEST, report.log_detail(), purpose="ingest")


def _ingest_with_progress(engine, path, kind, keys, encoding, rejects) -> IngestReport:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"导入 {kind} / ingesting {path.name}", total=path.stat().st_size)
        return ingest_file(
            engine,
            path,
            kind,
            keys,
            encoding=encoding,
            rejects_path=rejects,
            on_bytes=lambda n: progress.advance(task, n),
        )


def print_reports(reports: list[IngestReport]) -> None:
    if not reports:
        return
    table = Table(title="导入结果 / ingest results")
    for header in (
        "类别 kind",
        "文件 file",
        "读取 read",
        "新增 new",
        "未变 unchanged",
        "拒收 rejected",
    ):
        table.add_column(
            header, justify="right" if "kind" not in header and "file" not in header else "left"
        )
    for r in reports:
        table.add_row(
            r.kind,
            r.path.name,
            f"{r.rows_read:,}",
            f"{r.inserted:,}",
            f"{r.unchanged:,}",
            f"[red]{r.rejected:,}[/red]" if r.rejected else "0",
        )
    console.print(table)
    for r in reports:
        if r.rejects_path:
            console.print(f"拒收明细 / rejects: {r.rejects_path}")
        if r.ignored_columns:
            console.print(
                f"已忽略的列 / ignored columns in {r.path.name}: {', '.join(r.ignored_columns)}"
            )
