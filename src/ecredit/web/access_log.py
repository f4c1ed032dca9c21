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

Reading one subject's non-public information — its full archive, a full report, any page or
report about a private person — is decided by `ecredit.privacy.access.authorise`, the one
rule for every reader of personal information: the subject itself, or a role that may state
the purpose and, when the subject is a natural person and the purpose needs it, the person's
active consent (授权同意). `authorise` registers the outcome either way, refusals as `denied`,
so 查询使用审查 sees attempts as well as reads. A buyer's transaction data — an order's trail,
registered under the buyer, and the buyer's credit points — goes through `authorise` too
(`transaction`): the buyer itself, regulators, and platforms and merchants for their own
orders (`own_transaction`, no consent; `authorise` checks they are party). Reads that are not
about one subject's file (work queues, drill-downs, a platform's complaints, a product's order
list) are decided by their routes and registered with `read`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, NoReturn

import sqlalchemy as sa
from fastapi import Depends, Header, Request

from ecredit.audit.log import Actor, log_query
from ecredit.privacy import access
from ecredit.privacy.access import SELF_QUERY, AccessDenied, Grant
from ecredit.privacy.policy import OWN_TRANSACTION, load_privacy_policy
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
role's non-public routes serve that one (a platform reads complaints to handle disputes, an
agency reads archives to report on them). A buyer's orders and points have their own
(`TRANSACTION_PURPOSES`)."""
TRANSACTION_PURPOSES = ("statutory_duty", OWN_TRANSACTION)
"""What a reader of a buyer's orders or points other than the buyer usually reads them for:
regulators their duty, platforms and merchants their own transactions (履行合同, no consent:
`policy/privacy.yaml` says why)."""
UNSPECIFIED = "unspecified"
MAX_PURPOSE_CHARS = 64
SELF = "self"
DENIED = "denied"
PROBLEM_SLUGS = {"purpose": "purpose", "consent": "consent", "scope": "scope"}
"""Problem types for `authorise`'s refusal reasons; any other reason is plain `forbidden`."""
UNKNOWN_SUBJECT = "unknown-subject"


@dataclass
class AccessLog:
    """One request's registrations; a route that reads the same thing twice is logged once."""

    engine: sa.Engine
    caller: Principal
    declared: str | None
    request_line: str
    registered: set[tuple[str, str | None]] = field(default_factory=set)
    grants: dict[tuple[str, str], Grant] = field(default_factory=dict)

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
            log_query(self.engine, self.actor(), what, purpose, subject_id, DENIED, detail=detail)
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
        """Authorise and register reading a subject's public-looking data: non-public only
        when the subject is a private person (consumer, courier), whom the public never sees,
        so only then does it need a grant."""
        if not is_public_subject(row):
            self.authorise(what, row.subject_id)

    def authorise(
        self,
        what: str,
        subject_id: str,
        *,
        purpose: str | None = None,
        order_id: str | None = None,
    ) -> Grant:
        """Decide with `privacy.access.authorise` whether the caller may read `what` about
        `subject_id` for the request's purpose (or `purpose`, a route's own default), and
        register the outcome before anything is read; a refusal is registered as denied and
        answered with 403 — or 404 when the subject does not exist, which `authorise` says only
        after its other checks, so only readers who may know learn it.

        Blocking: call it from the thread pool."""
        key = (what if order_id is None else f"{what}#{order_id}", subject_id)  # scope per order
        if key in self.grants:
            return self.grants[key]
        purpose = purpose or self.purpose()
        detail: dict[str, str] = {"request": self.request_line}
        try:
            with self.engine.connect() as conn:
                grant = access.authorise(conn, self.actor(), subject_id, purpose, order_id=order_id)
        except AccessDenied as refusal:
            detail["refused"] = str(refusal)
            log_query(self.engine, self.actor(), what, purpose, subject_id, DENIED, detail)
            if refusal.reason == UNKNOWN_SUBJECT:
                raise Problem(404, "not-found", refusal.zh, refusal.en) from None
            raise Problem(
                403, PROBLEM_SLUGS.get(refusal.reason, "forbidden"), refusal.zh, refusal.en
            ) from None
        log_query(self.engine, self.actor(), what, purpose, subject_id, grant.authorisation, detail)
        self.grants[key] = grant
        self.registered.add(key)
        return grant

    def transaction_purpose(self, buyer_id: str) -> str:
        """The purpose of reading a buyer's transaction data when the request declares none:
        the buyer's own (`self_query`), a regulator's duty, or the reader's own transaction —
        so a platform or merchant reading its own orders needs no consent — and otherwise the
        role's usual purpose (an administrator's maintenance, which for a person does)."""
        if self.declared:
            return self.declared
        if self.caller.role is Role.SUBJECT and buyer_id == self.caller.subject_id:
            return SELF_QUERY
        allowed = self.allowed_purposes()
        return next((p for p in TRANSACTION_PURPOSES if p in allowed), self.purpose())

    def transaction(self, what: str, buyer_id: str, order_id: str | None = None) -> Grant:
        """Authorise and register reading a buyer's transaction data — one order's trail
        (`order_id`), or the buyer's standing as a whole (credit points) — for the request's
        purpose or `transaction_purpose`. Whether the reader is party to the order is
        `authorise`'s `own_transaction` scope, not the route's.

        Blocking: call it from the thread pool."""
        purpose = self.transaction_purpose(buyer_id)
        return self.authorise(what, buyer_id, purpose=purpose, order_id=order_id)

    def permits(self, conn: sa.Connection, subject_id: str) -> bool:
        """Whether `authorise` would grant a read about `subject_id` now, without registering
        anything: for offering a link or button, never for reading."""
        try:
            access.authorise(conn, self.actor(), subject_id, self.purpose())
        except AccessDenied:
            return False
        return True

    def refuse(self, what: str, subject_id: str | None, zh: str, en: str) -> NoReturn:
        """Register a refused attempt that no role or consent could make lawful, and answer
        403: an account asking for it is accountable for having asked."""
        detail = {"request": self.request_line, "refused": f"{zh} / {en}"}
        log_query(self.engine, self.actor(), what, self.purpose(), subject_id, DENIED, detail)
        raise Problem(403, "forbidden", zh, en)


def is_public_subject(row: sa.Row) -> bool:
    """Platforms, merchants (persons among them, shown masked), logistics companies and credit
    agencies trade or serve in the market and are disclosed; consumers and couriers are private
    persons and never are."""
    return row.subject_type in PUBLIC_TYPES


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
