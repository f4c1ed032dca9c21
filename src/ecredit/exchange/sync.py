"""The client side of node-to-node sync: `pull --from URL` and `push --to URL`.

Each side keeps its own cursor per peer (`in` for what it pulled, `out` for what the peer
acknowledged), advanced only after the batch was imported, so an interrupted sync repeats
a batch rather than skipping one.
"""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from ecredit.audit.log import Actor
from ecredit.exchange.apply import ImportReport, import_batch
from ecredit.exchange.export import export_batch
from ecredit.exchange.http import BATCHES_PATH, NODE_PATH, signed_headers
from ecredit.exchange.node import NodeIdentity
from ecredit.exchange.objects import load_cursor, save_cursor
from ecredit.exchange.peers import get_peer
from ecredit.exchange.policy import ExchangePolicy

TIMEOUT = httpx.Timeout(30.0, read=600.0)


class SyncError(Exception):
    pass


def _check(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        problem = response.json()
        detail = f"{problem.get('title', '')}: {problem.get('detail', '')}"
    except ValueError:
        detail = response.text[:500]
    raise SyncError(f"对方节点拒绝 / the peer refused ({response.status_code}) {detail}")


def _trusted_remote(engine: sa.Engine, client: httpx.Client) -> str:
    response = client.get(NODE_PATH)
    _check(response)
    node = response.json()["node_id"]
    with engine.connect() as conn:
        if get_peer(conn, node) is None:
            raise SyncError(
                f"{node} 不是受信任节点，请先 ecredit exchange peers add / {node} is not a "
                "trusted peer; add it with `ecredit exchange peers add`"
            )
    return node


def pull(
    engine: sa.Engine, identity: NodeIdentity, policy: ExchangePolicy, url: str, actor: Actor
) -> ImportReport | None:
    """Import everything the peer has since our cursor; None when it has nothing new."""
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        node = _trusted_remote(engine, client)
        with engine.connect() as conn:
            since = load_cursor(conn, node, "in")
        target = BATCHES_PATH + (f"?since={since}" if since else "")
        response = client.get(target, headers=signed_headers(identity, "GET", target, b""))
        _check(response)
        if response.status_code == 204:
            return None
        return import_batch(engine, response.content, identity, policy, actor, node)


def push(
    engine: sa.Engine, identity: NodeIdentity, policy: ExchangePolicy, url: str, actor: Actor
) -> dict[str, Any] | None:
    """Send the peer everything since what it last acknowledged; None when nothing is new."""
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        node = _trusted_remote(engine, client)
        with engine.connect() as conn:
            since = load_cursor(conn, node, "out")
        exported = export_batch(engine, identity, policy, since, node, actor)
        if exported is None:
            return None
        raw, until = exported
        headers = signed_headers(identity, "POST", BATCHES_PATH, raw)
        response = client.post(
            BATCHES_PATH, content=raw, headers=headers | {"content-type": "application/json"}
        )
        _check(response)
        with engine.begin() as conn:
            save_cursor(conn, node, "out", str(until))
        return response.json()
