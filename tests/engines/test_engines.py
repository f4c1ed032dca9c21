"""Both engines read every source the same way: columns, types, and times in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from ecredit.engines.base import INPUT_KINDS, Engine
from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource, DatabaseSource, DirectorySource, Source
from ecredit.storage.tables import KIND_TABLES, ingest_batch, rating_flag, record_status

MakeEngine = Callable[[Source], Engine]


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def make_engine(request: pytest.FixtureRequest, tmp_path: Path) -> MakeEngine:
    if request.param == "duckdb":
        return lambda source: DuckDBEngine(source, tmp_path / "work")
    from ecredit.engines.spark import SparkEngine

    session = request.getfixturevalue("spark")
    return lambda source: SparkEngine(source, session, tmp_path / "work")


def rows(engine: Engine, frame: nw.LazyFrame) -> list[dict[str, object]]:
    """Rows with datetimes as naive UTC, whatever zone handling the engine has."""
    out = []
    for row in engine.to_arrow(frame).to_pylist():
        out.append(
            {
                k: v.astimezone(UTC).replace(tzinfo=None)
                if isinstance(v, datetime) and v.tzinfo
                else v
                for k, v in row.items()
            }
        )
    return out


ORDERS_CSV = (
    "order_id,shop_id,buyer_id,product_id,quantity,unit_price,amount,ordered_at,paid_at,"
    "shipped_at,status,cancelled_by,chargeback,device_id,ip,address_token\n"
    "O1,S1,B1,P1,2,9.90,19.80,2024-03-01 08:00:00,2024-03-01 08:01:00,,paid,,false,,,\n"
    'O2,S1,B2,P1,1,9.90,9.90,2024-03-01 00:30:00,,,cancelled,seller,true,"d,1",,\n'
)


def test_csv_times_are_china_time_converted_to_utc(make_engine: MakeEngine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    engine = make_engine(DirectorySource(tmp_path))
    frame = engine.read("orders")
    assert frame.collect_schema().names() == INPUT_KINDS["orders"].columns
    got = sorted(rows(engine, frame), key=lambda r: str(r["order_id"]))
    assert got[0]["ordered_at"] == datetime(2024, 3, 1, 0, 0)
    assert got[0]["shipped_at"] is None and got[0]["quantity"] == 2
    assert got[0]["amount"] == pytest.approx(19.8) and got[0]["chargeback"] is False
    # 00:30 in China is 16:30 UTC the day before.
    assert got[1]["ordered_at"] == datetime(2024, 2, 29, 16, 30)
    assert got[1]["chargeback"] is True and got[1]["device_id"] == "d,1"


def test_parquet_naive_times_are_china_time(make_engine: MakeEngine, tmp_path: Path) -> None:
    table = pa.table(
        {
            "subject_id": ["M1"],
            "subject_type": ["merchant"],
            "legal_form": ["person"],
            "name": ["张三的店"],
            "ric": ["110101199003077777"],
            "registered_on": pa.array([date(2020, 1, 2)], pa.date32()),
        }
    )
    pq.write_table(table, tmp_path / "subjects.parquet")
    flags = pa.table(
        {
            "rating_id": ["R1"],
            "valid_score": [False],
            "set_at": pa.array([datetime(2024, 1, 1, 8)], pa.timestamp("s")),
        }
    )
    pq.write_table(flags, tmp_path / "rating_flag.parquet")
    statuses = pa.table(
        {
            "record_id": ["REC1"],
            "status": ["withdrawn"],
            "changed_at": pa.array([datetime(2024, 1, 1, 8)], pa.timestamp("s")),
        }
    )
    pq.write_table(statuses, tmp_path / "record_status.parquet")
    engine = make_engine(DirectorySource(tmp_path))
    subject = rows(engine, engine.read("subjects"))[0]
    assert subject["registered_on"] == date(2020, 1, 2) and subject["uscc"] is None
    assert subject["ric"] == "110101199003077777"
    flag = rows(engine, engine.read("rating_flag"))[0]
    assert flag == {
        "rating_id": "R1",
        "valid_score": False,
        "shield_reason": None,
        "set_at": datetime(2024, 1, 1, 0),
    }
    assert rows(engine, engine.read("record_status")) == [
        {"record_id": "REC1", "status": "withdrawn", "changed_at": datetime(2024, 1, 1, 0)}
    ]


def test_missing_kind_reads_as_empty(make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = make_engine(DirectorySource(tmp_path))
    frame = engine.read("complaints")
    assert frame.collect_schema().names() == INPUT_KINDS["complaints"].columns
    assert engine.to_arrow(frame).num_rows == 0


def test_write_read_and_materialise(make_engine: MakeEngine) -> None:
    engine = make_engine(ArrowSource({}))
    frame = engine.from_arrow(pa.table({"k": ["a", "b", "a"], "v": [1, 2, 3]}))
    summed = frame.group_by("k").agg(nw.col("v").sum())
    engine.write("sums", summed)
    assert sorted(rows(engine, engine.read("sums")), key=str) == [
        {"k": "a", "v": 4},
        {"k": "b", "v": 2},
    ]
    kept = engine.materialise(frame.filter(nw.col("v") > 1))
    assert engine.to_arrow(kept).num_rows == 2


def test_database_source_reads_stored_kinds(
    make_engine: MakeEngine, engine: sa.Engine, db_url: str
) -> None:
    now = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
    with engine.begin() as conn:
        batch = conn.execute(
            ingest_batch.insert()
            .values(
                kind="subjects",
                source_file="x",
                file_sha256="0" * 64,
                started_at=now,
                status="finished",
            )
            .returning(ingest_batch.c.batch_id)
        ).scalar_one()
        provenance = {"batch_id": batch, "source_line": 2, "row_hash": "h"}
        conn.execute(
            KIND_TABLES["subjects"].insert(),
            [
                {
                    "subject_id": "M1",
                    "subject_type": "merchant",
                    "legal_form": "person",
                    "name": "店",
                    "ric_token": "tok-1",
                    "ric_cipher": "c",
                    "ric_masked": "1101********7777",
                    "registered_on": date(2020, 1, 2),
                    **provenance,
                },
                {
                    "subject_id": "B1",
                    "subject_type": "consumer",
                    "legal_form": "person",
                    "name": "买家",
                    "ric_token": None,
                    "ric_cipher": None,
                    "ric_masked": None,
                    "registered_on": date(2021, 1, 2),
                    **provenance,
                },
            ],
        )
        conn.execute(
            KIND_TABLES["shops"].insert(),
            [
                {
                    "shop_id": "S1",
                    "platform_id": "M1",
                    "merchant_id": "M1",
                    "name": "店",
                    "opened_on": date(2020, 2, 1),
                    **provenance,
                }
            ],
        )
        conn.execute(
            KIND_TABLES["products"].insert(),
            [
                {
                    "product_id": "P1",
                    "shop_id": "S1",
                    "gtin": "6901234567892",
                    "title": "t",
                    "list_price": 1,
                    "listed_at": now,
                    **provenance,
                }
            ],
        )
        conn.execute(
            KIND_TABLES["orders"].insert(),
            [
                {
                    "order_id": "O1",
                    "shop_id": "S1",
                    "buyer_id": "B1",
                    "product_id": "P1",
                    "quantity": 1,
                    "unit_price": 9.9,
                    "amount": 9.9,
                    "ordered_at": now,
                    "status": "paid",
                    **provenance,
                }
            ],
        )
        conn.execute(
            KIND_TABLES["ratings"].insert(),
            [
                {
                    "rating_id": "R1",
                    "order_id": "O1",
                    "direction": "buyer_to_seller",
                    "kind": "initial",
                    "score": 1,
                    "rated_at": now,
                    **provenance,
                }
            ],
        )
        conn.execute(
            rating_flag.insert(),
            [{"rating_id": "R1", "valid_score": False, "set_at": now, "actor": "detection"}],
        )
        conn.execute(
            KIND_TABLES["records"].insert(),
            [
                {
                    "record_id": "REC1",
                    "subject_id": "M1",
                    "type_code": "PEN02",
                    "source_kind": "department",
                    "source_name": "市场监管局",
                    "decided_on": date(2024, 3, 1),
                    "status": "active",
                    **provenance,
                }
            ],
        )
        conn.execute(
            record_status.insert(),
            [
                {
                    "record_id": "REC1",
                    "status": "repaired",
                    "changed_at": now,
                    "actor": "repair",
                    "reason": "修复完成",
                }
            ],
        )
    source = DatabaseSource(db_url)
    eng = make_engine(source)
    subjects = {r["subject_id"]: r for r in rows(eng, eng.read("subjects"))}
    assert subjects["M1"]["ric"] == "tok-1" and subjects["B1"]["ric"] is None
    assert subjects["M1"]["registered_on"] == date(2020, 1, 2)
    order = rows(eng, eng.read("orders"))[0]
    assert order["ordered_at"] == datetime(2024, 5, 1, 3, 0) and order["amount"] == pytest.approx(
        9.9
    )
    flag = rows(eng, eng.read("rating_flag"))[0]
    assert flag["valid_score"] is False and flag["set_at"] == datetime(2024, 5, 1, 3, 0)
    status = rows(eng, eng.read("record_status"))
    assert status == [
        {"record_id": "REC1", "status": "repaired", "changed_at": datetime(2024, 5, 1, 3, 0)}
    ]
