"""Acceptance: a generated world ingests to exactly the manifest's counts, and only once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli.main import app
from ecredit.generate import generate_world
from ecredit.privacy.keys import KeyRing
from ecredit.records.kinds import KINDS
from ecredit.storage.tables import KIND_TABLES
from tests.ingest.test_ingest import table_state

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, merchants=40, seed=11)
    return out


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(
                sa.select(sa.func.count()).select_from(KIND_TABLES[name])
            ).scalar_one()
            for name in KINDS
        }


def test_generate_then_ingest_stores_the_manifest_counts_once(
    world: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    manifest = json.loads((world / "manifest.json").read_text())
    expected = {name: manifest["files"][f"{name}.csv"]["rows"] for name in KINDS}

    first = runner.invoke(app, ["ingest", str(world), "--db", db_url])
    assert first.exit_code == 0, first.output
    assert _counts(engine) == expected
    before = table_state(engine)

    second = runner.invoke(app, ["ingest", str(world), "--db", db_url])
    assert second.exit_code == 0, second.output
    assert table_state(engine) == before
    with engine.connect() as conn:
        batches = KIND_TABLES["orders"].metadata.tables["ingest_batch"]
        last = conn.execute(
            sa.select(batches.c.kind, batches.c.rows_inserted, batches.c.rows_unchanged)
            .order_by(batches.c.batch_id.desc())
            .limit(len(KINDS))
        ).all()
    assert {kind: (new, same) for kind, new, same in last} == {
        name: (0, count) for name, count in expected.items()
    }
