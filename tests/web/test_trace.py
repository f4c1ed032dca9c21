"""Order and product trace: the whole trail in time order, with gaps marked where they are."""

from __future__ import annotations

from tests.web import world
from tests.web.conftest import Web


def trace(web: Web, order: str, role: str = "regulator") -> dict:
    response = web.client.get(f"/api/v1/trace/orders/{order}", headers=web.as_role(role))
    assert response.status_code == 200, response.text
    return response.json()


def gaps(data: dict) -> list[str]:
    return [e["name"]["en"] for e in data["events"] if e["gap"]]


def test_complete_trail_has_no_gaps(web: Web) -> None:
    data = trace(web, "O1")
    stages = [e["stage"] for e in data["events"]]
    assert stages == [
        "listed",
        "ordered",
        "paid",
        "shipped",
        "scan_pickup",
        "scan_transit",
        "scan_delivered",
        "scan_signed",
        "rated",
    ]
    assert data["gaps"] == 0


def test_missing_pickup_and_complaint_on_the_trail(web: Web) -> None:
    data = trace(web, "O2")
    assert "Shipped but no pickup scan" in gaps(data)
    assert {"complained", "resolved"} <= {e["stage"] for e in data["events"]}


def test_empty_parcel_pattern(web: Web) -> None:
    assert set(gaps(trace(web, "O3"))) == {"Signed before pickup", "Parcel suspiciously light"}


def test_rating_before_signature_and_silence(web: Web) -> None:
    data = trace(web, "O4")
    assert set(gaps(data)) == {"No logistics scan for days", "Rated before delivery"}
    silent = next(e for e in data["events"] if e["name"]["en"] == "No logistics scan for days")
    assert silent["detail"].startswith("8 ")


def test_product_trace(web: Web) -> None:
    data = web.client.get(
        f"/api/v1/trace/products/{world.GTIN_SHIRT}", headers=web.as_role("platform")
    ).json()
    assert [p["product_id"] for p in data["listings"]] == ["PR1"]
    assert data["total_orders"] == 3 and data["orders_with_gaps"] == 2
    other = web.client.get(
        f"/api/v1/trace/products/{world.PRODUCTS[1]['gtin']}", headers=web.as_role("platform")
    )
    assert other.status_code == 404


def test_trace_page_marks_gaps(web: Web) -> None:
    page = web.client.get("/trace?order=O3", headers=web.as_role("subject"))
    assert page.status_code == 200 and page.text.count('class="gap"') == 2
    assert "签收早于揽收" in page.text
