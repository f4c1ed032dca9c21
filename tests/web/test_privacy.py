"""Public output never carries an unmasked citizen ID number or personal phone number.

The walk covers every public API route (read from the route guards, so a new public route is
walked or the test fails) and every public page, on a world with a person merchant and a
consumer whose identifiers are known.
"""

from __future__ import annotations

import json
import re

from fastapi.routing import APIRoute
from stdnum.cn import ric

from ecredit.web.api import PREFIX, ROUTERS
from ecredit.web.capabilities import Capabilities
from ecredit.web.security import Open
from ecredit.web.snapshots import take
from tests.web import world
from tests.web.conftest import Web

RIC_LIKE = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def leaks(text: str) -> list[str]:
    found = [s for s in world.SECRETS if s in text]
    found += [m for m in RIC_LIKE.findall(text) if ric.is_valid(m)]
    return found + MOBILE_LIKE.findall(text)


def public_routes() -> set[str]:
    return {
        f"{method} {PREFIX}{r.path}"
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute)
        and any(isinstance(d.call, Open) for d in r.dependant.dependencies)
        for method in r.methods
    }


def test_no_public_output_reveals_personal_identifiers(web: Web) -> None:
    client = web.client
    walked: dict[str, str] = {}

    def visit(method: str, template: str, url: str, **kwargs: object) -> str:
        response = client.request(method, url, **kwargs)
        assert response.status_code in (200, 201, 401, 404, 501), f"{method} {url}"
        text = response.text if "pdf" not in response.headers.get("content-type", "") else ""
        walked[f"{method} {template}"] = url
        assert leaks(text) == [], f"{method} {url} leaks {leaks(text)}"
        return text

    badge = client.post("/api/v1/badges", json={"shop_id": "S2"}, headers=web.as_role("admin"))
    token = badge.json()["token"]
    take(web.engine, "2026-10", Capabilities(web.engine))
    api = PREFIX
    visit("POST", f"{api}/auth/token", f"{api}/auth/token", data={"username": "x", "password": "y"})
    for q in ("张记", "贸易", "某", world.SUBJECTS[2]["uscc"]):
        visit("GET", f"{api}/subjects", f"{api}/subjects", params={"q": q})
    for subject in ("M1", "M2", "C1", "P1", "L1", "A1"):
        for suffix, template in (
            ("", ""),
            ("/records", "/records"),
            ("/ratings", "/ratings"),
            ("/evaluation", "/evaluation"),
            ("/lists", "/lists"),
            ("/measures", "/measures"),
            ("/notices", "/notices"),
        ):
            visit(
                "GET",
                f"{api}/subjects/{{subject_id}}{template}",
                f"{api}/subjects/{subject}{suffix}",
            )
    issued = json.loads(
        visit("POST", f"{api}/reports", f"{api}/reports", json={"subject_id": "M2"})
    )
    number = issued["report_no"]
    for suffix in (".pdf", ".json", "/verification"):
        visit("GET", f"{api}/reports/{{report_no}}{suffix}", f"{api}/reports/{number}{suffix}")
    twin = client.get(f"{api}/reports/{number}.json").content
    visit(
        "POST",
        f"{api}/reports/verification",
        f"{api}/reports/verification",
        files={"file": ("r.json", twin, "application/json")},
    )
    visit(
        "GET", f"{api}/badges/verification", f"{api}/badges/verification", params={"token": token}
    )
    visit(
        "POST",
        f"{api}/complaints",
        f"{api}/complaints",
        json={"target_id": "M2", "category": "quality", "text": "月饼发霉了，要求退款"},
    )
    visit("GET", f"{api}/bulletins", f"{api}/bulletins")
    visit("GET", f"{api}/bulletins/{{month}}", f"{api}/bulletins/2026-10")
    visit("GET", f"{api}/keys", f"{api}/keys")
    assert public_routes() <= set(walked), public_routes() - set(walked)

    for url in (
        "/",
        "/search?q=张记",
        "/search?q=某",
        "/subjects/M1",
        "/subjects/M2",
        "/subjects/M2/ratings",
        f"/reports/{number}",
        f"/verify/{number}",
        f"/badge/{token}",
        f"/badge/{token}.svg",
        "/complaints/new?target=M2",
        "/bulletins",
        "/bulletins/2026-10",
        "/login",
        "/docs",
        "/api/v1/openapi.json",
    ):
        visit("GET", url, url)
