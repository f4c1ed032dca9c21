"""Credit reports: issued as PDF plus signed JSON twin, verified, and caught when tampered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecredit.storage.tables import KIND_TABLES
from ecredit.storage.web import issued_report
from ecredit.web.signing import b64url, canonical_json
from tests.web.conftest import Web


def issue(web: Web, subject: str = "M1", scope: str = "public", role: str = "public") -> str:
    response = web.client.post(
        "/api/v1/reports", json={"subject_id": subject, "scope": scope}, headers=web.as_role(role)
    )
    assert response.status_code == 201, response.text
    return response.json()["report_no"]


def check(web: Web, name: str, data: bytes) -> dict:
    response = web.client.post("/api/v1/reports/verification", files={"file": (name, data)})
    assert response.status_code == 200
    return response.json()


def test_report_documents_carry_number_and_qr_target(web: Web) -> None:
    number = issue(web)
    pdf = web.client.get(f"/api/v1/reports/{number}.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    twin = web.client.get(f"/api/v1/reports/{number}.json").json()
    assert twin["report"]["report_no"] == number
    assert twin["report"]["verify_url"] == f"http://testserver/verify/{number}"
    assert twin["signature"]["alg"] == "Ed25519"
    assert {r["record_id"] for r in twin["content"]["records"]} == {"RC1", "RC2", "RC3", "RC6"}


def test_genuine_report_verifies_as_current(web: Web) -> None:
    number = issue(web)
    status = web.client.get(f"/api/v1/reports/{number}/verification").json()
    assert status["verdict"] == "genuine_current" and status["current"]
    pdf = web.client.get(f"/api/v1/reports/{number}.pdf").content
    assert check(web, "r.pdf", pdf)["verdict"] == "genuine_current"
    twin = web.client.get(f"/api/v1/reports/{number}.json").content
    assert check(web, "r.json", twin)["verdict"] == "genuine_current"
    reformatted = json.dumps(json.loads(twin), ensure_ascii=True).encode()
    assert check(web, "r.json", reformatted)["verdict"] == "genuine_current"


def test_tampered_documents_fail(web: Web) -> None:
    number = issue(web)
    pdf = web.client.get(f"/api/v1/reports/{number}.pdf").content
    middle = len(pdf) // 2
    tampered_pdf = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :]
    assert check(web, "r.pdf", tampered_pdf)["verdict"] == "unknown"
    page = web.client.post(f"/verify/{number}", files={"file": ("r.pdf", tampered_pdf)})
    assert 'data-verdict="altered"' in page.text
    twin = web.client.get(f"/api/v1/reports/{number}.json").json()
    twin["content"]["records"] = twin["content"]["records"][1:]
    assert check(web, "r.json", json.dumps(twin).encode())["verdict"] == "altered"


def test_forged_report_fails(web: Web) -> None:
    number = issue(web)
    twin = web.client.get(f"/api/v1/reports/{number}.json").json()
    unsigned = {k: v for k, v in twin.items() if k != "signature"}
    unsigned["report"]["report_no"] = "CR20990101FFFFFFFF"
    forger = Ed25519PrivateKey.generate()
    forged = {
        **unsigned,
        "signature": {
            "alg": "Ed25519",
            "kid": twin["signature"]["kid"],
            "value": b64url(forger.sign(canonical_json(unsigned))),
        },
    }
    assert check(web, "f.json", json.dumps(forged).encode())["verdict"] == "forged"
    assert check(web, "junk.json", b"{not json")["verdict"] == "forged"
    unknown = web.client.get("/api/v1/reports/CR20990101FFFFFFFF/verification").json()
    assert unknown["verdict"] == "unknown" and not unknown["genuine"]


def test_report_goes_out_of_date_and_expires(web: Web) -> None:
    number = issue(web)
    records = KIND_TABLES["records"]
    with web.engine.begin() as conn:
        conn.execute(
            records.update().where(records.c.record_id == "RC3").values(summary="更正后的摘要")
        )
    status = web.client.get(f"/api/v1/reports/{number}/verification").json()
    assert status["verdict"] == "genuine_outdated" and status["genuine"] and not status["current"]
    with web.engine.begin() as conn:
        conn.execute(
            issued_report.update()
            .where(issued_report.c.report_no == number)
            .values(valid_until=datetime.now(UTC) - timedelta(days=1))
        )
    assert web.client.get(f"/api/v1/reports/{number}/verification").json()["verdict"] == "expired"


def test_full_reports_need_entitlement(web: Web) -> None:
    full = {"subject_id": "M1", "scope": "full"}
    assert web.client.post("/api/v1/reports", json=full).status_code == 401
    other = {"subject_id": "M2", "scope": "full"}
    assert (
        web.client.post("/api/v1/reports", json=other, headers=web.as_role("subject")).status_code
        == 403
    )
    number = issue(web, "M1", "full", "subject")
    assert web.client.get(f"/api/v1/reports/{number}.json").status_code == 401
    twin = web.client.get(f"/api/v1/reports/{number}.json", headers=web.as_role("regulator"))
    assert {r["record_id"] for r in twin.json()["content"]["records"]} >= {"RC4", "RC5"}
    status = web.client.get(f"/api/v1/reports/{number}/verification").json()
    assert status["verdict"] == "genuine_current" and status["scope"] == "full"


def test_issued_reports_are_registered(web: Web) -> None:
    number = issue(web)
    with web.engine.connect() as conn:
        row = conn.execute(
            sa.select(issued_report).where(issued_report.c.report_no == number)
        ).one()
    assert row.issued_to == "public" and row.document_pdf.startswith(b"%PDF")
