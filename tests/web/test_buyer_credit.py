"""The buyer credit API: the buyer itself, the platforms it buys on and regulators read a
buyer's points, as `privacy.access.authorise` decides; everyone else is refused — a bilingual
problem, registered as denied — and nothing of it is public."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ecredit.ingest.pipeline import ingest_file
from ecredit.privacy.keys import KeyRing
from ecredit.storage.evaluations import evaluation_buyer_credit
from ecredit.web.access_log import PURPOSE_HEADER
from ecredit.web.accounts import create_api_key, create_user
from tests.evaluation.runs import new_run
from tests.ingest.world import write_kind
from tests.web import world
from tests.web.conftest import PASSWORD, Web
from tests.web.test_access_log import entries

URL = "/api/v1/buyers/{}/credit"
STRANGER = "C9"
"""A buyer with points who ordered only on platform P2, never on the test platform P1."""
SCOPE_REFUSAL = {
    "zh-CN": "只能查询本平台或本店铺交易中的买家信息",
    "en": "only buyers' data of orders on your own platform or in your own shops",
}


@pytest.fixture(autouse=True)
def stranger(web: Web, keys: KeyRing, tmp_path: Path) -> None:
    """C9 and its one order, in M2's shop on P2."""
    buyer = {
        "subject_id": STRANGER,
        "subject_type": "consumer",
        "legal_form": "person",
        "name": "买家乙",
        "region": "110105",
        "registered_on": "2021-01-01",
    }
    order = world.ORDERS[3] | {"order_id": "O9", "buyer_id": STRANGER}  # as O4
    (tmp_path / "stranger").mkdir()
    for kind, rows in (("subjects", [buyer]), ("orders", [order])):
        path = write_kind(tmp_path / "stranger", kind, rows)
        assert ingest_file(web.engine, path, kind, keys).rejected == 0


def store_run(web: Web, as_of: date, credit: dict[str, tuple[int, int]]) -> int:
    """One evaluation run holding only buyers' credit, as `save_evaluation` lays it out."""
    with web.engine.begin() as conn:
        run_id = new_run(conn, as_of, 0)
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
    refused = web.client.get(URL.format(STRANGER), headers=platform)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/scope"
    assert refused.json()["messages"] == SCOPE_REFUSAL
    assert web.client.get(URL.format(STRANGER), headers=web.as_role("regulator")).json() == {
        "buyer_id": STRANGER,
        "points": 5,
        "level": 1,
        "level_name": {"zh": "一心", "en": "1 heart"},
        "as_of": "2026-02-28",
        "run_id": run_id,
    }


def test_a_platform_reads_its_buyers_without_consent_but_not_for_other_purposes(
    web: Web,
) -> None:
    """Its own transactions need no consent (个人信息保护法 Art.13(1)2); dispute handling of a
    person still does, and stating it does not widen the platform's reach."""
    stored(web)
    disputes = web.as_role("platform") | {PURPOSE_HEADER: "dispute_handling"}
    refused = web.client.get(URL.format("C1"), headers=disputes)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/consent"
    own = web.as_role("platform") | {PURPOSE_HEADER: "own_transaction"}
    assert web.client.get(URL.format("C1"), headers=own).status_code == 200
    logged = [(e["purpose"], e["authorisation"]) for e in entries(web)[-2:]]
    assert logged == [
        ("dispute_handling", "denied"),
        ("own_transaction", "role:platform/own_transaction"),
    ]


def test_the_buyer_reads_its_own_points_only(web: Web) -> None:
    stored(web)
    consumer = as_consumer(web)
    assert web.client.get(URL.format("C1"), headers=consumer).json()["level"] == 2
    assert web.client.get(URL.format(STRANGER), headers=consumer).status_code == 403
    merchant = web.as_role("subject")  # M1, a seller C1 bought from: party to sales only
    refused = web.client.get(URL.format("C1"), headers=merchant)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/scope"
    assert refused.json()["messages"]["en"] == (
        "a merchant reads a buyer's data only for one order in its own shops"
    )


def test_other_roles_and_the_public_are_refused(web: Web) -> None:
    stored(web)
    for role, status in (("public", 401), ("agency", 403), ("admin", 403)):
        response = web.client.get(URL.format("C1"), headers=web.as_role(role))
        assert response.status_code == status, role
        assert "points" not in response.json()
    # A platform that is refused learns nothing, not even whether the buyer has points, nor
    # whether it exists: an unknown id is refused exactly as another platform's buyer is.
    refused = web.client.get(URL.format("C404"), headers=web.as_role("platform"))
    assert refused.status_code == 403
    assert refused.json()["messages"] == SCOPE_REFUSAL


def test_each_read_and_refusal_is_registered_in_the_access_log(web: Web) -> None:
    stored(web)
    before = len(entries(web))
    web.client.get(URL.format("C1"), headers=web.as_role("regulator"))
    web.client.get(URL.format("C1"), headers=web.as_role("platform"))
    web.client.get(URL.format(STRANGER), headers=web.as_role("platform"))  # refused
    logged = [
        (e["role"], e["target"], e["subject_id"], e["purpose"], e["authorisation"])
        for e in entries(web)[before:]
    ]
    assert logged == [
        ("regulator", "buyer_credit", "C1", "statutory_duty", "role:regulator/statutory_duty"),
        ("platform", "buyer_credit", "C1", "own_transaction", "role:platform/own_transaction"),
        ("platform", "buyer_credit", STRANGER, "own_transaction", "denied"),
    ]
    assert entries(web)[-1]["detail"]["refused"].endswith(SCOPE_REFUSAL["en"])
