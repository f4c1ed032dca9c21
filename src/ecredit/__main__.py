from ecredit.cli.main import app

app()
