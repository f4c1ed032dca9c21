"""Ports to the capabilities governance depends on but does not own.

Governance needs a subject's score after a record changes, and it acts on manipulation cases
that detection confirmed; its retention purge must reach the copies of a record that exchange
keeps. All are built elsewhere; these small protocols are the whole contract, so the workflows
and their tests run without them, and the real adapters plug in at the call sites of
`ecredit.governance.services`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import sqlalchemy as sa

CASE_RECORD_TYPES: dict[str, str] = {
    "brushing": "PLT01",
    "malicious_review": "PLT02",
    "fake_traffic": "PLT03",
    "empty_parcel": "PLT04",
}
"""The catalogue record type a confirmed case of each kind becomes."""


@dataclass(frozen=True)
class Score:
    subject_id: str
    score: float
    grade: str
    as_of: date
    model_version: str


@dataclass(frozen=True)
class DetectionCase:
    """A manipulation case that detection has confirmed (not merely flagged)."""

    case_id: str
    subject_id: str
    kind: str
    confirmed_on: date
    summary: str
    source_name: str


class Evaluator(Protocol):
    """Re-evaluates one subject on a date, from the records as they now stand."""

    def evaluate(self, subject_id: str, as_of: date) -> Score: ...


class ConfirmedCases(Protocol):
    """Cases detection confirmed on or after `since`."""

    def confirmed_since(self, since: date) -> Iterable[DetectionCase]: ...


class Notifier(Protocol):
    """Delivers one internal alert (a JSON-ready mapping) to one audience."""

    def send(self, audience: str, alert: dict[str, object]) -> None: ...


class RecordCopies(Protocol):
    """Copies of records' content kept outside the record tables — what peers said about them
    and the conflicts deciding between versions. A retention term binds every copy (个人信息保护法
    Art.47: delete once the retention period has expired), so the purge erases them in its own
    transaction, before the records go (copies of status changes are found through the
    records' status rows). Returns, by record id, how many rows went from where, which the
    purge log keeps; every requested id is present, with zeros when nothing was held."""

    def erase(
        self, conn: sa.Connection, record_ids: Sequence[str]
    ) -> Mapping[str, Mapping[str, int]]: ...
