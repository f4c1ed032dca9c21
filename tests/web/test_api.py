"""The REST API: search, profile, records, ratings, problem details, authentication."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecredit.privacy.keys import KeyRing
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.app import create_app
from tests.web import world
from tests.web.conftest import PASSWORD, Web, ingest_world, web_settings

PROBLEM = "application/problem+json"


def test_search_by_name_shop_and_uscc(web: Web) -> None:
    by_name = web.client.get("/api/v1/subjects", params={"q": "贸易"}).json()
    assert [s["subject_id"] for s in by_name] == ["M1"]
    by_shop = web.client.get("/api/v1/subjects", params={"q": "张记"}).json()
    assert by_shop[0]["subject_id"] == "M2" and by_shop[0]["matched_shop"] == "张记小店"
    assert by_shop[0]["name"] == "张**"
    uscc = world.SUBJECTS[2]["uscc"]
    assert web.client.get("/api/v1/subjects", params={"q": uscc}).json()[0]["subject_id"] == "M1"


def test_persons_are_found_only_through_shops(web: Web) -> None:
    assert web.client.get("/api/v1/subjects", params={"q": "张某某"}).json() == []
    assert web.client.get("/api/v1/subjects", params={"q": "买家"}).json() == []


def test_profile_shows_records_within_their_display_period(web: Web) -> None:
    profile = web.client.get("/api/v1/subjects/M1").json()
    assert {r["record_id"] for r in profile["records"]} == world.SHOWN
    assert profile["verification"]["verified"] is True
    assert [r["record_id"] for r in profile["verification"]["licences"]] == ["RC2"]
    assert [r["record_id"] for r in profile["commitments"]] == ["RC6"]
    assert [s["shop_id"] for s in profile["shops"]] == ["S1"]
    fine = next(r for r in profile["records"] if r["record_id"] == "RC3")
    assert fine["type_name"] == {"zh": "罚款", "en": "Fine"} and fine["display_ends_on"]


def test_person_merchant_profile_is_masked(web: Web) -> None:
    profile = web.client.get("/api/v1/subjects/M2").json()
    assert profile["subject"]["name"] == "张**"
    assert profile["ric_masked"] == world.PERSON_RIC[:3] + "*" * 11 + world.PERSON_RIC[-4:]


def test_consumers_are_not_public(web: Web) -> None:
    response = web.client.get("/api/v1/subjects/C1")
    assert response.status_code == 404
    own = web.client.get("/api/v1/subjects/C1", headers=web.as_role("regulator"))
    assert own.status_code == 200


def test_ratings_summary_counts_buyer_ratings(web: Web) -> None:
    summary = web.client.get("/api/v1/subjects/M1/ratings").json()
    assert summary["counts"]["good"] == 2 and summary["counts"]["bad"] == 1
    assert all(d["count"] == 3 and d["average"] is None for d in summary["dsr"])


def test_errors_are_problem_details_in_both_languages(web: Web) -> None:
    missing = web.client.get("/api/v1/subjects/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    body = missing.json()
    assert body["type"] == "/problems/not-found" and body["status"] == 404
    assert set(body["messages"]) == {"zh-CN", "en"} and "NOPE" in body["messages"]["en"]
    english = web.client.get("/api/v1/subjects/NOPE", headers={"Accept-Language": "en"})
    assert english.json()["detail"] == body["messages"]["en"]
    invalid = web.client.get("/api/v1/subjects", params={"q": ""})
    assert invalid.status_code == 422 and invalid.headers["content-type"] == PROBLEM
    assert invalid.json()["errors"][0]["loc"] == ["query", "q"]
    unknown = web.client.get("/api/v1/nowhere")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


def test_every_api_route_declares_its_responses(web: Web) -> None:
    spec = web.client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
            assert errors, f"{method.upper()} {path} declares no error responses"
            for code in errors:
                content = operation["responses"][code]["content"]
                assert PROBLEM in content, f"{method.upper()} {path} {code}"


def test_docs_are_served_without_a_cdn(web: Web) -> None:
    docs = web.client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui-bundle" in docs.text
    assert "cdn." not in docs.text


def test_login_gives_a_bearer_token(web: Web) -> None:
    token = web.client.post(
        "/api/v1/auth/token", data={"username": "test-regulator", "password": PASSWORD}
    )
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = web.client.get("/api/v1/auth/me", headers=headers).json()
    assert me["role"] == "regulator" and me["role_name"]["zh-CN"] == "监管部门"
    wrong = web.client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    assert wrong.status_code == 401


def test_invalid_credentials_are_refused_not_downgraded(web: Web) -> None:
    bad_key = web.client.get("/api/v1/subjects/M1", headers={"X-API-Key": "abc.def"})
    assert bad_key.status_code == 401
    bad_token = web.client.get("/api/v1/subjects/M1", headers={"Authorization": "Bearer x.y.z"})
    assert bad_token.status_code == 401


def test_public_calls_are_rate_limited(engine: sa.Engine, keys: KeyRing, tmp_path: Path) -> None:
    ingest_world(engine, keys, tmp_path / "world")
    app = create_app(engine, keys, web_settings(tmp_path, rate="3/minute"))
    with TestClient(app) as client:
        codes = [client.get("/api/v1/subjects/M1").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/subjects/M1")
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("role", ["regulator", "admin"])
def test_public_keys_and_accounts(web: Web, role: str) -> None:
    assert web.client.get("/api/v1/keys").json()["algorithm"] == "Ed25519"
    users = web.client.get("/api/v1/users", headers=web.as_role(role))
    assert users.status_code == (200 if role == "admin" else 403)


def test_public_profiles_are_cached_accounts_read_fresh(web: Web) -> None:
    records = KIND_TABLES["records"]
    before = web.client.get("/api/v1/subjects/M1").json()
    with web.engine.begin() as conn:
        conn.execute(records.update().where(records.c.record_id == "RC3").values(summary="新摘要"))
    assert web.client.get("/api/v1/subjects/M1").json() == before
    fresh = web.client.get("/api/v1/subjects/M1", headers=web.as_role("regulator")).json()
    assert next(r for r in fresh["records"] if r["record_id"] == "RC3")["summary"] == "新摘要"
