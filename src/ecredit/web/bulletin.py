"""The monthly statistics bulletin (信用信息发布): the stored snapshot as HTML and PDF.

Charts are drawn as inline SVG on the server, so the same page prints to PDF (WeasyPrint runs
no JavaScript) and shows in any browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ecredit.web import documents, snapshots
from ecredit.web.capabilities import Capabilities
from ecredit.web.models import Label
from ecredit.web.queries import statistics


@dataclass(frozen=True)
class Bar:
    label: Label
    value: float
    previous: float | None


@dataclass(frozen=True)
class Section:
    name: str
    title: Label
    dimension: Label
    unit: str
    bars: list[Bar]

    @property
    def maximum(self) -> float:
        return max((b.value for b in self.bars), default=0.0) or 1.0


def sections(conn: sa.Connection, month: str) -> list[Section]:
    figures = snapshots.stored(conn, month)
    previous = snapshots.stored(conn, statistics.previous_months(month, 2)[0])
    return [
        Section(
            name=name,
            title=indicator.title,
            dimension=indicator.dimension,
            unit=indicator.unit,
            bars=[
                Bar(
                    statistics.dimension_label(name, key),
                    value,
                    previous.get(name, {}).get(key),
                )
                for key, value in sorted(figures[name].items(), key=lambda kv: -kv[1])
            ],
        )
        for name, indicator in statistics.INDICATORS.items()
        if name in figures
    ]


def html(conn: sa.Connection, month: str, lang: str = "zh", for_print: bool = False) -> str:
    return documents.render(
        documents.environment(),
        "bulletin.html",
        lang=lang,
        month=month,
        sections=sections(conn, month),
        for_print=for_print,
    )


def publish(
    engine: sa.Engine, month: str, capabilities: Capabilities, out_dir: Path
) -> tuple[Path, Path]:
    """Snapshot the month, then write `<month>.html` and `<month>.pdf` into `out_dir`."""
    snapshots.take(engine, month, capabilities)
    out_dir.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        page = html(conn, month)
        printable = html(conn, month, for_print=True)
    html_path, pdf_path = out_dir / f"{month}.html", out_dir / f"{month}.pdf"
    html_path.write_text(page, encoding="utf-8")
    pdf_path.write_bytes(documents.pdf(printable))
    return html_path, pdf_path
