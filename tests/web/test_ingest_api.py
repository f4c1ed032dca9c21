"""Bulk ingest over the API for authorised sources, with rejects reported back."""

from __future__ import annotations

import csv
import io

from ecredit.records.kinds import KINDS
from tests.web import world
from tests.web.conftest import Web
from tests.web.test_access_log import entries


def shops_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=KINDS["shops"].columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_platform_uploads_a_file(web: Web, tmp_path) -> None:
    rows = [
        {**world.SHOPS[0], "shop_id": "S9", "name": "新开的店"},
        {**world.SHOPS[0], "shop_id": "S10", "merchant_id": "NOBODY", "name": "无主之店"},
    ]
    response = web.client.post(
        "/api/v1/ingest/shops",
        files={"file": ("shops.csv", shops_csv(rows), "text/csv")},
        headers=web.as_role("platform"),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["inserted"], result["rejected"]) == (1, 1)
    assert result["rejects"][0]["field"] == "merchant_id"
    kept = sorted(
        p.name.split("-", 1)[1] for p in (tmp_path / "uploads" / "test-platform").iterdir()
    )
    assert kept == ["shops.csv", "shops.rejects.csv"]
    again = web.client.post(
        "/api/v1/ingest/shops",
        files={"file": ("shops.csv", shops_csv(rows[:1]), "text/csv")},
        headers=web.as_role("platform"),
    ).json()
    assert (again["inserted"], again["unchanged"]) == (0, 1)


def test_unusable_uploads_are_problems(web: Web) -> None:
    headers = web.as_role("regulator")
    wrong_type = web.client.post(
        "/api/v1/ingest/shops", files={"file": ("shops.xlsx", b"x")}, headers=headers
    )
    assert (
        wrong_type.status_code == 422 and wrong_type.json()["type"] == "/problems/unsupported-file"
    )
    unknown = web.client.post(
        "/api/v1/ingest/planets", files={"file": ("p.csv", b"a\n1\n")}, headers=headers
    )
    assert unknown.status_code == 404


def test_an_upload_is_registered_as_a_bulk_operation(web: Web, tmp_path) -> None:
    """Like `ecredit ingest`: who sent which file and the counts, never a row."""
    before = len(entries(web))
    rows = [{**world.SHOPS[0], "shop_id": "S9", "name": "新开的店"}]
    response = web.client.post(
        "/api/v1/ingest/shops",
        files={"file": ("店铺.csv", shops_csv(rows), "text/csv")},
        headers=web.as_role("platform"),
    )
    assert response.status_code == 200, response.text
    (entry,) = entries(web)[before:]
    (stored,) = (tmp_path / "uploads" / "test-platform").glob("*-shops.csv")
    assert (entry["actor"], entry["role"], entry["action"], entry["purpose"]) == (
        "test-platform",
        "platform",
        "ingest",
        "ingest",
    )
    assert entry["authorisation"] == "role:platform"
    assert entry["detail"] == {
        "file": str(stored),
        "kind": "shops",
        "batch_id": response.json()["batch_id"],
        "rows_read": 1,
        "inserted": 1,
        "unchanged": 0,
        "rejected": 0,
        "uploaded_as": "店铺.csv",
    }
    refused = web.client.post(
        "/api/v1/ingest/shops", files={"file": ("s.xlsx", b"x")}, headers=web.as_role("platform")
    )
    assert refused.status_code == 422 and len(entries(web)) == before + 1
