"""Credit reports: issue, download, verify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ecredit.web import reports
from ecredit.web.access_log import AccessLog, Audit
from ecredit.web.api.deps import Caller, Conn, Ctx, entitled_to_archive, visible_subject
from ecredit.web.problems import Problem, not_found, problem_responses
from ecredit.web.queries import subjects
from ecredit.web.queries.subjects import PUBLIC_TYPES
from ecredit.web.reports import VERDICTS, Scope, Verdict
from ecredit.web.security import Principal, forbidden, open_to_all, unauthenticated

router = APIRouter(prefix="/reports", tags=["信用报告 reports"])
PUBLIC = [Depends(open_to_all)]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ReportRequest(BaseModel):
    subject_id: str
    scope: Scope = Scope.PUBLIC


class IssuedReport(BaseModel):
    report_no: str
    scope: Scope
    pdf_url: str
    json_url: str
    verify_url: str


class Verification(BaseModel):
    verdict: Verdict
    genuine: bool
    current: bool
    messages: dict[str, str]
    report_no: str | None = None
    subject_id: str | None = None
    subject_name: str | None = None
    scope: str | None = None
    issued_at: datetime | None = None
    valid_until: datetime | None = None


def verification(conn: sa.Connection, verdict: Verdict, entry: sa.Row | None) -> Verification:
    zh, en = VERDICTS[verdict]
    found = {}
    if entry is not None:
        subject = subjects.any_subject(conn, entry.subject_id)
        found = {
            "report_no": entry.report_no,
            "subject_id": entry.subject_id,
            "subject_name": subjects.public_name(subject.name, subject.legal_form),
            "scope": entry.scope,
            "issued_at": entry.issued_at,
            "valid_until": entry.valid_until,
        }
    genuine = verdict in (Verdict.GENUINE_CURRENT, Verdict.GENUINE_OUTDATED, Verdict.EXPIRED)
    return Verification(
        verdict=verdict,
        genuine=genuine,
        current=verdict is Verdict.GENUINE_CURRENT,
        messages={"zh-CN": zh, "en": en},
        **found,
    )


def may_issue(caller: Principal, row: sa.Row, scope: Scope) -> None:
    if scope is Scope.PUBLIC or entitled_to_archive(caller, row):
        return
    raise (
        unauthenticated()
        if caller.is_public
        else forbidden(
            "无权获取该主体的完整信用报告", "you may not obtain a full report on this subject"
        )
    )


def may_download(caller: Principal, conn: sa.Connection, entry: sa.Row, audit: AccessLog) -> None:
    """A full report is the subject's archive on paper: each time it is fetched, it is read."""
    if entry.scope != Scope.PUBLIC and entry.issued_to != caller.label():
        row = subjects.any_subject(conn, entry.subject_id)
        if not entitled_to_archive(caller, row):
            raise unauthenticated() if caller.is_public else forbidden()
    audit.read(f"report.{entry.scope}", entry.subject_id, public=entry.scope == Scope.PUBLIC)


def issue_report(
    ctx: Ctx, caller: Principal, subject_id: str, scope: Scope, audit: AccessLog
) -> str:
    """Registered after the issuing transaction commits: on SQLite the access log's own
    transaction would wait for this one's write lock."""
    with ctx.engine.begin() as conn:
        row = visible_subject(conn, caller, subject_id)
        may_issue(caller, row, scope)
        issued = reports.issue(
            conn, row, scope, caller.label(), ctx.signing, ctx.settings, ctx.capabilities
        )
    public = scope is Scope.PUBLIC and row.subject_type in PUBLIC_TYPES
    audit.read(f"report.{scope.value}", row.subject_id, public=public)
    return issued.report_no


@router.post(
    "",
    response_model=IssuedReport,
    status_code=201,
    dependencies=PUBLIC,
    responses=problem_responses(401, 403, 404, 422, 429),
    summary="出具信用报告 / Issue a report (full scope: the subject and entitled roles)",
)
def create(body: ReportRequest, ctx: Ctx, caller: Caller, audit: Audit) -> IssuedReport:
    report_no = issue_report(ctx, caller, body.subject_id, body.scope, audit)
    return IssuedReport(
        report_no=report_no,
        scope=body.scope,
        pdf_url=f"/api/v1/reports/{report_no}.pdf",
        json_url=f"/api/v1/reports/{report_no}.json",
        verify_url=reports.verify_url(ctx.settings, report_no),
    )


def entry_or_404(conn: sa.Connection, report_no: str) -> sa.Row:
    entry = reports.registered(conn, report_no)
    if entry is None:
        raise not_found("信用报告", "report", report_no)
    return entry


@router.get(
    "/{report_no}.pdf",
    response_class=Response,
    dependencies=PUBLIC,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "PDF"},
        **problem_responses(401, 403, 404, 429),
    },
    summary="报告 PDF / Report as PDF",
)
def pdf(report_no: str, conn: Conn, caller: Caller, audit: Audit) -> Response:
    entry = entry_or_404(conn, report_no)
    may_download(caller, conn, entry, audit)
    return Response(
        entry.document_pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report_no}.pdf"'},
    )


@router.get(
    "/{report_no}.json",
    response_class=Response,
    dependencies=PUBLIC,
    responses={
        200: {"content": {"application/json": {}}, "description": "Signed JSON twin"},
        **problem_responses(401, 403, 404, 429),
    },
    summary="报告签名 JSON / Signed JSON twin",
)
def json_twin(report_no: str, conn: Conn, caller: Caller, audit: Audit) -> Response:
    entry = entry_or_404(conn, report_no)
    may_download(caller, conn, entry, audit)
    return Response(
        entry.document_json,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{report_no}.json"'},
    )


@router.get(
    "/{report_no}/verification",
    response_model=Verification,
    dependencies=PUBLIC,
    responses=problem_responses(429),
    summary="核验报告编号 / Is this report number genuine and current?",
)
def verify_number(report_no: str, conn: Conn, ctx: Ctx) -> Verification:
    entry = reports.registered(conn, report_no)
    if entry is None:
        return verification(conn, Verdict.UNKNOWN, None)
    return verification(conn, reports.standing(conn, entry, ctx.capabilities), entry)


async def read_upload(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem(413, "too-large", "文件过大（上限 20 MB）", "file too large (limit 20 MB)")
    return data


@router.post(
    "/verification",
    response_model=Verification,
    dependencies=PUBLIC,
    responses=problem_responses(413, 422, 429),
    summary="核验报告文件（PDF 或 JSON）/ Verify a report file (PDF or JSON)",
)
async def verify_file(ctx: Ctx, file: Annotated[UploadFile, File()]) -> Verification:
    data = await read_upload(file)
    return await run_in_threadpool(check_upload, ctx, data, None)


def check_upload(ctx: Ctx, data: bytes, report_no: str | None) -> Verification:
    with ctx.engine.connect() as conn:
        verdict, entry = reports.check_file(conn, data, ctx.signing, ctx.capabilities, report_no)
        return verification(conn, verdict, entry)
