"""A regional node for tests: it sends this node signed batches of its own listings and
evaluations, as a trusted peer would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import Actor
from ecredit.exchange.apply import import_batch
from ecredit.exchange.batch import seal
from ecredit.exchange.node import NodeIdentity, init_node
from ecredit.exchange.objects import make_object
from ecredit.exchange.peers import add_peer
from ecredit.exchange.policy import load_exchange_policy
from ecredit.governance.model import china_date, utc_now

PEER_NAME = "浙江省公共信用信息平台"
DOCUMENT = "浙市监〔2026〕9号"
AUTHORITY = "浙江省市场监督管理局"


@dataclass
class Peer:
    """A regional node that sends this node signed batches of its own statements."""

    engine: sa.Engine
    identity: NodeIdentity
    receiver: NodeIdentity
    sequence: int = 0

    def send(self, *objects: dict[str, Any]) -> None:
        self.sequence += 1
        now = utc_now()
        raw = seal(self.identity, self.sequence, "c2.0.0.0.0", "c2.0.0.0.0", list(objects), now)
        actor = Actor("operator", "admin")
        import_batch(self.engine, raw, self.receiver, load_exchange_policy(), actor)

    def listing(
        self,
        subject_id: str,
        status: str = "published",
        entry_id: str | None = None,
        **changes: Any,
    ) -> dict:
        today = china_date(utc_now())
        data = {
            "entry_id": entry_id or f"LZJ-{subject_id}",
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


def regional_peer(engine: sa.Engine, home: Path) -> Peer:
    """Register region-zj as a trusted peer of the node in `engine`."""
    identity = init_node("region-zj", "region", home / "region.json")
    receiver = init_node("this-node", "department", home / "self.json")
    add_peer(engine, "region-zj", identity.public_key, "region", PEER_NAME, "test")
    return Peer(engine, identity, receiver)
