"""Role × endpoint matrix: every guarded API route refuses every role it does not list, and
every API route has a guard at all (so none is public by accident)."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from ecredit.web.api import PREFIX, ROUTERS
from ecredit.web.security import Allow, Open, Role
from tests.web import world
from tests.web.conftest import Web

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
