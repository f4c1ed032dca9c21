"""`ecredit serve`, `ecredit stats …` and `ecredit users …`: the web layer's commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.table import Table

from ecredit.cli.common import EXIT_UNUSABLE, DbOption, console, err_console
from ecredit.privacy.keys import load_keyring
from ecredit.storage.database import connect, migrate
from ecredit.storage.web import ROLES
from ecredit.web import bulletin, snapshots
from ecredit.web.accounts import (
    Account,
    AccountError,
    create_api_key,
    create_user,
    list_users,
    reset_demo_accounts,
)
from ecredit.web.app import create_app
from ecredit.web.capabilities import Capabilities
from ecredit.web.settings import WebSettings

BULLETIN_DIR = Path("var/bulletins")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _print_demo_accounts(accounts: list[tuple[Account, str]], base_url: str) -> None:
    table = Table(title=f"演示账户 / demo accounts — {base_url}/login")
    for header in ("角色 role", "用户名 username", "密码 password", "主体 subject"):
        table.add_column(header)
    for account, password in accounts:
        table.add_row(account.role, account.username, password, account.subject_id or "")
    console.print(table)
    console.print(
        "[yellow]演示密码每次启动重新生成 / demo passwords change at every start[/yellow]"
    )


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="监听地址 / address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
    demo_accounts: Annotated[
        bool, typer.Option(help="创建并打印演示账户 / create and print demo accounts")
    ] = False,
) -> None:
    """启动门户、控制台与 API / Serve the portal, the console and the API."""
    engine = connect(db)
    migrate(engine)
    settings = WebSettings(public_base_url=f"http://{host}:{port}")
    app = create_app(engine, load_keyring(), settings)
    if demo_accounts:
        _print_demo_accounts(reset_demo_accounts(engine), settings.public_base_url)
    console.print(
        f"[green]门户 portal[/green] {settings.public_base_url}/  "
        f"[green]控制台 console[/green] {settings.public_base_url}/console  "
        f"[green]API[/green] {settings.public_base_url}/docs"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


stats_app = typer.Typer(help="信用统计监测 / statistics monitoring", no_args_is_help=True)


def _month(month: str) -> str:
    if not MONTH.match(month):
        err_console.print(f"[red]月份格式应为 YYYY-MM / month must be YYYY-MM:[/red] {month}")
        raise typer.Exit(EXIT_UNUSABLE)
    return month


MonthOption = Annotated[str, typer.Option("--month", help="月份 / month, YYYY-MM")]


@stats_app.command("publish")
def publish(
    month: MonthOption,
    out: Annotated[Path, typer.Option(help="输出目录 / output directory")] = BULLETIN_DIR,
    db: DbOption = None,
) -> None:
    """生成月度快照并发布统计公报（HTML + PDF）/ Snapshot the month and publish its bulletin."""
    engine = connect(db)
    migrate(engine)
    html_path, pdf_path = bulletin.publish(engine, _month(month), Capabilities(engine), out)
    console.print(f"[green]统计公报 / bulletin:[/green] {html_path}  {pdf_path}")


@stats_app.command("snapshot")
def snapshot(month: MonthOption, db: DbOption = None) -> None:
    """仅生成月度快照 / Take the monthly snapshot only (the monthly job)."""
    engine = connect(db)
    migrate(engine)
    figures = snapshots.take(engine, _month(month), Capabilities(engine))
    console.print(
        f"[green]已保存 / stored:[/green] {month}, "
        f"{sum(len(v) for v in figures.values())} 项 / values in {len(figures)} indicators"
    )


users_app = typer.Typer(help="账户与 API 密钥 / accounts and API keys", no_args_is_help=True)


@users_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[str, typer.Option(help=f"角色 / role: {', '.join(ROLES)}")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="密码")
    ],
    subject: Annotated[
        str | None, typer.Option(help="代表的主体 / subject the account acts for")
    ] = None,
    db: DbOption = None,
) -> None:
    """创建账户 / Create an account."""
    engine = connect(db)
    migrate(engine)
    try:
        account = create_user(engine, username, password, role, subject)
    except AccountError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_UNUSABLE) from exc
    console.print(f"[green]已创建 / created:[/green] {account.username} ({account.role})")


@users_app.command("api-key")
def api_key(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    label: Annotated[str, typer.Option(help="用途 / what the key is for")] = "cli",
    db: DbOption = None,
) -> None:
    """签发 API 密钥（只显示一次）/ Issue an API key (shown once)."""
    engine = connect(db)
    migrate(engine)
    try:
        key = create_api_key(engine, username, label)
    except AccountError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_UNUSABLE) from exc
    console.print(key)


@users_app.command("list")
def users(db: DbOption = None) -> None:
    """账户列表 / List accounts."""
    engine = connect(db)
    migrate(engine)
    table = Table(title="账户 / accounts")
    for header in ("用户名 username", "角色 role", "主体 subject"):
        table.add_column(header)
    for account in list_users(engine):
        table.add_row(account.username, account.role, account.subject_id or "")
    console.print(table)
