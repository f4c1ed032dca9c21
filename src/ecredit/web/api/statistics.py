"""Statistics monitoring for regulators: indicators, monthly series, drill-down, CSV export;
published monthly snapshots for everyone."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ecredit.web import snapshots
from ecredit.web.access_log import Audit
from ecredit.web.api.deps import Conn, Ctx
from ecredit.web.models import Label
from ecredit.web.problems import not_found, problem_responses
from ecredit.web.queries import statistics
from ecredit.web.security import Role, allow, open_to_all

router = APIRouter(tags=["信用统计监测 statistics"])
REGULATORS = [Depends(allow(Role.REGULATOR, Role.ADMIN))]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MonthQuery = Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM")]


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class IndicatorInfo(BaseModel):
    name: str
    title: Label
    dimension: Label
    flow: bool
    unit: str
    drillable: bool


class Catalogue(BaseModel):
    latest_month: str
    indicators: list[IndicatorInfo]


class Point(BaseModel):
    month: str
    key: str
    label: Label
    value: float


class Series(BaseModel):
    indicator: IndicatorInfo
    months: list[str]
    points: list[Point]


class Published(BaseModel):
    month: str
    figures: dict[str, dict[str, float]]


def _info(indicator: statistics.Indicator) -> IndicatorInfo:
    return IndicatorInfo(
        name=indicator.name,
        title=indicator.title,
        dimension=indicator.dimension,
        flow=indicator.flow,
        unit=indicator.unit,
        drillable=indicator.drill is not None,
    )


def indicator_named(ctx: Ctx, name: str) -> statistics.Indicator:
    found = {i.name: i for i in statistics.available(ctx.capabilities)}.get(name)
    if found is None:
        raise not_found("监测指标", "indicator", name)
    return found


def csv_response(rows: list[dict[str, object]], filename: str) -> Response:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CSV_RESPONSE = {200: {"content": {"application/json": {}, "text/csv": {}}}}


@router.get(
    "/statistics",
    response_model=Catalogue,
    dependencies=REGULATORS,
    responses=problem_responses(401, 403),
    summary="监测指标目录 / Monitoring indicators",
)
def catalogue(conn: Conn, ctx: Ctx) -> Catalogue:
    return Catalogue(
        latest_month=statistics.latest_month(conn),
        indicators=[_info(i) for i in statistics.available(ctx.capabilities)],
    )


def series_points(conn: Conn, indicator: statistics.Indicator, months: list[str]) -> list[Point]:
    return [
        Point(
            month=month,
            key=key,
            label=statistics.dimension_label(indicator.name, key),
            value=value,
        )
        for month, values in statistics.series(conn, indicator, months).items()
        for key, value in sorted(values.items())
    ]


@router.get(
    "/statistics/{indicator}",
    response_model=Series,
    dependencies=REGULATORS,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
    summary="指标月度序列 / Monthly series of an indicator (JSON or CSV)",
)
def indicator_series(
    indicator: str,
    conn: Conn,
    ctx: Ctx,
    month: MonthQuery = None,
    months: Annotated[int, Query(ge=1, le=36)] = statistics.SERIES_MONTHS,
    format: Format = Format.JSON,
) -> Series | Response:
    found = indicator_named(ctx, indicator)
    window = statistics.previous_months(month or statistics.latest_month(conn), months)
    points = series_points(conn, found, window)
    if format is Format.CSV:
        rows = [
            {
                "month": p.month,
                "key": p.key,
                "名称": p.label.zh,
                "name": p.label.en,
                "value": p.value,
            }
            for p in points
        ]
        return csv_response(rows, f"{indicator}.csv")
    return Series(indicator=_info(found), months=window, points=points)


@router.get(
    "/statistics/{indicator}/drill",
    response_model=list[dict[str, str | int | float | datetime | date | None]],
    dependencies=REGULATORS,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
    summary="下钻明细 / Drill down into one bar (JSON or CSV)",
)
def drill(
    indicator: str,
    conn: Conn,
    ctx: Ctx,
    key: Annotated[str, Query(max_length=200)],
    audit: Audit,
    month: MonthQuery = None,
    format: Format = Format.JSON,
) -> list[dict[str, object]] | Response:
    """Drill-down rows name subjects, so unlike the aggregate series they are registered."""
    found = indicator_named(ctx, indicator)
    rows = statistics.drill(conn, found, key, month or statistics.latest_month(conn))
    audit.read("statistics.drill")
    if format is Format.CSV:
        return csv_response(rows, f"{indicator}-{re.sub(r'[^0-9A-Za-z_-]', '_', key)}.csv")
    return rows


@router.post(
    "/statistics/snapshots/{month}",
    response_model=Published,
    status_code=201,
    dependencies=REGULATORS,
    responses=problem_responses(401, 403, 422),
    summary="生成月度快照 / Take the monthly snapshot",
)
def take_snapshot(month: Annotated[str, Path(pattern=MONTH)], ctx: Ctx) -> Published:
    return Published(month=month, figures=snapshots.take(ctx.engine, month, ctx.capabilities))


@router.get(
    "/bulletins",
    response_model=list[str],
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(429),
    summary="已发布月份 / Months with a published bulletin",
)
def bulletin_months(conn: Conn) -> list[str]:
    return snapshots.months(conn)


@router.get(
    "/bulletins/{month}",
    response_model=Published,
    dependencies=[Depends(open_to_all)],
    responses=problem_responses(404, 422, 429),
    summary="月度统计公报数据 / Published figures of a month",
)
def bulletin(month: Annotated[str, Path(pattern=MONTH)], conn: Conn) -> Published:
    figures = snapshots.stored(conn, month)
    if not figures:
        raise not_found("统计公报", "bulletin", month)
    return Published(month=month, figures=figures)
