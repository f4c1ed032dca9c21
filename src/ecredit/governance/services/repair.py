"""Repair services: apply (starting the decision clock), decide, and on approval end display
and sharing, lift listings resting on the record and re-evaluate the subject."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ecredit.governance import commitments, repair
from ecredit.governance.model import Event, RecordStatus, china_date
from ecredit.governance.ports import Evaluator
from ecredit.governance.repair import Problem, RepairApplication
from ecredit.governance.services.common import COMMITMENT, REPAIR, act, load, moment, new_id
from ecredit.governance.services.evaluation import reevaluate
from ecredit.governance.services.facts import get_record
from ecredit.governance.services.lists import lift_listings_resting_on
from ecredit.storage import governance as store


def _problems(
    conn: sa.Connection, application: RepairApplication, today: datetime
) -> list[Problem]:
    record = get_record(conn, application.record_id)
    commitment = None
    if application.commitment_id:
        case = store.load_case(conn, COMMITMENT, application.commitment_id)
        commitment = None if case is None else commitments.replay(case)
    return repair.problems(record, commitment, application.obligations_fulfilled, china_date(today))


def apply_for_repair(
    engine: sa.Engine,
    record_id: str,
    commitment_id: str | None,
    obligations_fulfilled: bool,
    evidence: str,
    actor: str,
    now: datetime | None = None,
) -> tuple[RepairApplication, list[Problem]]:
    """File an application; returns it with every condition not yet met, so the applicant and
    the authority see at once what stands in the way."""
    at = moment(now)
    with engine.begin() as conn:
        record = get_record(conn, record_id)
        event = repair.apply(record, commitment_id, obligations_fulfilled, evidence, at, actor)
        application_id = new_id("P")
        store.open_case(
            conn, REPAIR, application_id, record.subject_id, event, record.type_code, record_id
        )
        application = repair.replay(load(conn, REPAIR, application_id))
        return application, _problems(conn, application, at)


def decide_repair(
    engine: sa.Engine,
    application_id: str,
    approve: bool,
    answer: str,
    actor: str,
    evaluator: Evaluator | None,
    now: datetime | None = None,
) -> RepairApplication:
    """Approval is refused by the domain while any condition is unmet on the decision day."""
    at = moment(now)
    with engine.begin() as conn:
        current = repair.replay(load(conn, REPAIR, application_id))
        found = _problems(conn, current, at)

        def step(a: RepairApplication) -> Event:
            return repair.decide(a, approve, found, answer, at, actor)

        application = act(conn, REPAIR, application_id, repair.replay, step)
        if approve:
            reason = f"信用修复 {application_id} / repair {application_id}"
            store.set_record_status(
                conn, application.record_id, RecordStatus.REPAIRED, at, actor, reason
            )
            lift_listings_resting_on(
                conn, application.record_id, application.subject_id, "repair", actor, at
            )
    if approve:
        reevaluate(engine, evaluator, application.subject_id, f"repair {application_id}", now)
    return application


def list_repairs(engine: sa.Engine, subject_id: str | None = None) -> list[RepairApplication]:
    with engine.connect() as conn:
        cases = store.load_cases(conn, REPAIR, subject_id=subject_id)
    return [repair.replay(c) for c in cases]


def get_repair(engine: sa.Engine, application_id: str) -> RepairApplication:
    with engine.connect() as conn:
        return repair.replay(load(conn, REPAIR, application_id))
