"""Rendering portal and console pages: language, caller and helpers for every template."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ecredit.web.i18n import LANG_COOKIE, LANGUAGES, language, pick, translator
from ecredit.web.security import ROLE_NAMES, Principal, Role

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TEMPLATES.env.globals["pick"] = pick
LANG_COOKIE_SECONDS = 365 * 24 * 3600


class LoginRequired(Exception):
    """A page needs an account the caller does not have; answered with the login page."""

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__("login required")
        self.roles = roles


def page(
    request: Request,
    template: str,
    caller: Principal,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    lang = language(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": translator(lang),
            "L": lambda label: pick(lang, label.zh, label.en) if label else "",
            "lang": lang,
            "path": request.url.path,
            "query": request.url.query,
            "caller": caller,
            "role_name": ROLE_NAMES[caller.role],
            "Role": Role,
            **context,
        },
        status_code=status_code,
    )
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_SECONDS, samesite="lax")
    return response


def require_page(caller: Principal, *roles: Role) -> None:
    if caller.role not in roles:
        raise LoginRequired(frozenset(roles))


def fragment(template: str, **context: object) -> str:
    """A template that is not a page (an SVG badge), rendered to text."""
    return TEMPLATES.get_template(template).render(**context)
