"""Errors as RFC 9457 problem details, in Chinese and English.

Every API error leaves through `Problem`, so clients get one shape: `type`, `title`,
`status`, `detail` (in the caller's language) and `messages` with both languages, because a
regulator's integration log and a consumer's phone rarely share a language setting.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecredit.web.i18n import language

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "Bad request"),
    401: ("需要登录", "Authentication required"),
    403: ("无权访问", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("方法不允许", "Method not allowed"),
    409: ("冲突", "Conflict"),
    413: ("内容过大", "Content too large"),
    422: ("数据不合规", "Unprocessable content"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器内部错误", "Internal server error"),
    501: ("功能未安装", "Capability not installed"),
}


class ProblemBody(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    messages: dict[str, str]
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class Problem(Exception):
    def __init__(
        self,
        status: int,
        slug: str,
        zh: str,
        en: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(en)
        self.status, self.slug, self.zh, self.en = status, slug, zh, en
        self.headers = headers or {}
        self.errors = errors

    def body(self, lang: str, instance: str | None = None) -> dict[str, Any]:
        title_zh, title_en = TITLES.get(self.status, TITLES[500])
        body = ProblemBody(
            type=f"/problems/{self.slug}",
            title=title_zh if lang == "zh" else title_en,
            status=self.status,
            detail=self.zh if lang == "zh" else self.en,
            messages={"zh-CN": self.zh, "en": self.en},
            instance=instance,
            errors=self.errors,
        )
        return body.model_dump(exclude_none=True)


def not_found(what_zh: str, what_en: str, key: str) -> Problem:
    return Problem(404, "not-found", f"未找到{what_zh}：{key}", f"{what_en} not found: {key}")


def not_installed(capability_zh: str, capability_en: str) -> Problem:
    """Said plainly when a capability's module has not landed, instead of an empty answer."""
    return Problem(
        501,
        "capability-not-installed",
        f"{capability_zh}功能尚未安装",
        f"The {capability_en} capability is not installed",
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each listed error, and the validation error any request
    can meet, documented as problem+json (replacing FastAPI's own 422 schema)."""
    return {
        status: {
            "model": ProblemBody,
            "description": f"{TITLES[status][1]} / {TITLES[status][0]}",
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in sorted({*statuses, 422})
    }


def problem_response(request: Request, problem: Problem) -> Response:
    return JSONResponse(
        problem.body(language(request), str(request.url.path)),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def from_http_exception(exc: StarletteHTTPException) -> Problem:
    title_zh, title_en = TITLES.get(exc.status_code, TITLES[500])
    detail = exc.detail if isinstance(exc.detail, str) else title_en
    return Problem(
        exc.status_code,
        title_en.lower().replace(" ", "-"),
        title_zh,
        detail,
        headers=dict(exc.headers or {}),
    )


def from_validation_error(exc: RequestValidationError) -> Problem:
    """Each bad field is located (`loc`) so the caller can fix its input without guessing."""
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return Problem(
        422,
        "validation",
        "请求数据不合规，请检查 errors 中列出的字段",
        "The request is invalid; see the fields listed in errors",
        errors=errors,
    )
