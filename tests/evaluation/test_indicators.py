"""Seller performance and record indicators on small worked examples, through the pipeline.

The as-of date is 2025-06-30; its day ends at 2025-06-30 16:00 UTC (midnight in China).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from ecredit.evaluation.pipeline import evaluate
from ecredit.evaluation.policy import Model
from tests.evaluation.world import Rows

AS_OF = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 12)


def base() -> dict[str, list[dict[str, object]]]:
    subjects = [
        {
            "subject_id": "M1",
            "subject_type": "merchant",
            "legal_form": "organisation",
            "uscc": "91330100MA00000001",
            "registered_on": date(2020, 6, 30),
        },
        {
            "subject_id": "P1",
            "subject_type": "platform",
            "legal_form": "organisation",
            "uscc": "91330100MA00000002",
            "registered_on": date(2010, 1, 1),
        },
        {
            "subject_id": "L1",
            "subject_type": "logistics",
            "legal_form": "organisation",
            "registered_on": date(2024, 6, 30),
        },
    ]
    shops = [{"shop_id": "S1", "platform_id": "P1", "merchant_id": "M1"}]
    return {
        "subjects": subjects,
        "shops": shops,
        "orders": [],
        "complaints": [],
        "records": [],
        "logistics": [],
    }


def order(n: int, days_ago: float, **extra: object) -> dict[str, object]:
    at = NOW - timedelta(days=days_ago)
    row = {
        "order_id": f"O{n}",
        "shop_id": "S1",
        "buyer_id": f"B{n % 7}",
        "product_id": "P",
        "ordered_at": at,
        "paid_at": at,
        "shipped_at": at + timedelta(hours=10),
        "status": "completed",
        "chargeback": False,
    }
    row.update(extra)
    return row


def values(duck: Callable, model: Model, rows: Rows) -> dict[tuple[str, str], float | None]:
    engine = duck(rows)
    contributions = engine.to_arrow(evaluate(engine, model, AS_OF).contributions).to_pylist()
    return {(r["subject_id"], r["indicator"]): r["value"] for r in contributions}


def test_order_defect_rate_counts_cancels_chargebacks_and_upheld_complaints(
    duck: Callable, model: Model
) -> None:
    w = base()
    w["orders"] = [order(i, 30 + i) for i in range(100)]
    w["orders"][0]["cancelled_by"] = "seller"
    w["orders"][1]["cancelled_by"] = "buyer"  # a buyer's cancellation is no defect
    w["orders"][2]["chargeback"] = True
    w["orders"][3]["chargeback"] = True
    w["orders"].append(order(100, 400, cancelled_by="seller"))  # older than 12 months
    w["complaints"] = [
        {
            "complaint_id": "K1",
            "channel": "12315",
            "target_id": "M1",
            "order_id": "O4",
            "category": "quality",
            "received_at": NOW - timedelta(days=5),
            "status": "resolved",
            "outcome": "upheld",
            "resolved_at": NOW - timedelta(days=2),
        },
        {
            "complaint_id": "K2",
            "channel": "12315",
            "target_id": "M1",
            "order_id": "O5",
            "category": "quality",
            "received_at": NOW - timedelta(days=5),
            "status": "resolved",
            "outcome": "rejected",
            "resolved_at": NOW - timedelta(days=2),
        },
    ]
    v = values(duck, model, w)
    # 100 orders in 12 months (fewer than 400 in 3 months → 12-month lookback); defects O0 O2 O3
    # O4 = 4, above the allowance of 3.
    assert v[("M1", "order_defect_rate")] == pytest.approx(4 / 100)
    # The platform sees the same orders through its shop.
    assert v[("P1", "order_defect_rate")] == pytest.approx(4 / 100)
    # Complaints: K1 counts, K2 (rejected) does not; 1 of 101 orders over 12 months, 1 ≤ 2 allowed
    # → no worse than the top-rated 0.3%.
    assert v[("M1", "complaint_rate")] == pytest.approx(0.003)
    assert v[("M1", "complaint_resolution_days")] == pytest.approx(3.0)


def test_small_sample_allowance(duck: Callable, model: Model) -> None:
    w = base()
    w["orders"] = [order(i, 10 + i, chargeback=i < 3) for i in range(20)]
    # 3 defects in 20 orders is 15%, but 3 is within the allowance: rated as 0.5%.
    assert values(duck, model, w)[("M1", "order_defect_rate")] == pytest.approx(0.005)


def test_lookback_uses_three_months_at_volume(duck: Callable, model: Model) -> None:
    w = base()
    recent = [order(i, 1 + i * 80 / 400) for i in range(400)]
    older = [order(1000 + i, 120 + i, chargeback=True) for i in range(10)]
    w["orders"] = recent + older
    # 400 orders in the last 3 months: measured over those only, where there is no defect.
    assert values(duck, model, w)[("M1", "order_defect_rate")] == 0.0


def test_late_shipment_cancellation_and_tracking(duck: Callable, model: Model) -> None:
    w = base()
    w["orders"] = [order(i, 2 + i) for i in range(20)]
    for i in range(10, 16):  # 6 shipped 49 h after payment: above the allowance of 5
        w["orders"][i]["shipped_at"] = w["orders"][i]["paid_at"] + timedelta(hours=49)
    for i in (3, 7):
        w["orders"][i].update(cancelled_by="seller", status="cancelled", shipped_at=None)
    for row in w["orders"][:10]:
        if row["shipped_at"] is not None:
            w["logistics"].append(
                {
                    "event_id": f"E{row['order_id']}",
                    "order_id": row["order_id"],
                    "carrier_id": "L1",
                    "tracking_no": f"T{row['order_id']}",
                    "event_type": "pickup",
                    "occurred_at": row["shipped_at"],
                }
            )
    v = values(duck, model, w)
    assert v[("M1", "late_shipment_rate")] == pytest.approx(6 / 18)
    # The 7-day window ends 2025-06-30 16:00 UTC: O0…O4 (2–6 days old) are in it, O3 cancelled.
    assert v[("M1", "cancellation_rate")] == pytest.approx(1 / 5)
    # 30-day valid tracking: 8 of the 18 shipped orders have a carrier scan.
    assert v[("M1", "valid_tracking_rate")] == pytest.approx(8 / 18)


def test_records_weigh_while_displayable(duck: Callable, model: Model) -> None:
    w = base()

    def record(n: int, code: str, severity: str, decided: date, status: str = "active") -> dict:
        return {
            "record_id": f"REC{n}",
            "subject_id": "M1",
            "type_code": code,
            "source_kind": "department",
            "source_name": "市场监管局",
            "decided_on": decided,
            "severity": severity,
            "status": status,
        }

    w["records"] = [
        record(1, "PEN01", "minor", date(2025, 2, 1)),  # > 3 months ago: no longer weighs
        record(2, "PEN01", "minor", date(2025, 5, 1)),  # 1
        record(3, "PEN02", "general", date(2024, 8, 1)),  # 3
        record(4, "CRT01", "serious", date(2022, 8, 1)),  # 35 months: 10, and serious
        record(5, "PEN02", "general", date(2025, 1, 1), status="repaired"),  # repaired
        record(6, "COM02", "positive", date(2019, 1, 1)),  # commendation, still active
        record(7, "BAS01", "positive", date(2019, 1, 1)),  # basic facts are not credit
    ]
    v = values(duck, model, w)
    assert v[("M1", "negative_records")] == 14
    assert v[("M1", "serious_records")] == 1
    assert v[("M1", "positive_records")] == 1


def test_latest_status_decides_whether_a_record_weighs(duck: Callable, model: Model) -> None:
    # A general penalty (3 points of negative_records) filed as active. Its status history,
    # not `records.status`, says whether it still weighs on the as-of date.
    def penalty(n: int) -> dict[str, object]:
        return {
            "record_id": f"REC{n}",
            "subject_id": "M1",
            "type_code": "PEN02",
            "source_kind": "department",
            "source_name": "市场监管局",
            "decided_on": date(2025, 3, 1),
            "severity": "general",
            "status": "active",
        }

    def changed(n: int, status: str, at: datetime) -> dict[str, object]:
        return {"record_id": f"REC{n}", "status": status, "changed_at": at}

    def merchant(w: Rows) -> tuple[float, float]:
        engine = duck(w)
        evaluation = evaluate(engine, model, AS_OF)
        scores = engine.to_arrow(evaluation.scores).to_pylist()
        weights = engine.to_arrow(evaluation.contributions).to_pylist()
        score = next(r["score"] for r in scores if r["subject_id"] == "M1")
        weight = next(
            r["value"]
            for r in weights
            if (r["subject_id"], r["indicator"]) == ("M1", "negative_records")
        )
        return weight, score

    w = base()
    w["records"] = [penalty(1)]
    filed_weight, filed_score = merchant(w)
    assert filed_weight == 3
    # Disputed (still displayed), then repaired: it no longer weighs and the score recovers.
    w["record_status"] = [
        changed(1, "disputed", datetime(2025, 4, 1)),
        changed(1, "repaired", datetime(2025, 6, 1)),
    ]
    repaired_weight, repaired_score = merchant(w)
    assert repaired_weight == 0 and repaired_score > filed_score
    # A repair decided after the as-of date is not in force yet.
    w["record_status"] = [changed(1, "repaired", datetime(2025, 7, 2))]
    assert merchant(w) == (filed_weight, filed_score)
    # Withdrawn, then reinstated on review: the latest row wins.
    w["record_status"] = [
        changed(1, "withdrawn", datetime(2025, 4, 1)),
        changed(1, "active", datetime(2025, 5, 1)),
    ]
    assert merchant(w) == (filed_weight, filed_score)


def test_identity_and_registration(duck: Callable, model: Model) -> None:
    w = base()
    w["records"] = [
        {
            "record_id": "REC1",
            "subject_id": "P1",
            "type_code": "BAS03",
            "source_kind": "platform",
            "source_name": "平台",
            "decided_on": date(2025, 6, 1),
            "severity": "general",
            "status": "active",
        }
    ]
    v = values(duck, model, w)
    assert v[("M1", "identity_verified")] == 1  # USCC on file
    assert v[("L1", "identity_verified")] == 0  # no identifier
    assert v[("P1", "identity_verified")] == 0  # failed verification on display
    assert v[("M1", "registration_years")] == pytest.approx(1826 / 365.25)


def test_logistics_indicators(duck: Callable, model: Model) -> None:
    w = base()

    def event(n: int, kind: str, days_ago: float) -> dict[str, object]:
        return {
            "event_id": f"E{n}-{kind}",
            "order_id": f"O{n}",
            "carrier_id": "L1",
            "tracking_no": f"T{n}",
            "event_type": kind,
            "occurred_at": NOW - timedelta(days=days_ago),
        }

    w["logistics"] = [
        event(1, "pickup", 20),
        event(1, "signed", 17),  # 3 days
        event(2, "pickup", 20),
        event(2, "delivered", 15),  # 5 days
        event(3, "pickup", 20),
        event(3, "returned", 12),  # returned
        event(4, "pickup", 20),  # lost track
        event(5, "pickup", 2),  # too young to judge completeness
    ]
    v = values(duck, model, w)
    assert v[("L1", "delivery_days")] == pytest.approx(4.0)
    assert v[("L1", "returned_share")] == pytest.approx(1 / 5)
    assert v[("L1", "tracking_completeness")] == pytest.approx(3 / 4)
