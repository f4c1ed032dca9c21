"""Capabilities plug in by their tables: stored evaluations appear on the profile, in badges
and in the statistics as soon as they exist."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.storage.evaluations import evaluation_result
from ecredit.web.queries.profile import today
from tests.evaluation.runs import new_run
from tests.web.cli import app as cli_app
from tests.web.conftest import Web


def store_evaluation(engine: sa.Engine, grade: str, score: float) -> None:
    with engine.begin() as conn:
        run_id = new_run(conn, today(), 1)
        conn.execute(
            evaluation_result.insert().values(
                run_id=run_id,
                subject_id="M1",
                subject_type="merchant",
                score=score,
                grade=grade,
                risk_class="A",
                overrides="",
                reasons_zh="差评率偏高；投诉较多",
                reasons_en="Many negative ratings; many complaints",
            )
        )


def test_evaluation_appears_when_stored(web: Web) -> None:
    not_yet = web.client.get("/api/v1/subjects/M1/evaluation")
    assert not_yet.status_code == 404
    assert not_yet.headers["content-type"].startswith("application/problem+json")
    store_evaluation(web.engine, "A", 700.0)
    web.client.app.state.ctx.capabilities.refresh()
    found = web.client.get("/api/v1/subjects/M1/evaluation").json()
    assert found["grade"] == "A" and found["grade_name"]["zh"] == "守信"
    assert [r["zh"] for r in found["reasons"]] == ["差评率偏高", "投诉较多"]
    page = web.client.get("/subjects/M1")
    assert "守信" in page.text and "投诉较多" in page.text
    names = {
        i["name"]
        for i in web.client.get("/api/v1/statistics", headers=web.as_role("regulator")).json()[
            "indicators"
        ]
    }
    assert "grade_distribution" in names


def test_badge_carries_the_grade_and_notices_a_change(web: Web) -> None:
    store_evaluation(web.engine, "A", 700.0)
    web.client.app.state.ctx.capabilities.refresh()
    token = web.client.post(
        "/api/v1/badges", json={"shop_id": "S1"}, headers=web.as_role("platform")
    ).json()["token"]
    assert "信用等级 A" in web.client.get(f"/badge/{token}.svg").text
    store_evaluation(web.engine, "C", 560.0)
    check = web.client.get("/api/v1/badges/verification", params={"token": token}).json()
    assert (check["status"], check["grade"], check["current_grade"]) == ("outdated", "A", "C")


def test_users_commands(web: Web) -> None:
    db = str(web.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    created = runner.invoke(
        cli_app,
        [
            "users",
            "create",
            "clerk",
            "--role",
            "regulator",
            "--password",
            "a-long-password",
            "--db",
            db,
        ],
    )
    assert created.exit_code == 0, created.output
    key = runner.invoke(cli_app, ["users", "api-key", "clerk", "--db", db]).output.strip()
    assert web.client.get("/api/v1/statistics", headers={"X-API-Key": key}).status_code == 200
    wrong = runner.invoke(
        cli_app, ["users", "create", "x", "--role", "platform", "--password", "pw", "--db", db]
    )
    assert wrong.exit_code == 2 and "subject" in wrong.output
