"""Credit statistics monitoring (信用统计监测): the indicators regulators watch, per month.

Each indicator is a query over a window and returns values by one dimension (subject type,
region, record class …). Stock indicators count what exists at the window's end; flow
indicators count what happened inside it. The same functions feed the live dashboard, the
monthly snapshot that is stored and published, and the CSV export, so the three cannot
disagree. Months are Chinese calendar months (UTC+8), as in the rating policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from stdnum import numdb

from ecredit.evaluation.policy import load_model
from ecredit.governance.services.common import DETECTION_CASE
from ecredit.records.catalogue import load_catalogue
from ecredit.storage.evaluations import evaluation_result, evaluation_run
from ecredit.storage.governance import governance_case
from ecredit.storage.tables import KIND_TABLES, rating_flag, record_status
from ecredit.web.capabilities import Capabilities
from ecredit.web.models import Label
from ecredit.web.queries import governance
from ecredit.web.queries.names import COMPLAINT_CATEGORIES, SUBJECT_TYPES, label
from ecredit.web.queries.subjects import PUBLIC_TYPES, public_name

subjects = KIND_TABLES["subjects"]
shops = KIND_TABLES["shops"]
records = KIND_TABLES["records"]
complaints = KIND_TABLES["complaints"]
DRILL_LIMIT = 500
SERIES_MONTHS = 12


@dataclass(frozen=True)
class Window:
    """Local calendar dates [start, end); `start` None for stocks (everything up to end)."""

    start: date | None
    end: date

    def utc(self, day: date) -> datetime:
        offset = load_model().ratings.calendar_utc_offset_hours
        return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=offset)

    def dates(self, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        upper = column < self.end
        return upper if self.start is None else sa.and_(column >= self.start, upper)

    def times(self, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        upper = column < self.utc(self.end)
        return upper if self.start is None else sa.and_(column >= self.utc(self.start), upper)


def month_window(month: str) -> Window:
    year, number = (int(p) for p in month.split("-"))
    start = date(year, number, 1)
    return Window(start, date(year + number // 12, number % 12 + 1, 1))


def previous_months(last: str, count: int) -> list[str]:
    year, number = (int(p) for p in last.split("-"))
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


Values = dict[str, float]
Rows = list[dict[str, object]]


@dataclass(frozen=True)
class Indicator:
    name: str
    title: Label
    dimension: Label
    flow: bool
    unit: str
    compute: Callable[[sa.Connection, Window], Values]
    drill: Callable[[sa.Connection, str, Window], Rows] | None = None
    needs: str | None = None
    """The capability whose tables the indicator reads, if not the foundation's."""


def _grouped(conn: sa.Connection, key: sa.ColumnElement, query: sa.Select) -> Values:
    return {str(k): float(v) for k, v in conn.execute(query.group_by(key)) if k is not None}


def _subject_rows(conn: sa.Connection, where: sa.ColumnElement[bool]) -> Rows:
    rows = conn.execute(
        sa.select(subjects).where(where).order_by(subjects.c.subject_id).limit(DRILL_LIMIT)
    )
    return [
        {
            "subject_id": r.subject_id,
            "name": public_name(r.name, r.legal_form),
            "subject_type": r.subject_type,
            "region": r.region,
            "registered_on": r.registered_on,
        }
        for r in rows
    ]


def _market(window: Window) -> sa.ColumnElement[bool]:
    return sa.and_(
        subjects.c.subject_type.in_(PUBLIC_TYPES), window.dates(subjects.c.registered_on)
    )


def subjects_by_type(conn: sa.Connection, window: Window) -> Values:
    return _grouped(
        conn,
        subjects.c.subject_type,
        sa.select(subjects.c.subject_type, sa.func.count()).where(
            window.dates(subjects.c.registered_on)
        ),
    )


def _drill_type(conn: sa.Connection, key: str, window: Window) -> Rows:
    return _subject_rows(
        conn, sa.and_(subjects.c.subject_type == key, window.dates(subjects.c.registered_on))
    )


province_prefix = sa.func.substr(subjects.c.region, 1, 2)


def province_name(prefix: str) -> str:
    found = numdb.get("cn/loc").info(prefix + "0000")
    return found[0][1].get("province", prefix) if found else prefix


def subjects_by_region(conn: sa.Connection, window: Window) -> Values:
    counts = _grouped(
        conn, province_prefix, sa.select(province_prefix, sa.func.count()).where(_market(window))
    )
    return {f"{prefix} {province_name(prefix)}": n for prefix, n in counts.items()}


def _drill_region(conn: sa.Connection, key: str, window: Window) -> Rows:
    return _subject_rows(conn, sa.and_(_market(window), province_prefix == key.split(" ")[0]))


def merchants_by_platform(conn: sa.Connection, window: Window) -> Values:
    platform = subjects.alias("platform")
    return _grouped(
        conn,
        platform.c.name,
        sa.select(platform.c.name, sa.func.count(sa.distinct(shops.c.merchant_id)))
        .join(platform, platform.c.subject_id == shops.c.platform_id)
        .where(window.dates(shops.c.opened_on)),
    )


def _drill_platform(conn: sa.Connection, key: str, window: Window) -> Rows:
    platform = subjects.alias("platform")
    rows = conn.execute(
        sa.select(shops, subjects.c.name.label("merchant"), subjects.c.legal_form)
        .join(platform, platform.c.subject_id == shops.c.platform_id)
        .join(subjects, subjects.c.subject_id == shops.c.merchant_id)
        .where(platform.c.name == key, window.dates(shops.c.opened_on))
        .order_by(shops.c.shop_id)
        .limit(DRILL_LIMIT)
    )
    return [
        {
            "shop_id": r.shop_id,
            "shop": r.name,
            "merchant_id": r.merchant_id,
            "merchant": public_name(r.merchant, r.legal_form),
            "opened_on": r.opened_on,
        }
        for r in rows
    ]


def _verified_subjects(window: Window) -> sa.Select:
    return sa.select(records.c.subject_id).where(
        records.c.type_code == "BAS02", window.dates(records.c.decided_on)
    )


def verified_share(conn: sa.Connection, window: Window) -> Values:
    verified = subjects.c.subject_id.in_(_verified_subjects(window))
    rows = conn.execute(
        sa.select(
            subjects.c.subject_type,
            sa.func.count(),
            sa.func.count().filter(verified),
        )
        .where(_market(window))
        .group_by(subjects.c.subject_type)
    )
    return {t: round(done / total, 4) for t, total, done in rows if total}


def _drill_unverified(conn: sa.Connection, key: str, window: Window) -> Rows:
    return _subject_rows(
        conn,
        sa.and_(
            _market(window),
            subjects.c.subject_type == key,
            subjects.c.subject_id.not_in(_verified_subjects(window)),
        ),
    )


def _dishonest_codes() -> dict[str, str]:
    """Record type → class, for the types the catalogue grades as dishonest by default."""
    return {
        rt.code: rt.record_class
        for rt in load_catalogue().record_types
        if rt.severity != "positive"
    }


def dishonesty_records(conn: sa.Connection, window: Window) -> Values:
    classes = _dishonest_codes()
    counts: Values = defaultdict(float)
    rows = conn.execute(
        sa.select(records.c.type_code, sa.func.count())
        .where(records.c.type_code.in_(classes), window.dates(records.c.decided_on))
        .group_by(records.c.type_code)
    )
    for code, n in rows:
        counts[classes[code]] += n
    return dict(counts)


def _drill_records(conn: sa.Connection, key: str, window: Window) -> Rows:
    codes = [code for code, cls in _dishonest_codes().items() if cls == key]
    rows = conn.execute(
        sa.select(records, subjects.c.name, subjects.c.legal_form)
        .join(subjects, subjects.c.subject_id == records.c.subject_id)
        .where(records.c.type_code.in_(codes), window.dates(records.c.decided_on))
        .order_by(records.c.decided_on.desc())
        .limit(DRILL_LIMIT)
    )
    return [
        {
            "record_id": r.record_id,
            "subject_id": r.subject_id,
            "name": public_name(r.name, r.legal_form),
            "type_code": r.type_code,
            "decided_on": r.decided_on,
            "source_name": r.source_name,
        }
        for r in rows
    ]


def complaints_by_category(conn: sa.Connection, window: Window) -> Values:
    return _grouped(
        conn,
        complaints.c.category,
        sa.select(complaints.c.category, sa.func.count()).where(
            window.times(complaints.c.received_at)
        ),
    )


def _drill_complaints(conn: sa.Connection, key: str, window: Window) -> Rows:
    rows = conn.execute(
        sa.select(complaints)
        .where(complaints.c.category == key, window.times(complaints.c.received_at))
        .order_by(complaints.c.received_at.desc())
        .limit(DRILL_LIMIT)
    )
    return [
        {
            "complaint_id": r.complaint_id,
            "channel": r.channel,
            "target_id": r.target_id,
            "received_at": r.received_at,
            "status": r.status,
            "outcome": r.outcome,
            "resolved_at": r.resolved_at,
        }
        for r in rows
    ]


def resolution_days(conn: sa.Connection, window: Window) -> Values:
    """Mean days from receipt to resolution of complaints resolved in the window, by channel."""
    rows = conn.execute(
        sa.select(complaints.c.channel, complaints.c.received_at, complaints.c.resolved_at).where(
            window.times(complaints.c.resolved_at)
        )
    )
    spans: dict[str, list[float]] = defaultdict(list)
    for channel, received, resolved in rows:
        spans[channel].append((resolved - received).total_seconds() / 86400)
    return {channel: round(sum(s) / len(s), 2) for channel, s in spans.items()}


def repairs(conn: sa.Connection, window: Window) -> Values:
    classes = {rt.code: rt.record_class for rt in load_catalogue().record_types}
    rows = conn.execute(
        sa.select(records.c.type_code, sa.func.count())
        .join(record_status, record_status.c.record_id == records.c.record_id)
        .where(record_status.c.status == "repaired", window.times(record_status.c.changed_at))
        .group_by(records.c.type_code)
    )
    counts: Values = defaultdict(float)
    for code, n in rows:
        counts[classes.get(code, code)] += n
    return dict(counts)


def brushing_flags(conn: sa.Connection, window: Window) -> Values:
    """Ratings whose score was invalidated (confirmed brushing), from the append-only flags."""
    n = conn.execute(
        sa.select(sa.func.count(sa.distinct(rating_flag.c.rating_id))).where(
            rating_flag.c.valid_score.is_(False), window.times(rating_flag.c.set_at)
        )
    ).scalar_one()
    return {"ratings": float(n)}


def grade_distribution(conn: sa.Connection, window: Window) -> Values:
    """Grades of the newest evaluation run as of the window's end."""
    run_id = conn.execute(
        sa.select(sa.func.max(evaluation_run.c.run_id)).where(evaluation_run.c.as_of < window.end)
    ).scalar_one()
    return _grouped(
        conn,
        evaluation_result.c.grade,
        sa.select(evaluation_result.c.grade, sa.func.count()).where(
            evaluation_result.c.run_id == run_id
        ),
    )


def list_counts(conn: sa.Connection, window: Window) -> Values:
    return governance.list_counts(conn, window.end - timedelta(days=1))


def peer_list_counts(conn: sa.Connection, window: Window) -> Values:
    """Other nodes' listings in force here, a separate stock: see `governance.peer_list_counts`
    for why they never join `list_counts`."""
    return governance.peer_list_counts(conn, window.end - timedelta(days=1))


def detection_cases(conn: sa.Connection, window: Window) -> Values:
    """Manipulation cases detection confirmed and governance filed, by kind."""
    cases = governance_case.c
    return _grouped(
        conn,
        cases.kind,
        sa.select(cases.kind, sa.func.count()).where(
            cases.workflow == DETECTION_CASE, window.times(cases.opened_at)
        ),
    )


def _drill_cases(conn: sa.Connection, key: str, window: Window) -> Rows:
    cases = governance_case.c
    rows = conn.execute(
        sa.select(governance_case)
        .where(cases.workflow == DETECTION_CASE, cases.kind == key, window.times(cases.opened_at))
        .order_by(cases.opened_at.desc())
        .limit(DRILL_LIMIT)
    )
    return [
        {
            "case_id": r.case_id,
            "subject_id": r.subject_id,
            "kind": r.kind,
            "record_id": r.record_id,
            "opened_at": r.opened_at,
        }
        for r in rows
    ]


def _l(zh: str, en: str) -> Label:
    return Label(zh=zh, en=en)


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "subjects_by_type",
            _l("信用主体数量（按类型）", "Subjects by type"),
            _l("主体类型", "subject type"),
            False,
            "count",
            subjects_by_type,
            _drill_type,
        ),
        Indicator(
            "subjects_by_region",
            _l("市场主体数量（按地区）", "Market subjects by region"),
            _l("省份", "province"),
            False,
            "count",
            subjects_by_region,
            _drill_region,
        ),
        Indicator(
            "merchants_by_platform",
            _l("平台内经营者数量（按平台）", "Merchants by platform"),
            _l("平台", "platform"),
            False,
            "count",
            merchants_by_platform,
            _drill_platform,
        ),
        Indicator(
            "verified_share",
            _l("实名认证比例", "Verified share"),
            _l("主体类型", "subject type"),
            False,
            "share",
            verified_share,
            _drill_unverified,
        ),
        Indicator(
            "grade_distribution",
            _l("信用等级分布", "Grade distribution"),
            _l("信用等级", "grade"),
            False,
            "count",
            grade_distribution,
            needs="evaluation",
        ),
        Indicator(
            "dishonesty_records",
            _l("失信记录（按类别）", "Dishonesty records by class"),
            _l("记录类别", "record class"),
            True,
            "count",
            dishonesty_records,
            _drill_records,
        ),
        Indicator(
            "complaints_by_category",
            _l("投诉举报（按类别）", "Complaints by category"),
            _l("投诉类别", "category"),
            True,
            "count",
            complaints_by_category,
            _drill_complaints,
        ),
        Indicator(
            "resolution_days",
            _l("投诉平均办结天数", "Mean days to resolve a complaint"),
            _l("渠道", "channel"),
            True,
            "days",
            resolution_days,
        ),
        Indicator(
            "repairs",
            _l("信用修复（按记录类别）", "Repairs by record class"),
            _l("记录类别", "record class"),
            True,
            "count",
            repairs,
        ),
        Indicator(
            "list_counts",
            _l("红黑名单在册数", "Subjects on lists"),
            _l("名单", "list"),
            False,
            "count",
            list_counts,
            needs="governance",
        ),
        Indicator(
            "peer_list_counts",
            _l(
                "其他节点认定的名单在册数（不计入本节点名单在册数）",
                "Other nodes' listings in force (not in this node's list counts)",
            ),
            _l("名单", "list"),
            False,
            "count",
            peer_list_counts,
            needs="governance",
        ),
        Indicator(
            "detection_cases",
            _l("确认的操纵信用案件", "Confirmed manipulation cases"),
            _l("案件类型", "case kind"),
            True,
            "count",
            detection_cases,
            _drill_cases,
            needs="governance",
        ),
        Indicator(
            "brushing_flags",
            _l("确认刷单评价数", "Ratings confirmed as brushing"),
            _l("对象", "object"),
            True,
            "count",
            brushing_flags,
        ),
    )
}


def dimension_label(indicator: str, key: str) -> Label:
    """Readable names for dimension codes; region and platform keys are already names."""
    if indicator in ("subjects_by_type", "verified_share"):
        return label(SUBJECT_TYPES, key)
    if indicator == "complaints_by_category":
        return label(COMPLAINT_CATEGORIES, key)
    if indicator in ("dishonesty_records", "repairs"):
        found = load_catalogue().classes.get(key)
        return Label(zh=found.zh, en=found.en) if found else Label(zh=key, en=key)
    if indicator in ("list_counts", "peer_list_counts"):
        return governance.list_name(key)
    return Label(zh=key, en=key)


def available(capabilities: Capabilities) -> list[Indicator]:
    return [i for i in INDICATORS.values() if i.needs is None or capabilities.has(i.needs)]


def latest_month(conn: sa.Connection) -> str:
    """The newest month with activity: generated or late data may end before today."""
    newest = [
        conn.execute(sa.select(sa.func.max(records.c.decided_on))).scalar_one(),
        conn.execute(sa.select(sa.func.max(complaints.c.received_at))).scalar_one(),
        conn.execute(sa.select(sa.func.max(KIND_TABLES["orders"].c.ordered_at))).scalar_one(),
    ]
    days = [d.date() if isinstance(d, datetime) else d for d in newest if d is not None]
    moment = max(days, default=datetime.now(UTC).date())
    return f"{moment.year:04d}-{moment.month:02d}"


def current(conn: sa.Connection, indicator: Indicator, month: str) -> Values:
    return indicator.compute(conn, window_of(indicator, month))


def window_of(indicator: Indicator, month: str) -> Window:
    """Flows count within the month, stocks everything up to its end."""
    window = month_window(month)
    return window if indicator.flow else Window(None, window.end)


def series(conn: sa.Connection, indicator: Indicator, months: list[str]) -> dict[str, Values]:
    return {month: indicator.compute(conn, window_of(indicator, month)) for month in months}


def drill(conn: sa.Connection, indicator: Indicator, key: str, month: str) -> Rows:
    if indicator.drill is None:
        return []
    return indicator.drill(conn, key, window_of(indicator, month))
