"""Portal pages: Chinese by default, English on request, htmx partials, complaint form."""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.storage.tables import KIND_TABLES
from tests.web.conftest import PASSWORD, Web


def test_chinese_by_default_and_english_on_request(web: Web) -> None:
    home = web.client.get("/")
    assert '<html lang="zh-CN">' in home.text and "信用信息公示与查询" in home.text
    english = web.client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Credit disclosure and lookup" in english.text
    assert english.cookies.get("lang") == "en"
    assert "Credit disclosure and lookup" in web.client.get("/").text  # the cookie remembers


def test_search_partial_for_htmx(web: Web) -> None:
    partial = web.client.get("/search", params={"q": "张记"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "/subjects/M2" in partial.text
    full = web.client.get("/search", params={"q": "张记"})
    assert "<html" in full.text and "/subjects/M2" in full.text


def test_subject_page(web: Web) -> None:
    page = web.client.get("/subjects/M1")
    assert "已实名认证" in page.text and "罚款" in page.text and "承诺诚信经营" in page.text
    assert "多年前的刷单记录" not in page.text and "图物不符" not in page.text
    ratings = web.client.get("/subjects/M1/ratings")
    assert "好评" in ratings.text and "<html" not in ratings.text


def test_report_from_the_subject_page(web: Web) -> None:
    issued = web.client.post(
        "/subjects/M1/report", data={"scope": "public"}, follow_redirects=False
    )
    assert issued.status_code == 303
    page = web.client.get(issued.headers["location"])
    assert 'id="download-pdf"' in page.text and "data:image/svg+xml" in page.text


def test_complaint_form(web: Web) -> None:
    form = web.client.get("/complaints/new", params={"target": "M1", "shop": "S1"})
    assert 'value="S1" selected' in form.text
    filed = web.client.post(
        "/complaints/new",
        data={"target_id": "M1", "shop_id": "S1", "category": "quality", "text": "衣服起球严重"},
    )
    assert filed.status_code == 201 and 'id="complaint-filed"' in filed.text
    complaints = KIND_TABLES["complaints"]
    with web.engine.connect() as conn:
        channels = (
            conn.execute(sa.select(complaints.c.channel).where(complaints.c.text == "衣服起球严重"))
            .scalars()
            .all()
        )
    assert channels == ["12315"]
    refused = web.client.post(
        "/complaints/new",
        data={"target_id": "M1", "shop_id": "S2", "category": "quality", "text": "张冠李戴的网店"},
    )
    assert refused.status_code == 422 and "网店不属于被投诉主体" in refused.text


def test_login_sets_a_session_for_the_console(web: Web) -> None:
    response = web.client.post(
        "/login",
        data={"username": "test-regulator", "password": PASSWORD, "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    assert web.client.get("/console").status_code == 200
    web.client.post("/logout")
    assert web.client.get("/console", follow_redirects=False).status_code == 303


def test_login_refuses_foreign_redirects(web: Web) -> None:
    response = web.client.post(
        "/login",
        data={"username": "test-regulator", "password": PASSWORD, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_subject_sees_its_full_archive(web: Web) -> None:
    page = web.client.get("/archive/M1", headers=web.as_role("subject"))
    assert page.status_code == 200 and "多年前的刷单记录" not in page.text
    assert "RC5" in page.text and "Q1" in page.text
    assert web.client.get("/archive/M2", headers=web.as_role("subject")).status_code == 403


def test_error_pages_are_html(web: Web) -> None:
    missing = web.client.get("/subjects/NOPE")
    assert missing.status_code == 404 and "<html" in missing.text and "NOPE" in missing.text
