"""Clear personal values need a role that may, a stated purpose and — for third parties asking
about a person — the person's consent; every attempt is registered in the access log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecredit.audit.log import Actor
from ecredit.audit.verify import verify
from ecredit.privacy.access import AccessDenied, archive, reveal, self_query
from ecredit.privacy.consent import grant_consent, withdraw_consent
from ecredit.storage.exchange import access_log
from tests.exchange import nodes
from tests.ingest import world

RIC, PHONE = world.SUBJECTS[2]["ric"], world.SUBJECTS[2]["phone"]
REGULATOR = Actor("officer@samr", "regulator")
PLATFORM = Actor("kyc@platform", "platform", subject_id="P1")
OTHER_PLATFORM = Actor("kyc@other", "platform", subject_id="P9")
AGENCY = Actor("agency-x", "agency")
PUBLIC = Actor("anonymous", "public")
M2 = Actor("m2-login", "subject", subject_id="M2")


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> nodes.Node:
    node = nodes.make_node(tmp_path / "node", "platform-a", "platform", db_url)
    nodes.ingest_rows(node, "subjects", world.SUBJECTS)
    nodes.ingest_rows(node, "shops", world.SHOPS)
    nodes.ingest_rows(node, "records", nodes.RECORDS)
    return node


def log_entries(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        bodies = conn.execute(sa.select(access_log.c.body).order_by(access_log.c.seq)).scalars()
        return [json.loads(b) for b in bodies]


@pytest.mark.parametrize(
    ("actor", "field", "purpose", "refusal"),
    [
        (PUBLIC, "ric", "statutory_duty", "role public may not query"),
        (REGULATOR, "ric", "credit_report", "role regulator may not query for: credit_report"),
        (AGENCY, "phone", "credit_report", "needs the person's consent"),
        (PLATFORM, "phone", "dispute_handling", "needs the person's consent"),
        (PLATFORM, "phone", "own_transaction", "orders on your own platform"),
        (OTHER_PLATFORM, "ric", "real_name_verification", "only merchants selling on it"),
        (Actor("m1-login", "subject", "M1"), "ric", "self_query", "may query only itself"),
        (M2, "ric", "statutory_duty", "may query only itself"),
    ],
)
def test_refusals_say_why_and_are_registered(
    node: nodes.Node, actor: Actor, field: str, purpose: str, refusal: str
) -> None:
    with pytest.raises(AccessDenied, match=refusal):
        reveal(node.engine, actor, "M2", field, purpose)
    (entry,) = [e for e in log_entries(node.engine) if e["action"] == "read_personal"]
    assert (entry["actor"], entry["authorisation"], entry["purpose"]) == (
        actor.name,
        "denied",
        purpose,
    )
    assert refusal in entry["detail"]["refused"]


def test_authorised_reads_return_clear_values_and_are_registered(
    node: nodes.Node,
) -> None:
    engine, keys = node.engine, node.home / "keys.json"
    assert reveal(engine, REGULATOR, "M2", "ric", "statutory_duty", keys) == RIC
    assert reveal(engine, PLATFORM, "M2", "ric", "real_name_verification", keys) == RIC
    assert reveal(engine, M2, "M2", "phone", "self_query", keys) == PHONE
    reads = [e for e in log_entries(engine) if e["action"] == "read_personal"]
    assert [(e["actor"], e["target"], e["authorisation"]) for e in reads] == [
        ("officer@samr", "subjects.ric", "role:regulator/statutory_duty"),
        ("kyc@platform", "subjects.ric", "role:platform/real_name_verification"),
        ("m2-login", "subjects.phone", "self"),
    ]
    assert verify(engine).ok


def test_third_party_needs_consent_for_a_person_and_loses_it_on_withdrawal(
    node: nodes.Node,
) -> None:
    engine, keys = node.engine, node.home / "keys.json"
    archive(engine, AGENCY, "M1", "credit_report")
    with pytest.raises(AccessDenied, match="consent"):
        archive(engine, AGENCY, "M2", "credit_report")
    consent_id = grant_consent(engine, M2, "M2", "agency-x", "credit_report", "form 2026-001")
    assert archive(engine, AGENCY, "M2", "credit_report")["subject"]["subject_id"] == "M2"
    assert reveal(engine, AGENCY, "M2", "phone", "credit_report", keys) == PHONE
    with pytest.raises(AccessDenied, match="may not read ric in clear"):
        reveal(engine, AGENCY, "M2", "ric", "credit_report", keys)
    withdraw_consent(engine, M2, consent_id)
    with pytest.raises(AccessDenied, match="consent"):
        reveal(engine, AGENCY, "M2", "phone", "credit_report", keys)
    granted = [e for e in log_entries(engine) if e["authorisation"] == f"consent:{consent_id}"]
    assert len(granted) == 2


def test_a_consent_to_an_organisation_covers_its_accounts(node: nodes.Node) -> None:
    """People consent to a credit agency, not to one of its employees' logins."""
    engine, keys = node.engine, node.home / "keys.json"
    clerk = Actor("clerk-7", "agency", subject_id="AG1")
    with pytest.raises(AccessDenied, match="consent"):
        reveal(engine, clerk, "M2", "phone", "credit_report", keys)
    consent_id = grant_consent(engine, M2, "M2", "AG1", "credit_report", "form 2026-003")
    assert reveal(engine, clerk, "M2", "phone", "credit_report", keys) == PHONE
    with pytest.raises(AccessDenied, match="consent"):
        reveal(engine, Actor("clerk-8", "agency", subject_id="AG2"), "M2", "phone", "credit_report")
    (granted,) = [e for e in log_entries(engine) if e["authorisation"] == f"consent:{consent_id}"]
    assert granted["actor"] == "clerk-7"


def test_self_query_returns_the_whole_archive_and_who_looked(
    node: nodes.Node,
) -> None:
    engine = node.engine
    nodes.set_status(node, "R2", "disputed", "异议 / objection filed")
    reveal(engine, REGULATOR, "M2", "ric", "statutory_duty", node.home / "keys.json")
    grant_consent(engine, M2, "M2", "agency-x", "credit_report", "form 2026-002")
    mine = self_query(engine, M2)
    assert mine["subject"]["ric_masked"] == RIC[:3] + "*" * 11 + RIC[-4:]
    assert "ric" not in mine["subject"] and "ric_cipher" not in mine["subject"]
    (record,) = mine["records"]
    assert record["record_id"] == "R2"
    assert [h["status"] for h in record["status_history"]] == ["disputed"]
    assert {e["actor"] for e in mine["access_log"]} >= {"officer@samr", "m2-login"}
    assert [c["grantee"] for c in mine["consents"]] == ["agency-x"]
    assert RIC not in json.dumps(mine) and PHONE not in json.dumps(mine)
