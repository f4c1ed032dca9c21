"""HTML to PDF and QR codes for everything ecredit issues (reports, bulletins).

WeasyPrint lays out the same Jinja templates the portal uses; the CJK font is the TrueType
WenQuanYi Micro Hei from Debian (fonts-wqy-microhei, installed by scripts/system-packages.sh),
named in the print stylesheet so a PDF never falls back to boxes.
"""

from __future__ import annotations

from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML

from ecredit.web.i18n import pick, translator

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    env.globals["pick"] = pick
    return env


def render(env: Environment, template: str, lang: str = "zh", **context: object) -> str:
    def label(value: object) -> str:
        """Labels arrive as models or, from a report's JSON content, as dicts."""
        if isinstance(value, dict):
            return pick(lang, value.get("zh"), value.get("en"))
        return pick(lang, getattr(value, "zh", None), getattr(value, "en", None))

    return env.get_template(template).render(t=translator(lang), L=label, lang=lang, **context)


def qr_svg(url: str) -> str:
    """A data URI, so the QR code travels inside the HTML and the PDF."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
