"""Credit reports: issued as PDF plus signed JSON twin, verified, and caught when tampered."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecredit.storage.tables import KIND_TABLES
from ecredit.storage.web import issued_report
from ecredit.web.accounts import create_api_key, create_user
from ecredit.web.signing import b64url, canonical_json
from tests.web.conftest import PASSWORD, Web
from tests.web.test_access_log import entries


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


def _as_if_issued_without(web: Web, number: str, field: str) -> None:
    """Rewrite the registered report as one issued before the profile had `field`."""
    with web.engine.begin() as conn:
        stored = conn.execute(
            sa.select(issued_report.c.document_json).where(issued_report.c.report_no == number)
        ).scalar_one()
        document = json.loads(stored)
        del document["content"][field]
        digest = hashlib.sha256(canonical_json(document["content"])).hexdigest()
        conn.execute(
            issued_report.update()
            .where(issued_report.c.report_no == number)
            .values(document_json=json.dumps(document), content_sha256=digest)
        )


def test_a_field_the_profile_gained_since_issue_does_not_outdate_a_report(web: Web) -> None:
    """An upgrade that adds an empty field leaves older reports current; a new field that
    holds something is news the report lacks."""
    number = issue(web)
    verdict = f"/api/v1/reports/{number}/verification"
    _as_if_issued_without(web, number, "peer_evaluations")  # empty for M1
    assert web.client.get(verdict).json()["verdict"] == "genuine_current"
    _as_if_issued_without(web, number, "shops")  # M1 has shops
    assert web.client.get(verdict).json()["verdict"] == "genuine_outdated"


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


def consumer(web: Web) -> dict[str, str]:
    """C1's own account: a consumer, a private person the public never sees."""
    create_user(web.engine, "test-consumer", PASSWORD, "subject", "C1")
    return {"X-API-Key": create_api_key(web.engine, "test-consumer", "tests")}


def report_entries(web: Web, before: int) -> list[tuple[str, str, str, str]]:
    return [
        (e["actor"], e["target"], e["subject_id"], e["authorisation"])
        for e in entries(web)[before:]
    ]


def test_no_public_report_on_a_private_person(web: Web) -> None:
    """Anyone holding a public report's number may download it unregistered, so one on a
    consumer would disclose a person the platform never discloses: refused to every account,
    the person included, and the attempt registered. A full report stays possible for those
    `authorise` lets read the person's archive."""
    own = consumer(web)
    public = {"subject_id": "C1", "scope": "public"}
    assert web.client.post("/api/v1/reports", json=public).status_code == 404
    before = len(entries(web))
    for headers in (web.as_role("regulator"), own):
        refused = web.client.post("/api/v1/reports", json=public, headers=headers)
        assert refused.status_code == 403, refused.text
        assert "private person" in refused.json()["messages"]["en"]
    portal = web.client.post(
        "/subjects/C1/report",
        data={"scope": "public"},
        headers=web.as_role("regulator"),
        follow_redirects=False,
    )
    assert portal.status_code == 403
    assert report_entries(web, before) == [
        ("test-regulator", "report.public", "C1", "denied"),
        ("test-consumer", "report.public", "C1", "denied"),
        ("test-regulator", "report.public", "C1", "denied"),
    ]
    page = web.client.get("/subjects/C1", headers=web.as_role("regulator")).text
    assert 'id="issue-report"' not in page and "/complaints/new" not in page
    assert 'id="issue-report"' in web.client.get("/subjects/M2").text
    issue(web, "C1", "full", "regulator")
    agency = {"subject_id": "C1", "scope": "full"}
    refused = web.client.post("/api/v1/reports", json=agency, headers=web.as_role("agency"))
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/consent"


def test_every_download_of_a_report_on_a_private_person_is_a_registered_read(web: Web) -> None:
    """Also a public-scope one issued before they were refused: its download is authorised
    like the person's archive and registered, not served to anyone with the number."""
    own = consumer(web)
    number = issue(web, "C1", "full", "regulator")
    with web.engine.begin() as conn:
        conn.execute(
            issued_report.update().where(issued_report.c.report_no == number).values(scope="public")
        )
    for url in (f"/api/v1/reports/{number}.pdf", f"/api/v1/reports/{number}.json"):
        assert web.client.get(url).status_code == 401
    assert web.client.get(f"/reports/{number}").status_code == 401
    before = len(entries(web))
    for headers in (web.as_role("regulator"), own, web.as_role("agency")):
        web.client.get(f"/api/v1/reports/{number}.pdf", headers=headers)
    assert web.client.get(f"/api/v1/reports/{number}.json", headers=own).status_code == 200
    assert report_entries(web, before) == [
        ("test-regulator", "report.public", "C1", "role:regulator/statutory_duty"),
        ("test-consumer", "report.public", "C1", "self"),
        ("test-agency", "report.public", "C1", "denied"),
        ("test-consumer", "report.public", "C1", "self"),
    ]
    verified = web.client.get(f"/api/v1/reports/{number}/verification").json()
    assert verified["genuine"] and verified["subject_name"] == "买**"
