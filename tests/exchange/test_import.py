"""Import rules: conflicts are decided by source authority and always logged; a batch that
needs an earlier one is refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.audit.log import Actor, canonical
from ecredit.cli.exchange import exchange_app
from ecredit.exchange.apply import ImportReport, import_batch
from ecredit.exchange.batch import BatchRejected, content_hash
from ecredit.exchange.export import export_batch
from ecredit.exchange.node import init_node
from ecredit.exchange.objects import current_cursor
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.exchange.view import public_view
from ecredit.records.kinds import DataClass
from ecredit.storage.evaluations import evaluation_result
from ecredit.storage.exchange import exchange_conflict, exchange_statement
from ecredit.storage.governance import governance_case
from tests.exchange import nodes
from tests.ingest import world

OPERATOR = Actor("operator", "admin")
LOCAL_R1 = nodes.RECORDS[0] | {"summary": "本地登记的副本 / local copy"}


def send(sender: nodes.Node, receiver: nodes.Node, raw: bytes | None = None) -> ImportReport:
    if raw is None:
        exported = export_batch(
            sender.engine, sender.identity, load_exchange_policy(), None, "test", OPERATOR
        )
        assert exported is not None
        raw = exported[0]
    return import_batch(receiver.engine, raw, receiver.identity, load_exchange_policy(), OPERATOR)


def conflicts(node: nodes.Node) -> list[sa.Row]:
    with node.engine.connect() as conn:
        return conn.execute(sa.select(exchange_conflict).order_by(exchange_conflict.c.id)).all()


def r1_summary(node: nodes.Node) -> str:
    (r1,) = [r for r in public_view(node.engine)["records"] if r["record_id"] == "R1"]
    return r1["summary"]


def pair(tmp_path: Path, db_url: str, second_db_url: str, a_authority: str, b_authority: str):
    a = nodes.make_node(tmp_path / "a", "node-a", a_authority, db_url)
    b = nodes.make_node(tmp_path / "b", "node-b", b_authority, second_db_url)
    nodes.trust(b, a)
    for node, records in ((a, nodes.RECORDS), (b, [LOCAL_R1])):
        nodes.ingest_rows(node, "subjects", world.SUBJECTS)
        nodes.ingest_rows(node, "records", records)
    return a, b


def test_lower_authority_does_not_overwrite_and_the_conflict_is_logged(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = pair(tmp_path, db_url, second_db_url, "platform", "department")
    report = send(a, b)
    assert report.outcomes["kept"] == 1 and report.conflicts == 1
    assert r1_summary(b) == LOCAL_R1["summary"]
    (conflict,) = conflicts(b)
    assert (conflict.object_id, conflict.winner) == ("R1", "stored")
    assert (conflict.stored_origin, conflict.incoming_origin) == ("node-b", "node-a")
    shown = CliRunner().invoke(exchange_app, ["conflicts", "--db", b.db_url])
    assert shown.exit_code == 0 and "R1" in shown.stdout


def test_higher_authority_replaces_and_the_replaced_content_is_kept(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = pair(tmp_path, db_url, second_db_url, "department", "platform")
    report = send(a, b)
    assert report.outcomes["replaced"] == 1 and report.conflicts == 1
    assert r1_summary(b) == nodes.RECORDS[0]["summary"]
    (conflict,) = conflicts(b)
    assert conflict.winner == "incoming"
    assert json.loads(conflict.stored_payload)["data"]["summary"] == LOCAL_R1["summary"]


def test_lower_authority_cannot_withdraw_a_higher_authoritys_record(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = pair(tmp_path, db_url, second_db_url, "platform", "department")
    nodes.set_status(a, "R1", "withdrawn", "平台撤销 / withdrawn by the platform")
    report = send(a, b)
    assert report.outcomes["kept"] == 2
    assert "R1" in [r["record_id"] for r in public_view(b.engine)["records"]]
    assert [c.object_type for c in conflicts(b)] == ["record", "record_status"]


def test_a_relay_cannot_raise_an_objects_authority(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = pair(tmp_path, db_url, second_db_url, "platform", "platform")
    ministry = init_node("ministry", "department", tmp_path / "ministry.json")
    add_peer(b.engine, "ministry", ministry.public_key, "department", "", "test")
    exported = export_batch(a.engine, a.identity, load_exchange_policy(), None, "b", OPERATOR)
    assert exported is not None
    envelope = json.loads(exported[0])
    for obj in envelope["objects"]:
        obj["origin"] = "ministry"
    report = send(a, b, reseal(a, envelope))
    assert report.outcomes["kept"] == 1
    assert r1_summary(b) == LOCAL_R1["summary"]


def reseal(node: nodes.Node, envelope: dict) -> bytes:
    """What a dishonest relay would send: its own valid signature over rewritten origins."""
    envelope["content_hash"] = content_hash(envelope["objects"])
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    envelope["signature"]["value"] = node.identity.sign(canonical(unsigned))
    return canonical(envelope)


def test_a_batch_naming_records_the_receiver_lacks_is_refused_whole(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = nodes.platform_and_receiver(tmp_path, db_url, second_db_url)
    with a.engine.connect() as conn:
        since = current_cursor(conn)
    nodes.set_status(a, "R2", "repaired", "信用修复 / repaired")
    exported = export_batch(a.engine, a.identity, load_exchange_policy(), since, "b", OPERATOR)
    assert exported is not None
    before = nodes.snapshot(b.engine, ("access_log", "access_log_head"))
    with pytest.raises(BatchRejected, match="unknown record_id R2; import earlier batches first"):
        send(a, b, exported[0])
    assert nodes.snapshot(b.engine, ("access_log", "access_log_head")) == before


def held_statements(node: nodes.Node) -> int:
    held = exchange_statement.c.object_type.in_(("list_entry", "evaluation"))
    with node.engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(exchange_statement).where(held)
        return conn.execute(count).scalar_one()


def shown(node: nodes.Node, key: str) -> list[tuple[str | None, str, str]]:
    """(origin, id, what changes) of what the node shows: a listing's status, a score."""
    return [
        (d["origin"], d.get("entry_id") or d["subject_id"], d.get("status") or d["score"])
        for d in public_view(node.engine)[key]
    ]


@pytest.fixture
def listed(tmp_path: Path, db_url: str, second_db_url: str) -> tuple[nodes.Node, nodes.Node, str]:
    """A platform that black-listed M1 and evaluated M1 and M2; a regulator with the same
    subjects and its own evaluation of M1."""
    a, b = nodes.platform_and_receiver(tmp_path, db_url, second_db_url)
    entry_id = nodes.black_list(a, "M1")
    nodes.evaluate(a, {"M1": (512.254, "D", "D"), "M2": (688.0, "A", "B")})
    nodes.ingest_rows(b, "subjects", world.SUBJECTS)
    nodes.evaluate(b, {"M1": (430.0, "D", "D")})
    return a, b, entry_id


def test_list_entries_and_evaluations_are_held_as_their_origins_statements(
    listed: tuple[nodes.Node, nodes.Node, str],
) -> None:
    a, b, entry_id = listed
    first = export_batch(a.engine, a.identity, load_exchange_policy(), None, "b", OPERATOR)
    assert first is not None
    report = send(a, b, first[0])
    assert report.outcomes["held"] == 3 and report.conflicts == 0
    assert shown(b, "list_entries") == [("node-a", entry_id, "published")]
    assert shown(b, "evaluations") == [
        (None, "M1", "430.00"),
        ("node-a", "M1", "512.25"),
        ("node-a", "M2", "688.00"),
    ]
    with b.engine.connect() as conn:
        own_listings = governance_case.c.workflow == "list_entry"
        count = sa.select(sa.func.count()).select_from(governance_case).where(own_listings)
        assert conn.execute(count).scalar() == 0
        assert conn.execute(sa.select(evaluation_result.c.score)).scalars().all() == [430.0]

    held = held_statements(b)
    again = send(a, b)
    assert again.outcomes == {"unchanged": again.objects}
    assert held_statements(b) == held

    with a.engine.connect() as conn:
        since = current_cursor(conn)
    nodes.lift_after_repair(a, entry_id)
    nodes.evaluate(a, {"M1": (560.0, "C", "C")})
    newer = export_batch(a.engine, a.identity, load_exchange_policy(), since, "b", OPERATOR)
    assert newer is not None
    assert send(a, b, newer[0]).outcomes == {"held": 2}
    assert shown(b, "list_entries") == []
    assert ("node-a", "M1", "560.00") in shown(b, "evaluations")

    replayed = json.loads(first[0]) | {"sequence": 99}
    late = send(a, b, reseal(a, replayed))
    assert late.outcomes["kept"] == 2 and late.conflicts == 2
    assert ("node-a", "M1", "560.00") in shown(b, "evaluations")
    lifted = [c for c in conflicts(b) if c.object_type == "list_entry"]
    assert [json.loads(c.stored_payload)["data"]["end_cause"] for c in lifted] == ["repair"]


def test_a_listing_of_a_subject_the_receiver_lacks_is_refused_whole(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a, b = nodes.platform_and_receiver(tmp_path, db_url, second_db_url)
    with a.engine.connect() as conn:
        since = current_cursor(conn)
    nodes.black_list(a, "M1")
    exported = export_batch(a.engine, a.identity, load_exchange_policy(), since, "b", OPERATOR)
    assert exported is not None
    before = nodes.snapshot(b.engine, ("access_log", "access_log_head"))
    with pytest.raises(BatchRejected, match="unknown subject_id M1; import earlier batches first"):
        send(a, b, exported[0])
    assert nodes.snapshot(b.engine, ("access_log", "access_log_head")) == before


def test_a_proposal_leaves_only_if_the_policy_exports_internal_data(
    tmp_path: Path, db_url: str
) -> None:
    a = nodes.make_node(tmp_path / "a", "node-a", "platform", db_url)
    nodes.ingest_rows(a, "subjects", world.SUBJECTS)
    nodes.ingest_rows(a, "records", nodes.RECORDS)
    with a.engine.connect() as conn:
        since = current_cursor(conn)
    entry_id = nodes.propose_black_list(a, "M1")
    public = load_exchange_policy()
    assert export_batch(a.engine, a.identity, public, since, "b", OPERATOR) is None
    internal = public.model_copy(update={"export_classes": [DataClass.PUBLIC, DataClass.INTERNAL]})
    exported = export_batch(a.engine, a.identity, internal, since, "b", OPERATOR)
    assert exported is not None
    (entry,) = json.loads(exported[0])["objects"]
    assert (entry["type"], entry["id"], entry["data"]["status"]) == (
        "list_entry",
        entry_id,
        "proposed",
    )
