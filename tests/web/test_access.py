"""Role × endpoint matrix: every guarded API route refuses every role it does not list, and
every API route has a guard at all (so none is public by accident). Within the roles a route
lets in, reads of one subject's non-public information follow `policy/privacy.yaml` through
`privacy.access.authorise`: role × subject × consent matrix below."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from ecredit.audit.log import Actor
from ecredit.privacy.consent import grant_consent, withdraw_consent
from ecredit.web.access_log import PURPOSE_HEADER
from ecredit.web.api import PREFIX, ROUTERS
from ecredit.web.security import Allow, Open, Role
from tests.web import world
from tests.web.conftest import Web
from tests.web.test_access_log import entries
from tests.web.test_buyer_credit import stored
from tests.web.test_reports import consumer

PATH_VALUES = {
    "subject_id": "M1",
    "report_no": "CR20260101DEADBEEF",
    "order_id": "O1",
    "gtin": world.GTIN_SHIRT,
    "kind": "orders",
    "indicator": "subjects_by_type",
    "workflow": "objection",
    "username": "test-subject",
    "month": "2026-10",
    "buyer_id": "C1",
}


def guard(route: APIRoute) -> Allow | Open | None:
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Allow | Open):
            return dependency.call
    return None


def api_routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def concrete(path: str) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def test_every_api_route_has_a_guard() -> None:
    unguarded = [f"{r.methods} {r.path}" for r in api_routes() if guard(r) is None]
    assert unguarded == []


def test_roles_not_listed_are_refused(web: Web) -> None:
    checked = 0
    for route in api_routes():
        allowed = guard(route).roles
        for method in route.methods:
            for role in Role:
                response = web.client.request(
                    method, concrete(route.path), headers=web.as_role(role.value)
                )
                where = f"{method} {route.path} as {role.value}: {response.status_code}"
                if role in allowed:
                    assert response.status_code != 401, where
                    continue
                expected = 401 if role is Role.PUBLIC else 403
                assert response.status_code == expected, where
                checked += 1
    assert checked > 40


def test_object_level_rules(web: Web) -> None:
    """Within an allowed role, a subject reaches only its own archive and orders, a platform
    only its own shops."""
    subject, platform = web.as_role("subject"), web.as_role("platform")
    assert web.client.get("/api/v1/subjects/M1/archive", headers=subject).status_code == 200
    assert web.client.get("/api/v1/subjects/M2/archive", headers=subject).status_code == 403
    assert web.client.get("/api/v1/trace/orders/O1", headers=subject).status_code == 200
    assert web.client.get("/api/v1/trace/orders/O4", headers=subject).status_code == 403
    assert web.client.get("/api/v1/trace/orders/O4", headers=platform).status_code == 403
    assert (
        web.client.post("/api/v1/badges", json={"shop_id": "S2"}, headers=platform).status_code
        == 403
    )
    agency = web.as_role("agency")
    assert web.client.get("/api/v1/subjects/M1/archive", headers=agency).status_code == 200
    assert web.client.get("/api/v1/subjects/M2/archive", headers=agency).status_code == 403


ARCHIVE, PROFILE = "/api/v1/subjects/{}/archive", "/api/v1/subjects/{}"
TRAIL, POINTS = "/api/v1/trace/orders/{}", "/api/v1/buyers/{}/credit"
READ_ROLES = ("public", "subject", "consumer", "platform", "agency", "regulator", "admin")
"""`subject` is M1's account (an organisation, the merchant of shop S1 on platform P1),
`consumer` C1's (a private person, the buyer of every order), `platform` P1's."""
SUBJECT_READS: dict[tuple[str, str], tuple[int, ...]] = {
    # statuses in READ_ROLES order, without any consent on record
    (ARCHIVE, "M1"): (401, 200, 403, 403, 200, 200, 200),
    (ARCHIVE, "M2"): (401, 403, 403, 403, 403, 200, 403),
    (ARCHIVE, "C1"): (401, 403, 200, 403, 403, 200, 403),
    (PROFILE, "C1"): (404, 403, 200, 403, 403, 200, 403),
    (TRAIL, "O1"): (401, 200, 200, 200, 403, 200, 403),
    (TRAIL, "O4"): (401, 403, 200, 403, 403, 200, 403),
    (POINTS, "C1"): (401, 403, 200, 200, 403, 200, 403),
}
"""Who reads a subject's non-public information, as `policy/privacy.yaml` says through
`privacy.access.authorise`: the subject itself (self_query), regulators (statutory_duty, no
consent needed), anyone else for an organisation if the role may state the purpose, and for
a natural person (M2, C1) only with the person's consent for that purpose (agency:
credit_report, admin: maintenance). Platforms hold no archive route. The public is asked to
log in (401), or told a private person does not exist (404).

A buyer's transaction data is read under the buyer (C1): an order's trail (O1 in M1's shop on
P1, O4 in M2's shop on P2) and the buyer's credit points. Besides the buyer and regulators,
the platform and merchant the order was placed with read it as `own_transaction` (履行合同, no
consent, 个人信息保护法 Art.13(1)2), and `authorise` refuses them other platforms' and shops'
orders (O4). Points are the platform's, not a merchant's (M1 is refused them though C1 bought
from it). An administrator reads a buyer's trail only with the buyer's consent to maintenance,
as its archive; agencies (trail, points) and administrators (points) have no route."""
WITH_CONSENT = {
    (ARCHIVE, "M2"): {"agency": 200, "admin": 200},
    (ARCHIVE, "C1"): {"agency": 200, "admin": 200},
    (PROFILE, "C1"): {"agency": 200, "admin": 200},
    (TRAIL, "O1"): {"admin": 200},
    (TRAIL, "O4"): {"admin": 200},
}
"""The cells a consent opens: agency `test-agency` holds C1's and M2's for credit_report,
admin `test-admin` M2's and C1's for maintenance. Nothing else changes: a consent opens no
route the role lacks (agency trail, admin points) and no other platform's or shop's order."""
CONSENTS = (("M2", "test-agency", "credit_report"), ("C1", "test-agency", "credit_report"))
CONSENTS += (("M2", "test-admin", "maintenance"), ("C1", "test-admin", "maintenance"))


def grant(web: Web, subject: str, grantee: str, purpose: str) -> str:
    """Recorded as `ecredit consents grant` does, by the node's operator."""
    return grant_consent(web.engine, Actor("officer", "admin"), subject, grantee, purpose, "form")


@pytest.mark.parametrize("consented", [False, True], ids=["no-consent", "consent"])
def test_reads_of_a_subject_follow_the_privacy_policy(web: Web, consented: bool) -> None:
    headers = {role: web.as_role(role) for role in READ_ROLES if role != "consumer"}
    headers["consumer"] = consumer(web)
    stored(web)  # C1's credit points
    if consented:
        for consent in CONSENTS:
            grant(web, *consent)
    for (url, subject), statuses in SUBJECT_READS.items():
        opened = WITH_CONSENT.get((url, subject), {}) if consented else {}
        expected = tuple(
            opened.get(role, status) for role, status in zip(READ_ROLES, statuses, strict=True)
        )
        found = tuple(
            web.client.get(url.format(subject), headers=headers[role]).status_code
            for role in READ_ROLES
        )
        assert found == expected, f"{url.format(subject)} as {READ_ROLES}"


def test_refusals_are_bilingual_problems_and_registered(web: Web) -> None:
    before = len(entries(web))
    refused = web.client.get(ARCHIVE.format("M2"), headers=web.as_role("admin"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["type"] == "/problems/consent"
    assert body["messages"] == {
        "zh-CN": "查询自然人信息需要本人授权同意",
        "en": "querying a person needs the person's consent",
    }
    (entry,) = entries(web)[before:]
    assert (entry["actor"], entry["target"], entry["subject_id"], entry["purpose"]) == (
        "test-admin",
        "archive",
        "M2",
        "maintenance",
    )
    assert entry["authorisation"] == "denied"
    assert entry["detail"]["refused"].endswith("querying a person needs the person's consent")


def test_a_consent_is_named_by_the_reads_it_allows_and_ends_with_withdrawal(web: Web) -> None:
    agency = web.as_role("agency")
    consent_id = grant(web, "M2", "test-agency", "credit_report")
    other_grantee = grant(web, "C1", "someone-else", "credit_report")
    assert web.client.get(ARCHIVE.format("C1"), headers=agency).status_code == 403
    assert web.client.get(ARCHIVE.format("M2"), headers=agency).status_code == 200
    assessment = agency | {PURPOSE_HEADER: "credit_assessment"}  # consented to reports only
    assert web.client.get(ARCHIVE.format("M2"), headers=assessment).status_code == 403
    withdraw_consent(web.engine, Actor("officer", "admin"), consent_id)
    assert web.client.get(ARCHIVE.format("M2"), headers=agency).status_code == 403
    logged = [
        (e["subject_id"], e["purpose"], e["authorisation"])
        for e in entries(web)
        if e["action"] == "query"
    ]
    assert logged[-4:] == [
        ("C1", "credit_report", "denied"),
        ("M2", "credit_report", f"consent:{consent_id}"),
        ("M2", "credit_assessment", "denied"),
        ("M2", "credit_report", "denied"),
    ]
    assert f"consent:{other_grantee}" not in {e["authorisation"] for e in entries(web)}


def test_the_portal_offers_the_archive_only_to_those_authorise_would_let_in(web: Web) -> None:
    """The subject page's full-report button and archive link ask the same rule, without
    registering a read; the archive page itself refuses and registers like the API."""
    link = 'href="/archive/M2"'
    assert link in web.client.get("/subjects/M2", headers=web.as_role("regulator")).text
    assert link not in web.client.get("/subjects/M2", headers=web.as_role("agency")).text
    assert web.client.get("/archive/M2", headers=web.as_role("agency")).status_code == 403
    grant(web, "M2", "test-agency", "credit_report")
    assert link in web.client.get("/subjects/M2", headers=web.as_role("agency")).text
    assert web.client.get("/archive/M2", headers=web.as_role("agency")).status_code == 200
