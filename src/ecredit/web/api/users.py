"""Account administration and the public keys that verify what ecredit signs."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ecredit.storage.web import ROLES
from ecredit.web.accounts import AccountError, create_api_key, create_user, list_users
from ecredit.web.api.deps import Ctx
from ecredit.web.problems import Problem, problem_responses
from ecredit.web.security import Role, allow, open_to_all

router = APIRouter(tags=["账户 accounts"])
ADMINS = [Depends(allow(Role.ADMIN))]


class NewUser(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$")
    subject_id: str | None = None


class User(BaseModel):
    user_id: int
    username: str
    role: str
    subject_id: str | None


class NewKey(BaseModel):
    label: str = Field(min_length=1, max_length=200)


class ApiKey(BaseModel):
    api_key: str
    """Shown once; ecredit keeps only its digest."""


class PublicKeys(BaseModel):
    algorithm: str
    keys: dict[str, str]
    """Key id → raw Ed25519 public key, base64url."""


def conflict(exc: AccountError) -> Problem:
    return Problem(409, "account", str(exc), str(exc))


@router.get(
    "/users",
    response_model=list[User],
    dependencies=ADMINS,
    responses=problem_responses(401, 403),
    summary="账户列表 / Accounts",
)
def users(ctx: Ctx) -> list[User]:
    return [User(**a.__dict__) for a in list_users(ctx.engine)]


@router.post(
    "/users",
    response_model=User,
    status_code=201,
    dependencies=ADMINS,
    responses=problem_responses(401, 403, 409, 422),
    summary="创建账户 / Create an account",
)
async def new_user(body: NewUser, ctx: Ctx) -> User:
    try:
        account = await run_in_threadpool(
            create_user, ctx.engine, body.username, body.password, body.role, body.subject_id
        )
    except AccountError as exc:
        raise conflict(exc) from exc
    return User(**account.__dict__)


@router.post(
    "/users/{username}/api-keys",
    response_model=ApiKey,
    status_code=201,
    dependencies=ADMINS,
    responses=problem_responses(401, 403, 409, 422),
    summary="签发 API 密钥 / Issue an API key",
)
def new_key(username: str, body: NewKey, ctx: Ctx) -> ApiKey:
    try:
        return ApiKey(api_key=create_api_key(ctx.engine, username, body.label))
    except AccountError as exc:
        raise conflict(exc) from exc


@router.get(
    "/keys",
    response_model=PublicKeys,
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(429),
    summary="验签公钥 / Public keys for verifying reports and badges offline",
)
def public_keys(ctx: Ctx) -> PublicKeys:
    return PublicKeys(algorithm="Ed25519", keys=ctx.signing.public_keys())
