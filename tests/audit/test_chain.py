"""The access log: hash-chained, append-only, kept five years, and any tampering is named."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.audit.log import Action, Actor, Entry, log_bulk_operation, log_query, record
from ecredit.audit.verify import RetentionError, prune, verify
from ecredit.cli.exchange import audit_app
from ecredit.storage.exchange import access_log

ALICE = Actor("alice@regulator", "regulator")


def fill(engine: sa.Engine, n: int = 6) -> None:
    for i in range(n):
        log_query(engine, ALICE, f"search #{i}", "statutory_duty", subject_id=f"M{i}")


def drop_guards(engine: sa.Engine) -> None:
    """What an attacker with the database owner's rights does first."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER access_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER access_log_no_early_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER access_log_append_only ON access_log")


def cli_verify(db_url: str) -> tuple[int, str]:
    result = CliRunner().invoke(audit_app, ["verify", "--db", db_url])
    return result.exit_code, result.output


def alter(conn: sa.Connection) -> None:
    body = conn.execute(sa.select(access_log.c.body).where(access_log.c.seq == 3)).scalar_one()
    changed = body.replace("statutory_duty", "credit_report")
    conn.execute(access_log.update().where(access_log.c.seq == 3).values(body=changed))


def alter_column(conn: sa.Connection) -> None:
    conn.execute(access_log.update().where(access_log.c.seq == 3).values(actor="mallory"))


def delete(conn: sa.Connection) -> None:
    conn.execute(access_log.delete().where(access_log.c.seq == 3))


def reorder(conn: sa.Connection) -> None:
    conn.execute(access_log.update().where(access_log.c.seq == 3).values(seq=-1))
    conn.execute(access_log.update().where(access_log.c.seq == 4).values(seq=3))
    conn.execute(access_log.update().where(access_log.c.seq == -1).values(seq=4))


def truncate(conn: sa.Connection) -> None:
    conn.execute(access_log.delete().where(access_log.c.seq >= 5))


@pytest.mark.parametrize(
    ("tamper", "first_bad", "says"),
    [
        (alter, 3, "entry 3 was altered"),
        (alter_column, 3, "entry 3 columns were altered"),
        (delete, 3, "entry 3 is missing"),
        (reorder, 3, "entry 3 holds entry 4 (reordered)"),
        (truncate, 5, "entries 5 to 6 are missing"),
    ],
)
def test_tampering_is_detected_and_the_first_bad_entry_named(
    db_url: str, engine: sa.Engine, tamper, first_bad: int, says: str
) -> None:
    fill(engine)
    assert cli_verify(db_url)[0] == 0
    drop_guards(engine)
    with engine.begin() as conn:
        tamper(conn)
    verdict = verify(engine)
    assert not verdict.ok and verdict.first_bad == first_bad
    code, output = cli_verify(db_url)
    assert code == 1
    assert says in " ".join(output.split())


def test_the_database_refuses_updates_and_early_deletes(engine: sa.Engine) -> None:
    fill(engine, 3)
    for tamper in (alter, alter_column, delete):
        with pytest.raises(sa.exc.DBAPIError, match="access_log"), engine.begin() as conn:
            tamper(conn)
    assert verify(engine).ok


def test_concurrent_appends_keep_one_chain(engine: sa.Engine) -> None:
    def work(i: int) -> None:
        log_bulk_operation(engine, Actor(f"worker{i}", "admin"), Action.INGEST, {"file": str(i)})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(40)))
    verdict = verify(engine)
    assert verdict.ok and verdict.checked == 40


def test_entries_are_kept_five_years_then_pruned_from_the_start(engine: sa.Engine) -> None:
    now = datetime.now(UTC)
    for years in (7, 6, 1):
        entry = Entry(ALICE, Action.QUERY, "statutory_duty", "role:regulator", "M1")
        record(engine, entry, now - timedelta(days=365 * years))
    with pytest.raises(RetentionError):
        prune(engine, now - timedelta(days=365 * 4), ALICE)
    assert prune(engine, now - timedelta(days=365 * 5 + 30), ALICE) == 2
    verdict = verify(engine)
    assert verdict.ok and verdict.checked == 2
