"""What every command shares: consoles, exit codes and the --db option."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

EXIT_OK, EXIT_UNUSABLE, EXIT_REJECTS = 0, 2, 3

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="数据库地址 / database URL (默认 default: $ECREDIT_DATABASE_URL, var/ecredit.sqlite)",
    ),
]
