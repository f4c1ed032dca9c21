"""Who is calling: roles, sessions, API keys, and the guards routes declare.

A caller is `public` unless it presents an API key (`X-API-Key`), a bearer token or the
portal's session cookie. Tokens carry only the account id: role and subject are read from
the database on each request, so disabling an account takes effect at once. Every guarded
route declares its roles through `allow(...)`; the role matrix test reads those declarations,
so a route cannot be added without saying who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ecredit.web.accounts import Account, account_for_api_key, active_account
from ecredit.web.context import WebContext, web_context
from ecredit.web.problems import Problem

SESSION_COOKIE = "ecredit_session"
API_KEY_HEADER = "x-api-key"
JWT_ALGORITHM = "HS256"


class Role(StrEnum):
    PUBLIC = "public"
    SUBJECT = "subject"
    PLATFORM = "platform"
    AGENCY = "agency"
    REGULATOR = "regulator"
    ADMIN = "admin"


ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.PUBLIC: ("社会公众", "public"),
    Role.SUBJECT: ("信用主体", "credit subject"),
    Role.PLATFORM: ("电子商务平台", "platform"),
    Role.AGENCY: ("信用服务机构", "credit agency"),
    Role.REGULATOR: ("监管部门", "regulator"),
    Role.ADMIN: ("系统管理员", "administrator"),
}


@dataclass(frozen=True)
class Principal:
    role: Role
    username: str | None = None
    user_id: int | None = None
    subject_id: str | None = None

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    def label(self) -> str:
        """How the caller is named in registries (issued to, issued by)."""
        return f"{self.role.value}:{self.username}" if self.username else "public"


PUBLIC = Principal(Role.PUBLIC)


def session_token(ctx: WebContext, account: Account) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(account.user_id),
        "iat": now,
        "exp": now + timedelta(minutes=ctx.settings.session_minutes),
    }
    return jwt.encode(claims, ctx.signing.session_secret, algorithm=JWT_ALGORITHM)


def _account_from_token(ctx: WebContext, token: str) -> Account | None:
    try:
        claims = jwt.decode(token, ctx.signing.session_secret, algorithms=[JWT_ALGORITHM])
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
    with ctx.engine.connect() as conn:
        return active_account(conn, user_id)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def _principal(account: Account) -> Principal:
    return Principal(Role(account.role), account.username, account.user_id, account.subject_id)


CtxDep = Annotated[WebContext, Depends(web_context)]


def _account_for_key(ctx: WebContext, key: str) -> Account | None:
    with ctx.engine.connect() as conn:
        return account_for_api_key(conn, key)


async def current_principal(request: Request, ctx: CtxDep) -> Principal:
    """Presented but invalid credentials are refused rather than silently treated as public,
    so a client with a revoked key finds out instead of getting thinner answers. Async, and
    to the database only when credentials are presented: public requests never leave the
    event loop here."""
    if key := request.headers.get(API_KEY_HEADER):
        account = await run_in_threadpool(_account_for_key, ctx, key)
        if account is None:
            raise unauthenticated("API 密钥无效或已撤销", "invalid or revoked API key")
        return _principal(account)
    if token := _bearer(request):
        account = await run_in_threadpool(_account_from_token, ctx, token)
        if account is None:
            raise unauthenticated("令牌无效或已过期", "invalid or expired token")
        return _principal(account)
    if token := request.cookies.get(SESSION_COOKIE):
        account = await run_in_threadpool(_account_from_token, ctx, token)
        if account is not None:
            return _principal(account)
    return PUBLIC


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def unauthenticated(zh: str = "请先登录", en: str = "please log in") -> Problem:
    return Problem(401, "unauthenticated", zh, en, headers={"WWW-Authenticate": "Bearer"})


def forbidden(zh: str = "当前角色无权访问", en: str = "your role may not use this") -> Problem:
    return Problem(403, "forbidden", zh, en)


class Allow:
    """Route guard: only the listed roles pass (401 for the public, 403 for other roles)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if principal.role in self.roles:
            return principal
        raise unauthenticated() if principal.is_public else forbidden()


def allow(*roles: Role) -> Allow:
    return Allow(*roles)


def check_rate(request: Request, ctx: WebContext, principal: Principal) -> None:
    """Only callers without an account are limited: accounts are known and accountable."""
    if not principal.is_public:
        return
    limit = ctx.public_limit
    client = request.client.host if request.client else "unknown"
    if not ctx.limiter.hit(limit, "public", client):
        reset_at, _remaining = ctx.limiter.get_window_stats(limit, "public", client)
        retry = max(1, int(reset_at - datetime.now(UTC).timestamp()))
        raise Problem(
            429,
            "rate-limited",
            f"请求过于频繁，请在 {retry} 秒后重试",
            f"too many requests; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


class Open:
    """Guard of public routes: everyone passes, the public under the rate limit."""

    roles = frozenset(Role)

    async def __call__(
        self,
        request: Request,
        ctx: CtxDep,
        principal: PrincipalDep,
    ) -> Principal:
        check_rate(request, ctx, principal)
        return principal


open_to_all = Open()
