"""The public portal (信用信息公示与查询): search, subject pages, reports, badges, complaints,
and the trace page for the parties to an order. Server-rendered; htmx swaps partials in."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ecredit.web import documents
from ecredit.web import reports as report_documents
from ecredit.web.access_log import Audit, is_public_subject
from ecredit.web.accounts import authenticate
from ecredit.web.api import reports as report_api
from ecredit.web.api.badges import check_token, describe
from ecredit.web.api.complaints import ComplaintForm
from ecredit.web.api.complaints import file as file_complaint
from ecredit.web.api.deps import Caller, Conn, Ctx, entitled_to_archive, visible_subject
from ecredit.web.api.trace import order_for, product_for
from ecredit.web.badges import BadgeStatus
from ecredit.web.i18n import language
from ecredit.web.pages.render import fragment, page, require_page
from ecredit.web.problems import Problem, not_found
from ecredit.web.queries import names, profile, ratings, subjects
from ecredit.web.reports import Scope
from ecredit.web.security import SESSION_COOKIE, Role, open_to_all, session_token

router = APIRouter(include_in_schema=False, dependencies=[Depends(open_to_all)])
TRACE_ROLES = (Role.SUBJECT, Role.PLATFORM, Role.REGULATOR, Role.ADMIN)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, caller: Caller) -> HTMLResponse:
    return page(request, "index.html", caller, query="", hits=None)


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request, conn: Conn, caller: Caller, q: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    hits = subjects.search(conn, q)
    template = "search_results.html" if request.headers.get("hx-request") else "index.html"
    return page(request, template, caller, query=q, hits=hits)


@router.get("/subjects/{subject_id}", response_class=HTMLResponse)
def subject_page(
    request: Request, subject_id: str, conn: Conn, ctx: Ctx, caller: Caller, audit: Audit
) -> HTMLResponse:
    """A private person's page offers no public report and no complaint form: neither exists
    for them (the report would be public to anyone with its number, complaints are about
    subjects that trade)."""
    row = visible_subject(conn, audit, subject_id, "profile")
    return page(
        request,
        "subject.html",
        caller,
        profile=profile.profile(conn, row, ctx.capabilities),
        severities=names.SEVERITIES,
        disclosed=is_public_subject(row),
        full_report_allowed=entitled_to_archive(conn, audit, row),
    )


@router.get("/subjects/{subject_id}/ratings", response_class=HTMLResponse)
def ratings_partial(
    request: Request, subject_id: str, conn: Conn, ctx: Ctx, caller: Caller, audit: Audit
) -> HTMLResponse:
    row = visible_subject(conn, audit, subject_id, "ratings")
    summary = ratings.summary(conn, row.subject_id, ctx.capabilities.has("evaluation"))
    return page(request, "ratings_partial.html", caller, ratings=summary)


@router.post("/subjects/{subject_id}/report")
def issue_report(
    subject_id: str,
    ctx: Ctx,
    caller: Caller,
    audit: Audit,
    scope: Annotated[Scope, Form()] = Scope.PUBLIC,
) -> RedirectResponse:
    report_no = report_api.issue_report(ctx, caller, subject_id, scope, audit)
    return RedirectResponse(f"/reports/{report_no}", status_code=303)


@router.get("/reports/{report_no}.pdf")
def report_pdf(report_no: str, conn: Conn, caller: Caller, audit: Audit) -> Response:
    return report_api.pdf(report_no, conn, caller, audit)


@router.get("/reports/{report_no}.json")
def report_json(report_no: str, conn: Conn, caller: Caller, audit: Audit) -> Response:
    return report_api.json_twin(report_no, conn, caller, audit)


@router.get("/reports/{report_no}", response_class=HTMLResponse)
def report_page(
    request: Request, report_no: str, conn: Conn, ctx: Ctx, caller: Caller, audit: Audit
) -> HTMLResponse:
    entry = report_api.entry_or_404(conn, report_no)
    report_api.may_download(caller, conn, entry, audit)
    url = report_documents.verify_url(ctx.settings, report_no)
    return page(
        request,
        "report_issued.html",
        caller,
        entry=entry,
        verify_url=url,
        qr=documents.qr_svg(url),
    )


@router.get("/verify/{report_no}", response_class=HTMLResponse)
def verify_page(
    request: Request, report_no: str, conn: Conn, ctx: Ctx, caller: Caller
) -> HTMLResponse:
    result = report_api.verify_number(report_no, conn, ctx)
    return page(request, "verify.html", caller, report_no=report_no, result=result, checked=None)


@router.post("/verify/{report_no}", response_class=HTMLResponse)
async def verify_upload(
    request: Request,
    report_no: str,
    ctx: Ctx,
    caller: Caller,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    data = await report_api.read_upload(file)
    checked = await run_in_threadpool(report_api.check_upload, ctx, data, report_no)
    with ctx.engine.connect() as conn:
        result = report_api.verify_number(report_no, conn, ctx)
    return page(
        request,
        "verify.html",
        caller,
        report_no=report_no,
        result=result,
        checked=checked,
        filename=file.filename,
    )


BADGE_COLOURS = {True: "#1a7f37", False: "#cf222e"}


def _text_width(text: str) -> int:
    """Rough advance width at 11 px: CJK glyphs are square, Latin ones about half as wide."""
    return sum(11 if ord(ch) > 0x2E80 else 7 for ch in text) + 12


@router.get("/badge/{token}.svg")
def badge_svg(token: str, conn: Conn, ctx: Ctx) -> Response:
    result = describe(check_token(conn, ctx, token))
    if result.trusted:
        right = f"信用等级 {result.grade or '未评级'}"
    else:
        right = "标识无效" if result.status is not BadgeStatus.EXPIRED else "标识已过期"
    left = "电子链接标识"
    svg = fragment(
        "badge.svg",
        left=left,
        right=right,
        left_width=_text_width(left),
        right_width=_text_width(right),
        colour=BADGE_COLOURS[result.trusted],
        result=result,
    )
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache, max-age=0"}
    )


@router.get("/badge/{token}", response_class=HTMLResponse)
def badge_page(request: Request, token: str, conn: Conn, ctx: Ctx, caller: Caller) -> HTMLResponse:
    return page(
        request, "badge.html", caller, token=token, result=describe(check_token(conn, ctx, token))
    )


def complaint_target(conn: sa.Connection, subject_id: str) -> sa.Row:
    """Complaints are about subjects that trade or serve (the API refuses any other target),
    so a private person is not found here for anyone — no read of one happens."""
    row = subjects.public_subject(conn, subject_id)
    if row is None:
        raise not_found("信用主体", "subject", subject_id)
    return row


@router.get("/complaints/new", response_class=HTMLResponse)
def complaint_form(
    request: Request,
    conn: Conn,
    caller: Caller,
    target: Annotated[str, Query(max_length=64)],
    shop: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    row = complaint_target(conn, target)
    return page(
        request,
        "complaint.html",
        caller,
        target=subjects.summary(row),
        shops=subjects.shops_of(conn, row.subject_id),
        shop=shop,
        categories=names.COMPLAINT_CATEGORIES,
        filed=None,
        error=None,
    )


@router.post("/complaints/new", response_class=HTMLResponse)
async def complaint_submit(
    request: Request,
    ctx: Ctx,
    caller: Caller,
    target_id: Annotated[str, Form()],
    category: Annotated[str, Form()],
    text: Annotated[str, Form()],
    shop_id: Annotated[str, Form()] = "",
    order_id: Annotated[str, Form()] = "",
) -> HTMLResponse:
    filed, error = None, None
    try:
        form = ComplaintForm(
            target_id=target_id,
            category=category,
            text=text,
            shop_id=shop_id or None,
            order_id=order_id or None,
        )
        filed = await run_in_threadpool(file_complaint, ctx, caller, form)
    except ValueError as exc:
        error = str(exc)
    except Problem as exc:
        error = exc.zh if language(request) == "zh" else exc.en
    with ctx.engine.connect() as conn:
        row = complaint_target(conn, target_id)
        shops = subjects.shops_of(conn, row.subject_id)
    return page(
        request,
        "complaint.html",
        caller,
        status_code=201 if filed else 422,
        target=subjects.summary(row),
        shops=shops,
        shop=shop_id,
        categories=names.COMPLAINT_CATEGORIES,
        filed=filed,
        error=error,
    )


@router.get("/trace", response_class=HTMLResponse)
def trace_page(
    request: Request,
    conn: Conn,
    caller: Caller,
    audit: Audit,
    order: Annotated[str, Query(max_length=64)] = "",
    gtin: Annotated[str, Query(max_length=14)] = "",
) -> HTMLResponse:
    require_page(caller, *TRACE_ROLES)
    order_trace = order_for(conn, order, audit) if order else None
    product_trace = product_for(conn, caller, gtin, audit) if gtin and not order else None
    return page(
        request,
        "trace.html",
        caller,
        order=order,
        gtin=gtin,
        order_trace=order_trace,
        product_trace=product_trace,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, caller: Caller, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", caller, next=_local(next), failed=False)


def _local(target: str) -> str:
    """Only same-site paths, so the login page cannot be used to redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_model=None)
async def login(
    request: Request,
    ctx: Ctx,
    caller: Caller,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    account = await run_in_threadpool(authenticate, ctx.engine, username, password)
    if account is None:
        return page(request, "login.html", caller, status_code=401, next=_local(next), failed=True)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token(ctx, account),
        max_age=ctx.settings.session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
