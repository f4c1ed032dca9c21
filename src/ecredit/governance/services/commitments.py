"""Signing standard commitments and recording breaches, each as a record in the archive."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import commitments
from ecredit.governance.commitments import Commitment
from ecredit.governance.model import Event, Record, china_date
from ecredit.governance.policy import load_policy
from ecredit.governance.ports import Evaluator
from ecredit.governance.services.common import COMMITMENT, act, load, moment, new_id
from ecredit.governance.services.evaluation import reevaluate
from ecredit.records.catalogue import load_catalogue
from ecredit.storage import governance as store


def _record(subject_id: str, type_code: str, on: date, summary: str, source: str) -> Record:
    return Record(
        record_id=new_id("R"),
        subject_id=subject_id,
        type_code=type_code,
        severity=load_catalogue().get(type_code).severity,
        decided_on=on,
        source_kind="platform",
        source_name=source,
        summary=summary,
    )


def sign_commitment(
    engine: sa.Engine, subject_id: str, template: str, signer: str, now: datetime | None = None
) -> Commitment:
    """A public commitment in a standard template, filed as a CMT01 record."""
    at = moment(now)
    policy = load_policy()
    commitment_id = new_id("C")
    with engine.begin() as conn:
        name = store.subject_name(conn, subject_id)
        record = _record(
            subject_id, policy.commitments.signed_record_type, china_date(at), template, signer
        )
        event = commitments.sign(template, name, signer, record.record_id, at, policy)
        store.insert_record(conn, record, f"commitment/{commitment_id}", at)
        store.open_case(
            conn, COMMITMENT, commitment_id, subject_id, event, template, record.record_id
        )
        return commitments.replay(load(conn, COMMITMENT, commitment_id))


def breach_commitment(
    engine: sa.Engine,
    commitment_id: str,
    description: str,
    found_on: date,
    actor: str,
    evaluator: Evaluator | None,
    now: datetime | None = None,
) -> Commitment:
    """A breach becomes a CMT02 dishonesty record, and the subject is re-evaluated."""
    at = moment(now)
    type_code = load_policy().commitments.breach_record_type
    with engine.begin() as conn:

        def step(c: Commitment) -> Event:
            record = _record(c.subject_id, type_code, found_on, description, actor)
            store.insert_record(conn, record, f"commitment/{commitment_id}/breach", at)
            return commitments.breach(found_on, description, record.record_id, at, actor)

        commitment = act(conn, COMMITMENT, commitment_id, commitments.replay, step)
    reevaluate(engine, evaluator, commitment.subject_id, f"commitment {commitment_id}", now)
    return commitment


def list_commitments(engine: sa.Engine, subject_id: str) -> list[Commitment]:
    with engine.connect() as conn:
        cases = store.load_cases(conn, COMMITMENT, subject_id=subject_id)
    return [commitments.replay(c) for c in cases]


def get_commitment(engine: sa.Engine, commitment_id: str) -> Commitment:
    with engine.connect() as conn:
        return commitments.replay(load(conn, COMMITMENT, commitment_id))
