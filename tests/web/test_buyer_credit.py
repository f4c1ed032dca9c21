"""The buyer credit API: the buyer itself, the platforms it buys on and regulators read a
buyer's points; everyone else is refused, and nothing of it is public."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ecredit.storage.evaluations import evaluation_buyer_credit, evaluation_run
from ecredit.web.accounts import create_api_key, create_user
from tests.web.conftest import PASSWORD, Web
from tests.web.test_access_log import entries

URL = "/api/v1/buyers/{}/credit"
STRANGER = "C9"
"""A buyer with points but no order on any platform of the test world."""


def store_run(web: Web, as_of: date, credit: dict[str, tuple[int, int]]) -> int:
    """One evaluation run holding only buyers' credit, as `save_evaluation` lays it out."""
    now = datetime.now(UTC)
    with web.engine.begin() as conn:
        run_id = conn.execute(
            evaluation_run.insert()
            .values(
                model_version="test",
                grades_version="test",
                ratings_version="test",
                as_of=as_of,
                engine="duckdb",
                source="test",
                started_at=now,
                finished_at=now,
                subjects=0,
            )
            .returning(evaluation_run.c.run_id)
        ).scalar_one()
        conn.execute(
            evaluation_buyer_credit.insert(),
            [
                {"run_id": run_id, "buyer_id": b, "points": p, "level": lvl}
                for b, (p, lvl) in credit.items()
            ],
        )
    return run_id


def stored(web: Web) -> int:
    store_run(web, date(2026, 1, 31), {"C1": (3, 0), STRANGER: (5, 1)})
    return store_run(web, date(2026, 2, 28), {"C1": (12, 2), STRANGER: (5, 1)})


def as_consumer(web: Web) -> dict[str, str]:
    create_user(web.engine, "test-consumer", PASSWORD, "subject", "C1")
    return {"X-API-Key": create_api_key(web.engine, "test-consumer", "tests")}


def test_regulator_reads_the_newest_run_with_the_level_named(web: Web) -> None:
    run_id = stored(web)
    response = web.client.get(URL.format("C1"), headers=web.as_role("regulator"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "buyer_id": "C1",
        "points": 12,
        "level": 2,
        "level_name": {"zh": "二心", "en": "2 hearts"},
        "as_of": "2026-02-28",
        "run_id": run_id,
    }
    missing = web.client.get(URL.format("C404"), headers=web.as_role("regulator"))
    assert missing.status_code == 404


def test_a_platform_reads_only_buyers_of_its_shops(web: Web) -> None:
    run_id = stored(web)
    platform = web.as_role("platform")  # P1; C1 ordered from its shop S1
    assert web.client.get(URL.format("C1"), headers=platform).json()["points"] == 12
    assert web.client.get(URL.format(STRANGER), headers=platform).status_code == 403
    assert web.client.get(URL.format(STRANGER), headers=web.as_role("regulator")).json() == {
        "buyer_id": STRANGER,
        "points": 5,
        "level": 1,
        "level_name": {"zh": "一心", "en": "1 heart"},
        "as_of": "2026-02-28",
        "run_id": run_id,
    }


def test_the_buyer_reads_its_own_points_only(web: Web) -> None:
    stored(web)
    consumer = as_consumer(web)
    assert web.client.get(URL.format("C1"), headers=consumer).json()["level"] == 2
    assert web.client.get(URL.format(STRANGER), headers=consumer).status_code == 403
    merchant = web.as_role("subject")  # M1, a seller: not the buyer
    assert web.client.get(URL.format("C1"), headers=merchant).status_code == 403


def test_other_roles_and_the_public_are_refused(web: Web) -> None:
    stored(web)
    for role, status in (("public", 401), ("agency", 403), ("admin", 403)):
        response = web.client.get(URL.format("C1"), headers=web.as_role(role))
        assert response.status_code == status, role
        assert "points" not in response.json()
    # A platform that is refused learns nothing, not even whether the buyer has points.
    refused = web.client.get(URL.format("C404"), headers=web.as_role("platform"))
    assert refused.status_code == 403


def test_each_read_is_registered_in_the_access_log(web: Web) -> None:
    stored(web)
    before = len(entries(web))
    web.client.get(URL.format("C1"), headers=web.as_role("regulator"))
    web.client.get(URL.format(STRANGER), headers=web.as_role("platform"))  # refused: no entry
    logged = [(e["role"], e["target"], e["subject_id"]) for e in entries(web)[before:]]
    assert logged == [("regulator", "buyer_credit", "C1")]
