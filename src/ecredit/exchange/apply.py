"""Import: open a batch, then apply it in one transaction, keeping who said what.

Every object becomes a statement (which node said it, when, with what content) unless it
repeats what this node already holds from the same origin. Outcomes:

- new / updated / replaced — the object changed what this node stores;
- unchanged — same content, said again by another origin (kept as corroboration);
- kept — refused in favour of the stored version, and logged as a conflict;
- held — a list entry or evaluation, or a newer version of one from the same origin, kept as
  that origin's statement: it never touches this node's own lists or evaluations (a black-list
  entry in force raises a risk warning here once, naming its origin);
- own — this node's own objects coming back through a peer, ignored;
- purged / noted — a tombstone (format v3) from the node that purged a record past its
  retention term: it deleted what had come from that node (`exchange.tombstones`), or found
  nothing of it here; either way it is kept, without content, so a repeat changes nothing;
- stale — a copy of a record (or a status change of one) its origin has purged since, still
  travelling through another node, or one this node purged itself: dropped, never stored again;
- ignored — a list entry, evaluation or tombstone relayed under another node's name: only the
  deciding, evaluating or purging node's own batch counts.

Objects refused as stale or ignored store nothing (a stale copy's content is exactly what a
purge removed), so each is named in the report's `refusals` with its reason instead.

A conflict is decided by source authority (see `policy/exchange.yaml`) and always logged with
the losing side's content. A repeated batch (same node and sequence, same content) changes
nothing; the same sequence with other content is refused as a forgery or a replay.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, log_bulk_operation
from ecredit.exchange import provenance, tombstones
from ecredit.exchange.batch import BatchRejected, object_hash, open_batch, sha256
from ecredit.exchange.export import stored_objects
from ecredit.exchange.node import NodeIdentity
from ecredit.exchange.objects import OBJECT_KINDS, kind_columns, parse_time, save_cursor
from ecredit.exchange.peers import Peer, get_peer
from ecredit.exchange.policy import ExchangePolicy
from ecredit.exchange.received import listing_of
from ecredit.governance.services.warnings import warn_of_peer_listings
from ecredit.privacy.classes import PROTECTED
from ecredit.records.kinds import Kind
from ecredit.storage.exchange import exchange_conflict, exchange_received, exchange_statement
from ecredit.storage.tables import KIND_TABLES, ingest_batch, record_status, storage_columns

TYPE_ORDER = ("subject", "record", "record_status", "list_entry", "evaluation", "purge")
"""Tombstones last: whatever a batch also says about a record it purged goes with it."""

NOT_STORED = ("unchanged", "own", "held", "purged", "noted", "stale", "ignored")
"""Outcomes that store no row of the kind tables (for the import's ingest-batch counts)."""


@dataclass(frozen=True)
class Refusal:
    """One object dropped without a statement (`stale`, `ignored`): the report is the only
    place that says which one and why, since storing it would keep what had to go."""

    line: int
    type: str
    id: str
    outcome: str
    reason: str

    def summary(self) -> dict[str, Any]:
        return {
            "object": f"objects/{self.line}",
            "type": self.type,
            "id": self.id,
            "outcome": self.outcome,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    node: str
    sequence: int
    objects: int
    outcomes: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    already_imported: bool = False
    refusals: list[Refusal] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "node": self.node,
            "sequence": self.sequence,
            "objects": self.objects,
            "conflicts": self.conflicts,
            "already_imported": self.already_imported,
            **self.outcomes,
        }
        if self.refusals:
            summary["refusals"] = [r.summary() for r in self.refusals]
        return summary


@dataclass(frozen=True)
class _Item:
    line: int
    obj: dict[str, Any]
    digest: str

    @property
    def id(self) -> str:
        return self.obj["id"]

    def refused(self, run: _Run, outcome: str, reason: str) -> None:
        """Count the object as dropped, naming it and why in the report."""
        run.report.outcomes[outcome] += 1
        run.report.refusals.append(Refusal(self.line, self.obj["type"], self.id, outcome, reason))


@dataclass
class _Run:
    conn: sa.Connection
    identity: NodeIdentity
    policy: ExchangePolicy
    sender: Peer
    received_id: int
    batch_id: int
    report: ImportReport
    now: datetime
    actor: Actor
    ranks: dict[str, int] = field(default_factory=dict)
    statements: list[dict[str, Any]] = field(default_factory=list)

    def rank(self, origin: str) -> int:
        if origin not in self.ranks:
            peer = get_peer(self.conn, origin)
            authority = self.identity.authority if origin == self.identity.node_id else None
            self.ranks[origin] = self.policy.rank(authority or (peer.authority if peer else None))
        return self.ranks[origin]

    def incoming_rank(self, origin: str) -> int:
        """A relayed object never ranks above the node that relayed it."""
        return max(self.rank(origin), self.rank(self.sender.node_id))


def import_batch(
    engine: sa.Engine,
    raw: bytes,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    actor: Actor,
    expected_node: str | None = None,
) -> ImportReport:
    """Import one batch; on BatchRejected nothing from it is stored (the refusal is logged).

    `expected_node`: the peer that delivered it, when only its own batches are acceptable.
    """
    try:
        report = _import(engine, raw, identity, policy, expected_node, actor)
    except BatchRejected as refusal:
        detail = {"outcome": "rejected", "reason": str(refusal), "batch_sha256": sha256(raw)}
        log_bulk_operation(engine, actor, Action.IMPORT, detail, purpose="exchange")
        raise
    log_bulk_operation(engine, actor, Action.IMPORT, report.summary(), purpose="exchange")
    return report


def _import(
    engine: sa.Engine,
    raw: bytes,
    identity: NodeIdentity,
    policy: ExchangePolicy,
    expected_node: str | None,
    actor: Actor,
) -> ImportReport:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        envelope, sender = open_batch(raw, lambda node: get_peer(conn, node))
        node, sequence, objects = envelope["node"], envelope["sequence"], envelope["objects"]
        if expected_node not in (None, node):
            raise BatchRejected(
                f"批次由 {node} 签发，却由 {expected_node} 发送 / batch signed by {node} "
                f"but delivered by {expected_node}"
            )
        report = ImportReport(node, sequence, len(objects))
        prior = conn.execute(
            sa.select(exchange_received.c.content_hash).where(
                exchange_received.c.node_id == node, exchange_received.c.sequence == sequence
            )
        ).scalar_one_or_none()
        if prior == envelope["content_hash"]:
            report.already_imported = True
            return report
        if prior is not None:
            raise BatchRejected(
                f"{node} 的第 {sequence} 批已收到且内容不同（重放或伪造）/ batch {sequence} of "
                f"{node} was already received with other content (replay or forgery)"
            )
        batch_id = _start_ingest_batch(conn, envelope, now)
        received_id = conn.execute(
            exchange_received.insert().values(
                node_id=node,
                sequence=sequence,
                content_hash=envelope["content_hash"],
                created_at=parse_time(envelope["created_at"]),
                received_at=now,
                cursor_until=envelope["cursor"]["until"],
                objects=len(objects),
                ingest_batch_id=batch_id,
            )
        ).inserted_primary_key[0]
        run = _Run(conn, identity, policy, sender, received_id, batch_id, report, now, actor)
        for object_type in TYPE_ORDER:
            items = [
                _Item(line, obj, object_hash(obj))
                for line, obj in enumerate(objects)
                if obj["type"] == object_type and obj["origin"] != identity.node_id
            ]
            APPLIERS[object_type](run, items)
            _flush_statements(run)
        if own := sum(obj["origin"] == identity.node_id for obj in objects):
            report.outcomes["own"] = own
        save_cursor(conn, node, "in", envelope["cursor"]["until"])
        _finish_ingest_batch(conn, batch_id, report, now)
    return report


def _start_ingest_batch(conn: sa.Connection, envelope: dict[str, Any], now: datetime) -> int:
    """Imported rows need an ingest batch like any other; it names the exchange batch."""
    return conn.execute(
        ingest_batch.insert().values(
            kind="exchange",
            source_file=f"exchange:{envelope['node']}#{envelope['sequence']}",
            file_sha256=envelope["content_hash"].removeprefix("sha256:"),
            started_at=now,
            rows_read=len(envelope["objects"]),
            rows_inserted=0,
            rows_unchanged=0,
            rows_rejected=0,
            status="running",
        )
    ).inserted_primary_key[0]


def _finish_ingest_batch(
    conn: sa.Connection, batch_id: int, report: ImportReport, now: datetime
) -> None:
    counts = report.outcomes
    conn.execute(
        ingest_batch.update()
        .where(ingest_batch.c.batch_id == batch_id)
        .values(
            rows_inserted=sum(counts[o] for o in provenance.APPLIED),
            rows_unchanged=sum(counts[o] for o in NOT_STORED),
            rows_rejected=counts["kept"],
            finished_at=now,
            status="finished",
        )
    )


def _plain_json(obj: dict[str, Any]) -> str:
    """Payloads are kept for reading, never hashed again, so plain compact JSON will do."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def subject_of(obj: dict[str, Any]) -> str | None:
    """The subject an object is about, kept beside its statement (`exchange_statement.
    subject_id`, indexed) so a subject's page needs no search through payload text; status
    changes and tombstones name a record, not a subject."""
    if obj["type"] == "subject":
        return str(obj["id"])
    if obj["type"] in ("record", "list_entry", "evaluation"):
        return str(obj["data"]["subject_id"])
    return None


def _statement_values(
    run: _Run, item: _Item, outcome: str, local_key: str | None = None
) -> dict[str, Any]:
    run.report.outcomes[outcome] += 1
    return {
        "received_id": run.received_id,
        "object_type": item.obj["type"],
        "object_id": item.id,
        "origin": item.obj["origin"],
        "said_at": parse_time(item.obj["said_at"]),
        "content_hash": item.digest,
        "payload": _plain_json(item.obj),
        "outcome": outcome,
        "local_key": local_key,
        "subject_id": subject_of(item.obj),
    }


def _state(run: _Run, item: _Item, outcome: str, local_key: str | None = None) -> None:
    """Queue a statement; written in bulk when the object type is done."""
    run.statements.append(_statement_values(run, item, outcome, local_key))


def _flush_statements(run: _Run) -> None:
    if run.statements:
        run.conn.execute(exchange_statement.insert(), run.statements)
        run.statements = []


def _conflict(
    run: _Run, item: _Item, outcome: str, stored: dict[str, Any], winner: str, rule: str
) -> None:
    """A conflict row needs its statement's id, so this statement is written at once."""
    statement_id = run.conn.execute(
        exchange_statement.insert().values(_statement_values(run, item, outcome))
    ).inserted_primary_key[0]
    run.report.conflicts += 1
    run.conn.execute(
        exchange_conflict.insert().values(
            statement_id=statement_id,
            object_type=item.obj["type"],
            object_id=item.id,
            stored_origin=stored["origin"],
            stored_payload=_plain_json(stored),
            incoming_origin=item.obj["origin"],
            winner=winner,
            rule=rule,
            decided_at=run.now,
        )
    )


def _decide(run: _Run, obj: dict[str, Any], stored: dict[str, Any]) -> tuple[str, str, str]:
    """(outcome, winner, rule) for an object whose content differs from the stored version."""
    if obj["origin"] == stored["origin"]:
        if parse_time(obj["said_at"]) > parse_time(stored["said_at"]):
            return "updated", "incoming", "同一来源的新版本 / newer version from the same origin"
        return "kept", "stored", "同一来源的旧版本 / older version from the same origin"
    incoming, held = run.incoming_rank(obj["origin"]), run.rank(stored["origin"])
    if incoming < held:
        return "replaced", "incoming", "来源权威更高 / the incoming source has higher authority"
    return (
        "kept",
        "stored",
        "来源权威不高于已存版本 / the incoming source's authority is not higher",
    )


def _unknown(item: _Item, key: str) -> BatchRejected:
    value = item.obj["data"][key]
    return BatchRejected(
        f"objects/{item.line} ({item.obj['type']} {item.id}) 引用了未知的 {key} {value}，"
        f"请先导入更早的批次 / names unknown {key} {value}; import earlier batches first"
    )


def _existing(conn: sa.Connection, column: sa.Column, values: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(values)
    for start in range(0, len(ordered), provenance.CHUNK):
        chunk = ordered[start : start + provenance.CHUNK]
        found |= set(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def _require_subjects(run: _Run, items: list[_Item]) -> None:
    """Whatever names a subject needs it stored here (or earlier in the batch) first."""
    named = {i.obj["data"]["subject_id"] for i in items}
    subjects = _existing(run.conn, KIND_TABLES["subjects"].c.subject_id, named)
    if missing := next((i for i in items if i.obj["data"]["subject_id"] not in subjects), None):
        raise _unknown(missing, "subject_id")


def _apply_kind(run: _Run, items: list[_Item]) -> None:
    """Subjects and records: insert new ones in bulk; decide differing ones by authority."""
    if not items:
        return
    object_type = items[0].obj["type"]
    if object_type == "record":
        items = _drop_purged_here(run, _drop_stale(run, items))
    kind = OBJECT_KINDS[object_type]
    table = KIND_TABLES[kind.name]
    key = table.c[kind.key[0]]
    stored = stored_objects(run.conn, object_type, [i.id for i in items], run.identity, run.policy)
    if object_type == "record":
        _require_subjects(run, items)
    new_rows: list[dict[str, Any]] = []
    for item in items:
        columns = kind_columns(kind, item.obj["data"]) | {
            "batch_id": run.batch_id,
            "source_line": item.line,
            "row_hash": item.digest.removeprefix("sha256:")[:32],
        }
        held = stored.get(item.id)
        if held is None:
            new_rows.append(columns)
            _state(run, item, "new")
        elif object_hash(held) == item.digest:
            if held["origin"] != item.obj["origin"]:
                _state(run, item, "unchanged")
            else:
                run.report.outcomes["unchanged"] += 1
        else:
            outcome, winner, rule = _decide(run, item.obj, held)
            if winner == "incoming":
                columns |= _stale_protected(kind, held["data"], item.obj["data"])
                run.conn.execute(table.update().where(key == item.id).values(columns))
            if outcome == "updated":
                _state(run, item, outcome)
            else:
                _conflict(run, item, outcome, held, winner, rule)
    if new_rows:
        run.conn.execute(table.insert(), new_rows)


def _stale_protected(kind: Kind, stored: dict[str, Any], incoming: dict[str, Any]) -> dict:
    """A token or ciphertext no longer matches once the masked value behind it has changed."""
    stale: dict[str, None] = {}
    for f in kind.fields:
        masked = f"{f.name}_masked"
        if f.data_class in PROTECTED and stored[masked] != incoming[masked]:
            stale |= {c: None for c in storage_columns(f) if c != masked}
    return stale


def _drop_stale(run: _Run, items: list[_Item]) -> list[_Item]:
    """Old copies of what their origin has purged are counted, not stored: storing them
    again would undo the purge on this node."""
    stale = tombstones.stale(run.conn, [i.obj for i in items])
    reason = "来源节点已删除（保存期满）/ purged by its origin (retention term expired)"
    for item in items:
        if item.id in stale:
            item.refused(run, "stale", reason)
    return [i for i in items if i.id not in stale]


def _drop_purged_here(run: _Run, items: list[_Item]) -> list[_Item]:
    """Records this node purged (by its own retention run or on a tombstone) and a peer that
    has not purged them yet sends again: storing one would undo the purge here, so it is
    stale, with the purge-log row as the reason. Only a version said after the purge whose
    retention term, by this node's rules, has not run out comes back (`tombstones.
    may_return`): the term is what made the purge due, not the copy it deleted."""
    if not items:
        return items
    purges = tombstones.purges_here(run.conn, [i.id for i in items])
    kept: list[_Item] = []
    for item in items:
        purge = purges.get(item.id)
        if purge is None or tombstones.may_return(item.obj, purge, run.now):
            kept.append(item)
        else:
            item.refused(run, "stale", tombstones.purge_reason(purge))
    return kept


def _apply_status(run: _Run, items: list[_Item]) -> None:
    """Status changes (corrections, repairs, withdrawals) append to the record's history, in
    the sender's order, when their origin has at least the authority of the record's. One
    for a record purged here has nothing left to apply to: it is stale, not a gap."""
    items = _drop_stale(run, items)
    known = provenance.latest_of(run.conn, "record_status", [i.id for i in items])
    named = sorted({i.obj["data"]["record_id"] for i in items})
    records = stored_objects(run.conn, "record", named, run.identity, run.policy)
    purged = tombstones.purges_here(run.conn, set(named) - set(records))
    for item in items:
        data = item.obj["data"]
        if (seen := known.get(item.id)) is not None:
            if seen.content_hash == item.digest:
                run.report.outcomes["unchanged"] += 1
            else:
                rule = "同一编号内容不同 / same id, other content"
                _conflict(run, item, "kept", json.loads(seen.payload), "stored", rule)
            continue
        record = records.get(data["record_id"])
        if record is None and (purge := purged.get(data["record_id"])) is not None:
            item.refused(run, "stale", tombstones.purge_reason(purge))
            continue
        if record is None:
            raise _unknown(item, "record_id")
        if run.incoming_rank(item.obj["origin"]) > run.rank(record["origin"]):
            rule = "来源权威低于记录的来源 / lower authority than the record's origin"
            _conflict(run, item, "kept", record, "stored", rule)
            continue
        local_id = run.conn.execute(
            record_status.insert().values(
                record_id=data["record_id"],
                status=data["status"],
                changed_at=parse_time(data["changed_at"]),
                actor=data["actor"],
                reason=data["reason"],
            )
        ).inserted_primary_key[0]
        _state(run, item, "new", local_key=str(local_id))


def _apply_held(run: _Run, items: list[_Item]) -> None:
    """List entries and evaluations stay their origin's statements: a listing is the deciding
    authority's act and a score its evaluator's opinion, so nothing here is overwritten and
    authority does not arbitrate. Each origin's newest version is the one that counts; an
    older one arriving late is refused and logged, as for a record of the same origin.

    Only the origin's own batch counts: these objects are never relayed (`exchange.export`),
    so one under another node's name is `ignored`, as a relayed tombstone is. Were it held,
    it would count as nothing (a relay cannot speak for the decider) yet still make the
    origin's own copy look like a repeat, so that copy would never count."""
    items = _signed_only(run, items)
    if not items:
        return
    _require_subjects(run, items)
    newer = _newer_versions(run, items, provenance.HELD)
    for item in newer:
        _state(run, item, "held")
    if items[0].obj["type"] == "list_entry":
        _warn_of_listings(run, newer)


def _newer_versions(run: _Run, items: list[_Item], outcomes: tuple[str, ...]) -> list[_Item]:
    """The items that are new, or a newer version of what their origin said before (its
    statements with one of `outcomes`): for what stays its origin's statement, the origin's
    newest version is the one that counts. A repeat is counted unchanged; an older version
    arriving late is refused and logged, as for a record of the same origin."""
    ids = [i.id for i in items]
    latest = provenance.latest_per_origin(run.conn, items[0].obj["type"], ids, outcomes)
    newer: list[_Item] = []
    for item in items:
        seen = latest.get((item.obj["origin"], item.id))
        if seen is None:
            newer.append(item)
        elif seen.content_hash == item.digest:
            run.report.outcomes["unchanged"] += 1
        else:
            held = json.loads(seen.payload)
            outcome, winner, rule = _decide(run, item.obj, held)
            if outcome == "updated":
                newer.append(item)
            else:
                _conflict(run, item, outcome, held, winner, rule)
    return newer


def _warn_of_listings(run: _Run, newer: list[_Item]) -> None:
    """A peer's black-list entry in force alerts this node's platforms and regulators once
    (联合惩戒 starts with knowing). Only the sender's own listings count, as for its measures
    (`exchange.received`): a listing travels only from the node that decided it."""
    listings = [listing_of(run.sender, i.obj["data"]) for i in newer]
    warn_of_peer_listings(run.conn, listings, run.now)


def _signed_only(run: _Run, items: list[_Item]) -> list[_Item]:
    """The items whose origin signed this batch; the others are ignored, each named."""
    signer = run.sender.node_id
    for item in items:
        if item.obj["origin"] != signer:
            reason = (
                f"由 {signer} 转发，只接受 {item.obj['origin']} 自己签发的批次 / relayed by "
                f"{signer}: only a batch {item.obj['origin']} signed itself counts"
            )
            item.refused(run, "ignored", reason)
    return [i for i in items if i.obj["origin"] == signer]


def _apply_purges(run: _Run, items: list[_Item]) -> None:
    """Tombstones count only from the node that purged, the batch's signer: one relayed under
    another node's name could otherwise delete that node's records here, so it is ignored.
    A new tombstone, or a newer one (the record filed again and purged again), deletes what
    came from that node (`tombstones.forget`) and stays as its statement, without content."""
    signed = _signed_only(run, items)
    if not signed:
        return
    newer = _newer_versions(run, signed, tombstones.OUTCOMES)
    data = [i.obj["data"] for i in newer]
    deleted = tombstones.forget(run.conn, run.sender.node_id, data, run.actor.name, run.now)
    for item in newer:
        _state(run, item, "purged" if deleted[item.obj["data"]["purged_id"]] else "noted")


APPLIERS = {
    "subject": _apply_kind,
    "record": _apply_kind,
    "record_status": _apply_status,
    "list_entry": _apply_held,
    "evaluation": _apply_held,
    "purge": _apply_purges,
}
