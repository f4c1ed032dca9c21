"""Joint measures across nodes (多部门、跨地区联合奖惩): a black-list entry that a trusted peer
decided triggers this node's measures while it is in force there, names its origin, raises
one risk warning, and never becomes — or can be changed as — a listing of this node's own."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ecredit.audit.log import canonical
from ecredit.exchange.apply import import_batch
from ecredit.exchange.batch import content_hash
from ecredit.exchange.export import export_batch
from ecredit.exchange.node import NodeIdentity, init_node
from ecredit.exchange.objects import Cursor, current_cursor
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.exchange.received import peer_evaluations
from ecredit.exchange.view import public_view
from ecredit.governance import services
from ecredit.governance.lists import Decision
from ecredit.governance.model import china_date, utc_now
from ecredit.governance.services.common import UnknownCase
from ecredit.governance.warnings import RiskWarning
from ecredit.records.kinds import DataClass
from tests.exchange import nodes
from tests.exchange.test_import import OPERATOR, send
from tests.ingest import world

DOCUMENT = "某市监〔2026〕7号"
AUTHORITY = "某市市场监督管理局"
POLICY = load_exchange_policy()


@pytest.fixture
def platform_and_regulator(
    tmp_path: Path, db_url: str, second_db_url: str
) -> tuple[nodes.Node, nodes.Node]:
    """A platform node holding M1's serious record; a regulator node that trusts it and holds
    the same subjects, with no listing of its own."""
    a, b = nodes.platform_and_receiver(
        tmp_path, db_url, second_db_url, ("platform-a", "regulator-b")
    )
    nodes.ingest_rows(b, "subjects", world.SUBJECTS)
    return a, b


def since_now(node: nodes.Node) -> Cursor:
    with node.engine.connect() as conn:
        return current_cursor(conn)


def export_since(node: nodes.Node, since: Cursor | None, internal: bool = False) -> bytes:
    policy = load_exchange_policy()
    if internal:
        classes = [DataClass.PUBLIC, DataClass.INTERNAL]
        policy = policy.model_copy(update={"export_classes": classes})
    exported = export_batch(node.engine, node.identity, policy, since, "b", OPERATOR)
    assert exported is not None
    return exported[0]


def peer_warnings(node: nodes.Node) -> list[RiskWarning]:
    return services.list_warnings(node.engine, "M1", "list_entry")


def test_a_peers_black_list_applies_here_until_the_peer_lifts_it(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    assert services.measures_for(b.engine, "M1") == []
    entry_id = nodes.black_list(a, "M1")
    send(a, b)

    found = services.measures_for(b.engine, "M1")
    assert {m.measure for m in found} >= {"shield_shop", "more_inspections", "public_exposure"}
    for m in found:
        assert m.origin is not None and m.origin.node_id == "platform-a"
        assert (m.entry_id, m.authority, m.document_no) == (entry_id, AUTHORITY, DOCUMENT)
        assert m.why_zh.startswith("来源：")
    platform = services.measures_for(b.engine, "M1", executor="platform")
    assert "shield_shop" in {m.measure for m in platform}
    assert "more_inspections" not in {m.measure for m in platform}
    assert services.measures_for(b.engine, "M2") == []

    # the peer's listing is not this node's: nothing to decide, lift or report on here
    assert services.listings(b.engine) == []
    with pytest.raises(UnknownCase):
        services.remove_listing(b.engine, entry_id, "repair", "本地移出", "officer@b")
    with pytest.raises(UnknownCase):
        services.report_execution(b.engine, entry_id, "shield_shop", "platform", "r", "p@b")
    assert {m.measure for m in services.measures_for(b.engine, "M1")} == {m.measure for m in found}

    since = since_now(a)
    nodes.lift_after_repair(a, entry_id)
    send(a, b, export_since(a, since))
    assert services.measures_for(b.engine, "M1") == []
    assert services.listings(b.engine) == []


def test_a_peers_proposal_or_rejected_proposal_never_produces_measures(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    since = since_now(a)
    entry_id = nodes.propose_black_list(a, "M1")
    assert send(a, b, export_since(a, since, internal=True)).outcomes["held"] == 1
    assert services.measures_for(b.engine, "M1") == []

    since = since_now(a)
    services.reject_listing(a.engine, entry_id, "证据不足 / insufficient evidence", "officer@a")
    assert send(a, b, export_since(a, since, internal=True)).outcomes["held"] == 1
    assert services.measures_for(b.engine, "M1") == []
    assert peer_warnings(b) == []

    since = since_now(a)
    decided = nodes.black_list(a, "M1")  # proposed again, and this time decided
    send(a, b, export_since(a, since, internal=True))
    assert {m.entry_id for m in services.measures_for(b.engine, "M1")} == {decided}


def test_receiving_a_peers_black_list_warns_once_naming_the_origin(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    since = since_now(a)
    entry_id = nodes.propose_black_list(a, "M1")
    services.decide_listing(
        a.engine,
        entry_id,
        Decision(AUTHORITY, "发改财金〔2016〕2794号 §十九", DOCUMENT, today()),
        "officer@a",
    )
    send(a, b, export_since(a, since))
    (warning,) = peer_warnings(b)
    assert warning.level == "high"
    assert "来源：platform-a" in warning.zh and DOCUMENT in warning.zh
    assert (warning.data["origin"], warning.data["entry_id"]) == ("platform-a", entry_id)

    # published and a measure executed: newer versions of the same entry, no new warning
    since = since_now(a)
    services.publish_listing(a.engine, entry_id, "officer@a")
    services.report_execution(a.engine, entry_id, "shield_shop", "platform", "工单 1", "p@a")
    assert send(a, b, export_since(a, since)).outcomes["held"] == 1
    assert send(a, b).already_imported is False
    assert [w.warning_id for w in peer_warnings(b)] == [warning.warning_id]


def test_a_listing_relayed_in_another_nodes_name_is_not_applied(
    tmp_path: Path,
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    """Listings travel only from the node that decided them, so a trusted relay cannot pass
    off a listing in a department's name to trigger the department's measures here."""
    a, b = platform_and_regulator
    relay = init_node("platform-c", "platform", tmp_path / "relay.json")
    ministry = init_node("ministry", "department", tmp_path / "ministry.json")
    add_peer(b.engine, "platform-c", relay.public_key, "platform", "", "test")
    add_peer(b.engine, "ministry", ministry.public_key, "department", "某部委", "test")
    entry_id = nodes.black_list(a, "M1")
    envelope = json.loads(export_since(a, None))
    for obj in envelope["objects"]:
        if obj["type"] == "list_entry":
            obj["origin"] = "ministry"
    envelope |= {"node": "platform-c", "sequence": 7}
    envelope["content_hash"] = content_hash(envelope["objects"])
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    envelope["signature"]["value"] = relay.sign(canonical(unsigned))
    report = import_batch(
        b.engine, canonical(envelope), b.identity, load_exchange_policy(), OPERATOR
    )
    assert (report.outcomes["held"], report.outcomes["ignored"]) == (0, 1)
    (refusal,) = report.refusals
    assert (refusal.type, refusal.id, refusal.outcome) == ("list_entry", entry_id, "ignored")
    assert "platform-c" in refusal.reason and "ministry" in refusal.reason
    assert services.measures_for(b.engine, "M1") == []
    assert peer_warnings(b) == []

    send(a, b)  # the decider's own batch
    found = services.measures_for(b.engine, "M1")
    assert {(m.entry_id, m.origin.node_id if m.origin else None) for m in found} == {
        (entry_id, "platform-a")
    }
    assert len(peer_warnings(b)) == 1


def relay(envelope: dict, relay_node: NodeIdentity, sequence: int) -> bytes:
    """The same objects, origins kept, in a batch another trusted node signed."""
    envelope = envelope | {"node": relay_node.node_id, "sequence": sequence}
    envelope["content_hash"] = content_hash(envelope["objects"])
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    envelope["signature"] = envelope["signature"] | {"value": relay_node.sign(canonical(unsigned))}
    return canonical(envelope)


def test_a_relayed_copy_arriving_first_does_not_shadow_the_origins_own(
    tmp_path: Path,
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    """A relay forwards A's listing and evaluation, origins kept, before A's own batch
    arrives: the copies are ignored (each named in the report), so A's identical batch is
    held, not taken for a repeat, and its measures apply."""
    a, b = platform_and_regulator
    other = init_node("platform-c", "platform", tmp_path / "relay.json")
    add_peer(b.engine, "platform-c", other.public_key, "platform", "", "test")
    entry_id = nodes.black_list(a, "M1")
    nodes.evaluate(a, {"M1": (548.4, "D", "D")})
    own = export_since(a, None)
    envelope = json.loads(own)
    report = import_batch(b.engine, relay(envelope, other, 3), b.identity, POLICY, OPERATOR)
    assert report.outcomes["ignored"] == 2 and report.outcomes["held"] == 0
    assert {(r.type, r.outcome) for r in report.refusals} == {
        ("list_entry", "ignored"),
        ("evaluation", "ignored"),
    }
    assert services.measures_for(b.engine, "M1") == []
    with b.engine.connect() as conn:
        assert peer_evaluations(conn, "M1") == []
    assert public_view(b.engine)["list_entries"] == []

    report = send(a, b, own)
    assert report.outcomes["held"] == 2
    found = services.measures_for(b.engine, "M1")
    assert {(m.entry_id, m.origin.node_id if m.origin else None) for m in found} == {
        (entry_id, "platform-a")
    }
    with b.engine.connect() as conn:
        (evaluation,) = peer_evaluations(conn, "M1")
    assert (evaluation.origin.node_id, evaluation.data["score"]) == ("platform-a", "548.40")
    assert len(peer_warnings(b)) == 1


def today() -> date:
    return china_date(utc_now())
