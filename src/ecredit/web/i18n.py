"""Interface language: zh-CN by default, English on request.

The choice travels as `?lang=` (and is then remembered in a cookie), so a link can switch
language and a phone keeps the choice between pages. Pages start in Chinese whatever the
browser says; API clients may ask for English with Accept-Language. Messages live in
`messages.yaml`, one key with both languages, which keeps the two from drifting apart.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml
from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "lang"


@cache
def messages() -> dict[str, dict[str, str]]:
    path = Path(__file__).parent / "messages.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def language(request: Request) -> str:
    for choice in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if choice in LANGUAGES:
            return choice
    if not request.url.path.startswith("/api/"):
        return "zh"
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def translator(lang: str) -> Callable[[str], str]:
    table = messages()

    def t(key: str) -> str:
        entry = table.get(key)
        return entry[lang] if entry else key

    return t


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """Choose between a Chinese and English value that come from data, not from messages."""
    return (en if lang == "en" else zh) or zh or en or ""
