"""Dependencies the API routes share: context, caller, database connection, guards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends

from ecredit.web.context import WebContext, web_context
from ecredit.web.problems import not_found
from ecredit.web.queries import subjects
from ecredit.web.security import Principal, Role, current_principal, forbidden

Ctx = Annotated[WebContext, Depends(web_context)]
Caller = Annotated[Principal, Depends(current_principal)]


def _read(ctx: Ctx) -> Iterator[sa.Connection]:
    with ctx.engine.connect() as conn:
        yield conn


Conn = Annotated[sa.Connection, Depends(_read)]


def entitled_to_archive(caller: Principal, row: sa.Row) -> bool:
    """The full archive: the subject itself, regulators, administrators, and credit agencies
    for organisations (a person's file needs the person's written consent, 征信业管理条例
    Art.18, which ecredit does not record)."""
    if caller.role in (Role.REGULATOR, Role.ADMIN):
        return True
    if caller.role is Role.SUBJECT:
        return caller.subject_id == row.subject_id
    return caller.role is Role.AGENCY and row.legal_form == "organisation"


def visible_subject(conn: sa.Connection, caller: Principal, subject_id: str) -> sa.Row:
    """Public subjects for everyone; a private person only for those entitled to its file."""
    row = subjects.any_subject(conn, subject_id)
    if row is None or (
        row.subject_type not in subjects.PUBLIC_TYPES and not entitled_to_archive(caller, row)
    ):
        raise not_found("信用主体", "subject", subject_id)
    return row


def archive_subject(conn: sa.Connection, caller: Principal, subject_id: str) -> sa.Row:
    row = subjects.any_subject(conn, subject_id)
    if row is None:
        raise not_found("信用主体", "subject", subject_id)
    if not entitled_to_archive(caller, row):
        raise forbidden("无权查看该主体的完整信用档案", "you may not read this subject's archive")
    return row
