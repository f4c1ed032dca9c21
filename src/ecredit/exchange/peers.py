"""The registry of trusted peers: whose signatures this node accepts, and with what authority.

The authority recorded here, never the one a batch claims, decides precedence in conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ecredit.exchange.node import NODE_ID, NodeError, public_key_from_text
from ecredit.exchange.policy import load_exchange_policy
from ecredit.storage.exchange import exchange_peer

PEER_COLUMNS = (
    exchange_peer.c.node_id,
    exchange_peer.c.public_key,
    exchange_peer.c.authority,
    exchange_peer.c.name,
)


@dataclass(frozen=True)
class Peer:
    node_id: str
    public_key: str
    authority: str
    name: str


def add_peer(
    engine: sa.Engine, node_id: str, public_key: str, authority: str, name: str, added_by: str
) -> Peer:
    """Register or re-key a peer; re-keying replaces the old key at once."""
    if not NODE_ID.match(node_id):
        raise NodeError(f"节点编号格式错误 / bad node id: {node_id}")
    public_key_from_text(public_key)
    if authority not in load_exchange_policy().authorities:
        raise NodeError(
            f"未知的权威类别 / unknown authority {authority}; "
            f"one of {', '.join(load_exchange_policy().authorities)}"
        )
    values = {
        "public_key": public_key,
        "authority": authority,
        "name": name,
        "added_at": datetime.now(UTC),
        "added_by": added_by,
    }
    with engine.begin() as conn:
        updated = conn.execute(
            exchange_peer.update().where(exchange_peer.c.node_id == node_id).values(values)
        ).rowcount
        if not updated:
            conn.execute(exchange_peer.insert().values(node_id=node_id, **values))
    return Peer(node_id, public_key, authority, name)


def get_peer(conn: sa.Connection, node_id: str) -> Peer | None:
    row = conn.execute(sa.select(*PEER_COLUMNS).where(exchange_peer.c.node_id == node_id)).first()
    return Peer(*row) if row else None


def list_peers(engine: sa.Engine) -> list[Peer]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*PEER_COLUMNS).order_by(exchange_peer.c.node_id))
        return [Peer(*row) for row in rows]
