"""What trusted nodes (节点) said about a subject, as the portal and the API show it.

Another node's listing or evaluation is its decision or opinion, held here as its statement
(`ecredit.exchange.received`); the web layer shows it beside the node's own, never mixed in,
with its origin named (来源：<节点名>). A listing shows only while it is in force at its origin;
an evaluation shows as that node's latest. Neither carries personal information: both name the
subject by id.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.exchange.policy import load_exchange_policy
from ecredit.exchange.received import peer_evaluations
from ecredit.governance.peer_lists import Origin
from ecredit.web.models import Label, NodeOrigin, PeerEvaluationView
from ecredit.web.queries.evaluation import reasons


def node_origin(origin: Origin) -> NodeOrigin:
    names = {a.code: Label(zh=a.zh, en=a.en) for a in load_exchange_policy().precedence}
    return NodeOrigin(
        node_id=origin.node_id,
        name=origin.name,
        authority=origin.authority,
        authority_name=names.get(origin.authority, Label(zh=origin.authority, en=origin.authority)),
    )


def evaluations(conn: sa.Connection, subject_id: str) -> list[PeerEvaluationView]:
    """Each trusted node's latest evaluation of the subject."""
    return [
        PeerEvaluationView(
            origin=node_origin(e.origin),
            score=float(e.data["score"]),
            grade=e.data["grade"],
            risk_class=e.data["risk_class"],
            as_of=e.data["as_of"],
            model_version=e.data["model_version"],
            reasons=reasons(e.data["reasons_zh"], e.data["reasons_en"]),
        )
        for e in peer_evaluations(conn, subject_id)
    ]
