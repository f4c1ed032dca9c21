"""A node's own retention purge takes every copy it keeps: what peers said about the record and
its status changes, and the conflict rows holding either — not only the record row
(个人信息保护法 Art.47: delete once the retention period has expired)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli.main import app
from ecredit.exchange.batch import seal
from ecredit.exchange.node import init_node
from ecredit.exchange.peers import add_peer
from ecredit.governance import services
from ecredit.storage.exchange import exchange_conflict, exchange_statement
from ecredit.storage.governance import purge_log
from tests.exchange import nodes
from tests.exchange.test_import import LOCAL_R1
from tests.exchange.test_purge import R0, R9_OWN, R9_PEER, export, receive, record_ids
from tests.ingest import world

PURGED = ("R0", "R9")
AGENCY_REASON = "第三方机构异议：已过保存期的记录"
"""A refused status change's reason: content of R0's status history that must go with R0."""
CONTENT = (
    R0["summary"],
    R9_OWN["summary"],
    R9_PEER["summary"],
    "平台A对过期记录的异议",
    "平台A对本节点记录的异议",
    AGENCY_REASON,
)
"""What the purged records and their status changes said, as it would appear in a payload."""


def change(record_id: str, reason: str) -> dict[str, str]:
    return {
        "record_id": record_id,
        "status": "disputed",
        "changed_at": "2026-01-05T02:00:00.000000Z",
        "actor": "analyst@node-c",
        "reason": reason,
    }


def rows(node: nodes.Node) -> tuple[list[sa.Row], list[sa.Row]]:
    with node.engine.connect() as conn:
        statements = conn.execute(sa.select(exchange_statement).order_by("id")).all()
        conflicts = conn.execute(sa.select(exchange_conflict).order_by("id")).all()
    return statements, conflicts


def names_purged(conflict: sa.Row) -> bool:
    """A conflict whose either side is a purged record's version or status change."""
    stored = json.loads(conflict.stored_payload)
    named = stored["id"] if stored["type"] == "record" else stored["data"]["record_id"]
    return named in PURGED or conflict.object_id in PURGED


def about_purged(statement: sa.Row) -> bool:
    """A statement of a purged record's version or of one of its status changes."""
    payload = json.loads(statement.payload)
    if statement.object_type == "record":
        return statement.object_id in PURGED
    return statement.object_type == "record_status" and payload["data"]["record_id"] in PURGED


@pytest.fixture
def held(tmp_path: Path, db_url: str, second_db_url: str) -> tuple[nodes.Node, nodes.Node]:
    """B holds its own R9 and R1 and A's R0, with A's and an agency's statements about them.

    A (platform) sends R0 (new here), R9 and R1 (B's own stay: conflicts), status changes of
    R0, of B's own R9 and of R1 (applied), and a black-list entry; C (an agency, below the
    records' platforms) sends status changes of R0 and R1 (refused: conflicts holding the
    records' content)."""
    a = nodes.make_node(tmp_path / "a", "node-a", "platform", db_url)
    b = nodes.make_node(tmp_path / "b", "node-b", "platform", second_db_url)
    nodes.trust(b, a)
    for node, records in ((a, [*nodes.RECORDS, R0, R9_PEER]), (b, [R9_OWN, LOCAL_R1])):
        nodes.ingest_rows(node, "subjects", world.SUBJECTS)
        nodes.ingest_rows(node, "records", records)
    nodes.set_status(a, "R0", "disputed", "平台A对过期记录的异议")
    nodes.set_status(a, "R9", "disputed", "平台A对本节点记录的异议")
    nodes.set_status(a, "R1", "disputed", "平台A对R1的异议")
    nodes.black_list(a, "M1")
    report = receive(b, export(a)[0])
    assert (report.outcomes["new"], report.outcomes["kept"], report.outcomes["held"]) == (6, 2, 1)

    agency = init_node("node-c", "agency", tmp_path / "c.json")
    add_peer(b.engine, agency.node_id, agency.public_key, "agency", "", "test")
    objects = [
        {
            "type": "record_status",
            "id": f"node-c#{n}",
            "origin": "node-c",
            "said_at": "2026-01-05T02:00:00.000000Z",
            "data": change(record_id, reason),
        }
        for n, (record_id, reason) in enumerate((("R0", AGENCY_REASON), ("R1", "机构对R1的异议")))
    ]
    now = datetime.now(UTC)
    report = receive(b, seal(agency, 1, "c3.0.0.0.0.0", "c3.1.1.0.0.0", objects, now))
    assert report.outcomes["kept"] == 2
    return a, b


def test_a_local_purge_erases_every_copy_of_the_records_content(
    held: tuple[nodes.Node, nodes.Node],
) -> None:
    _a, b = held
    statements, conflicts = rows(b)
    assert {s.object_id for s in statements if about_purged(s)} >= {"R0", "R9"}
    kept_statements = [s for s in statements if not about_purged(s)]
    kept_conflicts = [c for c in conflicts if not names_purged(c)]
    assert len(kept_conflicts) == 2  # A's R1 against B's own, C's status change of R1

    shown = CliRunner().invoke(app, ["retention", "purge", "--db", b.db_url])
    assert shown.exit_code == 0, shown.output
    assert sorted(record_ids(b)) == ["R1", "R2", "R3"]

    statements, conflicts = rows(b)
    assert statements == kept_statements
    assert conflicts == kept_conflicts
    for row in statements:
        assert not about_purged(row)
        for content in CONTENT:
            assert content not in row.payload, (row.object_type, row.object_id, content)
    for row in conflicts:
        assert not names_purged(row)
        for content in CONTENT:
            assert content not in row.stored_payload, content
    (listing,) = [s for s in statements if s.object_type == "list_entry"]
    assert "R1" in listing.payload  # a listing keeps the records it cites

    with b.engine.connect() as conn:
        logged = dict(conn.execute(sa.select(purge_log.c.record_id, purge_log.c.copies)).all())
    assert logged == {
        # A's version and status change; C's refused status change and its conflict row
        "R0": {"exchange_statement": 3, "exchange_conflict": 1},
        # A's version (refused against B's own) and its conflict row; A's status change
        "R9": {"exchange_statement": 2, "exchange_conflict": 1},
    }
    history = [h for h in services.history(b.engine, "M1") if h.workflow == "retention"]
    assert {h.record_id: h.detail["copies"]["exchange_statement"] for h in history} == {
        "R0": 3,
        "R9": 2,
    }

    raw, _cursor = export(b)
    objects = json.loads(raw)["objects"]
    tombstones = [(o["id"], o["origin"]) for o in objects if o["type"] == "purge"]
    assert sorted(tombstones) == [("record/R0", "node-b"), ("record/R9", "node-b")]
    said = raw.decode()
    for content in CONTENT:
        assert content not in said, content
