"""Trusted nodes' listings and evaluations beyond the subject page: in a credit report (the
signed JSON twin and the PDF drawn from it), apart from the node's own and labelled with their
origin; in the monthly bulletin as a figure of their own, never added to the node's list
counts; and never in the console's work queues, since they ask nothing of this node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from ecredit.governance.model import china_date, utc_now
from ecredit.web import documents
from tests.exchange.peer import DOCUMENT, PEER_NAME, Peer
from tests.web.conftest import Web
from tests.web.test_peer_listings import peer as peer  # the fixture
from tests.web.test_reports import check, issue
from tests.web.test_statistics import this_month

AUTHORITY = "浙江省市场监督管理局"
ORIGIN = {
    "node_id": "region-zj",
    "name": PEER_NAME,
    "authority": "region",
    "authority_name": {"zh": "地方信用信息平台", "en": "Regional credit platform"},
}


def _pdf_html(twin: dict) -> str:
    """The HTML the PDF is laid out from, rebuilt from the signed twin's own content: the
    PDF is that page printed, so what it shows is what this page shows."""
    return documents.render(
        documents.environment(),
        "report_pdf.html",
        report=twin["report"],
        content=twin["content"],
        qr="",
        subject_name="",
    )


def test_a_report_lists_peer_listings_and_evaluations_apart_with_their_origin(
    web: Web, peer: Peer
) -> None:
    peer.send(peer.listing("M1"), peer.evaluation("M1"))
    number = issue(web)
    twin = web.client.get(f"/api/v1/reports/{number}.json").json()
    content = twin["content"]
    assert all(entry.get("origin") is None for entry in content["lists"])
    (listed,) = content["peer_lists"]
    assert listed["origin"] == ORIGIN
    assert (listed["decided_by"], listed["document_no"], listed["list_code"]) == (
        AUTHORITY,
        DOCUMENT,
        "black_list",
    )
    (evaluated,) = content["peer_evaluations"]
    assert evaluated["origin"] == ORIGIN and evaluated["grade"] == "D"
    assert any(m["origin"] == ORIGIN for m in content["measures"])

    page = _pdf_html(twin)
    assert "其他节点认定的名单" in page and "Listings decided by other nodes" in page
    assert "其他节点的评价" in page and "Evaluations by other nodes" in page
    assert page.index("其他节点认定的名单") < page.index("Listings decided by other nodes")
    assert PEER_NAME in page and "地方信用信息平台" in page
    assert AUTHORITY in page and DOCUMENT in page
    assert page.count(f"来源 Source：{PEER_NAME}") >= 2  # the evaluation, each measure

    # still one genuine report: the twin verifies, and the PDF is registered byte for byte
    pdf = web.client.get(f"/api/v1/reports/{number}.pdf").content
    assert check(web, "r.json", json.dumps(twin).encode())["verdict"] == "genuine_current"
    assert check(web, "r.pdf", pdf)["verdict"] == "genuine_current"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "其他节点认定的名单" in text and PEER_NAME in text and DOCUMENT in text

    # the peer lifts it: the report no longer reads as the subject's file does
    today = china_date(utc_now()).isoformat()
    peer.send(peer.listing("M1", "removed", ended_on=today, end_cause="repair", end_reason="修复"))
    status = web.client.get(f"/api/v1/reports/{number}/verification").json()
    assert status["verdict"] == "genuine_outdated"


def test_a_report_without_peer_statements_has_no_peer_section(web: Web) -> None:
    number = issue(web)
    twin = web.client.get(f"/api/v1/reports/{number}.json").json()
    assert twin["content"]["peer_lists"] == [] and twin["content"]["peer_evaluations"] == []
    page = _pdf_html(twin)
    assert "其他节点" not in page and "来源 Source：" not in page


def test_the_bulletin_shows_peer_listings_apart_from_the_nodes_own_counts(
    web: Web, peer: Peer, tmp_path: Path
) -> None:
    month = this_month()
    admin = web.as_role("admin")
    assert web.client.post(f"/api/v1/statistics/snapshots/{month}", headers=admin).is_success
    before = web.client.get(f"/api/v1/bulletins/{month}").json()["figures"]

    peer.send(peer.listing("M1"), peer.listing("M2"))
    assert web.client.post(f"/api/v1/statistics/snapshots/{month}", headers=admin).is_success
    figures = web.client.get(f"/api/v1/bulletins/{month}").json()["figures"]
    # this node's own count is what this node decided: the peers' are not added to it
    assert figures.get("list_counts") == before.get("list_counts")
    assert figures["peer_list_counts"] == {"black_list": 2}
    page = web.client.get(f"/bulletins/{month}").text
    assert "其他节点认定的名单在册数（不计入本节点名单在册数）" in page
    english = web.client.get(f"/bulletins/{month}?lang=en").text
    assert "Other nodes&#39; listings in force (not in this node&#39;s list counts)" in english


def test_peer_listings_add_nothing_to_the_work_queues(web: Web, peer: Peer) -> None:
    """A peer's listing needs no local step: nothing to decide, publish or lift here. It is
    no governance case, so the list queue never holds it."""
    headers = web.as_role("regulator")
    before = web.client.get("/api/v1/queues/list_entry", headers=headers)
    peer.send(peer.listing("M1"))
    after = web.client.get("/api/v1/queues/list_entry", headers=headers)
    assert after.status_code == 200 and after.json() == before.json()
    page = web.client.get("/console/queues?workflow=list_entry", headers=headers).text
    assert "LZJ-M1" not in page and DOCUMENT not in page
