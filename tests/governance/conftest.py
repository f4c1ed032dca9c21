"""Governance fixtures: a small world in the database and test doubles for the ports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from ecredit.governance.display import in_period
from ecredit.governance.model import CHINA
from ecredit.governance.ports import DetectionCase, Score
from ecredit.storage import governance as store
from ecredit.storage.tables import KIND_TABLES, ingest_batch

MERCHANT, PLATFORM, BUYER, SHOP, PRODUCT, ORDER = "M1", "P1", "B1", "S1", "G1", "O1"


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a Chinese calendar day, as services receive it."""
    return datetime.combine(day, time(hour), CHINA)


def _batch(conn: sa.Connection, kind: str) -> int:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    return int(
        conn.execute(
            ingest_batch.insert().values(
                kind=kind,
                source_file="test",
                file_sha256="0" * 64,
                started_at=now,
                rows_read=0,
                rows_inserted=0,
                rows_unchanged=0,
                rows_rejected=0,
                status="finished",
            )
        ).inserted_primary_key[0]
    )


def insert(conn: sa.Connection, kind: str, **values: object) -> None:
    batch = _batch(conn, kind)
    conn.execute(
        KIND_TABLES[kind].insert().values(**values, batch_id=batch, source_line=1, row_hash="h")
    )


@pytest.fixture
def world(engine: sa.Engine) -> sa.Engine:
    """A platform, a merchant with a shop, a product and a buyer's order."""
    registered = date(2020, 1, 1)
    with engine.begin() as conn:
        for subject_id, subject_type, name in (
            (PLATFORM, "platform", "某电商平台"),
            (MERCHANT, "merchant", "某网店经营者"),
            (BUYER, "consumer", "某消费者"),
        ):
            insert(
                conn,
                "subjects",
                subject_id=subject_id,
                subject_type=subject_type,
                legal_form="organisation",
                name=name,
                registered_on=registered,
            )
        insert(
            conn,
            "shops",
            shop_id=SHOP,
            platform_id=PLATFORM,
            merchant_id=MERCHANT,
            name="某网店",
            opened_on=registered,
        )
        insert(
            conn,
            "products",
            product_id=PRODUCT,
            shop_id=SHOP,
            gtin="6901234567892",
            title="商品",
            list_price=10,
            listed_at=datetime(2020, 1, 2, tzinfo=UTC),
        )
        insert(
            conn,
            "orders",
            order_id=ORDER,
            shop_id=SHOP,
            buyer_id=BUYER,
            product_id=PRODUCT,
            quantity=1,
            unit_price=10,
            amount=10,
            ordered_at=datetime(2025, 1, 2, tzinfo=UTC),
            status="completed",
        )
    return engine


def add_record(
    engine: sa.Engine,
    record_id: str,
    type_code: str,
    decided_on: date,
    severity: str | None = None,
    **values: object,
) -> None:
    with engine.begin() as conn:
        insert(
            conn,
            "records",
            record_id=record_id,
            subject_id=values.pop("subject_id", MERCHANT),
            type_code=type_code,
            source_kind="department",
            source_name="某市市场监管局",
            decided_on=decided_on,
            severity=severity,
            status="active",
            **values,
        )


@dataclass
class RecordScore:
    """Evaluation test double: 820, less 300 for each serious and 100 for each general record
    still within its display period — enough to make a score drop and recover."""

    engine: sa.Engine
    calls: list[tuple[str, date]] = field(default_factory=list)

    def evaluate(self, subject_id: str, as_of: date) -> Score:
        self.calls.append((subject_id, as_of))
        with self.engine.connect() as conn:
            shown = [r for r in store.load_records(conn, subject_id) if in_period(r, as_of)]
        penalty = {"serious": 300, "general": 100}
        score = 820 - sum(penalty.get(r.severity, 0) for r in shown)
        grade = next(
            g for line, g in ((671, "A"), (601, "B"), (555, "C"), (0, "D")) if score >= line
        )
        return Score(subject_id, score, grade, as_of, "test-double")


@dataclass
class FixedCases:
    """Detection test double: a fixed list of confirmed cases."""

    cases: Iterable[DetectionCase]

    def confirmed_since(self, since: date) -> list[DetectionCase]:
        return [c for c in self.cases if c.confirmed_on >= since]


@pytest.fixture
def evaluator(world: sa.Engine) -> RecordScore:
    return RecordScore(world)
