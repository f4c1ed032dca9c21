"""Listings and evaluations from trusted nodes on the portal and the API: shown apart from
the node's own, labelled with their origin (来源：<节点名>), a listing only while in force, and
the measures this node applies from it naming the same origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecredit.governance.model import china_date, utc_now
from tests.exchange.peer import AUTHORITY, DOCUMENT, PEER_NAME, Peer, regional_peer
from tests.web.conftest import Web
from tests.web.test_privacy import leaks

API = "/api/v1/subjects"


@pytest.fixture
def peer(web: Web, tmp_path: Path) -> Peer:
    return regional_peer(web.engine, tmp_path)


def test_the_subject_api_shows_peer_listings_and_evaluations_with_their_origin(
    web: Web, peer: Peer
) -> None:
    before = web.client.get(f"{API}/M1").json()
    assert before["peer_lists"] == [] and before["peer_evaluations"] == []
    own_measures = before["measures"]
    peer.send(peer.listing("M1"), peer.evaluation("M1"))

    profile = web.client.get(f"{API}/M1", headers=web.as_role("regulator")).json()
    assert profile["lists"] == before["lists"]
    (listed,) = profile["peer_lists"]
    origin = {
        "node_id": "region-zj",
        "name": PEER_NAME,
        "authority": "region",
        "authority_name": {"zh": "地方信用信息平台", "en": "Regional credit platform"},
    }
    assert listed["origin"] == origin
    assert (listed["entry_id"], listed["polarity"], listed["document_no"]) == (
        "LZJ-M1",
        "black",
        DOCUMENT,
    )
    assert listed["decided_by"] == AUTHORITY
    applied = [m for m in profile["measures"] if m["origin"] is not None]
    assert {m["measure"] for m in applied} >= {"shield_shop", "more_inspections"}
    assert all(m["origin"] == origin and m["document_no"] == DOCUMENT for m in applied)
    assert len(profile["measures"]) == len(own_measures) + len(applied)
    (evaluated,) = profile["peer_evaluations"]
    assert evaluated["origin"] == origin
    assert (evaluated["score"], evaluated["grade"], evaluated["model_version"]) == (
        512.25,
        "D",
        "zj-2026",
    )
    assert profile["evaluation"] == before["evaluation"]

    lists = web.client.get(f"{API}/M1/lists").json()
    assert [entry["origin"] for entry in lists][-1] == origin
    measures = web.client.get(f"{API}/M1/measures").json()
    assert [m for m in measures if m["origin"]] == applied

    # the peer lifts it after a repair: shown no more, its measures end here too
    lifted = peer.listing(
        "M1",
        "removed",
        ended_on=china_date(utc_now()).isoformat(),
        end_cause="repair",
        end_reason="修复",
    )
    peer.send(lifted)
    assert all(entry["origin"] is None for entry in web.client.get(f"{API}/M1/lists").json())
    assert all(m["origin"] is None for m in web.client.get(f"{API}/M1/measures").json())


def test_the_subject_page_labels_the_origin_in_chinese_first(web: Web, peer: Peer) -> None:
    peer.send(peer.listing("M1"), peer.evaluation("M1"))
    page = web.client.get("/subjects/M1").text
    assert "其他节点认定的名单" in page and "其他节点的评价" in page
    assert f"来源：{PEER_NAME} · 地方信用信息平台" in page
    assert DOCUMENT in page and AUTHORITY in page
    assert page.count(f"来源：{PEER_NAME}") >= 3  # listing, evaluation, each measure
    english = web.client.get("/subjects/M1?lang=en").text
    assert f"Source: {PEER_NAME} · Regional credit platform" in english
    assert "Listings decided by other nodes" in english


def test_a_proposal_from_a_peer_is_not_shown_and_nothing_personal_is(web: Web, peer: Peer) -> None:
    proposal = peer.listing(
        "M2",
        "proposed",
        decided_by=None,
        legal_basis=None,
        document_no=None,
        decided_on=None,
        ends_on=None,
        published_on=None,
    )
    peer.send(proposal)
    assert web.client.get(f"{API}/M2").json()["peer_lists"] == []
    peer.send(peer.listing("M2"), peer.evaluation("M2"))
    for url in (f"{API}/M2", f"{API}/M2/lists", f"{API}/M2/measures", "/subjects/M2"):
        response = web.client.get(url, headers=web.as_role("regulator"))
        assert response.status_code == 200 and leaks(response.text) == [], url
        assert PEER_NAME in response.text, url
