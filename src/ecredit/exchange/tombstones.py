"""Tombstones: a purge on one node becomes a deletion on the nodes that hold its copies.

A retention term binds every copy, not only the original (征信业管理条例 Art.16; 个人信息保护法
Art.47: delete once the retention period has expired), so a purge cannot stay local. Each
purge-log row travels as a `purge` object (format v3) naming what went, under which rule and
when — never what it said: a tombstone reaching a peer that never held the record discloses
nothing about its subject.

Every purge goes to every peer. The purging node cannot tell who holds a copy: the record's
row is gone, `exchange_sent` keeps windows rather than objects, and a peer may hold the copy
through a relay. Tombstones count only from the node that purged (the batch's signer), so a
relay cannot delete another node's records, and they are never relayed: a node that deletes
its copy on a peer's tombstone logs a purge of its own, which its next batch announces to the
nodes it passed the copy to.

A receiver deletes what came from the purging node — said or delivered by it: the record when
its current version did (with its whole status history, and a purge-log row, exactly like a
local purge), the statements and conflict rows that keep that node's content of the record or
its status changes, and the status rows that node added. It never deletes its own data on a
peer's word: when the peer's copy had replaced this node's own version (or another peer's),
that version is put back instead. Copies of a purged record still travelling through other
nodes are recognised afterwards and not stored again (`stale`). So are copies of a record this
node purged itself, sent again by a peer that has not purged it yet (`may_return`).

A node's own purge goes further, through the same finders: its retention term binds every
copy it keeps, so `erase_copies` takes the statements of every origin about the record and its
status changes, and every conflict row holding their content (`ExchangeCopies`, the port the
retention purge is given). Tombstones received and list entries or evaluations citing the
record stay: they name it, they do not repeat what it said.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import iso
from ecredit.exchange import provenance
from ecredit.exchange.batch import object_hash, tombstone_key
from ecredit.exchange.node import NodeIdentity
from ecredit.exchange.objects import Cursor, kind_columns, make_object, parse_time
from ecredit.governance.model import Record, china_date
from ecredit.governance.retention import PurgeItem, delete_after
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import RECORDS
from ecredit.storage import governance as store
from ecredit.storage.exchange import exchange_conflict as conflict
from ecredit.storage.exchange import exchange_received as received
from ecredit.storage.exchange import exchange_statement as st
from ecredit.storage.governance import purge_log
from ecredit.storage.tables import KIND_TABLES, record_status

OUTCOMES = ("purged", "noted")
"""A tombstone's statement: it deleted something that came from its origin, or found nothing."""

records = KIND_TABLES["records"]


def _tombstone(row: sa.Row) -> dict[str, Any]:
    """What a purge-log row tells a peer: what went, under which rule, when; not the type,
    severity or subject the log keeps for this node's own history."""
    return {
        "purged_type": "record",
        "purged_id": row.record_id,
        "rule": row.rule,
        "delete_after": row.delete_after.isoformat(),
        "purged_at": iso(row.purged_at),
    }


def tombstone_objects(
    conn: sa.Connection, identity: NodeIdentity, since: Cursor, until: Cursor
) -> list[dict[str, Any]]:
    """This node's purges in the window, one tombstone per record (a record re-filed and
    purged again is the same tombstone's newer version, as on import)."""
    rows = conn.execute(
        sa.select(purge_log)
        .where(purge_log.c.id > since.purge, purge_log.c.id <= until.purge)
        .order_by(purge_log.c.id)
    )
    objects: dict[str, dict[str, Any]] = {}
    for row in rows:
        data = _tombstone(row)
        key = tombstone_key(data)
        objects.pop(key, None)
        objects[key] = make_object("purge", key, identity.node_id, row.purged_at, data)
    return list(objects.values())


# --- receiving ------------------------------------------------------------------------------


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), provenance.CHUNK):
        yield ordered[start : start + provenance.CHUNK]


def _with_sender() -> sa.Select:
    """Statements with the node that delivered them: a copy relayed by the purging node came
    from it as much as one it said itself."""
    return sa.select(
        st.c.id,
        st.c.object_type,
        st.c.object_id,
        st.c.origin,
        st.c.outcome,
        st.c.local_key,
        st.c.content_hash,
        st.c.payload,
        received.c.node_id.label("sender"),
    ).join(received, received.c.id == st.c.received_id)


def _came_from(node: str | None) -> sa.ColumnElement[bool]:
    """Said or delivered by `node`; None: from anyone (a local purge takes every copy)."""
    if node is None:
        return sa.true()
    return sa.or_(st.c.origin == node, received.c.node_id == node)


def _status_rows(conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, str]:
    """Status-row id (as statements name it in `local_key`) → record id."""
    found: dict[str, str] = {}
    for chunk in _chunks(record_ids):
        query = sa.select(record_status.c.id, record_status.c.record_id).where(
            record_status.c.record_id.in_(chunk)
        )
        found |= {str(row.id): row.record_id for row in conn.execute(query)}
    return found


def _statements_from(
    conn: sa.Connection,
    node: str | None,
    record_ids: Sequence[str],
    status_rows: Mapping[str, str],
) -> dict[str, list[sa.Row]]:
    """What came from `node` (None: from any node) about each record: its versions of the
    record, and its status changes — applied ones by the status row they added, refused ones
    by their content."""
    wanted = set(record_ids)
    found: dict[str, list[sa.Row]] = defaultdict(list)
    base = _with_sender().where(_came_from(node))
    for chunk in _chunks(record_ids):
        query = base.where(st.c.object_type == "record", st.c.object_id.in_(chunk))
        for row in conn.execute(query):
            found[row.object_id].append(row)
    for chunk in _chunks(status_rows):
        query = base.where(st.c.object_type == "record_status", st.c.local_key.in_(chunk))
        for row in conn.execute(query):
            found[status_rows[row.local_key]].append(row)
    refused = base.where(st.c.object_type == "record_status", st.c.local_key.is_(None))
    for row in conn.execute(refused):
        if (record_id := json.loads(row.payload)["data"]["record_id"]) in wanted:
            found[record_id].append(row)
    return found


def _current(conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, sa.Row]:
    """The statement behind each stored record's current version, with its sender; a record
    no peer's statement changed is this node's own and absent here."""
    stored: set[str] = set()
    latest: dict[str, sa.Row] = {}
    for chunk in _chunks(record_ids):
        stored |= set(
            conn.execute(
                sa.select(records.c.record_id).where(records.c.record_id.in_(chunk))
            ).scalars()
        )
        query = (
            _with_sender()
            .where(
                st.c.object_type == "record",
                st.c.outcome.in_(provenance.APPLIED),
                st.c.object_id.in_(chunk),
            )
            .order_by(st.c.id)
        )
        latest |= {row.object_id: row for row in conn.execute(query)}
    return {record_id: row for record_id, row in latest.items() if record_id in stored}


def _displaced(conn: sa.Connection, node: str, mine: Sequence[sa.Row]) -> dict[str, Any] | None:
    """The version the purging node's copy replaced by authority, when that version did not
    come from the purging node too: this node's own, or another peer's."""
    ids = [row.id for row in mine if row.object_type == "record"]
    hashes = {row.content_hash for row in mine}
    query = (
        sa.select(conflict.c.stored_payload)
        .where(conflict.c.statement_id.in_(ids), conflict.c.winner == "incoming")
        .order_by(conflict.c.id.desc())
    )
    for payload in conn.execute(query).scalars():
        version = json.loads(payload)
        if version["origin"] != node and object_hash(version) not in hashes:
            return version
    return None


def _conflicts_holding(
    conn: sa.Connection,
    node: str | None,
    record_ids: Sequence[str],
    came: Mapping[str, Sequence[sa.Row]],
) -> dict[str, set[int]]:
    """By record, the conflict rows that keep `node`'s content of it or of its status changes
    (None: anyone's): those of the statements in `came`, and those where its version was the
    stored side. Only the records asked for: the stored side of others' conflicts stays."""
    wanted = set(record_ids)
    by_statement = {row.id: record_id for record_id, rows in came.items() for row in rows}
    found: dict[str, set[int]] = defaultdict(set)
    ordered = sorted(by_statement)
    for start in range(0, len(ordered), provenance.CHUNK):
        chunk = ordered[start : start + provenance.CHUNK]
        query = sa.select(conflict.c.id, conflict.c.statement_id).where(
            conflict.c.statement_id.in_(chunk)
        )
        for row in conn.execute(query):
            found[by_statement[row.statement_id]].add(row.id)
    query = sa.select(conflict.c.id, conflict.c.stored_payload).where(
        conflict.c.object_type.in_(("record", "record_status"))
    )
    if node is not None:
        query = query.where(conflict.c.stored_origin == node)
    stored = conn.execute(query)
    for row in stored:
        version = json.loads(row.stored_payload)
        named = version["id"] if version["type"] == "record" else version["data"]["record_id"]
        if named in wanted:
            found[named].add(row.id)
    return found


def _copies(statements: int, conflicts: int) -> dict[str, int]:
    """Rows erased with a record, by table, as the purge log keeps them."""
    return {st.name: statements, conflict.name: conflicts}


def _erase(conn: sa.Connection, statement_ids: Iterable[int], conflict_ids: Iterable[int]) -> None:
    """Conflict rows first: each names its statement."""
    for table, ids in ((conflict, conflict_ids), (st, statement_ids)):
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), provenance.CHUNK):
            chunk = ordered[start : start + provenance.CHUNK]
            conn.execute(table.delete().where(table.c.id.in_(chunk)))


def erase_copies(conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Before this node purges records: delete every statement about them or their status
    changes, whoever said or relayed it, and every conflict row holding their content or
    their status changes'; by record id, how many rows went from which table.

    A local purge cannot stop at what one peer sent, as a tombstone does: the term that
    expired is this node's, and every copy it keeps holds the same personal and credit
    information (个人信息保护法 Art.47). Status rows must still exist — they lead to the
    statements of applied status changes — so this runs before the records are deleted."""
    came = _statements_from(conn, None, record_ids, _status_rows(conn, record_ids))
    holding = _conflicts_holding(conn, None, record_ids, came)
    _erase(
        conn,
        (row.id for rows in came.values() for row in rows),
        (row_id for ids in holding.values() for row_id in ids),
    )
    return {
        record_id: _copies(len(came.get(record_id, ())), len(holding.get(record_id, ())))
        for record_id in record_ids
    }


class ExchangeCopies:
    """What exchange keeps of records, for the retention purge (`governance.ports.RecordCopies`):
    wired in at the call site, so governance needs nothing of exchange but the port."""

    def erase(self, conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        return erase_copies(conn, record_ids)


def forget(
    conn: sa.Connection,
    node: str,
    tombstones: Sequence[Mapping[str, Any]],
    actor: str,
    now: datetime,
) -> dict[str, bool]:
    """Delete what came from `node` about each record it purged; by record id, whether
    anything was deleted (False: nothing of it was held here, the tombstone is only noted)."""
    record_ids = [t["purged_id"] for t in tombstones]
    came = _statements_from(conn, node, record_ids, _status_rows(conn, record_ids))
    current = _current(conn, record_ids)
    holding = _conflicts_holding(conn, node, record_ids, came)
    files = {r.record_id: r for c in _chunks(current) for r in store.load_records(conn, None, c)}
    deleted: dict[str, bool] = {}
    for tombstone in tombstones:
        record_id = tombstone["purged_id"]
        mine = came.get(record_id, [])
        row = current.get(record_id)
        from_node = row is not None and node in (row.origin, row.sender)
        version = _displaced(conn, node, mine) if from_node else None
        conflicts = holding.get(record_id, set())
        if version is not None:
            values = kind_columns(RECORDS, version["data"])
            conn.execute(records.update().where(records.c.record_id == record_id).values(values))
        elif from_node:
            rule = f"{tombstone['rule']}；{node} 删除通知 / purge notice from {node}"
            after = date.fromisoformat(tombstone["delete_after"])
            copies = _copies(len(mine), len(conflicts))
            store.purge_record(conn, PurgeItem(files[record_id], after, rule, copies), now, actor)
        added = [int(r.local_key) for r in mine if r.object_type == "record_status" and r.local_key]
        if added:
            conn.execute(record_status.delete().where(record_status.c.id.in_(added)))
        _erase(conn, (r.id for r in mine), conflicts)
        deleted[record_id] = from_node or bool(mine) or bool(conflicts)
    return deleted


def stale(conn: sa.Connection, objects: Sequence[Mapping[str, Any]]) -> set[str]:
    """Ids of the records or status changes among `objects` that their origin has purged
    since saying them: old copies still travelling through other nodes, not to be stored
    again. A record said again after the purge (filed anew) is not stale."""
    keys = [
        tombstone_key({"purged_type": "record", "purged_id": o["data"]["record_id"]})
        for o in objects
    ]
    held = provenance.latest_per_origin(conn, "purge", keys, OUTCOMES)
    found: set[str] = set()
    for obj, key in zip(objects, keys, strict=True):
        tombstone = held.get((obj["origin"], key))
        if tombstone is not None:
            purged_at = parse_time(json.loads(tombstone.payload)["data"]["purged_at"])
            if parse_time(obj["said_at"]) <= purged_at:
                found.add(obj["id"])
    return found


def purges_here(conn: sa.Connection, record_ids: Iterable[str]) -> dict[str, sa.Row]:
    """The latest purge-log row of each record this node deleted, by its own purge or on a
    peer's tombstone: copies of it still travelling are stale, and a status change for one
    has nothing left to apply to."""
    found: dict[str, sa.Row] = {}
    for chunk in _chunks(record_ids):
        query = (
            sa.select(purge_log).where(purge_log.c.record_id.in_(chunk)).order_by(purge_log.c.id)
        )
        found |= {row.record_id: row for row in conn.execute(query)}
    return found


def purge_reason(purge: sa.Row) -> str:
    """Why a copy is stale: the purge-log row that deleted the record here."""
    on = iso(purge.purged_at)
    return (
        f"本节点已于 {on} 依 {purge.rule} 删除（删除日志 #{purge.id}）/ purged here at {on} "
        f"under {purge.rule} (purge log #{purge.id})"
    )


def may_return(obj: Mapping[str, Any], purge: sa.Row, now: datetime) -> bool:
    """Whether a record this node purged may be stored again from a peer's copy.

    The retention rules (`retention` in governance.yaml) only ever say when negative
    information must go — five years after the act ended (征信业管理条例 Art.16) — never
    that a copy must be taken back. So a copy said before the purge is the information the
    purge deleted, whatever its content: a peer that has not purged yet (its clock, its
    run) must not undo the purge here. Only a version said after the purge can be a new
    fact (the origin filed or corrected it since), and even that only while the rules let
    this node keep it: a positive record, or a negative one whose term by its own dates
    has not run out today. One past its term would only be shown until the next purge."""
    if parse_time(obj["said_at"]) <= store.utc(purge.purged_at):
        return False
    data = obj["data"]
    severity = data.get("severity") or load_catalogue().get(data["type_code"]).severity
    ended = data.get("act_ended_on")
    record = Record(
        record_id=data["record_id"],
        subject_id=data["subject_id"],
        type_code=data["type_code"],
        severity=severity,
        decided_on=date.fromisoformat(data["decided_on"]),
        act_ended_on=None if ended is None else date.fromisoformat(ended),
    )
    after = delete_after(record)
    return after is None or china_date(now) < after
