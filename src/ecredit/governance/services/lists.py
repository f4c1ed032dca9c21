"""Listing workflow services: propose from criteria, decide, publish, remove, expire."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ecredit.exchange.received import peer_listings
from ecredit.governance import lists, warnings
from ecredit.governance.display import past_display_period
from ecredit.governance.lists import Decision, ListEntry, ListState
from ecredit.governance.model import RecordStatus, china_date
from ecredit.governance.peer_lists import PeerListing
from ecredit.governance.policy import load_policy
from ecredit.governance.services.common import LIST_ENTRY, SYSTEM, act, load, moment, new_id
from ecredit.governance.services.facts import subject_facts
from ecredit.governance.services.warnings import raise_alert
from ecredit.storage import governance as store

OPEN_STATES = frozenset({ListState.PROPOSED, ListState.DECIDED, ListState.PUBLISHED})


def entries(
    conn: sa.Connection, subject_id: str | None = None, list_code: str | None = None
) -> list[ListEntry]:
    cases = store.load_cases(conn, LIST_ENTRY, subject_id=subject_id, kind=list_code)
    return [lists.replay(c) for c in cases]


def listings(
    engine: sa.Engine, subject_id: str | None = None, list_code: str | None = None
) -> list[ListEntry]:
    with engine.connect() as conn:
        return entries(conn, subject_id, list_code)


def peer_listings_in_force(
    engine: sa.Engine,
    subject_id: str | None = None,
    list_code: str | None = None,
    today: date | None = None,
) -> list[PeerListing]:
    """Trusted peers' listings in force on `today` (default: today in China), shown beside
    this node's own (`ecredit lists show`). Only those in force: a peer's listing is shown
    here exactly while it is in force there, as on the portal, so a peer's proposal or a
    listing it lifted is not this node's to show. They are the peers' acts, never entries of
    this node's own, hence returned apart with their origin."""
    day = today or china_date(moment(None))
    with engine.connect() as conn:
        found = peer_listings(conn, subject_id)
    return [
        p
        for p in found
        if p.in_force(day) and (list_code is None or p.entry.list_code == list_code)
    ]


def propose_listings(
    engine: sa.Engine, subject_id: str, actor: str = SYSTEM, now: datetime | None = None
) -> list[ListEntry]:
    """Propose the subject for every list whose criteria it meets today and on which it has
    no open entry; the proposals wait for an authority's decision."""
    at = moment(now)
    today, policy = china_date(at), load_policy()
    proposed = []
    with engine.begin() as conn:
        facts = subject_facts(conn, subject_id)
        open_lists = {
            e.list_code for e in entries(conn, subject_id) if e.state_on(today) in OPEN_STATES
        }
        for code in policy.lists:
            reasons = lists.criteria_met(code, facts, today, policy)
            if code in open_lists or not reasons:
                continue
            entry_id = new_id("L")
            event = lists.propose(code, reasons, at, actor, policy.version)
            store.open_case(conn, LIST_ENTRY, entry_id, subject_id, event, kind=code)
            proposed.append(lists.replay(load(conn, LIST_ENTRY, entry_id)))
    return proposed


def decide_listing(
    engine: sa.Engine, entry_id: str, decision: Decision, actor: str, now: datetime | None = None
) -> ListEntry:
    """Record the authority's decision; a black-list decision alerts platforms and regulators."""
    at = moment(now)
    with engine.begin() as conn:
        entry = act(
            conn, LIST_ENTRY, entry_id, lists.replay, lambda e: lists.decide(e, decision, at, actor)
        )
        if load_policy().lists[entry.list_code].polarity == "black":
            raise_alert(conn, warnings.list_entry(entry), at)
    return entry


def reject_listing(
    engine: sa.Engine, entry_id: str, reason: str, actor: str, now: datetime | None = None
) -> ListEntry:
    at = moment(now)
    with engine.begin() as conn:
        return act(
            conn, LIST_ENTRY, entry_id, lists.replay, lambda e: lists.reject(e, reason, at, actor)
        )


def publish_listing(
    engine: sa.Engine, entry_id: str, actor: str, now: datetime | None = None
) -> ListEntry:
    at = moment(now)
    with engine.begin() as conn:
        return act(
            conn,
            LIST_ENTRY,
            entry_id,
            lists.replay,
            lambda e: lists.publish(e, china_date(at), at, actor),
        )


def remove_listing(
    engine: sa.Engine,
    entry_id: str,
    cause: str,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> ListEntry:
    at = moment(now)
    with engine.begin() as conn:
        return remove_in(conn, entry_id, cause, reason, actor, at)


def remove_in(
    conn: sa.Connection, entry_id: str, cause: str, reason: str, actor: str, at: datetime
) -> ListEntry:
    return act(
        conn,
        LIST_ENTRY,
        entry_id,
        lists.replay,
        lambda e: lists.remove(e, cause, reason, china_date(at), at, actor),
    )


def lift_listings_resting_on(
    conn: sa.Connection, record: str, subject_id: str, cause: str, actor: str, at: datetime
) -> list[ListEntry]:
    """Repair or correction of a record lifts every listing in force that cites it."""
    today = china_date(at)
    return [
        remove_in(conn, e.entry_id, cause, f"记录 {record} 已{cause} / record {record}", actor, at)
        for e in entries(conn, subject_id)
        if e.in_force(today) and record in e.record_ids
    ]


def close_expired(engine: sa.Engine, now: datetime | None = None) -> tuple[int, int]:
    """Write into the history what the clocks already decided: listings past their end are
    expired, and records past their display period are marked expired. Returns both counts."""
    at = moment(now)
    today = china_date(at)
    with engine.begin() as conn:
        ended = [e for e in entries(conn) if e.state_on(today) == ListState.EXPIRED]
        for e in ended:
            if e.state != ListState.EXPIRED:
                store.append(conn, LIST_ENTRY, e.entry_id, lists.expire(e, today, at, SYSTEM))
        past = [
            r
            for r in store.load_records(conn)
            if r.status in (RecordStatus.ACTIVE, RecordStatus.DISPUTED)
            and past_display_period(r, today)
        ]
        for r in past:
            store.set_record_status(
                conn,
                r.record_id,
                RecordStatus.EXPIRED,
                at,
                SYSTEM,
                "公示期满 / display period ended",
            )
    return sum(e.state != ListState.EXPIRED for e in ended), len(past)
