"""The web commands on a Typer app of their own, as the lead registers them in `ecredit`."""

import typer

from ecredit.cli.web import serve, stats_app, users_app

app = typer.Typer()
app.command()(serve)
app.add_typer(stats_app, name="stats")
app.add_typer(users_app, name="users")
