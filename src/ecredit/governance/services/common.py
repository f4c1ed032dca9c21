"""What every governance service shares: workflow names, the clock, ids, the system actor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa

from ecredit.governance.model import Case, Event, utc_now
from ecredit.storage import governance as store

T = TypeVar("T")

SYSTEM = "ecredit"
"""The actor of steps the system takes by rule rather than a person's decision."""

LIST_ENTRY = "list_entry"
OBJECTION = "objection"
REPAIR = "repair"
COMMITMENT = "commitment"
COMPLAINT = "complaint"
WARNING = "warning"
DETECTION_CASE = "detection_case"
EVALUATION = "evaluation"
VERIFICATION = "verification"


def moment(now: datetime | None) -> datetime:
    """The time an action happens: injected by tests and replays, else the clock, in UTC."""
    return utc_now() if now is None else now.astimezone(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:20].upper()}"


WORKFLOW_ZH: dict[str, str] = {
    LIST_ENTRY: "名单",
    OBJECTION: "异议",
    REPAIR: "信用修复",
    COMMITMENT: "信用承诺",
    COMPLAINT: "投诉举报",
    WARNING: "风险预警",
    DETECTION_CASE: "监测案件",
    EVALUATION: "信用评价",
    VERIFICATION: "实名核验",
}


class UnknownCase(LookupError):
    def __init__(self, workflow: str, case_id: str) -> None:
        super().__init__(f"未知的{WORKFLOW_ZH[workflow]}编号 / unknown {workflow}: {case_id}")


def load(conn: sa.Connection, workflow: str, case_id: str) -> Case:
    case = store.load_case(conn, workflow, case_id)
    if case is None:
        raise UnknownCase(workflow, case_id)
    return case


def act(
    conn: sa.Connection,
    workflow: str,
    case_id: str,
    replay: Callable[[Case], T],
    step: Callable[[T], Event],
) -> T:
    """One workflow step: replay the case, let the domain validate and produce the event,
    append it, and return the new state."""
    case = load(conn, workflow, case_id)
    event = step(replay(case))
    store.append(conn, workflow, case_id, event)
    return replay(replace(case, events=(*case.events, event)))
