"""Batches: the schema matches the kinds, and any modified byte is refused with a clear reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from ecredit.audit.log import canonical
from ecredit.exchange.batch import BatchRejected, open_batch, schema, seal
from ecredit.exchange.node import NodeIdentity, init_node
from ecredit.exchange.objects import EVALUATIONS, Cursor, make_object
from ecredit.exchange.peers import Peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.privacy.classes import is_protected
from ecredit.records.kinds import RECORDS, SUBJECTS, Kind

NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
SUBJECT = {
    "subject_id": "M2",
    "subject_type": "merchant",
    "legal_form": "person",
    "name": "张某某",
    "uscc": None,
    "ric_masked": "110***********0013",
    "phone_masked": "138****5678",
    "region": "110101",
    "registered_on": "2019-06-01",
}


@pytest.fixture
def node(tmp_path: Path) -> NodeIdentity:
    return init_node("platform-a", "platform", tmp_path / "node.json")


def trusted(node: NodeIdentity):
    peer = Peer(node.node_id, node.public_key, node.authority, "")
    return lambda node_id: peer if node_id == peer.node_id else None


def small_batch(node: NodeIdentity, data: dict | None = None) -> bytes:
    objects = [make_object("subject", "M2", node.node_id, NOW, data or SUBJECT)]
    return seal(node, 1, str(Cursor()), "c1.3.0", objects, NOW)


def exported_fields(kind: Kind) -> set[str]:
    classes = load_exchange_policy().export_classes
    return {
        f"{f.name}_masked" if is_protected(f) else f.name
        for f in kind.fields
        if is_protected(f) or f.data_class in classes
    }


@pytest.mark.parametrize(
    ("kind", "definition"),
    [(SUBJECTS, "subject"), (RECORDS, "record"), (EVALUATIONS, "evaluation")],
)
def test_schema_describes_exactly_what_the_kinds_export(kind: Kind, definition: str) -> None:
    spec = schema()["$defs"][definition]
    assert set(spec["properties"]) == exported_fields(kind) == set(spec["required"])


def test_sealed_batch_opens(node: NodeIdentity) -> None:
    envelope, peer = open_batch(small_batch(node), trusted(node))
    assert peer.node_id == "platform-a"
    assert envelope["objects"][0]["data"] == SUBJECT


def test_every_modified_byte_is_refused(node: NodeIdentity) -> None:
    raw = small_batch(node)
    check = trusted(node)
    for position in range(len(raw)):
        for replacement in {raw[position] ^ 0x01, ord(" ")} - {raw[position]}:
            changed = raw[:position] + bytes([replacement]) + raw[position + 1 :]
            with pytest.raises(BatchRejected):
                open_batch(changed, check)


def test_unknown_node_and_wrong_key_are_named(node: NodeIdentity, tmp_path: Path) -> None:
    raw = small_batch(node)
    with pytest.raises(BatchRejected, match="platform-a is not a trusted peer"):
        open_batch(raw, lambda _node_id: None)
    impostor = init_node("platform-a", "platform", tmp_path / "impostor.json")
    with pytest.raises(BatchRejected, match="bad signature"):
        open_batch(small_batch(impostor), trusted(node))


def test_schema_errors_are_located(node: NodeIdentity) -> None:
    clear_ric = SUBJECT | {"ric_masked": "110101199003070013"}
    with pytest.raises(BatchRejected, match=r"objects/0/data/ric_masked"):
        open_batch(small_batch(node, clear_ric), trusted(node))


def test_the_published_schema_agrees_with_the_per_type_checks(node: NodeIdentity) -> None:
    full = jsonschema.Draft202012Validator(schema())
    assert full.is_valid(json.loads(small_batch(node)))
    clear_ric = SUBJECT | {"ric_masked": "110101199003070013"}
    assert not full.is_valid(json.loads(small_batch(node, clear_ric)))


def test_object_id_must_name_its_content(node: NodeIdentity) -> None:
    objects = [make_object("subject", "M9", node.node_id, NOW, SUBJECT)]
    raw = seal(node, 1, "c1.0.0", "c1.1.0", objects, NOW)
    with pytest.raises(BatchRejected, match="objects/0"):
        open_batch(raw, trusted(node))


def test_wire_form_is_canonical_json(node: NodeIdentity) -> None:
    raw = small_batch(node)
    pretty = json.dumps(json.loads(raw), indent=2, ensure_ascii=False).encode()
    with pytest.raises(BatchRejected, match="canonical"):
        open_batch(pretty, trusted(node))


EVALUATION = {
    "subject_id": "M2",
    "model_version": "2026.1",
    "as_of": "2026-09-30",
    "score": "688.00",
    "grade": "A",
    "risk_class": "B",
    "reasons_zh": "投诉率",
    "reasons_en": "Complaint rate",
}
PROPOSAL = {
    "entry_id": "L1",
    "list": "black_list",
    "subject_id": "M2",
    "status": "proposed",
    "proposed_on": "2026-05-01",
    "reasons": [
        {
            "criterion": "record",
            "zh": "公示中的严重失信记录",
            "en": "Serious dishonesty record on display",
            "record_ids": ["R1"],
            "case_ids": [],
        }
    ],
    "decided_by": None,
    "legal_basis": None,
    "document_no": None,
    "decided_on": None,
    "ends_on": None,
    "published_on": None,
    "ended_on": None,
    "end_cause": None,
    "end_reason": None,
    "measures_executed": [],
}


def resealed(node: NodeIdentity, raw: bytes, **changes: object) -> bytes:
    """A batch with envelope fields changed and signed again by the same node."""
    envelope = {k: v for k, v in json.loads(raw).items() if k != "signature"} | changes
    envelope["signature"] = {"alg": "Ed25519", "value": node.sign(canonical(envelope))}
    return canonical(envelope)


def test_a_listing_and_an_evaluation_open(node: NodeIdentity) -> None:
    objects = [
        make_object("list_entry", "L1", node.node_id, NOW, PROPOSAL),
        make_object("evaluation", "M2/2026.1/2026-09-30", node.node_id, NOW, EVALUATION),
    ]
    envelope, _peer = open_batch(seal(node, 1, "c1.0.0", "c2.3.0.4.1", objects, NOW), trusted(node))
    assert [o["type"] for o in envelope["objects"]] == ["list_entry", "evaluation"]
    assert jsonschema.Draft202012Validator(schema()).is_valid(envelope)


def test_an_evaluation_id_must_name_its_content(node: NodeIdentity) -> None:
    objects = [make_object("evaluation", "M2/2026.1/2026-06-30", node.node_id, NOW, EVALUATION)]
    with pytest.raises(BatchRejected, match=r"objects/0: id .* but its content names"):
        open_batch(seal(node, 1, "c2.0.0.0.0", "c2.1.0.0.1", objects, NOW), trusted(node))


def test_a_decided_listing_must_name_its_decision(node: NodeIdentity) -> None:
    undecided = PROPOSAL | {"status": "decided"}
    objects = [make_object("list_entry", "L1", node.node_id, NOW, undecided)]
    with pytest.raises(BatchRejected, match=r"objects/0/data/\w+: None is not of type 'string'"):
        open_batch(seal(node, 1, "c2.0.0.0.0", "c2.1.0.1.0", objects, NOW), trusted(node))


def test_a_v1_batch_still_opens_but_not_with_list_entries(node: NodeIdentity) -> None:
    """Receivers upgrade first: a peer still on v1 keeps sending subjects and records."""
    v1_cursor = {"since": "c1.0.0", "until": "c1.3.0"}
    v1 = resealed(node, small_batch(node), version=1, cursor=v1_cursor)
    envelope, _peer = open_batch(v1, trusted(node))
    assert envelope["version"] == 1
    v1_shape = {k: PROPOSAL[k] for k in ("entry_id", "list", "subject_id", "status")} | {
        k: None
        for k in ("decided_by", "decided_on", "legal_basis", "document_no", "starts_on", "ends_on")
    }
    listing = [make_object("list_entry", "L1", node.node_id, NOW, v1_shape)]
    raw = resealed(node, seal(node, 1, "c1.0.0", "c1.3.0", listing, NOW), version=1)
    with pytest.raises(BatchRejected, match="list_entry objects are not accepted in format v1"):
        open_batch(raw, trusted(node))


def test_a_newer_format_is_named(node: NodeIdentity) -> None:
    with pytest.raises(BatchRejected, match="format version 4 is newer than this node reads"):
        open_batch(resealed(node, small_batch(node), version=4), trusted(node))


TOMBSTONE = {
    "purged_type": "record",
    "purged_id": "R1",
    "rule": "电子商务法 Art.31; 征信业管理条例 Art.16 (2026.2)",
    "delete_after": "2025-06-30",
    "purged_at": "2026-05-01T08:30:00.000000Z",
}


def test_a_tombstone_opens_and_names_what_went(node: NodeIdentity) -> None:
    objects = [make_object("purge", "record/R1", node.node_id, NOW, TOMBSTONE)]
    raw = seal(node, 1, "c2.3.0.4.1", "c3.3.0.4.1.1", objects, NOW)
    envelope, _peer = open_batch(raw, trusted(node))
    assert envelope["objects"][0]["data"] == TOMBSTONE
    assert jsonschema.Draft202012Validator(schema()).is_valid(envelope)
    misnamed = [make_object("purge", "record/R2", node.node_id, NOW, TOMBSTONE)]
    with pytest.raises(BatchRejected, match=r"objects/0: id .* but its content names"):
        open_batch(seal(node, 1, "c3.0.0.0.0.0", "c3.1.0.0.0.1", misnamed, NOW), trusted(node))
    with_content = [make_object("purge", "record/R1", node.node_id, NOW, TOMBSTONE | {"x": 1})]
    with pytest.raises(BatchRejected, match=r"objects/0/data"):
        open_batch(seal(node, 1, "c3.0.0.0.0.0", "c3.1.0.0.0.1", with_content, NOW), trusted(node))


def test_a_v2_batch_still_opens_but_not_with_tombstones(node: NodeIdentity) -> None:
    """v2 was published without tombstones and is frozen: they need v3."""
    v2_cursor = {"since": "c2.0.0.0.0", "until": "c2.3.0.0.0"}
    envelope, _peer = open_batch(
        resealed(node, small_batch(node), version=2, cursor=v2_cursor), trusted(node)
    )
    assert envelope["version"] == 2
    objects = [make_object("purge", "record/R1", node.node_id, NOW, TOMBSTONE)]
    v2 = resealed(node, seal(node, 1, "c2.0.0.0.0", "c2.3.0.0.0", objects, NOW), version=2)
    with pytest.raises(BatchRejected, match="schema v2 at objects/0/type"):
        open_batch(v2, trusted(node))


@pytest.mark.parametrize(
    ("text", "cursor"),
    [
        ("c3.42.310.17.3.2.40_41", Cursor(42, 310, 17, 3, 2, (40, 41))),
        ("c2.42.310.17.3.40", Cursor(42, 310, 17, 3, 0, (40,))),
        ("c1.42.310", Cursor(42, 310)),
    ],
)
def test_older_cursors_cover_no_tombstone(text: str, cursor: Cursor) -> None:
    """A peer's cursor kept from v2 (or v1) covered no tombstone, so from it all are sent."""
    assert Cursor.parse(text) == cursor
    assert Cursor.parse(str(cursor)) == cursor
