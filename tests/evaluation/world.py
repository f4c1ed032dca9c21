"""A small, seeded marketplace for evaluation tests: honest sellers, a few bad ones, two rings.

Times are naive UTC (an `ArrowSource` carries them as they are). The brushing merchants'
fake orders come with `rating_flag` rows marking their ratings invalid, standing in for what
detection will write once it confirms the ring.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pyarrow as pa

from ecredit.engines.base import INPUT_KINDS, empty_table

AS_OF = date(2025, 6, 30)
START = datetime(2024, 4, 1)
HONEST = [f"M{i:02d}" for i in range(1, 17)]
SLOPPY = ["M17"]
"""Cancels, ships late and draws upheld complaints."""
SERIOUS = ["M18"]
"""Honest trading, but a dishonest-judgment-debtor record (CRT01) on file."""
BRUSHERS = ["M19", "M20"]
MERCHANTS = HONEST + SLOPPY + SERIOUS + BRUSHERS
EXTRA_SLOPPY = [f"M{i:02d}" for i in range(21, 41)]
"""Only in `build_world(extra_sloppy=True)`: enough bad outcomes to calibrate on."""
PLATFORMS = ["P1", "P2"]
CARRIERS = ["L1", "L2"]
BUYERS = [f"C{i:03d}" for i in range(1, 201)]
RING = [f"R{i:02d}" for i in range(1, 11)]


Rows = Mapping[str, Sequence[Mapping[str, object]]]


def kind_tables(rows: Rows) -> dict[str, pa.Table]:
    """Arrow tables for the given kinds; columns a row leaves out are null."""
    tables = {}
    for name, data in rows.items():
        schema = empty_table(INPUT_KINDS[name]).schema
        tables[name] = pa.Table.from_pylist(
            [{f.name: r.get(f.name) for f in schema} for r in data], schema=schema
        )
    return tables


@dataclass
class _Rows:
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def add(self, table: str, /, **row: object) -> None:
        self.rows.setdefault(table, []).append(row)

    def tables(self) -> dict[str, pa.Table]:
        return kind_tables(self.rows)


def _subjects(w: _Rows, merchants: list[str]) -> None:
    for sid in PLATFORMS + CARRIERS + merchants:
        subject_type = "platform" if sid[0] == "P" else "logistics" if sid[0] == "L" else "merchant"
        person = sid in ("M05", "M10")
        w.add(
            "subjects",
            subject_id=sid,
            subject_type=subject_type,
            legal_form="person" if person else "organisation",
            name=f"主体{sid}",
            uscc=None if person else f"91330100MA{sid:0>8}",
            ric=f"33010219800101{sid[-2:]}00" if person else None,
            registered_on=date(2015 + int(sid[-1]) % 8, 3, 1),
        )
    for bid in BUYERS + RING:
        w.add(
            "subjects",
            subject_id=bid,
            subject_type="consumer",
            legal_form="person",
            name=bid,
            registered_on=date(2020, 1, 1),
        )


def _seller_rating(
    w: _Rows, rnd: random.Random, oid: str, rated_at: datetime, fake: bool, brusher: str | None
) -> None:
    """The shop's initial rating of the buyer, for buyers' credit points.

    Brushing sellers rate nearly every ring buyer, and well, as a ring building its buyer
    accounts' credit would: enough ratings that some pairs pass the cap in a month and items
    repeat within 14 days. The first brusher's are flagged invalid, the second's are not.
    """
    if rnd.random() > (0.9 if fake else 0.45):
        return
    score = 1 if fake else rnd.choice([1] * 17 + [0, -1, -1])
    rid = f"X{oid}"
    w.add(
        "ratings",
        rating_id=rid,
        order_id=oid,
        direction="seller_to_buyer",
        kind="initial",
        score=score,
        text="好买家" if score > 0 else None,
        rated_at=rated_at + timedelta(hours=rnd.randint(1, 48)),
    )
    if brusher == BRUSHERS[0]:
        w.add(
            "rating_flag",
            rating_id=rid,
            valid_score=False,
            set_at=datetime(2025, 6, 1),
            shield_reason=None,
        )


def _order(
    w: _Rows,
    rnd: random.Random,
    merchant: str,
    n: int,
    when: datetime,
    buyer: str,
    sloppy: bool,
    fake: bool,
    seller_rnd: random.Random,
) -> None:
    shop, oid = f"S{merchant}", f"O{merchant}-{n:05d}"
    product = f"{shop}-P{rnd.randint(1, 3)}"
    paid = when + timedelta(minutes=5)
    cancelled = sloppy and rnd.random() < 0.08
    late = sloppy and rnd.random() < 0.3
    shipped = None if cancelled else paid + timedelta(hours=60 if late else rnd.randint(2, 40))
    w.add(
        "orders",
        order_id=oid,
        shop_id=shop,
        buyer_id=buyer,
        product_id=product,
        quantity=1,
        unit_price=50.0,
        amount=50.0,
        ordered_at=when,
        paid_at=paid,
        shipped_at=shipped,
        status="cancelled" if cancelled else "completed",
        cancelled_by="seller" if cancelled else None,
        chargeback=False,
    )
    if shipped is None:
        return
    carrier = CARRIERS[n % 2]
    track = f"T{oid}"
    transit = 3 if carrier == "L1" else 5
    for i, event in enumerate(("pickup", "transit", "signed")):
        w.add(
            "logistics",
            event_id=f"E{oid}-{i}",
            order_id=oid,
            carrier_id=carrier,
            tracking_no=track,
            event_type=event,
            occurred_at=shipped + timedelta(days=transit * i / 2, hours=1),
        )
    rated_at = shipped + timedelta(days=transit + 1)
    _seller_rating(w, seller_rnd, oid, rated_at, fake, merchant if fake else None)
    if not fake and rnd.random() > 0.8:
        return
    bad = (sloppy and rnd.random() < 0.25) or (not fake and rnd.random() < 0.02)
    score = 1 if fake else -1 if bad else rnd.choice([1, 1, 1, 1, 0])
    dsr = 5 if fake else 2 if bad else rnd.randint(4, 5)
    rid = f"V{oid}"
    w.add(
        "ratings",
        rating_id=rid,
        order_id=oid,
        direction="buyer_to_seller",
        kind="initial",
        score=score,
        dsr_description=dsr,
        dsr_service=dsr,
        dsr_logistics=dsr,
        text="好" if score >= 0 else "差",
        rated_at=rated_at,
    )
    if bad and not sloppy:
        w.add(
            "ratings",
            rating_id=f"{rid}-r",
            order_id=oid,
            direction="seller_to_buyer",
            kind="reply",
            parent_rating_id=rid,
            text="抱歉，已处理",
            rated_at=rated_at + timedelta(days=1),
        )
    if fake:
        w.add(
            "rating_flag",
            rating_id=rid,
            valid_score=False,
            set_at=datetime(2025, 6, 1),
            shield_reason=None,
        )
    if sloppy and rnd.random() < 0.1:
        w.add(
            "complaints",
            complaint_id=f"K{oid}",
            channel="12315",
            complainant_id=buyer,
            target_id=merchant,
            shop_id=shop,
            order_id=oid,
            category="delivery",
            received_at=rated_at,
            status="resolved",
            outcome="upheld",
            resolved_at=rated_at + timedelta(days=20),
        )


def build_world(seed: int = 7, extra_sloppy: bool = False) -> dict[str, pa.Table]:
    rnd = random.Random(seed)
    # Sellers' ratings of buyers draw apart, so the rest of the world stays as it was.
    seller_rnd = random.Random(seed + 1)
    w = _Rows()
    merchants = MERCHANTS + (EXTRA_SLOPPY if extra_sloppy else [])
    _subjects(w, merchants)
    for i, merchant in enumerate(merchants):
        w.add(
            "shops",
            shop_id=f"S{merchant}",
            platform_id=PLATFORMS[i % 2],
            merchant_id=merchant,
            name=f"店铺{merchant}",
            opened_on=date(2019, 1, 1),
        )
        for p in range(1, 4):
            w.add(
                "products",
                product_id=f"S{merchant}-P{p}",
                shop_id=f"S{merchant}",
                gtin="6901234567892",
                title=f"商品{p}",
                list_price=50.0,
                listed_at=START,
            )
        span = (datetime(*AS_OF.timetuple()[:3]) - START).days
        for n in range(rnd.randint(40, 90)):
            when = START + timedelta(days=rnd.uniform(0, span - 10))
            sloppy = merchant in SLOPPY + EXTRA_SLOPPY
            buyer = rnd.choice(BUYERS)
            _order(w, rnd, merchant, n, when, buyer, sloppy, fake=False, seller_rnd=seller_rnd)
        if merchant in BRUSHERS:
            for n in range(1000, 1150):
                when = datetime(2025, 3, 1) + timedelta(days=rnd.uniform(0, 100))
                ring = rnd.choice(RING)
                _order(
                    w, rnd, merchant, n, when, ring, sloppy=False, fake=True, seller_rnd=seller_rnd
                )
    w.add(
        "records",
        record_id="REC1",
        subject_id=SERIOUS[0],
        type_code="CRT01",
        source_kind="department",
        source_name="法院",
        decided_on=date(2025, 1, 10),
        severity="serious",
        status="active",
    )
    w.add(
        "records",
        record_id="REC2",
        subject_id=SLOPPY[0],
        type_code="PEN02",
        source_kind="department",
        source_name="市场监管局",
        decided_on=date(2025, 2, 1),
        severity="general",
        status="active",
    )
    w.add(
        "records",
        record_id="REC3",
        subject_id="M01",
        type_code="COM02",
        source_kind="department",
        source_name="市场监管局",
        decided_on=date(2024, 5, 1),
        severity="positive",
        status="active",
    )
    return w.tables()
