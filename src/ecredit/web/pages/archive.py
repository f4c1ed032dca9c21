"""The full archive page (信用档案): for the subject itself, with its objection and repair
forms, and read-only for agencies and regulators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ecredit.web.access_log import AccessLog, Audit
from ecredit.web.api.applications import (
    ObjectionForm,
    RepairForm,
    apply_repair,
    grounds,
    object_to,
)
from ecredit.web.api.deps import Caller, Ctx, archive_subject
from ecredit.web.i18n import language
from ecredit.web.pages.render import page, require_page
from ecredit.web.problems import Problem
from ecredit.web.queries import profile
from ecredit.web.security import Principal, Role, open_to_all

router = APIRouter(include_in_schema=False, dependencies=[Depends(open_to_all)])
READERS = (Role.SUBJECT, Role.AGENCY, Role.REGULATOR, Role.ADMIN)


def archive_page(
    request: Request,
    ctx: Ctx,
    caller: Principal,
    audit: AccessLog,
    subject_id: str,
    status_code: int = 200,
    **outcome: object,
) -> HTMLResponse:
    require_page(caller, *READERS)
    with ctx.engine.connect() as conn:
        row = archive_subject(conn, audit, subject_id)
        found = profile.archive(conn, row, ctx.capabilities)
    return page(
        request,
        "archive.html",
        caller,
        status_code=status_code,
        archive=found,
        own=caller.role is Role.SUBJECT and caller.subject_id == subject_id,
        grounds=grounds(),
        **outcome,
    )


@router.get("/archive/{subject_id}", response_class=HTMLResponse)
def show(request: Request, subject_id: str, ctx: Ctx, caller: Caller, audit: Audit) -> HTMLResponse:
    return archive_page(request, ctx, caller, audit, subject_id)


def _message(request: Request, problem: Problem) -> str:
    return problem.zh if language(request) == "zh" else problem.en


@router.post("/archive/{subject_id}/objections", response_class=HTMLResponse)
async def object_to_record(
    request: Request,
    subject_id: str,
    ctx: Ctx,
    caller: Caller,
    audit: Audit,
    record_id: Annotated[str, Form()],
    grounds_code: Annotated[str, Form(alias="grounds")],
    text: Annotated[str, Form()],
) -> HTMLResponse:
    require_page(caller, Role.SUBJECT)
    try:
        form = ObjectionForm(record_id=record_id, grounds=grounds_code, text=text)
        filed = await run_in_threadpool(object_to, ctx, caller, form)
    except (Problem, ValueError) as exc:
        error = _message(request, exc) if isinstance(exc, Problem) else str(exc)
        return await run_in_threadpool(
            archive_page, request, ctx, caller, audit, subject_id, 422, error=error
        )
    return await run_in_threadpool(
        archive_page, request, ctx, caller, audit, subject_id, 201, objection=filed
    )


@router.post("/archive/{subject_id}/repairs", response_class=HTMLResponse)
async def apply_for_repair(
    request: Request,
    subject_id: str,
    ctx: Ctx,
    caller: Caller,
    audit: Audit,
    record_id: Annotated[str, Form()],
    evidence: Annotated[str, Form()],
    obligations_fulfilled: Annotated[bool, Form()] = False,
    commitment_id: Annotated[str, Form()] = "",
) -> HTMLResponse:
    require_page(caller, Role.SUBJECT)
    try:
        form = RepairForm(
            record_id=record_id,
            commitment_id=commitment_id or None,
            obligations_fulfilled=obligations_fulfilled,
            evidence=evidence,
        )
        filed = await run_in_threadpool(apply_repair, ctx, caller, form)
    except (Problem, ValueError) as exc:
        error = _message(request, exc) if isinstance(exc, Problem) else str(exc)
        return await run_in_threadpool(
            archive_page, request, ctx, caller, audit, subject_id, 422, error=error
        )
    return await run_in_threadpool(
        archive_page, request, ctx, caller, audit, subject_id, 201, repair=filed
    )
