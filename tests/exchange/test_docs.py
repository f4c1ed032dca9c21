"""The example batch in docs/exchange.md still opens with the current code and schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ecredit.audit.log import canonical
from ecredit.exchange.batch import OBJECT_TYPES, VERSION, open_batch
from ecredit.exchange.peers import Peer

DOC = Path(__file__).parents[2] / "docs" / "exchange.md"


def test_documented_example_batch_verifies() -> None:
    text = DOC.read_text(encoding="utf-8")
    node, key = re.search(r"^ {4}(\S+) {2}(\S+=)$", text, re.MULTILINE).groups()
    example = text.split("<!-- example-batch -->\n```json\n", 1)[1].split("\n```", 1)[0]
    raw = canonical(json.loads(example))
    envelope, _peer = open_batch(raw, lambda n: Peer(n, key, "platform", "") if n == node else None)
    assert f"{len(raw):,} bytes" in text
    assert envelope["version"] == VERSION
    assert {o["type"] for o in envelope["objects"]} == set(OBJECT_TYPES)
