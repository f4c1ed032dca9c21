"""Dependencies the API routes share: context, caller, database connection, guards.

Who may read a subject's non-public information is not decided here but by
`ecredit.privacy.access.authorise` (through `AccessLog`), so one rule — role, purpose and
consent as `policy/privacy.yaml` states them — holds for every reader, not one per front end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends

from ecredit.web.access_log import AccessLog, is_public_subject
from ecredit.web.context import WebContext, web_context
from ecredit.web.problems import not_found
from ecredit.web.queries import subjects
from ecredit.web.security import Principal, current_principal

Ctx = Annotated[WebContext, Depends(web_context)]
Caller = Annotated[Principal, Depends(current_principal)]


def _read(ctx: Ctx) -> Iterator[sa.Connection]:
    with ctx.engine.connect() as conn:
        yield conn


Conn = Annotated[sa.Connection, Depends(_read)]


def find_subject(conn: sa.Connection, caller: Principal, subject_id: str) -> sa.Row:
    """The subject's row, or 404. The public is told a private person (consumer, courier) does
    not exist rather than refused: the public never queries non-public data, so there is no
    purpose to check and no account to hold to account for an anonymous probe."""
    row = subjects.any_subject(conn, subject_id)
    if row is None or (caller.is_public and not is_public_subject(row)):
        raise not_found("信用主体", "subject", subject_id)
    return row


def visible_subject(conn: sa.Connection, audit: AccessLog, subject_id: str, what: str) -> sa.Row:
    """A subject whose `what` the caller is about to read: public subjects for everyone and
    unregistered; a private person only when `privacy.access.authorise` grants it, registered
    either way. Deciding and registering in one call means no route can show a private person
    and forget to ask."""
    row = find_subject(conn, audit.caller, subject_id)
    audit.subject(what, row)
    return row


def entitled_to_archive(conn: sa.Connection, audit: AccessLog, row: sa.Row) -> bool:
    """Whether the caller may read this subject's full archive for the request's purpose —
    `privacy.access.authorise`'s answer, unregistered: for offering the archive link and the
    full-report button, never for reading (reads go through `archive_subject`)."""
    return audit.permits(conn, row.subject_id)


def archive_subject(conn: sa.Connection, audit: AccessLog, subject_id: str) -> sa.Row:
    """A subject's full archive is about to be read: authorised and registered as `archive`
    (403 and a `denied` entry when refused)."""
    row = subjects.any_subject(conn, subject_id)
    if row is None:
        raise not_found("信用主体", "subject", subject_id)
    audit.authorise("archive", row.subject_id)
    return row
