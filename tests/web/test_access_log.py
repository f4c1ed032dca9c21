"""Non-public reads through the portal, console and API land in the access log (查询使用登记)
with who, what, about whom and why; public reads do not, and the chain still verifies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import sqlalchemy as sa

from ecredit.audit.verify import verify
from ecredit.storage.exchange import access_log
from ecredit.web.access_log import PURPOSE_HEADER
from tests.audit.test_chain import cli_verify
from tests.web import world
from tests.web.conftest import Web
from tests.web.test_statistics import this_month


def entries(web: Web) -> list[dict[str, Any]]:
    with web.engine.connect() as conn:
        bodies = conn.execute(sa.select(access_log.c.body).order_by(access_log.c.seq)).scalars()
        return [json.loads(body) for body in bodies]


def get(web: Web, role: str, url: str, purpose: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = web.as_role(role) | ({PURPOSE_HEADER: purpose} if purpose else {})
    response = web.client.get(url, headers=headers, **kwargs)
    assert response.status_code == 200, f"{role} {url}: {response.text}"
    return response


def test_non_public_reads_are_registered_once_each(web: Web) -> None:
    before = len(entries(web))
    get(web, "regulator", "/api/v1/subjects/M1/archive", "statutory_duty")
    get(web, "subject", "/api/v1/subjects/M1/archive")
    get(web, "regulator", "/api/v1/subjects/C1")  # a private person, never shown publicly
    get(web, "platform", "/api/v1/trace/orders/O1")
    get(web, "platform", "/api/v1/complaints")
    get(web, "admin", "/api/v1/queues/objection")
    issued = web.client.post(
        "/api/v1/reports",
        json={"subject_id": "M1", "scope": "full"},
        headers=web.as_role("agency"),
    )
    assert issued.status_code == 201
    get(web, "agency", issued.json()["pdf_url"], "credit_assessment")
    drill = {"indicator": "subjects_by_type", "key": "merchant", "month": this_month()}
    get(web, "regulator", "/console/drill", params=drill)
    get(web, "regulator", "/archive/M2")

    logged = entries(web)[before:]
    seen = [
        (e["actor"], e["role"], e["action"], e["target"], e["subject_id"], e["purpose"])
        for e in logged
    ]
    assert seen == [
        ("test-regulator", "regulator", "query", "archive", "M1", "statutory_duty"),
        ("test-subject", "subject", "query", "archive", "M1", "self_query"),
        ("test-regulator", "regulator", "query", "profile", "C1", "statutory_duty"),
        ("test-platform", "platform", "query", "trace.order", "C1", "own_transaction"),
        ("test-platform", "platform", "query", "complaints.platform", None, "dispute_handling"),
        ("test-admin", "admin", "query", "queue.objection", None, "maintenance"),
        ("test-agency", "agency", "query", "report.full", "M1", "credit_report"),
        ("test-agency", "agency", "query", "report.full", "M1", "credit_assessment"),
        ("test-regulator", "regulator", "query", "statistics.drill", None, "statutory_duty"),
        ("test-regulator", "regulator", "query", "archive", "M2", "statutory_duty"),
    ]
    assert logged[0]["authorisation"] == "role:regulator/statutory_duty"
    assert logged[1]["authorisation"] == "self"
    assert logged[3]["detail"] == {"request": "GET /api/v1/trace/orders/O1"}
    assert logged[3]["authorisation"] == "role:platform/own_transaction"  # no consent needed
    assert logged[8]["detail"]["request"].startswith("GET /console/drill?indicator=")


def test_public_reads_write_nothing(web: Web) -> None:
    """Anonymous reads, and accounts reading what the public sees, are not registered; the
    one non-public read at the end shows the log was listening."""
    before = len(entries(web))
    report = web.client.post("/api/v1/reports", json={"subject_id": "M2"}).json()
    number = report["report_no"]
    badge = web.client.post("/api/v1/badges", json={"shop_id": "S2"}, headers=web.as_role("admin"))
    token = badge.json()["token"]
    for role in ("public", "regulator"):
        for url in (
            "/api/v1/subjects?q=贸易",
            "/api/v1/subjects/M1",
            "/api/v1/subjects/M2/records",
            "/api/v1/subjects/M2/ratings",
            "/api/v1/subjects/M1/lists",
            f"/api/v1/reports/{number}.pdf",
            f"/api/v1/reports/{number}.json",
            f"/api/v1/reports/{number}/verification",
            f"/api/v1/badges/verification?token={token}",
            "/api/v1/bulletins",
            "/",
            "/search?q=张记",
            "/subjects/M2",
            "/subjects/M2/ratings",
            f"/reports/{number}",
            f"/verify/{number}",
            f"/badge/{token}",
            f"/badge/{token}.svg",
        ):
            get(web, role, url)
    assert entries(web)[before:] == []
    get(web, "regulator", "/api/v1/subjects/C1/records")
    assert [e["target"] for e in entries(web)[before:]] == ["records"]


def test_a_purpose_the_role_may_not_state_is_refused_and_registered(web: Web) -> None:
    """Refused attempts on a subject's file are registered too, with the rule that refused
    them, so 查询使用审查 sees who tried: another subject's archive as well as a purpose the
    role may not state."""
    before = len(entries(web))
    headers = web.as_role("agency") | {PURPOSE_HEADER: "statutory_duty"}
    refused = web.client.get("/api/v1/subjects/M1/archive", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/purpose"
    other = web.client.get("/api/v1/subjects/M2/archive", headers=web.as_role("subject"))
    assert other.status_code == 403
    assert other.json()["messages"]["en"] == "a subject may query only itself"
    logged = entries(web)[before:]
    assert [(e["actor"], e["subject_id"], e["purpose"], e["authorisation"]) for e in logged] == [
        ("test-agency", "M1", "statutory_duty", "denied"),
        ("test-subject", "M2", "self_query", "denied"),
    ]
    assert logged[1]["detail"] == {
        "request": "GET /api/v1/subjects/M2/archive",
        "refused": "信用主体只能查询本人信息 / a subject may query only itself",
    }


def test_the_chain_verifies_after_web_reads(db_url: str, web: Web) -> None:
    for role in ("regulator", "agency", "subject"):
        get(web, role, "/api/v1/subjects/M1/archive")
    get(web, "regulator", f"/api/v1/trace/products/{world.GTIN_SHIRT}")
    verdict = verify(web.engine)
    assert verdict.ok and verdict.checked == len(entries(web)) >= 4
    code, output = cli_verify(db_url)
    assert code == 0, output
