"""The regulator console (监管控制台): statistics dashboard with drill-down and export, work
queues; and the published monthly bulletins, which are public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from ecredit.web import bulletin, documents, snapshots
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Caller, Conn, Ctx
from ecredit.web.api.statistics import MONTH, indicator_named
from ecredit.web.i18n import language
from ecredit.web.pages.render import page, require_page
from ecredit.web.problems import not_found
from ecredit.web.queries import complaints, governance, statistics
from ecredit.web.security import Role, open_to_all

router = APIRouter(include_in_schema=False, dependencies=[Depends(open_to_all)])
REGULATORS = (Role.REGULATOR, Role.ADMIN)
OVER_TIME = frozenset({"grade_distribution"})
"""Stocks whose change over time is the point; flows are always shown month by month."""


@router.get("/console", response_class=HTMLResponse)
def dashboard(request: Request, conn: Conn, ctx: Ctx, caller: Caller) -> HTMLResponse:
    require_page(caller, *REGULATORS)
    indicators = statistics.available(ctx.capabilities)
    return page(
        request,
        "console.html",
        caller,
        indicators=indicators,
        over_time={i.name for i in indicators if i.flow or i.name in OVER_TIME},
        latest_month=statistics.latest_month(conn),
        missing=[name for name, on in ctx.capabilities.snapshot().items() if not on],
    )


@router.get("/console/drill", response_class=HTMLResponse)
def drill(
    request: Request,
    conn: Conn,
    ctx: Ctx,
    caller: Caller,
    audit: Audit,
    indicator: Annotated[str, Query(max_length=64)],
    key: Annotated[str, Query(max_length=200)],
    month: Annotated[str, Query(pattern=MONTH)],
) -> HTMLResponse:
    require_page(caller, *REGULATORS)
    found = indicator_named(ctx, indicator)
    rows = statistics.drill(conn, found, key, month)
    audit.read("statistics.drill")
    return page(
        request,
        "console_drill.html",
        caller,
        indicator=found,
        key=key,
        label=statistics.dimension_label(indicator, key),
        month=month,
        rows=rows,
    )


@router.get("/console/queues", response_class=HTMLResponse)
def queues(
    request: Request,
    conn: Conn,
    ctx: Ctx,
    caller: Caller,
    audit: Audit,
    workflow: Annotated[str, Query(max_length=32)] = "detection_case",
) -> HTMLResponse:
    require_page(caller, *REGULATORS)
    if workflow not in governance.QUEUES:
        raise not_found("工作队列", "queue", workflow)
    audit.read(f"queue.{workflow}")
    installed = ctx.capabilities.has("governance")
    return page(
        request,
        "console_queues.html",
        caller,
        queues=governance.QUEUES,
        workflow=workflow,
        items=governance.queue(conn, workflow) if installed else [],
        installed=installed,
        unhandled=complaints.unhandled(conn) if workflow == "complaint" else [],
    )


@router.get("/bulletins", response_class=HTMLResponse)
def bulletins(request: Request, conn: Conn, caller: Caller) -> HTMLResponse:
    return page(request, "bulletins.html", caller, months=snapshots.months(conn))


def _published(conn: Conn, month: str) -> None:
    if not snapshots.stored(conn, month):
        raise not_found("统计公报", "bulletin", month)


@router.get("/bulletins/{month}.pdf")
def bulletin_pdf(month: Annotated[str, Path(pattern=MONTH)], conn: Conn) -> Response:
    _published(conn, month)
    return Response(
        documents.pdf(bulletin.html(conn, month, for_print=True)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bulletin-{month}.pdf"'},
    )


@router.get("/bulletins/{month}", response_class=HTMLResponse)
def bulletin_page(
    request: Request, month: Annotated[str, Path(pattern=MONTH)], conn: Conn
) -> HTMLResponse:
    _published(conn, month)
    return HTMLResponse(bulletin.html(conn, month, language(request)))
