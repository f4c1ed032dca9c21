"""`ecredit lists show` beside this node's own listings shows the listings trusted peers decided,
while in force, under an origin column: the peer's decision, never mistaken for this node's."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.audit.log import Actor
from ecredit.cli import governance as cli
from ecredit.cli.common import console
from ecredit.exchange.apply import import_batch
from ecredit.exchange.batch import seal
from ecredit.exchange.node import init_node
from ecredit.exchange.objects import make_object
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.governance import services
from ecredit.governance.model import china_date, utc_now
from tests.governance.conftest import MERCHANT

PEER_NAME = "浙江省公共信用信息平台"
DOCUMENT = "浙市监〔2026〕9号"
AUTHORITY = "浙江省市场监督管理局"
runner = CliRunner()


def listing(status: str, **changes: Any) -> dict:
    today = china_date(utc_now())
    data = {
        "entry_id": "LZJ-1",
        "list": "black_list",
        "subject_id": MERCHANT,
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
        "decided_by": AUTHORITY,
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


def test_lists_show_names_the_origin_of_a_peers_listing(
    world: sa.Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_width", 300)  # whole rows, as on a wide terminal
    identity = init_node("region-zj", "region", tmp_path / "region.json")
    receiver = init_node("this-node", "department", tmp_path / "self.json")
    add_peer(world, "region-zj", identity.public_key, "region", PEER_NAME, "test")

    def send(sequence: int, obj: dict) -> None:
        raw = seal(identity, sequence, "c2.0.0.0.0", "c2.0.0.0.0", [obj], utc_now())
        actor = Actor("operator", "admin")
        import_batch(world, raw, receiver, load_exchange_policy(), actor)

    show = ["show", "--subject", MERCHANT, "--db", db_url]
    send(1, listing("published"))
    shown = runner.invoke(cli.lists_app, show)
    assert shown.exit_code == 0, shown.output
    assert "来源 origin" in shown.output
    (line,) = [row for row in shown.output.splitlines() if "LZJ-1" in row]
    assert f"{PEER_NAME} (region-zj)" in line and DOCUMENT in line and AUTHORITY in line
    # a peer's listing stays the peer's: it is no entry of this node's
    assert services.listings(world, MERCHANT) == []
    assert [p.entry.entry_id for p in services.peer_listings_in_force(world, MERCHANT)] == ["LZJ-1"]
    only_red = runner.invoke(cli.lists_app, [*show, "--list", "red_list"])
    assert only_red.exit_code == 0 and "LZJ-1" not in only_red.output

    # lifted by the peer after a repair: shown no more
    ended = china_date(utc_now()).isoformat()
    send(2, listing("removed", ended_on=ended, end_cause="repair", end_reason="修复"))
    lifted = runner.invoke(cli.lists_app, show)
    assert lifted.exit_code == 0 and "LZJ-1" not in lifted.output
