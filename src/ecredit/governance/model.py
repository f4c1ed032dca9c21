"""Domain types every governance workflow shares: records, events, cases, errors.

Each workflow (a list entry, an objection, a repair application …) is a case whose state is
the fold of its append-only events. Storage only appends events, so the archive keeps every
step, and a state is always explainable by the events that produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China has one time zone and no daylight saving; legal dates are dates in it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


class RecordStatus(StrEnum):
    ACTIVE = "active"
    DISPUTED = "disputed"
    CORRECTED = "corrected"
    REPAIRED = "repaired"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


RECORD_STATUS_ZH: dict[str, str] = {
    "active": "有效",
    "disputed": "异议处理中",
    "corrected": "已更正",
    "repaired": "已修复",
    "expired": "已过公示期",
    "withdrawn": "已撤销",
}

VISIBLE_STATUSES = frozenset({RecordStatus.ACTIVE, RecordStatus.DISPUTED})
"""A disputed record stays visible, marked as disputed, until the objection is decided."""


@dataclass(frozen=True)
class Record:
    """A record as governance sees it: `severity` is the record's own or its type's default,
    `status` the latest entry of its status history."""

    record_id: str
    subject_id: str
    type_code: str
    severity: str
    decided_on: date
    status: str = RecordStatus.ACTIVE
    act_ended_on: date | None = None
    amount: Decimal | None = None
    summary: str | None = None
    document_no: str | None = None
    source_kind: str = "platform"
    source_name: str = ""
    supersedes: str | None = None

    @property
    def negative(self) -> bool:
        return self.severity != "positive"


@dataclass(frozen=True)
class Event:
    name: str
    at: datetime
    actor: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def on(self) -> date:
        return china_date(self.at)


@dataclass(frozen=True)
class Case:
    """One workflow instance as stored: identity, the facts it is filed under, its events."""

    workflow: str
    case_id: str
    subject_id: str
    kind: str | None
    record_id: str | None
    events: tuple[Event, ...]


class WorkflowError(ValueError):
    """An action that the workflow's state or the law does not allow; bilingual for users."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def require(condition: bool, zh: str, en: str) -> None:
    if not condition:
        raise WorkflowError(zh, en)


def day(data: Mapping[str, Any], key: str) -> date | None:
    """A date stored in event data (ISO text, since event data is JSON)."""
    value = data.get(key)
    return None if value is None else date.fromisoformat(value)
