"""Ingestion against real databases: located rejects, idempotence, conflicts, encodings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli.main import app
from ecredit.privacy import protect
from ecredit.privacy.keys import KeyRing
from ecredit.storage.summary import dangling_references
from ecredit.storage.tables import KIND_TABLES
from tests.ingest import world

runner = CliRunner()


def ingest(db_url: str, *paths: Path, extra: tuple[str, ...] = ()) -> int:
    result = runner.invoke(app, ["ingest", *map(str, paths), "--db", db_url, *extra])
    return result.exit_code


def table_state(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            name: sorted(conn.execute(sa.select(t.c[0], t.c.row_hash)).all())
            for name, t in KIND_TABLES.items()
        }


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_bad_rows_are_located_and_good_rows_stored(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    unreferenced = {
        **world.SUBJECTS[1],
        "subject_id": "M3",
        "uscc": world.SUBJECTS[1]["uscc"][:-1] + "0",
    }
    if unreferenced["uscc"] == world.SUBJECTS[1]["uscc"]:
        unreferenced["uscc"] = unreferenced["uscc"][:-1] + "1"
    orders = world.orders(10)
    orders[3]["ordered_at"] = "2021-02-30 10:00:00"
    orders[6]["shop_id"] = "S404"
    world.write_world(tmp_path, 10)
    world.write_kind(tmp_path, "subjects", [*world.SUBJECTS, unreferenced])
    world.write_kind(tmp_path, "orders", orders)

    assert ingest(db_url, tmp_path) == 3

    rejects = read_rejects(tmp_path / "subjects.rejects.csv") + read_rejects(
        tmp_path / "orders.rejects.csv"
    )
    located = {(Path(r["file"]).name, r["line"], r["field"]) for r in rejects}
    assert located == {
        ("subjects.csv", "6", "uscc"),
        ("orders.csv", "5", "ordered_at"),
        ("orders.csv", "8", "shop_id"),
    }
    assert all(r["reason"] for r in rejects)
    stored = {name: len(rows) for name, rows in table_state(engine).items()}
    assert stored["subjects"] == 4 and stored["shops"] == 2 and stored["orders"] == 8


def test_second_ingest_changes_nothing(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    world.write_world(tmp_path, 50)
    assert ingest(db_url, tmp_path) == 0
    before = table_state(engine)
    result = runner.invoke(app, ["ingest", str(tmp_path), "--db", db_url])
    assert result.exit_code == 0
    assert table_state(engine) == before
    assert sum(len(rows) for rows in before.values()) == 4 + 2 + 2 + 50


def test_same_id_different_content_is_a_conflict(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    world.write_world(tmp_path, 5)
    assert ingest(db_url, tmp_path) == 0
    changed = world.orders(5)
    changed[2]["amount"] = "1.00"
    (tmp_path / "again").mkdir()
    path = world.write_kind(tmp_path / "again", "orders", changed)
    assert ingest(db_url, path) == 3
    (reject,) = read_rejects(path.with_name("orders.rejects.csv"))
    assert (reject["line"], reject["field"], reject["value"]) == ("4", "order_id", "O0000002")
    assert "conflict" in reject["reason"]
    with engine.connect() as conn:
        amount = conn.execute(
            sa.select(KIND_TABLES["orders"].c.amount).where(
                KIND_TABLES["orders"].c.order_id == "O0000002"
            )
        ).scalar_one()
    assert float(amount) == 99.0


def test_gb18030_and_other_formats_are_the_same_rows(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    world.write_world(tmp_path / "gb", 12, encoding="gb18030")
    assert ingest(db_url, tmp_path / "gb") == 0
    before = table_state(engine)
    for kind in ("subjects", "orders"):
        frame = pl.read_csv(tmp_path / "gb" / f"{kind}.csv", encoding="gb18030", infer_schema=False)
        (tmp_path / "pq").mkdir(exist_ok=True)
        frame.write_parquet(tmp_path / "pq" / f"{kind}.parquet")
        (tmp_path / "js").mkdir(exist_ok=True)
        with (tmp_path / "js" / f"{kind}.jsonl").open("w", encoding="utf-8") as fh:
            for row in frame.iter_rows(named=True):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    assert ingest(db_url, tmp_path / "pq") == 0
    assert ingest(db_url, tmp_path / "js") == 0
    assert table_state(engine) == before


def test_personal_information_is_never_stored_in_clear(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    world.write_world(tmp_path, 3)
    assert ingest(db_url, tmp_path) == 0
    ric, phone = world.SUBJECTS[2]["ric"], world.SUBJECTS[2]["phone"]
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(KIND_TABLES["subjects"]).where(
                    KIND_TABLES["subjects"].c.subject_id == "M2"
                )
            )
            .mappings()
            .one()
        )
        dump = repr(conn.execute(sa.select(KIND_TABLES["subjects"])).all())
    assert ric not in dump and phone not in dump
    assert row["ric_masked"] == ric[:3] + "*" * 11 + ric[-4:]
    assert row["phone_masked"] == "138****5678"
    assert row["ric_token"] == protect.token(keys, "ric", ric)
    assert protect.decrypt(keys, "ric", row["ric_cipher"]) == ric
    if db_url.startswith("sqlite"):
        raw = Path(db_url.removeprefix("sqlite:///")).read_bytes()
        wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert ric.encode() not in raw and phone.encode() not in raw


def test_rejected_personal_values_are_masked(tmp_path: Path, db_url: str, keys: KeyRing) -> None:
    subjects = [dict(s) for s in world.SUBJECTS]
    bad_ric = subjects[2]["ric"][:-1] + ("1" if subjects[2]["ric"][-1] != "1" else "2")
    subjects[2]["ric"] = bad_ric
    path = world.write_kind(tmp_path, "subjects", subjects)
    assert ingest(db_url, path) == 3
    (reject,) = read_rejects(tmp_path / "subjects.rejects.csv")
    assert reject["field"] == "ric" and bad_ric not in reject["value"] and "*" in reject["value"]


@pytest.mark.parametrize(
    ("content", "args"),
    [
        (None, ()),
        ("order_id,shop_id\nO1,S1\n", ()),
        ("a,b\n1,2\n", ("--kind", "nonsense")),
    ],
    ids=["missing-file", "missing-required-columns", "unknown-kind"],
)
def test_unusable_input_exits_2(
    tmp_path: Path, db_url: str, keys: KeyRing, content: str | None, args: tuple[str, ...]
) -> None:
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert ingest(db_url, path, extra=args) == 2


def test_malformed_csv_rows_are_located(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    world.write_world(tmp_path, 4)
    path = tmp_path / "orders.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "O9999999,S1,too,few")
    lines.insert(4, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest(db_url, tmp_path) == 3
    (reject,) = read_rejects(tmp_path / "orders.rejects.csv")
    assert reject["line"] == "3"
    with engine.connect() as conn:
        lines_stored = sorted(
            conn.execute(sa.select(KIND_TABLES["orders"].c.source_line)).scalars()
        )
    assert lines_stored == [2, 4, 6, 7]


def test_check_finds_references_nothing_stores(
    tmp_path: Path, db_url: str, engine: sa.Engine, keys: KeyRing
) -> None:
    """High-volume tables have no foreign keys, so `ecredit check` is what catches a row that
    something other than ingestion wrote with an unknown reference."""
    world.write_world(tmp_path, 5)
    assert ingest(db_url, tmp_path) == 0
    assert runner.invoke(app, ["check", "--db", db_url]).exit_code == 0

    orders = KIND_TABLES["orders"]
    with engine.begin() as conn:
        stored = conn.execute(sa.select(orders).limit(1)).mappings().one()
        conn.execute(orders.insert().values({**stored, "order_id": "O-X", "shop_id": "S404"}))
    assert runner.invoke(app, ["check", "--db", db_url]).exit_code == 1
    dangling = {(k, f): n for k, f, _target, n in dangling_references(engine) if n}
    assert dangling == {("orders", "shop_id"): 1}
