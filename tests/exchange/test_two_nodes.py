"""Two real node processes on loopback: a platform node and a regulator node exchange records,
a correction, a repair and a withdrawal, a black-list entry and evaluations; tampered batches
are refused and change nothing.

Pushes and pulls run as separate processes against a served node, as operators would run
them; file imports run in-process, where a separate process would prove nothing more."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ecredit.audit.log import canonical
from ecredit.exchange.http import (
    BATCHES_PATH,
    DATE_HEADER,
    NODE_HEADER,
    NODE_PATH,
    SIGNATURE_HEADER,
    request_message,
    signed_headers,
)
from ecredit.exchange.node import init_node
from ecredit.exchange.view import public_view
from ecredit.governance import services
from ecredit.storage.evaluations import evaluation_run
from ecredit.storage.exchange import exchange_statement
from ecredit.storage.governance import governance_case
from tests.exchange import nodes
from tests.ingest import world

AUDIT_TABLES = ("access_log", "access_log_head")
pytestmark = pytest.mark.slow


@pytest.fixture
def platform_and_regulator(
    tmp_path: Path, db_url: str, second_db_url: str
) -> tuple[nodes.Node, nodes.Node]:
    a, b = nodes.platform_and_receiver(
        tmp_path, db_url, second_db_url, ("platform-a", "regulator-b")
    )
    nodes.trust(a, b)
    return a, b


def shown_ids(node: nodes.Node) -> list[str]:
    return [r["record_id"] for r in public_view(node.engine)["records"]]


def shown_from(node: nodes.Node, origin: str | None) -> dict[str, list[dict]]:
    """The public view, after checking every listing and evaluation in it came from `origin`."""
    view = public_view(node.engine)
    for said in (*view["list_entries"], *view["evaluations"]):
        assert said.pop("origin") == origin, said
    return view


def held(node: nodes.Node, object_type: str) -> list[dict]:
    """What the node holds from peers, newest statement last."""
    query = (
        sa.select(exchange_statement.c.payload)
        .where(exchange_statement.c.object_type == object_type)
        .order_by(exchange_statement.c.id)
    )
    with node.engine.connect() as conn:
        return [json.loads(p) for p in conn.execute(query).scalars()]


def local_rows(node: nodes.Node) -> tuple[int, int]:
    """Listings and evaluation runs of the node's own: what a peer's must never become. (A
    peer's black-list entry does open a risk warning here, which is the node's own alert.)"""
    own_listings = governance_case.c.workflow == "list_entry"
    with node.engine.connect() as conn:
        count = sa.select(sa.func.count())
        return (
            conn.execute(count.select_from(governance_case).where(own_listings)).scalar_one(),
            conn.execute(count.select_from(evaluation_run)).scalar_one(),
        )


def test_records_corrections_and_repairs_flow_to_the_regulator(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    with nodes.serving(b) as b_url:
        pushed = nodes.run_cli(a, "exchange", "push", "--to", b_url)
        assert pushed.returncode == 0, pushed.stderr
        assert public_view(b.engine) == public_view(a.engine)
        assert shown_ids(b) == ["R1", "R2", "R3"]

        nodes.ingest_rows(a, "records", [nodes.CORRECTION])
        nodes.set_status(a, "R2", "repaired", "信用修复决定 / repair decided")
        pushed = nodes.run_cli(a, "exchange", "push", "--to", b_url)
        assert pushed.returncode == 0, pushed.stderr
        assert public_view(b.engine) == public_view(a.engine)
        assert shown_ids(b) == ["R1C", "R3"]

    with nodes.serving(a) as a_url:
        pulled = nodes.run_cli(b, "exchange", "pull", "--from", a_url)
        assert pulled.returncode == 0, pulled.stderr
        assert "没有新的数据 / nothing new" in pulled.stdout
        nodes.set_status(a, "R3", "withdrawn", "承诺撤回 / commitment withdrawn")
        pulled = nodes.run_cli(b, "exchange", "pull", "--from", a_url)
        assert pulled.returncode == 0, pulled.stderr

    assert public_view(b.engine) == public_view(a.engine)
    assert shown_ids(b) == ["R1C"]
    audit = nodes.invoke(b, "audit", "verify")
    assert audit.exit_code == 0, audit.output


def test_a_listing_and_evaluations_flow_to_the_regulator_as_the_platforms(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    entry_id = nodes.black_list(a, "M1")
    nodes.evaluate(a, {"M1": (512.25, "D", "D"), "M2": (688.0, "A", "B")})
    with nodes.serving(b) as b_url:
        pushed = nodes.run_cli(a, "exchange", "push", "--to", b_url)
        assert pushed.returncode == 0, pushed.stderr
        assert shown_from(b, "platform-a") == shown_from(a, None)
        (listed,) = public_view(b.engine)["list_entries"]
        assert (listed["entry_id"], listed["status"], listed["decided_by"]) == (
            entry_id,
            "published",
            "某市市场监督管理局",
        )
        assert [m["measure"] for m in listed["measures_executed"]] == ["shield_shop"]
        applied = services.measures_for(b.engine, "M1")  # 联合惩戒: A's listing, B's measures
        assert {(m.entry_id, m.origin.node_id if m.origin else None) for m in applied} == {
            (entry_id, "platform-a")
        }
        assert "more_inspections" in {m.measure for m in applied}
        assert len(services.list_warnings(b.engine, "M1", "list_entry")) == 1
        assert [(e["subject_id"], e["score"]) for e in public_view(b.engine)["evaluations"]] == [
            ("M1", "512.25"),
            ("M2", "688.00"),
        ]

        nodes.lift_after_repair(a, entry_id)
        nodes.evaluate(a, {"M1": (601.5, "B", "C")})
        pushed = nodes.run_cli(a, "exchange", "push", "--to", b_url)
        assert pushed.returncode == 0, pushed.stderr

    assert shown_from(b, "platform-a") == shown_from(a, None)
    assert public_view(b.engine)["list_entries"] == []
    assert services.measures_for(b.engine, "M1") == []
    *_, lifted = held(b, "list_entry")
    assert lifted["origin"] == "platform-a"
    assert (lifted["data"]["status"], lifted["data"]["end_cause"]) == ("removed", "repair")
    assert local_rows(b) == (0, 0)


def test_reimport_changes_nothing_and_tampered_batches_store_nothing(
    platform_and_regulator: tuple[nodes.Node, nodes.Node],
) -> None:
    a, b = platform_and_regulator
    nodes.black_list(a, "M1")
    nodes.evaluate(a, {"M1": (512.25, "D", "D"), "M2": (688.0, "A", "B")})
    batch = a.home / "full.json"
    exported = nodes.invoke(a, "exchange", "export", "--out", str(batch))
    assert exported.exit_code == 0, exported.output
    (person,) = [s for s in world.SUBJECTS if s["subject_id"] == "M2"]
    for clear in (person["ric"], person["phone"]):
        assert clear.encode() not in batch.read_bytes()
    first = nodes.invoke(b, "exchange", "import", str(batch))
    assert first.exit_code == 0, first.output
    assert shown_from(b, "platform-a") == shown_from(a, None)
    assert [len(held(b, kind)) for kind in ("list_entry", "evaluation")] == [1, 2]

    before = nodes.snapshot(b.engine, AUDIT_TABLES)
    again = nodes.invoke(b, "exchange", "import", str(batch))
    assert again.exit_code == 0 and "已导入过" in again.output
    assert nodes.snapshot(b.engine, AUDIT_TABLES) == before

    raw = batch.read_bytes()
    forged = b.home / "forged.json"
    tampered = {
        "modified byte": raw.replace("刷单炒信".encode(), "虚假流量".encode(), 1),
        "modified score": raw.replace(b'"score":"512.25"', b'"score":"912.25"', 1),
        "listing lifted": raw.replace(b'"status":"published"', b'"status":"removed"', 1),
        "extra whitespace": raw.replace(b'"sequence":', b'"sequence": ', 1),
        "bad signature": _resigned_by_stranger(raw, b.home / "stranger.json"),
        "truncated": raw[:-1],
    }
    for case, content in tampered.items():
        forged.write_bytes(content)
        refused = nodes.invoke(b, "exchange", "import", str(forged))
        assert refused.exit_code == 3, (case, refused.output)
        assert "批次被拒收，未存储任何内容 / batch rejected, nothing stored" in refused.output
        assert nodes.snapshot(b.engine, AUDIT_TABLES) == before, case

    with nodes.serving(b) as b_url:
        body = tampered["modified byte"]
        response = httpx.post(
            b_url + BATCHES_PATH,
            content=body,
            headers=signed_headers(a.identity, "POST", BATCHES_PATH, body),
        )
        refusals = _unauthenticated_requests(b_url, a, b.home)
    assert response.status_code == 422
    assert "bad signature" in response.json()["detail"]
    assert refusals == [401, 403, 401, 401]
    assert nodes.snapshot(b.engine, AUDIT_TABLES) == before


def _unauthenticated_requests(url: str, a: nodes.Node, home: Path) -> list[int]:
    """No headers; a key nobody trusts; a signature over another path; a stale signature."""
    intruder = init_node("intruder", "department", home / "intruder.json")
    old = "2020-01-01T00:00:00.000000Z"
    stale = {
        NODE_HEADER: a.node_id,
        DATE_HEADER: old,
        SIGNATURE_HEADER: a.identity.sign(request_message("GET", BATCHES_PATH, old, b"")),
    }
    attempts = [
        {},
        signed_headers(intruder, "GET", BATCHES_PATH, b""),
        signed_headers(a.identity, "GET", NODE_PATH, b""),
        stale,
    ]
    return [httpx.get(url + BATCHES_PATH, headers=h).status_code for h in attempts]


def _resigned_by_stranger(raw: bytes, key_file: Path) -> bytes:
    """The same content signed by a key nobody registered, under platform-a's name."""
    stranger = init_node("platform-a", "platform", key_file)
    envelope = json.loads(raw)
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    envelope["signature"]["value"] = stranger.sign(canonical(unsigned))
    return canonical(envelope)
