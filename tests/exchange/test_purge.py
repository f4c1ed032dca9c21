"""Purges propagate: a record its origin purged past its retention term leaves the peers that
received it, with a purge-log row there too; a peer's own data never goes on a tombstone."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecredit.audit.log import Actor, iso
from ecredit.exchange.apply import ImportReport, import_batch
from ecredit.exchange.batch import BatchRejected, seal
from ecredit.exchange.export import export_batch
from ecredit.exchange.node import init_node
from ecredit.exchange.objects import Cursor
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.exchange.tombstones import ExchangeCopies
from ecredit.exchange.view import public_view
from ecredit.governance import services
from ecredit.storage.exchange import access_log, exchange_conflict, exchange_statement
from ecredit.storage.governance import purge_log
from tests.exchange import nodes
from tests.exchange.test_import import LOCAL_R1, pair
from tests.ingest import world

OPERATOR = Actor("operator@node-b", "admin")
AUDIT_TABLES = ("access_log", "access_log_head")
COPIES = ExchangeCopies()
OLD = {
    "subject_id": "M1",
    "type_code": "PLT02",
    "source_kind": "platform",
    "source_name": "某电商平台有限公司",
    "severity": "general",
    "status": "active",
}
"""Negative records whose five years ran out in 2025 (征信业管理条例 Art.16)."""
R0 = OLD | {
    "record_id": "R0",
    "decided_on": "2020-09-01",
    "act_ended_on": "2020-06-30",
    "summary": "恶意差评（已过保存期）",
}
R8 = OLD | {"record_id": "R8", "decided_on": "2020-11-01", "summary": "从未发送的记录"}
R9_OWN = OLD | {"record_id": "R9", "decided_on": "2020-10-01", "summary": "本节点自有记录"}
R9_PEER = R9_OWN | {"summary": "平台A的同号记录"}


def export(node: nodes.Node, since: Cursor | None = None) -> tuple[bytes, Cursor]:
    policy = load_exchange_policy()
    exported = export_batch(node.engine, node.identity, policy, since, "test", OPERATOR)
    assert exported is not None
    return exported


def receive(node: nodes.Node, raw: bytes) -> ImportReport:
    return import_batch(node.engine, raw, node.identity, load_exchange_policy(), OPERATOR)


def record_ids(node: nodes.Node) -> list[str]:
    return [r.record_id for s in ("M1", "M2") for r in services.archive(node.engine, s)]


def statements(node: nodes.Node, object_type: str) -> list[tuple[str, str, str]]:
    query = (
        sa.select(exchange_statement.c.object_id, exchange_statement.c.origin)
        .add_columns(exchange_statement.c.outcome)
        .where(exchange_statement.c.object_type == object_type)
        .order_by(exchange_statement.c.id)
    )
    with node.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def purged(node: nodes.Node) -> list[tuple[str, str]]:
    with node.engine.connect() as conn:
        query = sa.select(purge_log.c.record_id, purge_log.c.rule).order_by(purge_log.c.id)
        return [tuple(row) for row in conn.execute(query)]


@pytest.fixture
def platforms(tmp_path: Path, db_url: str, second_db_url: str) -> tuple[nodes.Node, nodes.Node]:
    """A holds R0, R9 and the usual records; B holds its own R9 (past its term too)."""
    a = nodes.make_node(tmp_path / "a", "node-a", "platform", db_url)
    b = nodes.make_node(tmp_path / "b", "node-b", "platform", second_db_url)
    nodes.trust(b, a)
    nodes.trust(a, b)
    for node, records in ((a, [*nodes.RECORDS, R0, R9_PEER]), (b, [R9_OWN])):
        nodes.ingest_rows(node, "subjects", world.SUBJECTS)
        nodes.ingest_rows(node, "records", records)
    return a, b


def test_a_purge_reaches_the_peer_that_received_the_record(
    platforms: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platforms
    first, cursor = export(a)
    assert receive(b, first).outcomes["kept"] == 1  # A's R9 does not replace B's own
    assert sorted(record_ids(b)) == ["R0", "R1", "R2", "R3", "R9"]

    nodes.ingest_rows(a, "records", [R8])  # purged before any batch carried it
    due = services.purge(a.engine, copies=COPIES)
    assert sorted(i.record.record_id for i in due) == ["R0", "R8", "R9"]
    raw, _cursor = export(a, cursor)
    objects = json.loads(raw)["objects"]
    assert [(o["type"], o["id"]) for o in objects] == [
        ("purge", "record/R0"),
        ("purge", "record/R9"),
        ("purge", "record/R8"),
    ]
    assert objects[0]["data"]["delete_after"] == "2025-06-30"
    assert "征信业管理条例" in objects[0]["data"]["rule"]
    said = json.dumps(objects, ensure_ascii=False)
    for content in ("恶意差评", "PLT02", "M1", "2020-09-01"):
        assert content not in said, content

    before = nodes.snapshot(b.engine, AUDIT_TABLES)
    forged = raw.replace(b"record/R0", b"record/R1").replace(b'"R0"', b'"R1"')
    with pytest.raises(BatchRejected, match="bad signature"):
        receive(b, forged)
    assert nodes.snapshot(b.engine, AUDIT_TABLES) == before

    report = receive(b, raw)
    assert (report.outcomes["purged"], report.outcomes["noted"]) == (2, 1)
    assert sorted(record_ids(b)) == ["R1", "R2", "R3", "R9"]
    (own,) = [r for r in services.archive(b.engine, "M1") if r.record_id == "R9"]
    assert own.summary == R9_OWN["summary"]
    ((record_id, rule),) = purged(b)
    assert record_id == "R0" and "征信业管理条例" in rule and "node-a" in rule
    with b.engine.connect() as conn:
        copies = conn.execute(sa.select(purge_log.c.copies)).scalar_one()
    assert copies == {"exchange_statement": 1, "exchange_conflict": 0}  # A's R0, as received
    (logged,) = [h for h in services.history(b.engine, "M1") if h.workflow == "retention"]
    assert (logged.record_id, logged.actor) == ("R0", OPERATOR.name)
    assert [s for s in statements(b, "record") if s[0] in ("R0", "R9")] == []
    with b.engine.connect() as conn:
        assert conn.execute(sa.select(exchange_conflict)).all() == []
        body = json.loads(conn.execute(sa.select(access_log.c.body)).scalars().all()[-1])
    assert body["detail"]["purged"] == 2
    assert statements(b, "purge") == [
        ("record/R0", "node-a", "purged"),
        ("record/R9", "node-a", "purged"),
        ("record/R8", "node-a", "noted"),
    ]

    after = nodes.snapshot(b.engine, AUDIT_TABLES)
    assert receive(b, raw).already_imported
    assert nodes.snapshot(b.engine, AUDIT_TABLES) == after

    onward, _ = export(b)
    (tombstone,) = [o for o in json.loads(onward)["objects"] if o["type"] == "purge"]
    assert (tombstone["id"], tombstone["origin"]) == ("record/R0", "node-b")
    assert receive(a, onward).outcomes["noted"] == 1


def test_old_copies_still_travelling_are_not_stored_again(
    platforms: tuple[nodes.Node, nodes.Node], tmp_path: Path
) -> None:
    """A third node that relays A's R0 (and a status change of it) after A purged it."""
    a, b = platforms
    first, cursor = export(a)
    receive(b, first)
    services.purge(a.engine, copies=COPIES)
    receive(b, export(a, cursor)[0])

    relay = init_node("node-c", "platform", tmp_path / "c.json")
    add_peer(b.engine, relay.node_id, relay.public_key, "platform", "", "test")
    (copy,) = [o for o in json.loads(first)["objects"] if o["id"] == "R0"]
    change = {
        "record_id": "R0",
        "status": "disputed",
        "changed_at": "2026-01-05T02:00:00.000000Z",
        "actor": "clerk@node-c",
        "reason": "异议 / objection",
    }
    objects = [
        copy,
        {**copy, "type": "record_status", "id": "node-c#1", "origin": "node-c", "data": change},
    ]
    now = datetime.now(UTC)
    report = receive(b, seal(relay, 1, "c3.0.0.0.0.0", "c3.1.1.0.0.0", objects, now))
    assert report.outcomes["stale"] == 2
    assert "R0" not in record_ids(b)


def test_a_peers_copy_that_replaced_this_nodes_own_gives_way_to_it_again(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    """A department's R1 replaced B's own; when the department purges it, B's own is back."""
    a, b = pair(tmp_path, db_url, second_db_url, "department", "platform")
    first, cursor = export(a)
    assert receive(b, first).outcomes["replaced"] == 1
    nodes.set_status(a, "R1", "disputed", "异议 / objection")
    second, cursor = export(a, cursor)
    assert receive(b, second).outcomes["new"] == 1

    later = datetime.combine(date(2030, 3, 2), datetime.min.time(), UTC)
    due = services.purge(a.engine, now=later, copies=COPIES)
    assert [i.record.record_id for i in due] == ["R1"]
    report = receive(b, export(a, cursor)[0])
    assert report.outcomes["purged"] == 1
    (r1,) = [r for r in public_view(b.engine)["records"] if r["record_id"] == "R1"]
    assert r1["summary"] == LOCAL_R1["summary"]
    (own,) = [r for r in services.archive(b.engine, "M1") if r.record_id == "R1"]
    assert own.status == "active"  # A's objection went with A's copy
    assert purged(b) == []
    assert [s for s in statements(b, "record") if s[0] == "R1"] == []
    assert statements(b, "record_status") == []


def test_a_record_purged_here_is_not_stored_again_from_a_peer_that_kept_it(
    platforms: tuple[nodes.Node, nodes.Node],
) -> None:
    """B purges A's R0 and its own R9 by its own retention run; A, which has not purged yet,
    sends them again (and a status change of R0): each is stale, naming B's purge-log row.
    Only a version A said after the purge whose term has not run out comes back."""
    a, b = platforms
    first, _cursor = export(a)
    receive(b, first)
    services.purge(b.engine, copies=COPIES)
    assert sorted(record_ids(b)) == ["R1", "R2", "R3"]
    with b.engine.connect() as conn:
        logged = dict(conn.execute(sa.select(purge_log.c.record_id, purge_log.c.id)).all())

    nodes.set_status(a, "R0", "disputed", "异议 / objection")
    report = receive(b, export(a)[0])
    assert report.outcomes["stale"] == 3
    assert sorted((r.type, r.id) for r in report.refusals) == [
        ("record", "R0"),
        ("record", "R9"),
        ("record_status", "node-a#1"),
    ]
    for refusal in report.refusals:
        record_id = "R0" if refusal.type == "record_status" else refusal.id
        assert f"purge log #{logged[record_id]}" in refusal.reason, refusal
        assert "征信业管理条例" in refusal.reason
    assert sorted(record_ids(b)) == ["R1", "R2", "R3"]
    assert [s for s in statements(b, "record") if s[0] in ("R0", "R9")] == []
    with b.engine.connect() as conn:
        body = json.loads(conn.execute(sa.select(access_log.c.body)).scalars().all()[-1])
    assert [r["id"] for r in body["detail"]["refusals"]] == [r.id for r in report.refusals]

    (copy,) = [o for o in json.loads(first)["objects"] if o["id"] == "R0"]
    now = datetime.now(UTC)
    later = {**copy, "said_at": iso(now)}  # said after the purge, but its term ran out in 2025
    report = receive(b, seal(a.identity, 50, "c3.0.0.0.0.0", "c3.1.1.0.0.0", [later], now))
    assert (report.outcomes["stale"], report.outcomes["new"]) == (1, 0)
    assert "R0" not in record_ids(b)

    refiled = later | {"data": copy["data"] | {"decided_on": "2025-01-10", "act_ended_on": None}}
    report = receive(b, seal(a.identity, 51, "c3.0.0.0.0.0", "c3.1.1.0.0.0", [refiled], now))
    assert (report.outcomes["stale"], report.outcomes["new"]) == (0, 1)
    assert "R0" in record_ids(b)
