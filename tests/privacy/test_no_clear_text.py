"""No clear ID number or phone number in the database files, the logs, the exchanged batches or
any response — except the one read by a role that may, for a purpose it may state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ecredit.audit.log import Actor
from ecredit.exchange.http import BATCHES_PATH, NODE_PATH, signed_headers
from ecredit.privacy.access import AccessDenied, archive, reveal, self_query
from ecredit.privacy.consent import grant_consent
from tests.exchange import nodes
from tests.ingest import world

SECRETS = [s[f] for s in world.SUBJECTS for f in ("ric", "phone") if s.get(f)]
WRONG = [
    (Actor("anonymous", "public"), "statutory_duty"),
    (Actor("agency-x", "agency"), "credit_report"),
    (Actor("kyc@platform", "platform"), "dispute_handling"),
    (Actor("officer@samr", "regulator"), "credit_report"),
    (Actor("m1-login", "subject", "M1"), "self_query"),
    (Actor("kyc@platform", "platform", "P1"), "own_transaction"),
    (Actor("m1-login", "subject", "M1"), "own_transaction"),
]


def database_text(engine: sa.Engine) -> bytes:
    """Every row of every table, and on SQLite the database and WAL files themselves."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        rows = [repr(conn.execute(sa.select(t)).all()) for t in reflected.tables.values()]
    text = "\n".join(rows).encode()
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        text += b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return text + postgres_files(engine)


def postgres_files(engine: sa.Engine) -> bytes:
    """The database's own files under the data directory, after a checkpoint, when readable."""
    if engine.dialect.name != "postgresql":
        return b""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")
        data = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        oid = conn.exec_driver_sql(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).scalar_one()
    directory = data / "base" / str(oid)
    files = sorted(directory.glob("*")) if os.access(directory, os.R_OK) else []
    return b"".join(p.read_bytes() for p in files if p.is_file())


def responses_without_rights(node: nodes.Node) -> list[str]:
    texts: list[str] = []
    for actor, purpose in WRONG:
        for field in ("ric", "phone"):
            with pytest.raises(AccessDenied) as refusal:
                reveal(node.engine, actor, "M2", field, purpose, node.home / "keys.json")
            texts.append(str(refusal.value))
        try:
            texts.append(json.dumps(archive(node.engine, actor, "M2", purpose)))
        except AccessDenied as refused:
            texts.append(str(refused))
    grant_consent(
        node.engine, Actor("m2", "subject", "M2"), "M2", "agency-x", "credit_report", "f1"
    )
    texts.append(
        json.dumps(archive(node.engine, Actor("agency-x", "agency"), "M2", "credit_report"))
    )
    texts.append(json.dumps(self_query(node.engine, Actor("m2", "subject", "M2"))))
    return texts


def test_no_clear_personal_information_anywhere_without_the_right_role_and_purpose(
    tmp_path: Path, db_url: str, second_db_url: str
) -> None:
    a = nodes.make_node(tmp_path / "a", "platform-a", "platform", db_url)
    b = nodes.make_node(tmp_path / "b", "regulator-b", "department", second_db_url)
    nodes.trust(a, b)
    nodes.trust(b, a)
    nodes.ingest_rows(a, "subjects", world.SUBJECTS)
    nodes.ingest_rows(a, "records", nodes.RECORDS)
    outputs: list[str] = responses_without_rights(a)

    batch = a.home / "batch.json"
    for node, group, *args in [
        (a, "exchange", "export", "--out", str(batch)),
        (b, "exchange", "import", str(batch)),
        (a, "audit", "show"),
        (b, "audit", "show", "--subject", "M2"),
        (a, "consents", "list"),
        (a, "exchange", "peers", "list"),
    ]:
        done = nodes.invoke(node, group, *args)
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    with nodes.serving(a) as url:
        outputs.append(httpx.get(url + NODE_PATH).text)
        pulled = httpx.get(
            url + BATCHES_PATH, headers=signed_headers(b.identity, "GET", BATCHES_PATH, b"")
        )
        assert pulled.status_code == 200
        outputs.append(pulled.text)
        outputs.append(nodes.invoke(b, "exchange", "pull", "--from", url).output)

    scanned = {
        "responses and command output": "\n".join(outputs).encode(),
        "exchanged batch": batch.read_bytes(),
        "server logs": b"".join(log.read_bytes() for log in a.logs),
        "database of the platform node": database_text(a.engine),
        "database of the regulator node": database_text(b.engine),
    }
    for where, content in scanned.items():
        for secret in SECRETS:
            assert secret.encode() not in content, f"clear {secret[:3]}… in {where}"

    allowed = reveal(
        a.engine,
        Actor("officer@samr", "regulator"),
        "M2",
        "ric",
        "statutory_duty",
        a.home / "keys.json",
    )
    assert allowed == world.SUBJECTS[2]["ric"]
