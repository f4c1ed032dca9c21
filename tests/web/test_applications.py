"""Objections and repair applications by the subject itself, through the API and its archive."""

from __future__ import annotations

from tests.web.conftest import Web

OBJECTION = {"record_id": "RC3", "grounds": "error_or_omission", "text": "罚款金额登记有误"}


def test_subject_objects_to_its_record(web: Web) -> None:
    subject = web.as_role("subject")
    filed = web.client.post("/api/v1/objections", json=OBJECTION, headers=subject)
    assert filed.status_code == 201, filed.text
    assert filed.json()["state"] == "filed" and filed.json()["answer_by"]
    shown = web.client.get("/api/v1/subjects/M1", headers=subject).json()["records"]
    assert next(r for r in shown if r["record_id"] == "RC3")["status"] == "disputed"
    assert "异议处理中" in web.client.get("/subjects/M1").text


def test_objections_only_on_own_records(web: Web) -> None:
    other = {**OBJECTION, "record_id": "RC7"}
    response = web.client.post("/api/v1/objections", json=other, headers=web.as_role("subject"))
    assert response.status_code == 403
    bad = {**OBJECTION, "grounds": "dislike"}
    response = web.client.post("/api/v1/objections", json=bad, headers=web.as_role("subject"))
    assert response.status_code == 422 and response.json()["type"] == "/problems/unknown-grounds"


def test_repair_application_lists_unmet_conditions(web: Web) -> None:
    form = {
        "record_id": "RC3",
        "obligations_fulfilled": False,
        "evidence": "罚款已缴清，附缴款凭证",
    }
    response = web.client.post("/api/v1/repairs", json=form, headers=web.as_role("subject"))
    assert response.status_code == 201, response.text
    unmet = response.json()["unmet"]
    assert unmet and all(set(u) == {"zh", "en"} for u in unmet)


def test_archive_forms(web: Web) -> None:
    subject = web.as_role("subject")
    page = web.client.get("/archive/M1", headers=subject)
    assert 'action="/archive/M1/objections"' in page.text
    filed = web.client.post(
        "/archive/M1/objections",
        data={"record_id": "RC3", "grounds": "error_or_omission", "text": "罚款金额登记有误"},
        headers=subject,
    )
    assert filed.status_code == 201 and 'id="objection-filed"' in filed.text
    repair = web.client.post(
        "/archive/M1/repairs",
        data={"record_id": "RC3", "evidence": "罚款已缴清，附缴款凭证"},
        headers=subject,
    )
    assert repair.status_code == 201 and 'id="repair-filed"' in repair.text
    foreign = web.client.post(
        "/archive/M1/repairs",
        data={"record_id": "RC7", "evidence": "不是我的记录"},
        headers=subject,
    )
    assert foreign.status_code == 422 and 'id="application-error"' in foreign.text
    regulator = web.client.get("/archive/M1", headers=web.as_role("regulator"))
    assert 'action="/archive/M1/objections"' not in regulator.text
