"""A subject's own applications: objections to records (异议) and credit repair (信用修复).

The workflows are governance's; this router checks that the record is the caller's own and
turns a refusal by the workflow into a problem the subject can read.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ecredit.governance import policy
from ecredit.governance.clocks import stored_deadline_note
from ecredit.governance.model import WorkflowError, china_date
from ecredit.governance.policy import load_policy
from ecredit.governance.services.objections import file_objection
from ecredit.governance.services.repair import apply_for_repair
from ecredit.storage.tables import KIND_TABLES
from ecredit.web.api.deps import Caller, Ctx
from ecredit.web.models import Label
from ecredit.web.problems import Problem, not_found, problem_responses
from ecredit.web.security import Principal, Role, allow, forbidden

router = APIRouter(tags=["异议与信用修复 objections and repair"])
SUBJECTS = [Depends(allow(Role.SUBJECT))]


class ObjectionForm(BaseModel):
    record_id: str = Field(max_length=64)
    grounds: str = Field(max_length=64, description="governance.yaml objections.grounds")
    text: str = Field(min_length=5, max_length=2000)


PROVISIONAL_DOC = (
    "暂定：期限计入了国务院尚未公布节假日安排的年份，公布后须复核 / provisional: the deadline "
    "counts days of a year whose holiday arrangements are not yet published; re-check it then"
)


class ObjectionFiled(BaseModel):
    objection_id: str
    record_id: str
    state: str
    answer_by: date
    provisional: Label | None = Field(default=None, description=PROVISIONAL_DOC)


class RepairForm(BaseModel):
    record_id: str = Field(max_length=64)
    commitment_id: str | None = Field(default=None, max_length=64)
    obligations_fulfilled: bool
    evidence: str = Field(min_length=5, max_length=2000)


class RepairFiled(BaseModel):
    application_id: str
    record_id: str
    state: str
    decide_by: date
    provisional: Label | None = Field(default=None, description=PROVISIONAL_DOC)
    unmet: list[Label]
    """Conditions not yet met; the authority will refuse while any remains."""


def grounds() -> dict[str, Label]:
    return {code: Label(zh=g.zh, en=g.en) for code, g in load_policy().objections.grounds.items()}


def own_record(ctx: Ctx, caller: Principal, record_id: str) -> None:
    records = KIND_TABLES["records"]
    with ctx.engine.connect() as conn:
        owner = conn.execute(
            sa.select(records.c.subject_id).where(records.c.record_id == record_id)
        ).scalar_one_or_none()
    if owner is None:
        raise not_found("信用记录", "record", record_id)
    if owner != caller.subject_id:
        raise forbidden("只能对本主体的记录提出申请", "only for your own records")


def _label(note: policy.Label | None) -> Label | None:
    return None if note is None else Label(zh=note.zh, en=note.en)


def refused(exc: WorkflowError) -> Problem:
    return Problem(409, "workflow", exc.zh, exc.en)


def object_to(ctx: Ctx, caller: Principal, form: ObjectionForm) -> ObjectionFiled:
    own_record(ctx, caller, form.record_id)
    if form.grounds not in grounds():
        raise Problem(
            422,
            "unknown-grounds",
            f"未知的异议理由：{form.grounds}",
            f"unknown grounds: {form.grounds}",
        )
    try:
        filed = file_objection(ctx.engine, form.record_id, caller.label(), form.grounds, form.text)
    except WorkflowError as exc:
        raise refused(exc) from exc
    return ObjectionFiled(
        objection_id=filed.objection_id,
        record_id=filed.record_id,
        state=filed.state,
        answer_by=filed.deadlines.answer_by,
        provisional=_label(filed.deadlines.note_for(filed.deadlines.answer_by)),
    )


def apply_repair(ctx: Ctx, caller: Principal, form: RepairForm) -> RepairFiled:
    own_record(ctx, caller, form.record_id)
    try:
        application, unmet = apply_for_repair(
            ctx.engine,
            form.record_id,
            form.commitment_id,
            form.obligations_fulfilled,
            form.evidence,
            caller.label(),
        )
    except WorkflowError as exc:
        raise refused(exc) from exc
    return RepairFiled(
        application_id=application.application_id,
        record_id=application.record_id,
        state=application.state,
        decide_by=application.decide_by,
        provisional=_label(
            stored_deadline_note(
                "repair_decision", china_date(application.applied_at), application.decide_by
            )
        ),
        unmet=[Label(zh=p.zh, en=p.en) for p in unmet],
    )


@router.post(
    "/objections",
    response_model=ObjectionFiled,
    status_code=201,
    dependencies=SUBJECTS,
    responses=problem_responses(401, 403, 404, 409),
    summary="对本主体的记录提出异议 / Object to one of your records",
)
async def create_objection(form: ObjectionForm, ctx: Ctx, caller: Caller) -> ObjectionFiled:
    return await run_in_threadpool(object_to, ctx, caller, form)


@router.post(
    "/repairs",
    response_model=RepairFiled,
    status_code=201,
    dependencies=SUBJECTS,
    responses=problem_responses(401, 403, 404, 409),
    summary="申请信用修复 / Apply for credit repair of one of your records",
)
async def create_repair(form: RepairForm, ctx: Ctx, caller: Caller) -> RepairFiled:
    return await run_in_threadpool(apply_repair, ctx, caller, form)
