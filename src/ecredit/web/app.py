"""The web application: REST API, public portal, regulator console, one process.

`create_app` is the only entry point; it takes the engine, the privacy key ring and the
settings, so tests, the CLI and a deployment build the same app from the same parts.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecredit.privacy.keys import KeyRing
from ecredit.web import api
from ecredit.web.context import WebContext
from ecredit.web.pages import archive, console, portal
from ecredit.web.pages.render import LoginRequired, page
from ecredit.web.problems import (
    Problem,
    from_http_exception,
    from_validation_error,
    problem_response,
)
from ecredit.web.security import PUBLIC
from ecredit.web.settings import WebSettings
from ecredit.web.signing import load_signing_keys

STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _answer(request: Request, problem: Problem) -> Response:
    """API callers get problem+json; people get the error page in their language."""
    if _is_api(request):
        return problem_response(request, problem)
    return page(
        request,
        "error.html",
        PUBLIC,
        status_code=problem.status,
        problem=problem,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Response:
        return _answer(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        return _answer(request, from_http_exception(exc))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return _answer(request, from_validation_error(exc))

    @app.exception_handler(LoginRequired)
    async def on_login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> Response:
        return _answer(request, Problem(500, "internal", "服务器内部错误", "internal server error"))


async def _docs() -> Response:
    """Swagger UI from the vendored files, so the API docs work without internet access."""
    return get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json",
        title="ecredit API",
        swagger_js_url="/static/vendor/swagger-ui-bundle-5.35.0.js",
        swagger_css_url="/static/vendor/swagger-ui-5.35.0.css",
        swagger_favicon_url="/static/favicon.svg",
    )


def create_app(engine: sa.Engine, keys: KeyRing, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    app = FastAPI(
        title="ecredit 电子商务信用信息平台 API",
        description=(
            "信用信息公示、查询、信用报告、电子链接标识、统计监测。"
            "Errors are RFC 9457 problem details with Chinese and English messages."
        ),
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = WebContext.build(engine, keys, load_signing_keys(settings.key_file), settings)
    app.include_router(api.router)
    app.include_router(portal.router)
    app.include_router(console.router)
    app.include_router(archive.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/docs", _docs, include_in_schema=False)
    _install_error_handlers(app)
    return app
