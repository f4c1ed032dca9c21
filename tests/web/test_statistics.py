"""Statistics monitoring: indicators, drill-down, CSV export, snapshots and the bulletin."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from ecredit.web.queries.profile import today
from tests.web.cli import app as cli_app
from tests.web.conftest import Web

REGULATOR = "regulator"


def this_month() -> str:
    return today().strftime("%Y-%m")


def series(web: Web, indicator: str, **params: str) -> dict:
    response = web.client.get(
        f"/api/v1/statistics/{indicator}", params=params, headers=web.as_role(REGULATOR)
    )
    assert response.status_code == 200, response.text
    return response.json()


def latest(data: dict) -> dict[str, float]:
    last = data["months"][-1]
    return {p["key"]: p["value"] for p in data["points"] if p["month"] == last}


def test_indicator_catalogue(web: Web) -> None:
    catalogue = web.client.get("/api/v1/statistics", headers=web.as_role(REGULATOR)).json()
    names = {i["name"] for i in catalogue["indicators"]}
    assert {
        "subjects_by_type",
        "verified_share",
        "dishonesty_records",
        "list_counts",
        "grade_distribution",
    } <= names
    assert catalogue["latest_month"] == this_month()


def test_stock_indicators(web: Web) -> None:
    assert latest(series(web, "subjects_by_type")) == {
        "agency": 1,
        "consumer": 1,
        "logistics": 1,
        "merchant": 2,
        "platform": 2,
    }
    assert latest(series(web, "verified_share"))["merchant"] == 1.0
    regions = latest(series(web, "subjects_by_region"))
    assert regions["33 浙江省"] == 5 and regions["11 北京市"] == 1


def test_flow_indicator_by_month_and_drill_down(web: Web) -> None:
    data = series(web, "complaints_by_category", months="3")
    assert len(data["months"]) == 3
    total = {p["key"]: 0.0 for p in data["points"]}
    for p in data["points"]:
        total[p["key"]] += p["value"]
    assert total == {"delivery": 1, "quality": 1}
    month = next(p["month"] for p in data["points"] if p["key"] == "quality")
    rows = web.client.get(
        "/api/v1/statistics/complaints_by_category/drill",
        params={"key": "quality", "month": month},
        headers=web.as_role(REGULATOR),
    ).json()
    assert [r["complaint_id"] for r in rows] == ["Q2"]


def test_csv_export_opens_in_excel(web: Web) -> None:
    response = web.client.get(
        "/api/v1/statistics/subjects_by_type",
        params={"format": "csv", "months": "1"},
        headers=web.as_role(REGULATOR),
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {r["key"]: r["名称"] for r in rows}["merchant"] == "平台内经营者"


def test_console_pages(web: Web) -> None:
    headers = web.as_role(REGULATOR)
    page = web.client.get("/console", headers=headers)
    assert page.status_code == 200 and 'data-indicator="dishonesty_records"' in page.text
    drill = web.client.get(
        "/console/drill",
        params={"indicator": "subjects_by_type", "key": "merchant", "month": this_month()},
        headers=headers,
    )
    assert "杭州某某贸易有限公司" in drill.text and "张**" in drill.text
    queues = web.client.get("/console/queues?workflow=complaint", headers=headers)
    assert "Q2" in queues.text
    public = web.client.get("/console", follow_redirects=False)
    assert public.status_code == 303 and public.headers["location"].startswith("/login")


def test_snapshot_and_published_bulletin(web: Web, tmp_path: Path) -> None:
    month = this_month()
    taken = web.client.post(f"/api/v1/statistics/snapshots/{month}", headers=web.as_role("admin"))
    assert taken.status_code == 201
    published = web.client.get(f"/api/v1/bulletins/{month}").json()
    assert published["figures"]["subjects_by_type"]["merchant"] == 2
    assert web.client.get("/api/v1/bulletins").json() == [month]
    html = web.client.get(f"/bulletins/{month}")
    assert html.status_code == 200 and "电子商务信用建设统计公报" in html.text
    assert web.client.get(f"/bulletins/{month}.pdf").content.startswith(b"%PDF")


def test_stats_publish_command(web: Web, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app,
        [
            "stats",
            "publish",
            "--month",
            "2026-01",
            "--out",
            str(tmp_path),
            "--db",
            str(web.engine.url),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2026-01.html").read_text(encoding="utf-8").count("<svg") >= 5
    assert (tmp_path / "2026-01.pdf").read_bytes().startswith(b"%PDF")
    bad = CliRunner().invoke(cli_app, ["stats", "publish", "--month", "2026-13"])
    assert bad.exit_code == 2
