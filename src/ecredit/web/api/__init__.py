"""The REST API, `/api/v1`: one router per capability."""

from fastapi import APIRouter

from ecredit.web.api import (
    applications,
    auth,
    badges,
    buyers,
    complaints,
    governance,
    ingest,
    reports,
    statistics,
    subjects,
    trace,
    users,
)

PREFIX = "/api/v1"
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        auth,
        subjects,
        governance,
        applications,
        reports,
        badges,
        complaints,
        statistics,
        trace,
        buyers,
        ingest,
        users,
    )
)
"""Each capability's router; a new capability adds its module here."""

router = APIRouter(prefix=PREFIX)
for capability in ROUTERS:
    router.include_router(capability)
