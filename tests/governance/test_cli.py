"""The governance commands on a real database, and the demo step."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli import governance as cli
from ecredit.cli.evaluate import evaluate_app
from ecredit.governance import services
from ecredit.governance.services.evaluation import latest_score
from ecredit.storage import governance as store
from tests.governance.conftest import MERCHANT, add_record, insert

runner = CliRunner()


def test_objection_and_lists_commands(world: sa.Engine, db_url: str) -> None:
    add_record(world, "R1", "PLT01", date(2025, 1, 10))
    db = ["--db", db_url]
    scanned = runner.invoke(cli.lists_app, ["scan", MERCHANT, *db])
    assert scanned.exit_code == 0, scanned.output
    (entry,) = services.listings(world, MERCHANT)
    decided = runner.invoke(
        cli.lists_app,
        [
            "decide",
            entry.entry_id,
            "--authority",
            "局",
            "--basis",
            "依据",
            "--document",
            "文书",
            "--by",
            "张三",
            *db,
        ],
    )
    assert decided.exit_code == 0, decided.output
    measures = runner.invoke(cli.lists_app, ["measures", MERCHANT, *db])
    assert measures.exit_code == 0 and "适用措施" in measures.output
    assert services.measures_for(world, MERCHANT)
    filed = runner.invoke(
        cli.objections_app,
        ["file", "R1", "--grounds", "error_or_omission", "--text", "异议", "--by", MERCHANT, *db],
    )
    assert filed.exit_code == 0, filed.output
    refused = runner.invoke(
        cli.objections_app, ["file", "R9", "--grounds", "x", "--text", "t", "--by", MERCHANT, *db]
    )
    assert refused.exit_code == 2


def test_demo_step(world: sa.Engine) -> None:
    with world.begin() as conn:
        insert(
            conn,
            "subjects",
            subject_id="M2",
            subject_type="merchant",
            legal_form="organisation",
            name="另一网店",
            registered_on=date(2020, 1, 1),
        )
    cli.demo_governance(world)
    states = {e.subject_id: e.state for e in services.listings(world)}
    assert states == {MERCHANT: "removed", "M2": "published"}
    assert services.measures_for(world, "M2", cli.DEMO_AS_OF)
    assert services.public_records(world, MERCHANT, cli.DEMO_AS_OF)[0].type_code == "CMT01"


def test_evaluate_run_answers_queued_reevaluations(world: sa.Engine, db_url: str) -> None:
    """The batch run hands its scores to governance: the queue empties, list criteria see the
    score, and a re-run with unchanged results keeps nothing new."""
    services.reevaluate(world, None, MERCHANT, "objection O1")
    run = ["run", "--db", db_url, "--as-of", "2025-06-30"]
    assert runner.invoke(evaluate_app, run).exit_code == 0
    assert services.pending_reevaluations(world) == []
    with world.connect() as conn:
        score = latest_score(conn, MERCHANT)
        events = len(store.load_case(conn, "evaluation", MERCHANT).events)
    assert score is not None and score.as_of == date(2025, 6, 30) and score.grade
    assert runner.invoke(evaluate_app, run).exit_code == 0
    with world.connect() as conn:
        assert len(store.load_case(conn, "evaluation", MERCHANT).events) == events
