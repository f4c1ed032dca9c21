"""Kill an ingest mid-way (SIGKILL) and show the re-run stores each row exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecredit.privacy.keys import KeyRing
from ecredit.storage.database import connect
from ecredit.storage.tables import KIND_TABLES
from tests.ingest import world

N_ORDERS = 60_000


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(KIND_TABLES["orders"])
        ).scalar_one()


def _ingest_cmd(db_url: str, path: Path) -> list[str]:
    return [sys.executable, "-m", "ecredit", "ingest", str(path), "--db", db_url]


@pytest.mark.parametrize("bulk_load_rows", ["1000", "1000000"], ids=["bulk-load", "row-by-row"])
def test_sigkill_mid_ingest_then_rerun_stores_each_row_once(
    tmp_path: Path, db_url: str, keys: KeyRing, bulk_load_rows: str
) -> None:
    """A bulk load drops the secondary indexes first, so the re-run must also rebuild them."""
    files = world.write_world(tmp_path, N_ORDERS)
    env = {
        **os.environ,
        "ECREDIT_INGEST_CHUNK_ROWS": "2000",
        "ECREDIT_BULK_LOAD_ROWS": bulk_load_rows,
    }
    for kind in ("subjects", "shops", "products"):
        subprocess.run(_ingest_cmd(db_url, files[kind]), env=env, check=True, capture_output=True)
    engine = connect(db_url)
    proc = subprocess.Popen(
        _ingest_cmd(db_url, files["orders"]),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _count(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    at_kill = _count(engine)
    assert 0 < at_kill < N_ORDERS, "the kill must land mid-way for this test to mean anything"

    rerun = subprocess.run(
        _ingest_cmd(db_url, files["orders"]), env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    with engine.connect() as conn:
        orders = KIND_TABLES["orders"]
        total, distinct = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(orders.c.order_id)))
        ).one()
    assert total == distinct == N_ORDERS
    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("orders")}
    assert indexes == {ix.name for ix in KIND_TABLES["orders"].indexes}
    engine.dispose()
