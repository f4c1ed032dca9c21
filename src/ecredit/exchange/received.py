"""What trusted peers said about a subject: their listings and their evaluations.

Both are held as statements of their origin (`exchange.apply`), never as this node's rows, so
they are read back from `exchange_statement` as that origin's current version. Two rules keep
a peer's word its own:

- a listing or evaluation counts only from the batch its origin signed: they travel only
  from the node that decided or computed them, so one relayed under another node's name is
  not taken as that node's word (a platform could otherwise pass off a department's listing);
- the origin must be a registered peer, named and ranked as registered here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ecredit.exchange import provenance
from ecredit.exchange.peers import Peer, get_peer
from ecredit.governance.lists import Decision, ListEntry, ListState, Reason
from ecredit.governance.peer_lists import Origin, PeerListing
from ecredit.storage.exchange import exchange_received, exchange_statement


@dataclass(frozen=True)
class PeerEvaluation:
    """A peer's evaluation of a subject, in its exchanged form (`EVALUATIONS`): the peer's
    opinion on its own model, never compared with or merged into this node's."""

    origin: Origin
    data: dict[str, Any]


def origin_of(peer: Peer) -> Origin:
    return Origin(peer.node_id, peer.name or peer.node_id, peer.authority)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def entry_from_data(data: dict[str, Any]) -> ListEntry:
    """The exchanged form (`objects.list_entry_data`) as a list entry, so the peer's listing
    is read by the same rules as this node's own."""
    decision = (
        Decision(data["decided_by"], data["legal_basis"], data["document_no"], decided_on)
        if data["decided_by"] is not None and (decided_on := _day(data["decided_on"]))
        else None
    )
    return ListEntry(
        entry_id=data["entry_id"],
        list_code=data["list"],
        subject_id=data["subject_id"],
        state=ListState(data["status"]),
        proposed_on=date.fromisoformat(data["proposed_on"]),
        reasons=tuple(
            Reason(r["criterion"], r["zh"], r["en"], tuple(r["record_ids"]), tuple(r["case_ids"]))
            for r in data["reasons"]
        ),
        decision=decision,
        ends_on=_day(data["ends_on"]),
        published_on=_day(data["published_on"]),
        ended_on=_day(data["ended_on"]),
        end_cause=data["end_cause"],
    )


def listing_of(peer: Peer, data: dict[str, Any]) -> PeerListing:
    return PeerListing(origin_of(peer), entry_from_data(data))


def _held(
    conn: sa.Connection, object_type: str, subject_id: str | None
) -> list[tuple[Peer, dict[str, Any]]]:
    """(peer, data) of each registered peer's current version of each object it said itself,
    optionally only about one subject."""
    st, received = exchange_statement, exchange_received
    query = (
        sa.select(st.c.object_id, st.c.origin, st.c.payload)
        .join(received, received.c.id == st.c.received_id)
        .where(
            st.c.object_type == object_type,
            st.c.outcome.in_(provenance.HELD),
            received.c.node_id == st.c.origin,
        )
        .order_by(st.c.id)
    )
    if subject_id is not None:
        # the indexed column filled on import (`exchange.apply.subject_of`): a subject page
        # reads its own statements, not the text of every peer's
        query = query.where(st.c.subject_id == subject_id)
    latest: dict[tuple[str, str], str] = {
        (row.origin, row.object_id): row.payload for row in conn.execute(query)
    }
    peers: dict[str, Peer | None] = {}
    found: list[tuple[Peer, dict[str, Any]]] = []
    for (origin, _id), payload in sorted(latest.items()):
        if origin not in peers:
            peers[origin] = get_peer(conn, origin)
        data = json.loads(payload)["data"]
        peer = peers[origin]
        if peer is not None:
            found.append((peer, data))
    return found


def peer_listings(conn: sa.Connection, subject_id: str | None = None) -> list[PeerListing]:
    """Every registered peer's listings as they stand after its latest batch, in force or
    not: the callers decide what a listing in force means today."""
    return [listing_of(peer, data) for peer, data in _held(conn, "list_entry", subject_id)]


def peer_evaluations(conn: sa.Connection, subject_id: str) -> list[PeerEvaluation]:
    """Each registered peer's latest evaluation of the subject (by evaluation date; a later
    run on the same date replaced the earlier one on import), as the subject page shows its
    own latest."""
    latest: dict[str, PeerEvaluation] = {}
    for peer, data in _held(conn, "evaluation", subject_id):
        known = latest.get(peer.node_id)
        if known is None or data["as_of"] >= known.data["as_of"]:
            latest[peer.node_id] = PeerEvaluation(origin_of(peer), data)
    return [latest[node] for node in sorted(latest)]
