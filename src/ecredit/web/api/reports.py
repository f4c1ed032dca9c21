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
from ecredit.web.access_log import AccessLog, Audit, is_public_subject
from ecredit.web.api.deps import Caller, Conn, Ctx, find_subject
from ecredit.web.problems import Problem, not_found, problem_responses
from ecredit.web.queries import subjects
from ecredit.web.reports import VERDICTS, Scope, Verdict
from ecredit.web.security import Principal, open_to_all, unauthenticated

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


PRIVATE_PUBLIC_REPORT = (
    "不为消费者、快递员等不公开的自然人出具公开版信用报告；本人可获取完整版",
    "no public-scope report is issued on a private person (consumer, courier); "
    "the person may obtain a full report",
)


def is_public_report(entry_scope: str, row: sa.Row | None) -> bool:
    """Only a public-scope report on a disclosed subject is public: a report on a private
    person is personal information whatever its scope, so each download of it is a read."""
    return entry_scope == Scope.PUBLIC and row is not None and is_public_subject(row)


def may_issue(audit: AccessLog, row: sa.Row, scope: Scope) -> None:
    """Public scope on a disclosed subject: anyone, unregistered. A full report is the
    subject's archive on paper, so it is authorised and registered like reading the archive.
    A public-scope report on a private person is refused to everyone, the person included:
    anyone holding its number could download it, which would disclose a person the platform
    never discloses (the person's own way to a report is the full one, which stays theirs)."""
    if scope is Scope.PUBLIC and is_public_subject(row):
        return
    if audit.caller.is_public:
        raise unauthenticated()
    what = f"report.{scope.value}"
    if scope is Scope.PUBLIC:
        audit.refuse(what, row.subject_id, *PRIVATE_PUBLIC_REPORT)
    audit.authorise(what, row.subject_id)


def may_download(caller: Principal, conn: sa.Connection, entry: sa.Row, audit: AccessLog) -> None:
    """Each fetch of a non-public report — full scope, or any report on a private person,
    including public-scope ones issued before they were refused — is a read of the subject's
    information: authorised again (a withdrawn consent stops later downloads) and registered.
    Anonymous callers are asked to log in, unregistered."""
    row = subjects.any_subject(conn, entry.subject_id)
    if is_public_report(entry.scope, row):
        return
    if caller.is_public:
        raise unauthenticated()
    audit.authorise(f"report.{entry.scope}", entry.subject_id)


def issue_report(
    ctx: Ctx, caller: Principal, subject_id: str, scope: Scope, audit: AccessLog
) -> str:
    """Authorised and registered before the issuing transaction, like every read of personal
    information, and outside it: on SQLite the access log's own transaction would wait for
    this one's write lock."""
    with ctx.engine.connect() as conn:
        row = find_subject(conn, caller, subject_id)
    may_issue(audit, row, scope)
    with ctx.engine.begin() as conn:
        issued = reports.issue(
            conn, row, scope, caller.label(), ctx.signing, ctx.settings, ctx.capabilities
        )
    return issued.report_no


@router.post(
    "",
    response_model=IssuedReport,
    status_code=201,
    dependencies=PUBLIC,
    responses=problem_responses(401, 403, 404, 422, 429),
    summary="出具信用报告 / Issue a report (full scope: the subject itself, or by role, purpose "
    "and consent; never public scope on a private person)",
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
