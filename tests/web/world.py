"""A small world for the web layer, dated relative to today so display periods and rating
windows see it: two merchants (one a person), a platform, a carrier, an agency, a consumer;
records inside and outside their display periods; orders whose trails have known gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ecredit.records.kinds import KINDS
from tests.ingest.world import valid_gtin, valid_ric, valid_uscc, write_kind

TODAY = datetime.now(UTC).date()
PERSON_RIC = valid_ric("11010119900307001")
PERSON_PHONE = "13812345678"
CONSUMER_PHONE = "13998765432"
GTIN_SHIRT = valid_gtin("690123456789")
SECRETS = (PERSON_RIC, PERSON_PHONE, CONSUMER_PHONE)
"""Personal identifiers that must never appear unmasked in public output."""


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def moment(days_ago: int, hour: int = 10) -> str:
    return f"{day(days_ago)} {hour:02d}:00:00"


SUBJECTS = [
    {
        "subject_id": "P1",
        "subject_type": "platform",
        "legal_form": "organisation",
        "name": "某电商平台有限公司",
        "uscc": valid_uscc("91330100MA2CD0001"),
        "region": "330100",
        "registered_on": "2015-01-01",
    },
    {
        "subject_id": "P2",
        "subject_type": "platform",
        "legal_form": "organisation",
        "name": "另一电商平台有限公司",
        "uscc": valid_uscc("91330100MA2CD0009"),
        "region": "330100",
        "registered_on": "2016-01-01",
    },
    {
        "subject_id": "M1",
        "subject_type": "merchant",
        "legal_form": "organisation",
        "name": "杭州某某贸易有限公司",
        "uscc": valid_uscc("91330100MA2CD0002"),
        "region": "330106",
        "registered_on": "2018-03-01",
    },
    {
        "subject_id": "M2",
        "subject_type": "merchant",
        "legal_form": "person",
        "name": "张某某",
        "ric": PERSON_RIC,
        "phone": PERSON_PHONE,
        "region": "110101",
        "registered_on": "2019-06-01",
    },
    {
        "subject_id": "L1",
        "subject_type": "logistics",
        "legal_form": "organisation",
        "name": "某某速递有限公司",
        "uscc": valid_uscc("91330100MA2CD0003"),
        "region": "330106",
        "registered_on": "2014-01-01",
    },
    {
        "subject_id": "A1",
        "subject_type": "agency",
        "legal_form": "organisation",
        "name": "某某信用评估有限公司",
        "uscc": valid_uscc("91330100MA2CD0004"),
        "region": "330106",
        "registered_on": "2012-01-01",
    },
    {
        "subject_id": "C1",
        "subject_type": "consumer",
        "legal_form": "person",
        "name": "买家甲",
        "phone": CONSUMER_PHONE,
        "region": "110105",
        "registered_on": "2020-01-01",
    },
]
SHOPS = [
    {
        "shop_id": "S1",
        "platform_id": "P1",
        "merchant_id": "M1",
        "name": "某某旗舰店",
        "category": "服装",
        "opened_on": "2019-01-01",
    },
    {
        "shop_id": "S2",
        "platform_id": "P2",
        "merchant_id": "M2",
        "name": "张记小店",
        "category": "食品",
        "opened_on": "2019-07-01",
    },
]
PRODUCTS = [
    {
        "product_id": "PR1",
        "shop_id": "S1",
        "gtin": GTIN_SHIRT,
        "title": "纯棉T恤",
        "category": "服装",
        "list_price": "99.00",
        "listed_at": moment(400),
    },
    {
        "product_id": "PR2",
        "shop_id": "S2",
        "gtin": valid_gtin("690123456790"),
        "title": "手工月饼",
        "category": "食品",
        "list_price": "58.50",
        "listed_at": moment(400),
    },
]


def _order(order_id: str, shop: str, product: str, days_ago: int, status: str) -> dict:
    return {
        "order_id": order_id,
        "shop_id": shop,
        "buyer_id": "C1",
        "product_id": product,
        "quantity": "1",
        "unit_price": "99.00",
        "amount": "99.00",
        "ordered_at": moment(days_ago, 9),
        "paid_at": moment(days_ago, 10),
        "shipped_at": moment(days_ago - 1, 9) if status != "paid" else "",
        "status": status,
        "chargeback": "false",
    }


ORDERS = [
    _order("O1", "S1", "PR1", 30, "completed"),  # complete trail
    _order("O2", "S1", "PR1", 25, "completed"),  # shipped, never picked up
    _order("O3", "S1", "PR1", 20, "completed"),  # signed before pickup, light parcel
    _order("O4", "S2", "PR2", 15, "completed"),
]


def _scan(event_id: str, order: str, kind: str, days_ago: int, hour: int, weight: str = "") -> dict:
    return {
        "event_id": event_id,
        "order_id": order,
        "carrier_id": "L1",
        "tracking_no": f"T{order}",
        "event_type": kind,
        "occurred_at": moment(days_ago, hour),
        "region": "330106",
        "weight_g": weight,
    }


LOGISTICS = [
    _scan("E1", "O1", "pickup", 29, 12, "800"),
    _scan("E2", "O1", "transit", 28, 8),
    _scan("E3", "O1", "delivered", 27, 9),
    _scan("E4", "O1", "signed", 27, 15),
    _scan("E5", "O2", "signed", 22, 15),
    _scan("E6", "O3", "signed", 19, 8),
    _scan("E7", "O3", "pickup", 19, 12, "12"),
    _scan("E8", "O4", "pickup", 14, 12, "500"),
    _scan("E9", "O4", "signed", 6, 12),  # eight silent days
]


def _rating(rating_id: str, order: str, score: int, days_ago: int, dsr: int) -> dict:
    return {
        "rating_id": rating_id,
        "order_id": order,
        "direction": "buyer_to_seller",
        "kind": "initial",
        "score": str(score),
        "dsr_description": str(dsr),
        "dsr_service": str(dsr),
        "dsr_logistics": str(dsr),
        "text": "",
        "rated_at": moment(days_ago, 20),
    }


RATINGS = [
    _rating("R1", "O1", 1, 26, 5),
    _rating("R2", "O2", -1, 21, 1),
    _rating("R3", "O3", 1, 19, 5),
    _rating("R4", "O4", 0, 8, 3),  # rated before the parcel was signed
]
COMPLAINTS = [
    {
        "complaint_id": "Q1",
        "channel": "12315",
        "complainant_id": "C1",
        "target_id": "M1",
        "shop_id": "S1",
        "order_id": "O2",
        "category": "delivery",
        "received_at": moment(20),
        "status": "resolved",
        "outcome": "upheld",
        "resolved_at": moment(10),
        "text": "未收到货",
    },
    {
        "complaint_id": "Q2",
        "channel": "platform",
        "complainant_id": "C1",
        "target_id": "M1",
        "shop_id": "S1",
        "order_id": "O3",
        "category": "quality",
        "received_at": moment(5),
        "status": "received",
        "text": "质量很差",
    },
]


def _record(record_id: str, subject: str, code: str, days_ago: int, **extra: str) -> dict:
    return {
        "record_id": record_id,
        "subject_id": subject,
        "type_code": code,
        "source_kind": extra.pop("source_kind", "department"),
        "source_name": extra.pop("source_name", "杭州市市场监督管理局"),
        "decided_on": day(days_ago),
        **extra,
    }


RECORDS = [
    _record("RC1", "M1", "BAS02", 30, source_kind="platform", source_name="某电商平台"),
    _record("RC2", "M1", "LIC01", 900, document_no="杭许〔2019〕1号"),
    _record(
        "RC3",
        "M1",
        "PEN02",
        60,
        document_no="杭市监罚〔2026〕7号",
        amount="50000",
        summary="虚假宣传罚款",
    ),
    _record(
        "RC4",
        "M1",
        "PLT05",
        40,
        source_kind="platform",
        source_name="某电商平台",
        summary="图物不符",
    ),
    _record(
        "RC5",
        "M1",
        "PLT01",
        2000,
        source_kind="platform",
        source_name="某电商平台",
        summary="多年前的刷单记录",
    ),
    _record(
        "RC6",
        "M1",
        "CMT01",
        100,
        source_kind="platform",
        source_name="某电商平台",
        summary="承诺诚信经营",
    ),
    _record("RC7", "M2", "BAS02", 400, source_kind="platform", source_name="某电商平台"),
]
SHOWN = {"RC1", "RC2", "RC3", "RC6"}
"""M1's records the public sees: RC4 is minor (not published), RC5 is past its period."""


def write_world(directory: Path) -> list[Path]:
    """All kind files, in dependency order."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = {
        "subjects": SUBJECTS,
        "shops": SHOPS,
        "products": PRODUCTS,
        "orders": ORDERS,
        "ratings": RATINGS,
        "logistics": LOGISTICS,
        "complaints": COMPLAINTS,
        "records": RECORDS,
    }
    return [write_kind(directory, kind, rows[kind]) for kind in KINDS if kind in rows]
