"""The `ecredit` command line: one entry point for every capability.

Capabilities load only when their command runs: importing all of them (Spark, scikit-learn,
WeasyPrint …) costs seconds, which every short command and every ingest would pay.
"""

from __future__ import annotations

import importlib

import typer
from rich.table import Table
from typer.core import TyperGroup

from ecredit.cli.common import DbOption, console
from ecredit.cli.ingest import ingest
from ecredit.storage import summary as storage_summary
from ecredit.storage.database import connect, database_url, migrate

LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("ecredit.cli.generate", "generate"),
    "demo": ("ecredit.cli.demo", "demo"),
    "serve": ("ecredit.cli.web", "serve"),
    "evaluate": ("ecredit.cli.evaluate", "evaluate_app"),
    "inspect": ("ecredit.cli.evaluate", "inspect_app"),
    "detect": ("ecredit.cli.detect", "detect_app"),
    "calendar": ("ecredit.cli.governance", "calendar_app"),
    "lists": ("ecredit.cli.governance", "lists_app"),
    "objections": ("ecredit.cli.governance", "objections_app"),
    "repair": ("ecredit.cli.governance", "repair_app"),
    "commitments": ("ecredit.cli.governance", "commitments_app"),
    "complaints": ("ecredit.cli.governance", "complaints_app"),
    "warnings": ("ecredit.cli.governance", "warnings_app"),
    "retention": ("ecredit.cli.governance", "retention_app"),
    "exchange": ("ecredit.cli.exchange", "exchange_app"),
    "audit": ("ecredit.cli.exchange", "audit_app"),
    "keys": ("ecredit.cli.exchange", "keys_app"),
    "consents": ("ecredit.cli.exchange", "consents_app"),
    "stats": ("ecredit.cli.web", "stats_app"),
    "users": ("ecredit.cli.web", "users_app"),
}


def _load(name: str):  # type: ignore[no-untyped-def]
    """A click command for a lazy entry: a sub-app stays a group even with one command."""
    module, attr = LAZY_COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        return typer.main.get_group(target)
    single = typer.Typer()
    single.command(name=name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [*super().list_commands(ctx), *LAZY_COMMANDS]

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def,override]
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            command = _load(cmd_name)
            command.name = cmd_name
            self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyGroup,
    help="ecredit 电子商务信用信息平台 / e-commerce credit information platform",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command()
def init(db: DbOption = None) -> None:
    """创建或升级数据库 / Create or migrate the database."""
    engine = connect(db)
    migrate(engine)
    console.print(f"[green]数据库已就绪 / database ready:[/green] {engine.url.render_as_string()}")


@app.command()
def summary(db: DbOption = None) -> None:
    """数据概况 / Row counts of everything stored."""
    engine = connect(db)
    migrate(engine)
    table = Table(title=f"ecredit 数据概况 / summary — {database_url(db)}")
    table.add_column("类别 kind")
    table.add_column("中文")
    table.add_column("行数 rows", justify="right")
    for name, zh, count in storage_summary.kind_counts(engine):
        table.add_row(name, zh, f"{count:,}")
    console.print(table)


@app.command()
def check(db: DbOption = None) -> None:
    """检查引用完整性 / Check that every reference of the high-volume kinds is stored."""
    engine = connect(db)
    migrate(engine)
    table = Table(title="引用完整性 / reference integrity")
    for column in ("类别 kind", "字段 field", "指向 refers to", "悬空行 dangling rows"):
        table.add_column(column)
    dangling = storage_summary.dangling_references(engine)
    for kind, field, target, count in dangling:
        table.add_row(kind, field, target, f"[red]{count:,}[/red]" if count else "0")
    console.print(table)
    if any(count for *_, count in dangling):
        raise typer.Exit(1)


app.command()(ingest)
