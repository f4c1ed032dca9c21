"""Subjects: search, public profile, public records, ratings, evaluation, full archive."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Caller, Conn, Ctx, archive_subject, visible_subject
from ecredit.web.models import Archive, EvaluationView, Profile, RatingsSummary, Record
from ecredit.web.models import SubjectSummary as Summary
from ecredit.web.problems import not_found, not_installed, problem_responses
from ecredit.web.queries import disclosure, evaluation, profile, ratings, subjects
from ecredit.web.security import Role, allow, open_to_all

router = APIRouter(prefix="/subjects", tags=["信用主体 subjects"])
PUBLIC = [Depends(open_to_all)]


@router.get(
    "",
    response_model=list[Summary],
    dependencies=PUBLIC,
    responses=problem_responses(422, 429),
    summary="查询主体 / Search by name, shop name or USCC",
)
def search(conn: Conn, q: Annotated[str, Query(min_length=1, max_length=100)]) -> list[Summary]:
    return subjects.search(conn, q)


@router.get(
    "/{subject_id}",
    response_model=Profile,
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429),
    summary="主体公示信息 / Public profile",
)
async def get_profile(
    subject_id: str, ctx: Ctx, caller: Caller, audit: Audit
) -> Profile | Response:
    """The hottest public route: answered from the profile cache on the event loop, computed
    in the thread pool only on a miss (and always for accounts, which bypass the cache)."""

    def compute() -> Profile:
        with ctx.engine.connect() as conn:
            row = visible_subject(conn, audit, subject_id, "profile")
            return profile.profile(conn, row, ctx.capabilities)

    if not caller.is_public:
        return await run_in_threadpool(compute)
    body = ctx.public_profiles.get(subject_id)
    if body is None:
        body = await run_in_threadpool(lambda: compute().model_dump_json().encode())
        ctx.public_profiles.put(subject_id, body)
    return Response(body, media_type="application/json")


@router.get(
    "/{subject_id}/records",
    response_model=list[Record],
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429),
    summary="公示中的信用记录 / Records within their display period",
)
def public_records(subject_id: str, conn: Conn, audit: Audit) -> list[Record]:
    row = visible_subject(conn, audit, subject_id, "records")
    return disclosure.public_records(conn, row.subject_id, profile.today())


@router.get(
    "/{subject_id}/ratings",
    response_model=RatingsSummary,
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429),
    summary="评价汇总 / Ratings summary",
)
def ratings_summary(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> RatingsSummary:
    row = visible_subject(conn, audit, subject_id, "ratings")
    return ratings.summary(conn, row.subject_id, ctx.capabilities.has("evaluation"))


@router.get(
    "/{subject_id}/evaluation",
    response_model=EvaluationView,
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429, 501),
    summary="综合信用评价及理由 / Evaluation with its reasons",
)
def get_evaluation(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> EvaluationView:
    if not ctx.capabilities.has("evaluation"):
        raise not_installed("综合信用评价", "evaluation")
    # authorised before looking: whether a private person has an evaluation is personal too
    row = visible_subject(conn, audit, subject_id, "evaluation")
    found = evaluation.latest(conn, row.subject_id)
    if found is None:
        raise not_found("评价结果", "evaluation", subject_id)
    return found


@router.get(
    "/{subject_id}/archive",
    response_model=Archive,
    dependencies=[Depends(allow(Role.SUBJECT, Role.AGENCY, Role.REGULATOR, Role.ADMIN))],
    responses=problem_responses(401, 403, 404),
    summary="完整信用档案 / Full archive (the subject itself; others by role, purpose and consent)",
)
def get_archive(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> Archive:
    row = archive_subject(conn, audit, subject_id)
    return profile.archive(conn, row, ctx.capabilities)
