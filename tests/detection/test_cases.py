"""Cases: findings merge into cases, detection finds what was planted, and the review queue
writes credit records and rating flags on confirmation (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli.detect import detect_app
from ecredit.detection.cases import (
    CONFIRMED,
    DISMISSED,
    NEW,
    ReviewError,
    build_cases,
    confirm_case,
    dismiss_case,
    save_cases,
)
from ecredit.detection.pipeline import HIT_SCHEMA, Detection, detect, signals
from ecredit.detection.rules import Manipulation, load_policy
from ecredit.engines.base import Engine
from ecredit.engines.duckdb import DuckDBEngine
from ecredit.engines.sources import ArrowSource, DatabaseSource
from ecredit.evaluation.ratings import latest_flags
from ecredit.records.kinds import KINDS
from ecredit.storage import detection as store
from ecredit.storage.database import connect
from ecredit.storage.tables import KIND_TABLES, ingest_batch, rating_flag, record_status
from tests.detection.builders import World, mixed_world, organic, planted_ring

Duck = Callable[[World], Engine]


def hit(
    rule: str,
    manipulation: str | None,
    finding: str,
    kind: str,
    entity: str,
    role: str,
    measure: float = 10.0,
) -> dict[str, object]:
    return {
        "rule": rule,
        "manipulation": manipulation,
        "finding": finding,
        "entity_kind": kind,
        "entity_id": entity,
        "role": role,
        "measure": measure,
        "first_at": None,
        "last_at": None,
    }


def test_findings_that_share_accused_entities_make_one_case() -> None:
    rows = [
        *(hit("dense_block", "brushing", "#1", "subject", b, "buyer", 50) for b in ("B1", "B2")),
        *(hit("dense_block", "brushing", "#1", "shop", s, "shop", 50) for s in ("S1", "S2")),
        hit("below_list_price", "brushing", "S2", "shop", "S2", "shop", 4),
        hit("below_list_price", "brushing", "S2", "subject", "B3", "buyer", 4),
        *(hit("shared_device", None, "d1", "subject", b, "account", 3) for b in ("B3", "B4")),
        *(hit("shared_ip", None, "ip9", "subject", b, "account", 6) for b in ("Z1", "Z2")),
        hit("malicious_review", "malicious_review", "S1/0/1", "shop", "S1", "target", 3),
        *(
            hit("malicious_review", "malicious_review", "S1/0/1", "subject", v, "reviewer", 3)
            for v in ("V1", "V2", "V3")
        ),
    ]
    policy = load_policy()
    cases = build_cases(pl.DataFrame(rows, schema=HIT_SCHEMA), signals(policy), policy)
    by_type = {c.manipulation: c for c in cases}
    assert len(cases) == 2, "the lone shared IP opens no case"
    brushing = by_type[Manipulation.BRUSHING]
    assert brushing.accused("subject") == ["B1", "B2", "B3", "B4"]
    assert brushing.accused("shop") == ["S1", "S2"]
    assert {e.signal for e in brushing.evidence} == {
        "dense_block",
        "below_list_price",
        "shared_device",
    }
    malicious = by_type[Manipulation.MALICIOUS_REVIEW]
    assert malicious.accused("subject") == ["V1", "V2", "V3"]
    assert malicious.accused("shop") == [], "the victim is a target, not accused"
    assert malicious.ids("shop") == ["S1"]
    again = build_cases(
        pl.DataFrame(list(reversed(rows)), schema=HIT_SCHEMA), signals(policy), policy
    )
    assert sorted(c.case_id for c in again) == sorted(c.case_id for c in cases)
    for case in cases:
        assert all(e.text_zh and e.text_en for e in case.evidence)


def check_mixed_world(detection: Detection) -> None:
    ring_accounts = [f"R{a:02d}" for a in range(8)]
    ring_shops = ["X0", "X1", "X2"]
    brushing = [c for c in detection.cases if c.manipulation == Manipulation.BRUSHING]
    assert len(brushing) == 1
    ring = brushing[0]
    assert ring.ids("subject", ["buyer", "account"]) == ring_accounts
    assert ring.accused("shop") == ring_shops
    assert ring.ids("subject", ["merchant"]) == [f"M{s}" for s in ring_shops]
    assert len(ring.ids("order")) == 24, "every ring order, no camouflage order"
    assert len(ring.ids("rating")) == 24
    malicious = [c for c in detection.cases if c.manipulation == Manipulation.MALICIOUS_REVIEW]
    assert len(malicious) == 1
    assert malicious[0].accused("subject") == [f"V{r:02d}" for r in range(4)]
    assert malicious[0].ids("shop", ["target"]) == ["S03"]
    accused = {i for c in detection.cases for k in ("subject", "shop") for i in c.accused(k)}
    assert not {i for i in accused if i.startswith(("C", "S"))}, "no honest buyer or shop"


def test_detect_finds_the_planted_ring_and_campaign(duck: Duck) -> None:
    check_mixed_world(detect(duck(mixed_world())))


def test_batch_block_search_finds_the_ring_too(duck: Duck) -> None:
    policy = load_policy()
    batch = policy.model_copy(
        update={"dense_blocks": policy.dense_blocks.model_copy(update={"method": "batch"})}
    )
    detection = detect(duck(mixed_world()), batch)
    assert "dense_block" in set(detection.hits.get_column("rule"))
    check_mixed_world(detection)


@pytest.mark.spark
def test_detect_gives_the_same_cases_on_spark(duck: Duck, spark: object) -> None:
    from ecredit.engines.spark import SparkEngine

    world = mixed_world()
    expected = detect(duck(world))
    engine = SparkEngine(ArrowSource(world.tables()), session=spark)  # type: ignore[arg-type]
    try:
        actual = detect(engine)
    finally:
        engine.close()
    check_mixed_world(actual)
    assert [c.case_id for c in actual.cases] == [c.case_id for c in expected.cases]


# --- the review queue on a real database -------------------------------------------------------


def store_world(db: sa.Engine, world: World) -> None:
    """Rows straight into the kind tables (ingestion has its own tests)."""
    with db.begin() as conn:
        batch_id = conn.execute(
            ingest_batch.insert().values(
                kind="test",
                source_file="test",
                file_sha256="0" * 64,
                started_at=datetime.now(UTC),
                rows_read=0,
                rows_inserted=0,
                rows_unchanged=0,
                rows_rejected=0,
                status="finished",
            )
        ).inserted_primary_key[0]
        for name in KINDS:
            table = KIND_TABLES[name]
            rows = [
                {
                    **{k: v for k, v in row.items() if k in table.c},
                    "batch_id": batch_id,
                    "source_line": line,
                    "row_hash": "test",
                }
                for line, row in enumerate(world.rows.get(name, []), 1)
            ]
            if rows:
                conn.execute(table.insert(), rows)


@pytest.fixture
def stored(engine: sa.Engine, db_url: str) -> Detection:
    """A small world in the database, detected from the database, cases saved as new."""
    world = World()
    organic(world, buyers=60, shops=10, orders=250)
    planted_ring(world)
    store_world(engine, world)
    query = DuckDBEngine(DatabaseSource(db_url))
    try:
        detection = detect(query, database_url=db_url)
    finally:
        query.close()
    assert save_cases(engine, detection.cases, load_policy(), "duckdb", "test") == len(
        detection.cases
    )
    assert save_cases(engine, detection.cases, load_policy(), "duckdb", "test") == 0
    return detection


def brushing_case(detection: Detection) -> str:
    (case,) = [c for c in detection.cases if c.manipulation == Manipulation.BRUSHING]
    return case.case_id


def test_confirming_brushing_writes_records_and_rating_flags(
    stored: Detection, engine: sa.Engine, db_url: str
) -> None:
    case_id = brushing_case(stored)
    decision = confirm_case(engine, case_id, "审核员甲", "同设备账户低价集中下单", load_policy())
    accused = sorted([*(f"R{a:02d}" for a in range(8)), "MX0", "MX1", "MX2"])
    assert decision.status == CONFIRMED
    assert decision.flagged_ratings == 24
    records = KIND_TABLES["records"]
    with engine.connect() as conn:
        written = conn.execute(
            sa.select(
                records.c.subject_id,
                records.c.type_code,
                records.c.source_kind,
                records.c.severity,
                records.c.document_no,
            ).where(records.c.document_no == case_id)
        ).all()
        statuses = conn.execute(sa.select(sa.func.count()).select_from(record_status)).scalar()
        flags = conn.execute(
            sa.select(rating_flag.c.valid_score, rating_flag.c.case_id, rating_flag.c.actor)
        ).all()
        history = [(r.status, r.reviewer) for r in store.case_reviews(conn, case_id)]
        assert store.get_case(conn, case_id).status == CONFIRMED  # type: ignore[union-attr]
    assert sorted(r.subject_id for r in written) == accused
    assert {(r.type_code, r.source_kind, r.severity) for r in written} == {
        ("PLT01", "monitoring", "serious")
    }
    assert statuses == len(accused)
    assert len(flags) == 24
    assert {(f.valid_score, f.case_id, f.actor) for f in flags} == {(False, case_id, "审核员甲")}
    assert history == [(NEW, "ecredit detect"), (CONFIRMED, "审核员甲")]
    query = DuckDBEngine(DatabaseSource(db_url))
    try:
        counted = query.to_arrow(latest_flags(query.read("rating_flag")))
    finally:
        query.close()
    assert counted.num_rows == 24
    assert set(counted.column("valid").to_pylist()) == {0}, "evaluation no longer counts them"
    with pytest.raises(ReviewError):
        confirm_case(engine, case_id, "审核员乙", "again", load_policy())


def test_confirming_brushing_also_voids_sellers_ratings_of_the_fake_trades(
    stored: Detection, engine: sa.Engine
) -> None:
    """Sellers rate the buyers of the ring's orders and of some organic ones: only those on
    the ring's orders stop counting, or the ring accounts would keep their own credit points."""
    ratings, orders = KIND_TABLES["ratings"], KIND_TABLES["orders"]
    with engine.begin() as conn:
        rated = conn.execute(sa.select(ratings)).mappings().all()
        organic = conn.execute(
            sa.select(orders.c.order_id)
            .where(orders.c.order_id.not_in([r["order_id"] for r in rated]))
            .limit(5)
        ).scalars()
        conn.execute(
            ratings.insert(),
            [
                {**rated[0], "rating_id": f"S{order_id}", "order_id": order_id}
                for order_id in [*(r["order_id"] for r in rated), *organic]
            ],
        )
        conn.execute(
            ratings.update()
            .where(ratings.c.rating_id.like("S%"))
            .values(direction="seller_to_buyer")
        )
    decision = confirm_case(engine, brushing_case(stored), "审核员甲", "刷单", load_policy())
    flagged = sa.select(rating_flag.c.rating_id)
    with engine.connect() as conn:
        voided = conn.execute(
            sa.select(ratings.c.direction, ratings.c.order_id).where(
                ratings.c.rating_id.in_(flagged)
            )
        ).all()
    by_buyers = {o for d, o in voided if d == "buyer_to_seller"}
    assert decision.flagged_ratings == len(voided) == 48
    assert {o for d, o in voided if d == "seller_to_buyer"} == by_buyers


def test_dismissing_writes_only_the_decision(stored: Detection, engine: sa.Engine) -> None:
    case_id = brushing_case(stored)
    with pytest.raises(ReviewError):
        dismiss_case(engine, case_id, "审核员甲", " ")
    decision = dismiss_case(engine, case_id, "审核员甲", "真实团购")
    assert decision.status == DISMISSED
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rating_flag)).scalar() == 0
        assert [c.case_id for c in store.list_cases(conn, status=DISMISSED)] == [case_id]
        assert {c.case_id for c in store.list_cases(conn, status=NEW)} == {
            c.case_id for c in stored.cases if c.case_id != case_id
        }
    with pytest.raises(ReviewError):
        confirm_case(engine, case_id, "审核员乙", "changed my mind", load_policy())


def test_confirming_needs_the_subjects_in_the_database(engine: sa.Engine) -> None:
    policy = load_policy()
    rows = [
        *(hit("dense_block", "brushing", "#1", "subject", b, "buyer", 50) for b in ("G1", "G2")),
        hit("dense_block", "brushing", "#1", "shop", "GS", "shop", 50),
    ]
    (case,) = build_cases(pl.DataFrame(rows, schema=HIT_SCHEMA), signals(policy), policy)
    save_cases(engine, [case], policy, "duckdb", "files")
    with pytest.raises(ReviewError, match="G1"):
        confirm_case(engine, case.case_id, "审核员甲", "ok", policy)
    with engine.connect() as conn:
        assert store.get_case(conn, case.case_id).status == NEW  # type: ignore[union-attr]


def test_cli_detects_lists_shows_and_decides(tmp_path: Path) -> None:
    source = tmp_path / "world"
    source.mkdir()
    for name, table in mixed_world().tables().items():
        pq.write_table(table, source / f"{name}.parquet")
    db = f"sqlite:///{tmp_path / 'ecredit.sqlite'}"
    runner = CliRunner()
    run = runner.invoke(detect_app, ["run", "--source", str(source), "--db", db])
    assert run.exit_code == 0, run.output
    assert "新案件已保存 / new cases stored: 2" in run.output
    with connect(db).connect() as conn:
        (ring,) = store.list_cases(conn, manipulation="brushing")
    listed = runner.invoke(detect_app, ["cases", "list", "--db", db, "--status", "new"])
    assert ring.case_id in listed.output
    shown = runner.invoke(detect_app, ["cases", "show", ring.case_id, "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "dense_block" in shown.output and "review history" in shown.output
    refused = runner.invoke(
        detect_app,
        ["cases", "confirm", ring.case_id, "--reviewer", "甲", "--reason", "刷单", "--db", db],
    )
    assert refused.exit_code == 2, "generated files were never ingested: no subjects to record"
    dismissed = runner.invoke(
        detect_app,
        ["cases", "dismiss", ring.case_id, "--reviewer", "甲", "--reason", "演练", "--db", db],
    )
    assert dismissed.exit_code == 0, dismissed.output
    assert f"{ring.case_id} → dismissed" in dismissed.output


def test_cli_scores_an_external_rating_network(tmp_path: Path) -> None:
    network = tmp_path / "net.csv"
    rows = [f"u{i},u{(i * 7 + 3) % 12},{(i % 21) - 10},{1_600_000_000 + i}" for i in range(60)]
    network.write_text("rater,ratee,rating,unix_ts\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(detect_app, ["ratings", "--input", str(network), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "subject,score"
    assert len(lines) == 1 + 60, "a score for every subject seen, rater or ratee"
