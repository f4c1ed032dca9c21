"""Bulk ingest for authorised sources: platforms and departments upload their files.

Uploads are kept under the upload directory, named after the account that sent them, so the
batch's provenance (`source_file`) names its sender and the original bytes are never lost.
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ecredit.audit.log import Action, Actor, log_bulk_operation
from ecredit.ingest.pipeline import ingest_file
from ecredit.ingest.readers import UnusableInput
from ecredit.records.kinds import KINDS
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Caller, Ctx
from ecredit.web.problems import Problem, not_found, problem_responses
from ecredit.web.security import Principal, Role, allow

router = APIRouter(prefix="/ingest", tags=["数据报送 ingest"])
SUFFIXES = (".csv", ".jsonl", ".parquet")
REJECTS_SHOWN = 100
INGEST_PURPOSE = "ingest"
"""The purpose `ecredit ingest` registers bulk loads under, so both channels read alike."""


class IngestResult(BaseModel):
    kind: str
    batch_id: int
    rows_read: int
    inserted: int
    unchanged: int
    rejected: int
    ignored_columns: list[str]
    rejects: list[dict[str, str]]
    """The first rejected rows with file, line, field, value and reason."""


def _store_upload(ctx: Ctx, caller: Principal, kind: str, upload: UploadFile) -> Path:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise Problem(
            422,
            "unsupported-file",
            f"仅支持 {'/'.join(SUFFIXES)} 文件",
            f"only {'/'.join(SUFFIXES)} files are accepted",
        )
    directory = ctx.settings.upload_dir / (caller.username or "unknown")
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = directory / f"{stamp}-{kind}{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return path


def _ingest(ctx: Ctx, path: Path, kind: str, actor: Actor, uploaded_as: str) -> IngestResult:
    """Registered as a bulk operation (查询使用登记) once the file is in, like `ecredit
    ingest`: the account that sent it, the stored file and the counts. A file refused as
    unusable stores nothing and, as on the command line, is not registered."""
    try:
        report = ingest_file(ctx.engine, path, kind, ctx.keys)
    except UnusableInput as exc:
        raise Problem(422, "unusable-input", f"无法导入：{exc}", f"unusable input: {exc}") from exc
    detail = report.log_detail() | {"uploaded_as": uploaded_as}
    log_bulk_operation(ctx.engine, actor, Action.INGEST, detail, purpose=INGEST_PURPOSE)
    rejects = []
    if report.rejects_path and report.rejects_path.exists():
        with report.rejects_path.open(encoding="utf-8") as fh:
            rejects = [
                row for _, row in zip(range(REJECTS_SHOWN), csv.DictReader(fh), strict=False)
            ]
    return IngestResult(
        kind=kind,
        batch_id=report.batch_id,
        rows_read=report.rows_read,
        inserted=report.inserted,
        unchanged=report.unchanged,
        rejected=report.rejected,
        ignored_columns=report.ignored_columns,
        rejects=rejects,
    )


@router.post(
    "/{kind}",
    response_model=IngestResult,
    dependencies=[Depends(allow(Role.PLATFORM, Role.REGULATOR, Role.ADMIN))],
    responses=problem_responses(401, 403, 404, 422),
    summary="报送数据文件 / Upload a CSV, JSON Lines or Parquet file of one kind",
)
async def upload(
    kind: str, ctx: Ctx, caller: Caller, audit: Audit, file: Annotated[UploadFile, File()]
) -> IngestResult:
    if kind not in KINDS:
        raise not_found("数据类别", "kind", kind)
    path = await run_in_threadpool(_store_upload, ctx, caller, kind, file)
    uploaded_as = Path(file.filename or "").name
    return await run_in_threadpool(_ingest, ctx, path, kind, audit.actor(), uploaded_as)
