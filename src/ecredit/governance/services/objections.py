"""Objection services: filing marks the record disputed at once; a decision upholds or
corrects it, and a correction lifts listings resting on the record and re-evaluates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ecredit.governance import objections
from ecredit.governance.model import Event, Record, RecordStatus, require
from ecredit.governance.objections import Objection, ObjectionState
from ecredit.governance.ports import Evaluator
from ecredit.governance.services.common import OBJECTION, act, load, moment, new_id
from ecredit.governance.services.evaluation import reevaluate
from ecredit.governance.services.facts import get_record
from ecredit.governance.services.lists import lift_listings_resting_on
from ecredit.storage import governance as store


def file_objection(
    engine: sa.Engine,
    record_id: str,
    filed_by: str,
    grounds: str,
    text: str,
    profile: str | None = None,
    now: datetime | None = None,
) -> Objection:
    at = moment(now)
    with engine.begin() as conn:
        record = get_record(conn, record_id)
        require(
            record.status in (RecordStatus.ACTIVE, RecordStatus.DISPUTED),
            f"记录已{record.status}，不能再提出异议",
            f"the record is {record.status} and cannot be objected to",
        )
        event = objections.file(filed_by, grounds, text, profile, at)
        objection_id = new_id("O")
        store.open_case(
            conn,
            OBJECTION,
            objection_id,
            record.subject_id,
            event,
            event.data["profile"],
            record_id,
        )
        store.set_record_status(
            conn,
            record_id,
            RecordStatus.DISPUTED,
            at,
            filed_by,
            f"异议 {objection_id} / objection {objection_id}",
        )
        return objections.replay(load(conn, OBJECTION, objection_id))


def extend_objection(
    engine: sa.Engine, objection_id: str, reason: str, actor: str, now: datetime | None = None
) -> Objection:
    at = moment(now)
    with engine.begin() as conn:
        return act(
            conn,
            OBJECTION,
            objection_id,
            objections.replay,
            lambda o: objections.extend(o, reason, at, actor),
        )


def _undispute(
    conn: sa.Connection, record: Record, closed_id: str, at: datetime, actor: str, reason: str
) -> None:
    """A record stays disputed while any other objection to it is still open."""
    others = store.load_cases(conn, OBJECTION, record_id=record.record_id)
    still_open = any(
        objections.replay(c).state in objections.OPEN for c in others if c.case_id != closed_id
    )
    if record.status == RecordStatus.DISPUTED and not still_open:
        store.set_record_status(conn, record.record_id, RecordStatus.ACTIVE, at, actor, reason)


def decide_objection(
    engine: sa.Engine,
    objection_id: str,
    outcome: str,
    answer: str,
    actor: str,
    evaluator: Evaluator | None,
    changes: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Objection:
    """`upheld` keeps the record; `corrected` files a superseding record with `changes`, or
    withdraws the record when there are none (the fact itself was wrong)."""
    at = moment(now)
    with engine.begin() as conn:
        case = load(conn, OBJECTION, objection_id)
        record = get_record(conn, case.record_id or "")
        corrected_id = None
        if outcome == ObjectionState.CORRECTED and changes:
            corrected = replace(
                record,
                **objections.correction(changes),
                record_id=new_id("R"),
                status=RecordStatus.ACTIVE,
                supersedes=record.record_id,
            )
            corrected_id = corrected.record_id

        def step(o: Objection) -> Event:
            return objections.decide(o, outcome, answer, at, actor, corrected_id)

        objection = act(conn, OBJECTION, objection_id, objections.replay, step)
        reason = f"异议 {objection_id}：{answer} / objection {objection_id}"
        if outcome == ObjectionState.UPHELD:
            _undispute(conn, record, objection_id, at, actor, reason)
        else:
            if corrected_id:
                store.insert_record(conn, corrected, f"objection/{objection_id}", at)
            status = RecordStatus.CORRECTED if corrected_id else RecordStatus.WITHDRAWN
            store.set_record_status(conn, record.record_id, status, at, actor, reason)
            lift_listings_resting_on(
                conn, record.record_id, record.subject_id, "correction", actor, at
            )
    if outcome == ObjectionState.CORRECTED:
        reevaluate(engine, evaluator, record.subject_id, f"objection {objection_id}", now)
    return objection


def withdraw_objection(
    engine: sa.Engine, objection_id: str, actor: str, now: datetime | None = None
) -> Objection:
    at = moment(now)
    with engine.begin() as conn:
        objection = act(
            conn,
            OBJECTION,
            objection_id,
            objections.replay,
            lambda o: objections.withdraw(o, at, actor),
        )
        record = get_record(conn, objection.record_id)
        reason = f"撤回异议 {objection_id} / objection {objection_id} withdrawn"
        _undispute(conn, record, objection_id, at, actor, reason)
    return objection


def list_objections(
    engine: sa.Engine, subject_id: str | None = None, record_id: str | None = None
) -> list[Objection]:
    with engine.connect() as conn:
        cases = store.load_cases(conn, OBJECTION, subject_id=subject_id, record_id=record_id)
    return [objections.replay(c) for c in cases]


def get_objection(engine: sa.Engine, objection_id: str) -> Objection:
    with engine.connect() as conn:
        return objections.replay(load(conn, OBJECTION, objection_id))
