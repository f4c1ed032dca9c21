"""Key rotation re-encrypts every ciphertext while reads and writes go on."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.audit.log import Actor
from ecredit.audit.verify import verify
from ecredit.cli.exchange import keys_app
from ecredit.ingest.pipeline import ingest_file
from ecredit.privacy.access import reveal
from ecredit.privacy.keys import load_keyring
from ecredit.privacy.rotation import cipher_columns, rotate
from ecredit.storage.tables import KIND_TABLES
from tests.exchange import nodes
from tests.ingest import world

REGULATOR = Actor("officer@samr", "regulator")
LATE = world.SUBJECTS[2] | {
    "subject_id": "M9",
    "ric": world.valid_ric("11010119850101002"),
    "phone": "13700001111",
}


def ciphertexts(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            value
            for table, column in cipher_columns()
            for value in conn.execute(sa.select(column).where(column.is_not(None))).scalars()
        ]


def tokens(engine: sa.Engine) -> list[tuple]:
    subjects = KIND_TABLES["subjects"]
    with engine.connect() as conn:
        query = sa.select(subjects.c.subject_id, subjects.c.ric_token, subjects.c.phone_token)
        return sorted(conn.execute(query).all())


def test_rotation_reencrypts_everything_while_reads_and_writes_go_on(
    tmp_path: Path, db_url: str
) -> None:
    node = nodes.make_node(tmp_path / "node", "platform-a", "platform", db_url)
    nodes.ingest_rows(node, "subjects", world.SUBJECTS)
    key_file = node.home / "keys.json"
    stale_keys = load_keyring(key_file)
    before = tokens(node.engine)
    late_file = world.write_kind(node.home, "subjects", [LATE])
    during: list[str | None] = []

    def meanwhile(_column: str, _rows: int) -> None:
        if not during:
            ingest_file(node.engine, late_file, "subjects", stale_keys)
        during.append(reveal(node.engine, REGULATOR, "M2", "ric", "statutory_duty", key_file))

    report = rotate(node.engine, key_file, Actor("root", "admin"), chunk=1, on_chunk=meanwhile)

    assert report.new_key_id == "k2" and report.retired == ["k1"]
    assert set(during) == {world.SUBJECTS[2]["ric"]}
    assert all(c.startswith("k2:") for c in ciphertexts(node.engine))
    assert json.loads(key_file.read_text())["data_keys"].keys() == {"k2"}
    assert reveal(node.engine, REGULATOR, "M9", "ric", "statutory_duty", key_file) == LATE["ric"]
    assert [t for t in tokens(node.engine) if t[0] != "M9"] == before
    assert verify(node.engine).ok


def test_keys_rotate_command(tmp_path: Path, db_url: str, monkeypatch) -> None:
    node = nodes.make_node(tmp_path / "node", "platform-a", "platform", db_url)
    nodes.ingest_rows(node, "subjects", world.SUBJECTS)
    monkeypatch.setenv("ECREDIT_KEY_FILE", str(node.home / "keys.json"))
    result = CliRunner().invoke(keys_app, ["rotate", "--db", db_url, "--actor", "root"])
    assert result.exit_code == 0, result.output
    assert "k2" in result.output and "subjects.ric_cipher: 1" in result.output
    assert all(c.startswith("k2:") for c in ciphertexts(node.engine))
