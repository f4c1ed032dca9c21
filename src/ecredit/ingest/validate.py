"""Column-wise validation of one chunk of input rows.

Validation is vectorised (polars expressions over a whole chunk) because row-by-row Python
cannot keep up with platform exports of tens of millions of orders. Each check yields a
reason a clerk understands, in Chinese first and English second; a row with any reason is
rejected and every other row goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ecredit.identity.checks import check_gtin, check_mobile, check_region, check_ric, check_uscc
from ecredit.records.kinds import Check, Field, FieldType, Kind

LINE = "__line"
BEIJING_OFFSET_HOURS = 8
"""Chinese platforms export wall-clock times without an offset; they are Beijing time, a fixed
UTC+8 since China dropped daylight saving in 1991 (fixed arithmetic is 10x faster than a zone
lookup)."""

REJECT_SCHEMA = {LINE: pl.Int64, "field": pl.String, "value": pl.String, "reason": pl.String}

_TRUE = ("true", "1", "yes", "y", "是", "t")
_FALSE = ("false", "0", "no", "n", "否", "f")

_VALUE_CHECKERS: dict[Check, Callable[[str], str | None]] = {
    Check.USCC: check_uscc,
    Check.RIC: check_ric,
    Check.GTIN: check_gtin,
    Check.MOBILE: check_mobile,
    Check.REGION: check_region,
}


@dataclass(frozen=True)
class Context:
    """What validation needs from outside the chunk, passed in so the core stays pure."""

    now: datetime
    catalogue_codes: frozenset[str]


@dataclass(frozen=True)
class Checked:
    accepted: pl.DataFrame
    rejects: pl.DataFrame


def _parse(f: Field) -> pl.Expr:
    raw = pl.col(f.name)
    match f.type:
        case FieldType.INT:
            return raw.str.strip_chars().cast(pl.Int64, strict=False)
        case FieldType.DECIMAL:
            return raw.str.strip_chars().cast(pl.Float64, strict=False).round(2)
        case FieldType.DATE:
            return raw.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
        case FieldType.DATETIME:
            return _parse_datetime(raw)
        case FieldType.BOOL:
            low = raw.str.strip_chars().str.to_lowercase()
            return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
        case _:
            return raw.str.strip_chars()


def _parse_datetime(raw: pl.Expr) -> pl.Expr:
    """Accept ISO 8601 with or without offset; naive times are Beijing time; result in UTC.

    Platform exports almost always use plain `YYYY-MM-DD HH:MM:SS`, which parses three times
    faster than the general formats; those only see the values the plain format rejected."""
    text = raw.str.strip_chars().str.replace("T", " ").str.replace("Z$", "+00:00")
    plain = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    rest = pl.when(plain.is_null()).then(text)
    naive = pl.coalesce(
        plain, rest.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    )
    aware = rest.str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC"
    )
    local = (naive - pl.duration(hours=BEIJING_OFFSET_HOURS)).dt.replace_time_zone("UTC")
    return pl.coalesce(local, aware)


_TYPE_REASONS: dict[FieldType, str] = {
    FieldType.INT: "不是整数 / not a whole number",
    FieldType.DECIMAL: "不是数字 / not a number",
    FieldType.DATE: "日期格式错误，应为 YYYY-MM-DD / malformed date, expected YYYY-MM-DD",
    FieldType.DATETIME: (
        "时间格式错误，应为 YYYY-MM-DD HH:MM:SS / malformed date-time, expected YYYY-MM-DD HH:MM:SS"
    ),
    FieldType.BOOL: "应为 true 或 false / expected true or false",
}


def _field_reason(f: Field, ctx: Context) -> pl.Expr:
    """The first failing check of a field as a reason, or null when the value is fine."""
    raw, value = pl.col(f.name), pl.col(f"__v_{f.name}")
    cases: list[tuple[pl.Expr, str]] = []
    if f.required:
        cases.append((raw.is_null(), "必填字段为空 / required field is empty"))
    if f.type in _TYPE_REASONS:
        cases.append((raw.is_not_null() & value.is_null(), _TYPE_REASONS[f.type]))
    if f.type == FieldType.ENUM:
        allowed = ", ".join(f.choices)
        cases.append(
            (
                value.is_not_null() & ~value.is_in(f.choices),
                f"取值应为 {allowed} / must be one of {allowed}",
            )
        )
    cases.extend(_range_cases(f, value))
    if f.max_length is not None:
        n = f.max_length
        cases.append((value.str.len_chars() > n, f"超过 {n} 个字符 / longer than {n} characters"))
    if Check.NOT_FUTURE in f.checks:
        limit = ctx.now.date() if f.type == FieldType.DATE else ctx.now
        cases.append((value > pl.lit(limit), "日期晚于今天 / date in the future"))
    if Check.CATALOGUE in f.checks:
        cases.append(
            (
                value.is_not_null() & ~value.is_in(sorted(ctx.catalogue_codes)),
                "不在信用信息目录中 / record type not in the catalogue",
            )
        )
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for cond, text in reversed(cases):
        reason = pl.when(cond).then(pl.lit(text)).otherwise(reason)
    return reason


def _range_cases(f: Field, value: pl.Expr) -> list[tuple[pl.Expr, str]]:
    lo, hi = f.minimum, f.maximum
    fmt = "{:g}".format
    if lo is not None and hi is not None:
        text = f"超出范围 {fmt(lo)}..{fmt(hi)} / outside the range {fmt(lo)}..{fmt(hi)}"
        return [((value < lo) | (value > hi), text)]
    if lo is not None:
        text = f"不能小于 {fmt(lo)} / must not be below {fmt(lo)}"
        if lo == 0:
            text = "不能为负数 / must not be negative"
        return [(value < lo, text)]
    return []


def _value_check_reasons(frame: pl.DataFrame, f: Field) -> pl.Series | None:
    """Identifier checks run per distinct value: they call python-stdnum, not vectorisable."""
    checkers = [_VALUE_CHECKERS[c] for c in f.checks if c in _VALUE_CHECKERS]
    if not checkers:
        return None
    values = frame.get_column(f"__v_{f.name}")
    distinct = values.drop_nulls().unique().to_list()
    verdicts = {v: next((r for c in checkers if (r := c(v))), None) for v in distinct}
    return values.replace_strict(verdicts, default=None, return_dtype=pl.String)


def _cross_field_rules(kind: Kind) -> list[tuple[str, pl.Expr, str]]:
    """Rules that look at several fields of a row; each names the field it blames."""
    v = lambda name: pl.col(f"__v_{name}")  # noqa: E731 — a local shorthand keeps rules legible
    rules: dict[str, tuple[str, pl.Expr, str]] = {
        "organisation_needs_uscc": (
            "uscc",
            (v("legal_form") == "organisation") & v("uscc").is_null(),
            "组织机构须填写统一社会信用代码 / an organisation needs its USCC",
        ),
        "person_seller_needs_ric": (
            "ric",
            (v("legal_form") == "person")
            & v("subject_type").is_in(("merchant", "courier"))
            & v("ric").is_null(),
            "自然人经营者须填写身份证号码 / a natural-person seller needs a citizen ID number",
        ),
        "delisted_after_listed": (
            "delisted_at",
            v("delisted_at") < v("listed_at"),
            "下架时间早于上架时间 / delisted before listed",
        ),
        "paid_after_ordered": (
            "paid_at",
            v("paid_at") < v("ordered_at"),
            "付款时间早于下单时间 / paid before ordered",
        ),
        "shipped_after_paid": (
            "shipped_at",
            v("shipped_at") < v("paid_at"),
            "发货时间早于付款时间 / shipped before paid",
        ),
        "initial_needs_score": (
            "score",
            (v("kind") == "initial") & v("score").is_null(),
            "首次评价须有好中差评 / an initial rating needs a score",
        ),
        "follow_up_needs_parent": (
            "parent_rating_id",
            v("kind").is_in(("follow_up", "reply")) & v("parent_rating_id").is_null(),
            "追加评价和回复须指明原评价 / a follow-up or reply needs its original rating",
        ),
        "visitors_within_visits": (
            "unique_visitors",
            v("unique_visitors") > v("visits"),
            "访客数大于访问量 / more unique visitors than visits",
        ),
        "resolved_after_received": (
            "resolved_at",
            v("resolved_at") < v("received_at"),
            "办结时间早于受理时间 / resolved before received",
        ),
    }
    return [rules[name] for name in kind.rules]


def check_chunk(kind: Kind, frame: pl.DataFrame, ctx: Context) -> Checked:
    """Split a chunk of text columns into typed accepted rows and located rejects."""
    frame = frame.with_columns(pl.col(kind.columns).cast(pl.String))
    parsed = (  # lazy, so the steps shared by a field's parses are computed once
        frame.lazy().with_columns(_parse(f).alias(f"__v_{f.name}") for f in kind.fields).collect()
    )
    reasons = parsed.select(
        pl.col(LINE),
        *(_field_reason(f, ctx).alias(f.name) for f in kind.fields),
    )
    overrides = {
        f.name: s for f in kind.fields if (s := _value_check_reasons(parsed, f)) is not None
    }
    if overrides:
        reasons = reasons.with_columns(
            pl.coalesce(pl.col(name), s) for name, s in overrides.items()
        )
    for name, cond, text in _cross_field_rules(kind):
        rule = pl.when(cond.fill_null(False)).then(pl.lit(text))
        reasons = reasons.with_columns(
            pl.coalesce(pl.col(name), parsed.select(rule).to_series()).alias(name)
        )
    rejects = _long_rejects(frame, reasons, kind.columns)
    bad = rejects.get_column(LINE).unique()
    accepted = parsed.filter(~pl.col(LINE).is_in(bad.implode())).select(
        pl.col(LINE), *(pl.col(f"__v_{f.name}").alias(f.name) for f in kind.fields)
    )
    return Checked(accepted, rejects)


def _long_rejects(raw: pl.DataFrame, reasons: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    columns = list(columns)
    parts = [
        reasons.filter(pl.col(name).is_not_null()).select(
            pl.col(LINE),
            pl.lit(name).alias("field"),
            pl.col(name).alias("reason"),
        )
        for name in columns
    ]
    long = pl.concat(parts)
    if long.is_empty():
        return pl.DataFrame(schema=REJECT_SCHEMA)
    bad_rows = raw.filter(pl.col(LINE).is_in(long.get_column(LINE).implode()))
    values = bad_rows.select(LINE, *columns).unpivot(
        index=LINE, variable_name="field", value_name="value"
    )
    return long.join(values, on=[LINE, "field"], how="left").select(REJECT_SCHEMA.keys()).sort(LINE)
