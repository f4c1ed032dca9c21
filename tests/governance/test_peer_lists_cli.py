"""`ecredit lists show` beside this node's own listings shows the listings trusted peers decided,
while in force, under an origin column: the peer's decision, never mistaken for this node's."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecredit.cli import governance as cli
from ecredit.cli.common import console
from ecredit.governance import services
from ecredit.governance.model import china_date, utc_now
from tests.exchange.peer import AUTHORITY, DOCUMENT, PEER_NAME, regional_peer
from tests.governance.conftest import MERCHANT

runner = CliRunner()


def test_lists_show_names_the_origin_of_a_peers_listing(
    world: sa.Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_width", 300)  # whole rows, as on a wide terminal
    peer = regional_peer(world, tmp_path)
    show = ["show", "--subject", MERCHANT, "--db", db_url]
    peer.send(peer.listing(MERCHANT, entry_id="LZJ-1"))
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
    peer.send(
        peer.listing(
            MERCHANT, "removed", "LZJ-1", ended_on=ended, end_cause="repair", end_reason="修复"
        )
    )
    lifted = runner.invoke(cli.lists_app, show)
    assert lifted.exit_code == 0 and "LZJ-1" not in lifted.output
