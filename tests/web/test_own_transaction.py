"""Reads of one's own transactions (`own_transaction`, 履行合同/交易管理): a platform or merchant
reads the data of orders placed with it without the buyer's consent (个人信息保护法
Art.13(1)2), and `privacy.access.authorise` — not the route — holds it to those orders."""

from __future__ import annotations

import pytest

from ecredit.audit.log import Actor
from ecredit.privacy.access import AccessDenied, Grant, authorise, reveal
from ecredit.web.access_log import PURPOSE_HEADER
from tests.web.conftest import Web
from tests.web.test_access import grant
from tests.web.test_access_log import entries
from tests.web.test_reports import consumer

P1 = Actor("test-platform", "platform", "P1")
P2 = Actor("p2-staff", "platform", "P2")
M1 = Actor("test-subject", "subject", "M1")
M2 = Actor("m2-login", "subject", "M2")
CARRIER = Actor("l1-login", "subject", "L1")
OWN = "own_transaction"


def decide(web: Web, actor: Actor, purpose: str, order: str | None = None) -> Grant:
    """`authorise` about the buyer C1, whose orders are O1–O3 (M1's shop on P1) and O4 (M2's
    shop on P2)."""
    with web.engine.connect() as conn:
        return authorise(conn, actor, "C1", purpose, order_id=order)


@pytest.mark.parametrize(
    ("actor", "order"),
    [(P1, "O1"), (P1, None), (P2, "O4"), (P2, None), (M1, "O3"), (M2, "O4")],
)
def test_a_party_reads_its_own_orders_without_consent(
    web: Web, actor: Actor, order: str | None
) -> None:
    granted = decide(web, actor, OWN, order)
    assert granted == Grant(f"role:{actor.role}/{OWN}", frozenset())  # no identifier in clear


@pytest.mark.parametrize(
    ("actor", "order", "refusal"),
    [
        (P1, "O4", "orders on your own platform or in your own shops"),  # P2's order
        (P2, "O1", "orders on your own platform or in your own shops"),
        (M1, "O4", "orders on your own platform or in your own shops"),  # M2's shop
        (M1, None, "only for one order in its own shops"),  # the buyer's standing is not M1's
        (CARRIER, "O1", "orders on your own platform or in your own shops"),  # carried, not sold
        (Actor("agency-x", "agency", "A1"), "O1", "may not query for: own_transaction"),
        (Actor("officer", "regulator"), "O1", "may not query for: own_transaction"),
    ],
)
def test_anyone_else_is_refused_the_purpose(
    web: Web, actor: Actor, order: str | None, refusal: str
) -> None:
    with pytest.raises(AccessDenied, match=refusal):
        decide(web, actor, OWN, order)


def test_no_purpose_opens_another_platforms_order_to_a_trading_role(web: Web) -> None:
    """A consent to dispute handling, or a real-name check (no consent), is no way into an order
    the platform is not party to; on its own orders the consent still counts."""
    grant(web, "C1", "test-platform", "dispute_handling")
    assert decide(web, P1, "dispute_handling", "O1").authorisation.startswith("consent:")
    for purpose in ("dispute_handling", "real_name_verification"):
        with pytest.raises(AccessDenied, match="your own platform"):
            decide(web, P1, purpose, "O4")


def test_an_unknown_buyer_is_refused_like_another_platforms(web: Web) -> None:
    with web.engine.connect() as conn, pytest.raises(AccessDenied) as refused:
        authorise(conn, P1, "C404", OWN)
    assert refused.value.reason == "scope"


def test_own_transaction_never_reveals_identifiers(web: Web) -> None:
    """The trail and the points need no phone number: the purpose caps clear reading to none,
    although the platform role may read phones for real-name checks."""
    with pytest.raises(AccessDenied, match="may not read phone in clear"):
        reveal(web.engine, P1, "C1", "phone", OWN)
    (entry,) = [e for e in entries(web) if e["action"] == "read_personal"]
    assert (entry["purpose"], entry["authorisation"]) == (OWN, "denied")


def test_the_trail_of_another_platforms_order_is_refused_and_registered(web: Web) -> None:
    before = len(entries(web))
    for purpose in (None, "real_name_verification"):
        headers = web.as_role("platform") | ({PURPOSE_HEADER: purpose} if purpose else {})
        refused = web.client.get("/api/v1/trace/orders/O4", headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/scope"
        assert refused.json()["messages"] == {
            "zh-CN": "只能查询本平台或本店铺交易中的买家信息",
            "en": "only buyers' data of orders on your own platform or in your own shops",
        }
    logged = [
        (e["actor"], e["target"], e["subject_id"], e["purpose"], e["authorisation"])
        for e in entries(web)[before:]
    ]
    assert logged == [
        ("test-platform", "trace.order", "C1", OWN, "denied"),
        ("test-platform", "trace.order", "C1", "real_name_verification", "denied"),
    ]
    assert entries(web)[-1]["detail"]["request"] == "GET /api/v1/trace/orders/O4"


def test_the_merchant_and_the_buyer_read_the_trail_each_on_its_own_ground(web: Web) -> None:
    before = len(entries(web))
    assert web.client.get("/api/v1/trace/orders/O1", headers=web.as_role("subject")).is_success
    assert web.client.get("/api/v1/trace/orders/O4", headers=consumer(web)).is_success
    assert web.client.get("/trace?order=O4", headers=web.as_role("platform")).status_code == 403
    logged = [(e["actor"], e["purpose"], e["authorisation"]) for e in entries(web)[before:]]
    assert logged == [
        ("test-subject", OWN, "role:subject/own_transaction"),
        ("test-consumer", "self_query", "self"),
        ("test-platform", OWN, "denied"),
    ]


def test_a_real_name_check_is_only_for_the_platforms_own_merchants(web: Web) -> None:
    """It needs no consent, so it cannot be a way into any person's file: stating it for a
    consumer is refused and registered; for a merchant selling on the platform it is granted."""
    check = web.as_role("platform") | {PURPOSE_HEADER: "real_name_verification"}
    refused = web.client.get("/api/v1/subjects/C1", headers=check)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/scope"
    assert refused.json()["messages"]["en"] == "a platform verifies only merchants selling on it"
    assert entries(web)[-1]["authorisation"] == "denied"
    with web.engine.connect() as conn:
        granted = authorise(conn, P1, "M1", "real_name_verification")
    assert granted.authorisation == "role:platform/real_name_verification"
