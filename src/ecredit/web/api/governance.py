"""Governance results: lists and measures (public), work queues (regulators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Conn, Ctx, visible_subject
from ecredit.web.models import Complaint, ListStatus, Measure, Notice, QueueItem
from ecredit.web.problems import not_found, not_installed, problem_responses
from ecredit.web.queries import complaints, governance
from ecredit.web.queries.profile import today
from ecredit.web.security import Role, allow, open_to_all

router = APIRouter(tags=["信用治理 governance"])
PUBLIC = [Depends(open_to_all)]


def _installed(ctx: Ctx) -> None:
    if not ctx.capabilities.has("governance"):
        raise not_installed("信用治理", "governance")


@router.get(
    "/subjects/{subject_id}/lists",
    response_model=list[ListStatus],
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429, 501),
    summary="红黑名单状态 / Lists the subject is on",
)
def subject_lists(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> list[ListStatus]:
    """This node's listings in force, then those trusted nodes decided, each of those with
    its `origin`: they are the listings behind the joint measures applied here."""
    _installed(ctx)
    row = visible_subject(conn, audit, subject_id, "lists")
    standing = governance.standing(conn, row.subject_id, today())
    return [*standing.lists, *standing.peer_lists]


@router.get(
    "/subjects/{subject_id}/measures",
    response_model=list[Measure],
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429, 501),
    summary="联合奖惩措施 / Joint measures in force",
)
def subject_measures(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> list[Measure]:
    """From this node's listings and the trusted nodes' it applies (those with an `origin`)."""
    _installed(ctx)
    row = visible_subject(conn, audit, subject_id, "measures")
    return governance.standing(conn, row.subject_id, today()).measures


@router.get(
    "/subjects/{subject_id}/notices",
    response_model=list[Notice],
    dependencies=PUBLIC,
    responses=problem_responses(403, 404, 429, 501),
    summary="风险提示 / Published risk notices",
)
def subject_notices(subject_id: str, conn: Conn, ctx: Ctx, audit: Audit) -> list[Notice]:
    _installed(ctx)
    row = visible_subject(conn, audit, subject_id, "notices")
    return governance.standing(conn, row.subject_id, today()).notices


@router.get(
    "/queues/{workflow}",
    response_model=list[QueueItem],
    dependencies=[Depends(allow(Role.REGULATOR, Role.ADMIN))],
    responses=problem_responses(401, 403, 404, 501),
    summary="工作队列 / Work queue: detection cases, objections, repairs, lists, complaints",
)
def queue(workflow: str, conn: Conn, ctx: Ctx, audit: Audit) -> list[QueueItem]:
    _installed(ctx)
    if workflow not in governance.QUEUES:
        raise not_found("工作队列", "queue", workflow)
    audit.read(f"queue.{workflow}")
    return governance.queue(conn, workflow)


@router.get(
    "/queues/complaint/unhandled",
    response_model=list[Complaint],
    dependencies=[Depends(allow(Role.REGULATOR, Role.ADMIN))],
    responses=problem_responses(401, 403),
    summary="待受理投诉 / Complaints nobody has started handling",
)
def unhandled_complaints(conn: Conn, audit: Audit) -> list[Complaint]:
    audit.read("complaints.unhandled")
    return complaints.unhandled(conn)
