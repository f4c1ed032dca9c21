"""Logging in: a username and password give a bearer token (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ecredit.web.accounts import authenticate
from ecredit.web.api.deps import Caller, Ctx
from ecredit.web.problems import problem_responses
from ecredit.web.security import ROLE_NAMES, Role, allow, open_to_all, session_token
from ecredit.web.security import unauthenticated as refused

router = APIRouter(prefix="/auth", tags=["账户 accounts"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: Role
    role_name: dict[str, str]
    subject_id: str | None


@router.post(
    "/token",
    response_model=Token,
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(401, 422, 429),
    summary="登录获取令牌 / Log in for a bearer token",
)
async def token(
    ctx: Ctx, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Token:
    account = await run_in_threadpool(authenticate, ctx.engine, username, password)
    if account is None:
        raise refused("用户名或密码错误", "wrong username or password")
    return Token(
        access_token=session_token(ctx, account), expires_in=ctx.settings.session_minutes * 60
    )


@router.get(
    "/me",
    response_model=Me,
    dependencies=[Depends(allow(*(r for r in Role if r is not Role.PUBLIC)))],
    responses=problem_responses(401),
    summary="当前账户 / Who am I",
)
def me(caller: Caller) -> Me:
    zh, en = ROLE_NAMES[caller.role]
    return Me(
        username=caller.username or "",
        role=caller.role,
        role_name={"zh-CN": zh, "en": en},
        subject_id=caller.subject_id,
    )
