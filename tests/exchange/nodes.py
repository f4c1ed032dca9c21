"""Nodes for tests: each with its own database, data keys, signing key and server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

import httpx
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from ecredit.cli.exchange import audit_app, consents_app, exchange_app
from ecredit.exchange.node import NodeIdentity, init_node, load_node
from ecredit.exchange.peers import add_peer
from ecredit.governance import services
from ecredit.governance.lists import Decision
from ecredit.governance.model import china_date, utc_now
from ecredit.ingest.pipeline import ingest_file
from ecredit.privacy.keys import KeyRing, load_keyring
from ecredit.storage.database import connect, migrate
from ecredit.storage.evaluations import evaluation_result
from ecredit.storage.tables import record_status
from tests.evaluation.runs import new_run
from tests.ingest import world

RECORDS = [
    {
        "record_id": "R1",
        "subject_id": "M1",
        "type_code": "PLT01",
        "source_kind": "platform",
        "source_name": "某电商平台有限公司",
        "decided_on": "2025-03-01",
        "severity": "serious",
        "status": "active",
        "summary": "刷单炒信",
    },
    {
        "record_id": "R2",
        "subject_id": "M2",
        "type_code": "PLT05",
        "source_kind": "platform",
        "source_name": "某电商平台有限公司",
        "decided_on": "2025-04-01",
        "severity": "minor",
        "status": "active",
        "amount": "200.00",
        "summary": "图物不符",
    },
    {
        "record_id": "R3",
        "subject_id": "M1",
        "type_code": "CMT01",
        "source_kind": "platform",
        "source_name": "某电商平台有限公司",
        "decided_on": "2024-05-01",
        "severity": "positive",
        "status": "active",
        "summary": "信用承诺",
    },
]
CORRECTION = RECORDS[0] | {
    "record_id": "R1C",
    "severity": "general",
    "summary": "更正：虚假流量而非刷单",
    "type_code": "PLT03",
    "supersedes": "R1",
}
CLIS = ("exchange", "audit", "keys", "consents")
AS_OF = date(2026, 9, 30)
MODEL = "2026.1"


@dataclass
class Node:
    node_id: str
    authority: str
    db_url: str
    home: Path
    logs: list[Path] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, str]:
        return {
            "ECREDIT_DATABASE_URL": self.db_url,
            "ECREDIT_KEY_FILE": str(self.home / "keys.json"),
            "ECREDIT_NODE_FILE": str(self.home / "node.json"),
            "ECREDIT_ACTOR": f"operator@{self.node_id}",
        }

    @property
    def env(self) -> dict[str, str]:
        return os.environ | self.settings

    @cached_property
    def engine(self) -> sa.Engine:
        return connect(self.db_url)

    @property
    def identity(self) -> NodeIdentity:
        return load_node(self.home / "node.json")

    @property
    def keys(self) -> KeyRing:
        return load_keyring(self.home / "keys.json")


def make_node(home: Path, node_id: str, authority: str, db_url: str) -> Node:
    home.mkdir(parents=True, exist_ok=True)
    node = Node(node_id, authority, db_url, home)
    migrate(node.engine)
    init_node(node_id, authority, home / "node.json")
    load_keyring(home / "keys.json")
    return node


def trust(node: Node, peer: Node) -> None:
    add_peer(node.engine, peer.node_id, peer.identity.public_key, peer.authority, "", "test")


def platform_and_receiver(
    home: Path, db_url: str, second_db_url: str, names: tuple[str, str] = ("node-a", "node-b")
) -> tuple[Node, Node]:
    """A platform node holding the world's subjects and records, and a department node that
    trusts it and holds nothing yet: where most exchange stories start."""
    a = make_node(home / "a", names[0], "platform", db_url)
    b = make_node(home / "b", names[1], "department", second_db_url)
    trust(b, a)
    ingest_rows(a, "subjects", world.SUBJECTS)
    ingest_rows(a, "records", RECORDS)
    return a, b


def ingest_rows(node: Node, kind: str, rows: list[dict[str, str]]) -> None:
    directory = node.home / "in" / f"{kind}-{time.monotonic_ns()}"
    directory.mkdir(parents=True)
    path = world.write_kind(directory, kind, rows)
    report = ingest_file(node.engine, path, kind, node.keys)
    assert report.rejected == 0, path.with_suffix(".rejects.csv").read_text()


def set_status(node: Node, record_id: str, status: str, reason: str) -> None:
    """What the governance workflows will do on repair or withdrawal."""
    with node.engine.begin() as conn:
        conn.execute(
            record_status.insert().values(
                record_id=record_id,
                status=status,
                changed_at=datetime.now(UTC),
                actor=f"officer@{node.node_id}",
                reason=reason,
            )
        )


def propose_black_list(node: Node, subject_id: str) -> str:
    """R1 (serious, on display) meets the black list's first criterion."""
    (entry,) = services.propose_listings(node.engine, subject_id, f"system@{node.node_id}")
    return entry.entry_id


def black_list(node: Node, subject_id: str) -> str:
    """A listing through its whole workflow: proposed, decided, published, a measure executed."""
    entry_id = propose_black_list(node, subject_id)
    officer = f"officer@{node.node_id}"
    today = china_date(utc_now())
    decision = Decision(
        "某市市场监督管理局", "发改财金〔2016〕2794号 §十九", "某市监〔2026〕7号", today
    )
    services.decide_listing(node.engine, entry_id, decision, officer)
    services.publish_listing(node.engine, entry_id, officer)
    services.report_execution(
        node.engine, entry_id, "shield_shop", "platform", "工单 2026-17 / ticket 2026-17", officer
    )
    return entry_id


def lift_after_repair(node: Node, entry_id: str) -> None:
    services.remove_listing(
        node.engine,
        entry_id,
        "repair",
        "信用修复决定 2026-015 / repair decision 2026-015",
        f"officer@{node.node_id}",
    )


def evaluate(
    node: Node, scores: dict[str, tuple[float, str, str]], as_of: date = AS_OF, model: str = MODEL
) -> None:
    """What `ecredit evaluate run` stores — subject → (score, grade, risk class) — without
    computing it from a world."""
    with node.engine.begin() as conn:
        run_id = new_run(conn, as_of, len(scores), model)
        conn.execute(
            evaluation_result.insert(),
            [
                {
                    "run_id": run_id,
                    "subject_id": subject_id,
                    "subject_type": "merchant",
                    "score": score,
                    "grade": grade,
                    "risk_class": risk_class,
                    "overrides": "",
                    "reasons_zh": "负面信用记录；投诉率",
                    "reasons_en": "Negative credit records; Complaint rate",
                }
                for subject_id, (score, grade, risk_class) in scores.items()
            ],
        )


def run_cli(node: Node, group: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, as an operator on that node would run it."""
    assert group in CLIS
    code = f"from ecredit.cli.exchange import {group}_app as app; app(prog_name='ecredit {group}')"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=node.env,
        cwd=node.home,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def invoke(node: Node, group: str, *args: str) -> Result:
    """The same command in this process, when a separate one proves nothing more."""
    app = {"exchange": exchange_app, "audit": audit_app, "consents": consents_app}[group]
    return CliRunner(env=node.settings).invoke(app, list(args))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(node: Node) -> Iterator[str]:
    """`ecredit exchange serve` in a real process on loopback; its log is kept on the node."""
    port = _free_port()
    log = node.home / f"server-{port}.log"
    node.logs.append(log)
    code = "from ecredit.cli.exchange import exchange_app as app; app(prog_name='ecredit exchange')"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=node.env,
            cwd=node.home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"node server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/exchange/v1/node", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"node server did not start:\n{log.read_text()}")


def snapshot(engine: sa.Engine, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, to show an operation changed nothing."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(sa.select(table))), key=repr)
            for name, table in reflected.tables.items()
            if name not in skip
        }
