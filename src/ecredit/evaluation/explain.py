"""Reasons for a score, in Chinese first and English, each pointing at the rows behind it.

Formatting happens in Python on the few rows per subject the engine selected (the top losing
indicators and fired overrides), because number formatting differs between engines and
every reader must see the same sentence for the same result.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from ecredit.evaluation.policy import Indicator, Model

CITED_REFS = 3

_UNITS: dict[str, Callable[[float], tuple[str, str]]] = {
    "rate": lambda v: (f"{v * 100:.1f}%", f"{v * 100:.1f}%"),
    "days": lambda v: (f"{v:.1f} 天", f"{v:.1f} days"),
    "years": lambda v: (f"{v:.1f} 年", f"{v:.1f} years"),
    "stars": lambda v: (f"{v:.2f} 分", f"{v:.2f} of 5"),
    "level": lambda v: (f"{v:.0f} 级", f"level {v:.0f}"),
    "count": lambda v: (f"{v:.0f} 条", f"{v:.0f}"),
    "weighted_count": lambda v: (f"加权 {v:.0f} 条", f"weighted {v:.0f}"),
    "flag": lambda v: ("是", "yes") if v >= 1 else ("否", "no"),
}
_REF_KINDS = {
    "orders": ("订单", "orders"),
    "ratings": ("评价", "ratings"),
    "complaints": ("投诉", "complaints"),
    "records": ("信用记录", "records"),
    "logistics": ("运单", "parcels"),
}


@dataclass(frozen=True)
class Reasons:
    zh: tuple[str, ...]
    en: tuple[str, ...]

    def text(self) -> str:
        """One line for CSV and tables: each reason in Chinese, then English."""
        return "；".join(f"{z} / {e}" for z, e in zip(self.zh, self.en, strict=True))


NO_LOSS = Reasons(("各项指标均为最优",), ("every indicator at its best",))


def _value(ind: Indicator, value: float | None) -> tuple[str, str]:
    if value is None or math.isnan(value):
        return "无数据", "no data"
    return _UNITS.get(ind.unit, lambda v: (f"{v:g}", f"{v:g}"))(value)


def _refs(refs: list[tuple[str, str]]) -> tuple[str, str]:
    if not refs:
        return "", ""
    kind = refs[0][0]
    ids = [ref_id for _, ref_id in refs[:CITED_REFS]]
    zh, en = _REF_KINDS.get(kind, (kind, kind))
    return f"（{zh} {'、'.join(ids)}）", f" ({en} {', '.join(ids)})"


def explain(
    scores: pa.Table, top_reasons: pa.Table, evidence: pa.Table, model: Model
) -> dict[str, Reasons]:
    """Reasons per subject: overrides that fired first, then the costliest indicators.

    Evidence is grouped in Arrow (ordered, single-threaded, so each list keeps id order) and
    only the cited few per pair reach Python: nationally there are hundreds of thousands.
    """
    indicators = model.indicators.indicators
    grades = model.grades
    cited: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    grouped = (
        evidence.sort_by([("ref_id", "ascending")])
        .group_by(["subject_id", "indicator"], use_threads=False)
        .aggregate([("ref_kind", "first"), ("ref_id", "list")])
    )
    columns = ("subject_id", "indicator", "ref_kind_first", "ref_id_list")
    for subject, indicator, kind, ids in zip(
        *(grouped.column(c).to_pylist() for c in columns), strict=True
    ):
        cited[(subject, indicator)] = [(kind, ref_id) for ref_id in ids[:CITED_REFS]]
    zh: dict[str, list[str]] = defaultdict(list)
    en: dict[str, list[str]] = defaultdict(list)
    for row in scores.to_pylist():
        subject = row["subject_id"]
        for o in grades.overrides:
            if row[f"override__{o.name}"]:
                grade = grades.grades[-1].grade if o.grade == "worst" else o.grade
                ref_zh, ref_en = _refs(cited[(subject, o.indicator)])
                zh[subject].append(f"{o.zh}，等级不高于 {grade}{ref_zh}")
                en[subject].append(f"{o.en}: grade at most {grade}{ref_en}")
    for row in top_reasons.sort_by(
        [("subject_id", "ascending"), ("rank", "ascending")]
    ).to_pylist():
        subject, ind = row["subject_id"], indicators[row["indicator"]]
        value_zh, value_en = _value(ind, row["value"])
        ref_zh, ref_en = _refs(cited[(subject, row["indicator"])])
        zh[subject].append(f"{ind.zh} {value_zh}，扣 {row['lost']:.1f} 分{ref_zh}")
        en[subject].append(f"{ind.en} {value_en}, −{row['lost']:.1f} points{ref_en}")
    return {
        s: Reasons(tuple(zh[s]), tuple(en[s])) if zh[s] else NO_LOSS
        for s in scores.column("subject_id").to_pylist()
    }
