"""Registering the web layer's non-public reads in the access log (查询使用登记).

Personal-information rules want every read beyond public disclosure registered with who read,
what, about whom and for which purpose (查询用途). Routes receive an `AccessLog` and call
`read` once, at the point where they have decided the caller may see the data and before
anything is returned: a refused or failed request leaves no read behind, and a read whose
entry cannot be written is not answered. Public reads are never registered — they are
anonymous, by far the most frequent, and show only what is disclosed to everyone anyway.

The purpose is the one the request declares in `X-Query-Purpose`, checked against what the
caller's role may state in `policy/privacy.yaml`; a request that does not declare one is
registered under its role's usual purpose (`DEFAULT_PURPOSES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, Request

from ecredit.audit.log import Actor, log_query
from ecredit.privacy.policy import load_privacy_policy
from ecredit.web.context import WebContext, web_context
from ecredit.web.problems import Problem
from ecredit.web.queries.subjects import PUBLIC_TYPES
from ecredit.web.security import Principal, Role, current_principal

PURPOSE_HEADER = "X-Query-Purpose"
DEFAULT_PURPOSES = (
    "self_query",
    "statutory_duty",
    "dispute_handling",
    "credit_report",
    "maintenance",
)
"""The first of these the role may state is its purpose when a request declares none: each
role's non-public routes serve that one (a platform reads complaints and order trails to
handle disputes, an agency reads archives to report on them)."""
UNSPECIFIED = "unspecified"
MAX_PURPOSE_CHARS = 64
SELF = "self"


@dataclass
class AccessLog:
    """One request's registrations; a route that reads the same thing twice is logged once."""

    engine: sa.Engine
    caller: Principal
    declared: str | None
    request_line: str
    registered: set[tuple[str, str | None]] = field(default_factory=set)

    def actor(self) -> Actor:
        return Actor(
            self.caller.username or "public", self.caller.role.value, self.caller.subject_id
        )

    def allowed_purposes(self) -> list[str]:
        role = load_privacy_policy().roles.get(self.caller.role.value)
        return role.purposes if role else []

    def purpose(self) -> str:
        allowed = self.allowed_purposes()
        if self.declared:
            return self.declared
        return next((p for p in DEFAULT_PURPOSES if p in allowed), UNSPECIFIED)

    def read(self, what: str, subject_id: str | None = None, *, public: bool = False) -> None:
        """Register reading `what` (about `subject_id`), unless it is `public` information.

        Blocking: call it from the thread pool (sync routes already run there)."""
        if public or (what, subject_id) in self.registered:
            return
        purpose = self.purpose()
        detail = {"request": self.request_line}
        if purpose not in self.allowed_purposes():
            log_query(self.engine, self.actor(), what, purpose, subject_id, "denied", detail=detail)
            raise Problem(
                403,
                "purpose",
                f"当前角色不能以该用途查询：{purpose}",
                f"your role may not query for this purpose: {purpose}",
            )
        own = self.caller.role is Role.SUBJECT and subject_id == self.caller.subject_id
        authorisation = SELF if own else f"role:{self.caller.role.value}/{purpose}"
        log_query(self.engine, self.actor(), what, purpose, subject_id, authorisation, detail)
        self.registered.add((what, subject_id))

    def subject(self, what: str, row: sa.Row) -> None:
        """Register reading a subject's public-looking data: non-public only when the subject
        is a private person (consumer, courier), whom the public never sees."""
        self.read(what, row.subject_id, public=row.subject_type in PUBLIC_TYPES)


async def access_log(
    request: Request,
    ctx: Annotated[WebContext, Depends(web_context)],
    caller: Annotated[Principal, Depends(current_principal)],
    purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description="查询用途 / Purpose of a non-public query (policy/privacy.yaml purposes)",
        ),
    ] = None,
) -> AccessLog:
    """Cheap: nothing is read or written until a route calls `read`."""
    query = f"?{request.url.query}" if request.url.query else ""
    declared = purpose.strip()[:MAX_PURPOSE_CHARS] if purpose else None
    return AccessLog(
        ctx.engine, caller, declared or None, f"{request.method} {request.url.path}{query}"
    )


Audit = Annotated[AccessLog, Depends(access_log)]
