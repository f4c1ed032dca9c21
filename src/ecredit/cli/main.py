"""The `ecredit` command line: one entry point for every capability."""

from __future__ import annotations

import typer
from rich.table import Table

from ecredit.cli import exchange, governance, web
from ecredit.cli.common import DbOption, console
from ecredit.cli.demo import demo
from ecredit.cli.generate import generate
from ecredit.cli.ingest import ingest
from ecredit.storage import summary as storage_summary
from ecredit.storage.database import connect, database_url, migrate

app = typer.Typer(
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


app.command()(generate)
app.command()(ingest)
app.command()(demo)
app.command()(web.serve)

SUB_APPS: dict[str, typer.Typer] = {
    "calendar": governance.calendar_app,
    "lists": governance.lists_app,
    "objections": governance.objections_app,
    "repair": governance.repair_app,
    "commitments": governance.commitments_app,
    "complaints": governance.complaints_app,
    "warnings": governance.warnings_app,
    "retention": governance.retention_app,
    "exchange": exchange.exchange_app,
    "audit": exchange.audit_app,
    "keys": exchange.keys_app,
    "consents": exchange.consents_app,
    "stats": web.stats_app,
    "users": web.users_app,
}
for name, sub_app in SUB_APPS.items():
    app.add_typer(sub_app, name=name)
