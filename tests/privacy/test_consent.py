"""Consents are recorded with evidence, can be withdrawn, expire, and apply to persons only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecredit.audit.log import Actor
from ecredit.cli.exchange import consents_app
from ecredit.privacy.access import AccessDenied, archive
from ecredit.privacy.consent import ConsentError, grant_consent, list_consents, withdraw_consent
from tests.exchange import nodes
from tests.ingest import world

AGENCY = Actor("agency-x", "agency")


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> nodes.Node:
    node = nodes.make_node(tmp_path / "node", "agency-node", "agency", db_url)
    nodes.ingest_rows(node, "subjects", world.SUBJECTS)
    return node


def cli(node: nodes.Node, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(consents_app, [*args, "--db", node.db_url])
    return result.exit_code, " ".join(result.output.split())


def test_consent_lifecycle_on_the_command_line(node: nodes.Node) -> None:
    grant = ("grant", "M2", "--grantee", "agency-x", "--purpose", "credit_report")
    code, out = cli(node, *grant, "--evidence", "signed form 2026-0042", "--actor", "desk")
    assert code == 0, out
    (consent,) = list_consents(node.engine, "M2")
    assert archive(node.engine, AGENCY, "M2", "credit_report")["subject"]["subject_id"] == "M2"
    assert cli(node, "list", "--subject", "M2")[0] == 0
    code, out = cli(node, "withdraw", consent.consent_id, "--actor", "desk")
    assert code == 0, out
    with pytest.raises(AccessDenied, match="consent"):
        archive(node.engine, AGENCY, "M2", "credit_report")
    (withdrawn,) = list_consents(node.engine, "M2")
    assert withdrawn.withdrawn_at is not None


def test_consent_is_for_one_purpose_and_expires(node: nodes.Node) -> None:
    person = Actor("c1-login", "subject", "C1")
    past = datetime.now(UTC) - timedelta(days=1)
    grant_consent(node.engine, person, "C1", "agency-x", "credit_report", "app", past)
    grant_consent(node.engine, person, "C1", "agency-x", "credit_assessment", "app")
    with pytest.raises(AccessDenied, match="consent"):
        archive(node.engine, AGENCY, "C1", "credit_report")
    archive(node.engine, AGENCY, "C1", "credit_assessment")


def test_who_may_record_and_withdraw(node: nodes.Node) -> None:
    with pytest.raises(ConsentError, match="persons only"):
        grant_consent(node.engine, Actor("admin", "admin"), "M1", "agency-x", "credit_report", "")
    with pytest.raises(ConsentError, match="not allowed"):
        grant_consent(
            node.engine, Actor("agency-y", "agency"), "M2", "agency-x", "credit_report", ""
        )
    consent_id = grant_consent(node.engine, AGENCY, "M2", "agency-x", "credit_report", "form 7")
    with pytest.raises(ConsentError, match="only the person or an admin"):
        withdraw_consent(node.engine, AGENCY, consent_id)
    withdraw_consent(node.engine, Actor("m2-login", "subject", "M2"), consent_id)
