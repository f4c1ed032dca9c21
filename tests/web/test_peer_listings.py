"""Listings and evaluations from trusted nodes on the portal and the API: shown apart from
the node's own, labelled with their origin (来源：<节点名>), a listing only while in force, and
the measures this node applies from it naming the same origin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecredit.audit.log import Actor
from ecredit.exchange.apply import import_batch
from ecredit.exchange.batch import seal
from ecredit.exchange.node import NodeIdentity, init_node
from ecredit.exchange.objects import make_object
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.governance.model import china_date, utc_now
from tests.web.conftest import Web
from tests.web.test_privacy import leaks

PEER_NAME = "浙江省公共信用信息平台"
DOCUMENT = "浙市监〔2026〕9号"
API = "/api/v1/subjects"


@dataclass
class Peer:
    """A regional node that sends this web node signed batches of its own statements."""

    web: Web
    identity: NodeIdentity
    receiver: NodeIdentity
    sequence: int = 0

    def send(self, *objects: dict[str, Any]) -> None:
        self.sequence += 1
        now = utc_now()
        raw = seal(self.identity, self.sequence, "c2.0.0.0.0", "c2.0.0.0.0", list(objects), now)
        actor = Actor("operator", "admin")
        import_batch(self.web.engine, raw, self.receiver, load_exchange_policy(), actor)

    def listing(self, subject_id: str, status: str = "published", **changes: Any) -> dict:
        today = china_date(utc_now())
        data = {
            "entry_id": f"LZJ-{subject_id}",
            "list": "black_list",
            "subject_id": subject_id,
            "status": status,
            "proposed_on": (today - timedelta(days=3)).isoformat(),
            "reasons": [
                {
                    "criterion": "record",
                    "zh": "公示中的严重失信记录",
                    "en": "Serious dishonesty record on display",
                    "record_ids": [],
                    "case_ids": [],
                }
            ],
            "decided_by": "浙江省市场监督管理局",
            "legal_basis": "发改财金〔2016〕2794号 §十九",
            "document_no": DOCUMENT,
            "decided_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": date(today.year + 3, 1, 1).isoformat(),
            "published_on": today.isoformat(),
            "ended_on": None,
            "end_cause": None,
            "end_reason": None,
            "measures_executed": [],
        } | changes
        return make_object("list_entry", data["entry_id"], "region-zj", utc_now(), data)

    def evaluation(self, subject_id: str) -> dict:
        data = {
            "subject_id": subject_id,
            "model_version": "zj-2026",
            "as_of": "2026-09-30",
            "score": "512.25",
            "grade": "D",
            "risk_class": "D",
            "reasons_zh": "存在严重失信记录；投诉率",
            "reasons_en": "Serious dishonesty record on file; Complaint rate",
        }
        key = f"{subject_id}/zj-2026/2026-09-30"
        return make_object("evaluation", key, "region-zj", utc_now(), data)


@pytest.fixture
def peer(web: Web, tmp_path: Path) -> Peer:
    identity = init_node("region-zj", "region", tmp_path / "region.json")
    receiver = init_node("web-node", "department", tmp_path / "self.json")
    add_peer(web.engine, "region-zj", identity.public_key, "region", PEER_NAME, "test")
    return Peer(web, identity, receiver)


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
    assert listed["decided_by"] == "浙江省市场监督管理局"
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
    assert DOCUMENT in page and "浙江省市场监督管理局" in page
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
