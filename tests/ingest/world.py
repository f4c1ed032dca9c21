"""A tiny hand-made world with valid identifiers, for ingestion tests."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum import ean
from stdnum.cn import ric, uscc

from ecredit.records.kinds import KINDS


def valid_uscc(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


def valid_ric(body17: str) -> str:
    """python-stdnum's calc_check_digit expects a placeholder check digit at the end."""
    return body17 + ric.calc_check_digit(body17 + "0")


def valid_gtin(body12: str) -> str:
    return body12 + ean.calc_check_digit(body12)


def write_kind(
    directory: Path, kind: str, rows: list[dict[str, str]], encoding: str = "utf-8"
) -> Path:
    path = directory / f"{kind}.csv"
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=KINDS[kind].columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


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
        "ric": valid_ric("11010119900307001"),
        "phone": "13812345678",
        "region": "110101",
        "registered_on": "2019-06-01",
    },
    {
        "subject_id": "C1",
        "subject_type": "consumer",
        "legal_form": "person",
        "name": "买家甲",
        "phone": "13998765432",
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
        "platform_id": "P1",
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
        "gtin": valid_gtin("690123456789"),
        "title": "纯棉T恤",
        "category": "服装",
        "list_price": "99.00",
        "listed_at": "2020-01-01 10:00:00",
    },
    {
        "product_id": "PR2",
        "shop_id": "S2",
        "gtin": valid_gtin("690123456790"),
        "title": "手工月饼",
        "category": "食品",
        "list_price": "58.50",
        "listed_at": "2020-02-01 09:30:00",
    },
]


def orders(n: int) -> list[dict[str, str]]:
    return [
        {
            "order_id": f"O{i:07d}",
            "shop_id": "S1" if i % 2 else "S2",
            "buyer_id": "C1",
            "product_id": "PR1" if i % 2 else "PR2",
            "quantity": "1",
            "unit_price": "99.00",
            "amount": "99.00",
            "ordered_at": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00",
            "paid_at": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:30",
            "status": "completed",
            "chargeback": "false",
            "device_id": f"dev{i % 5}",
        }
        for i in range(n)
    ]


def write_world(directory: Path, n_orders: int = 20, encoding: str = "utf-8") -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "subjects": write_kind(directory, "subjects", SUBJECTS, encoding),
        "shops": write_kind(directory, "shops", SHOPS, encoding),
        "products": write_kind(directory, "products", PRODUCTS, encoding),
        "orders": write_kind(directory, "orders", orders(n_orders), encoding),
    }
