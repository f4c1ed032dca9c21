"""Warnings and their delivery, public notices, commitments and real-name re-verification."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from ecredit.governance import services, warnings
from ecredit.governance.model import WorkflowError
from ecredit.governance.ports import Score
from ecredit.governance.services.evaluation import latest_score
from ecredit.governance.verification import VerificationState, change_deadlines
from ecredit.storage import governance as store
from tests.governance.conftest import MERCHANT, RecordScore, at


def _score(value: float, day: date = date(2025, 3, 1)) -> Score:
    return Score(MERCHANT, value, "", day, "t")


def test_score_drop_rule() -> None:
    assert warnings.score_drop(None, _score(500)) is None
    assert warnings.score_drop(_score(800), _score(751)) is None
    alert = warnings.score_drop(_score(800), _score(750))
    assert (
        alert is not None
        and alert.warning_id == warnings.score_drop(_score(800), _score(750)).warning_id
    )


class Collecting:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.fail = fail

    def send(self, audience: str, alert: dict[str, object]) -> None:
        if self.fail:
            raise ConnectionError("down")
        self.sent.append((audience, alert))


def test_delivery_once_per_audience_and_retried_after_failure(world: sa.Engine) -> None:
    services.note_score(world, _score(800), "t", at(date(2025, 3, 1)))
    services.note_score(world, _score(600, date(2025, 3, 2)), "t", at(date(2025, 3, 2)))
    with pytest.raises(ConnectionError):
        services.deliver_warnings(world, Collecting(fail=True))
    ok = Collecting()
    assert services.deliver_warnings(world, ok, at(date(2025, 3, 3))) == 2
    assert {a for a, _ in ok.sent} == {"platform", "regulator"}
    assert ok.sent[0][1]["rule"] == "score_drop"
    assert services.deliver_warnings(world, ok) == 0


def test_public_notice_expires_and_can_be_withdrawn(world: sa.Engine) -> None:
    services.note_score(world, _score(800), "t", at(date(2025, 3, 1)))
    services.note_score(world, _score(600, date(2025, 3, 2)), "t", at(date(2025, 3, 2)))
    (w,) = services.list_warnings(world, MERCHANT)
    assert services.public_notices(world, date(2025, 3, 2)) == []
    w = services.publish_notice(world, w.warning_id, "监管员", at(date(2025, 3, 2)))
    assert w.notice_until == date(2025, 5, 31)
    assert [n.warning_id for n in services.public_notices(world, date(2025, 5, 30))] == [
        w.warning_id
    ]
    assert services.public_notices(world, date(2025, 5, 31)) == []
    with pytest.raises(WorkflowError):
        services.publish_notice(world, w.warning_id, "监管员", at(date(2025, 3, 3)))
    services.withdraw_notice(world, w.warning_id, "已整改", "监管员", at(date(2025, 3, 4)))
    assert services.public_notices(world, date(2025, 3, 5)) == []


def test_webhook_notifier_posts_json() -> None:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/alerts"
    services.WebhookNotifier({"platform": url}).send("platform", {"rule": "score_drop"})
    server.server_close()
    assert received == [{"audience": "platform", "rule": "score_drop"}]


def test_commitment_is_public_record_and_breach_becomes_dishonesty(
    world: sa.Engine, evaluator: RecordScore
) -> None:
    c = services.sign_commitment(
        world, MERCHANT, "product_quality", "法定代表人", at(date(2025, 3, 1))
    )
    assert c.text_zh.startswith("某网店经营者承诺")
    with pytest.raises(WorkflowError):
        services.sign_commitment(world, MERCHANT, "made_up", "x", at(date(2025, 3, 1)))
    shown = services.public_records(world, MERCHANT, date(2025, 3, 2))
    assert [p.type_code for p in shown] == ["CMT01"]
    c = services.breach_commitment(
        world,
        c.commitment_id,
        "销售不合格商品",
        date(2025, 4, 1),
        "平台",
        evaluator,
        at(date(2025, 4, 2)),
    )
    (breach,) = c.breaches
    types = {r.record_id: r.type_code for r in services.archive(world, MERCHANT)}
    assert types[breach.record_id] == "CMT02"
    assert evaluator.calls == [(MERCHANT, date(2025, 4, 2))]
    assert [x.commitment_id for x in services.list_commitments(world, MERCHANT)] == [
        c.commitment_id
    ]


def test_reverification_every_180_days_and_failure_warns(world: sa.Engine) -> None:
    assert services.verification_status(world, MERCHANT, date(2025, 1, 1)).state == "never"
    s = services.record_verification(
        world, MERCHANT, True, "营业执照核验", "平台", at(date(2025, 1, 24))
    )
    assert (s.state, s.next_due) == (VerificationState.VERIFIED, date(2025, 7, 23))
    assert services.due_for_reverification(world, date(2025, 7, 22)) == []
    assert services.due_for_reverification(world, date(2025, 7, 23)) == [MERCHANT]
    failed = services.record_verification(
        world, MERCHANT, False, "人脸核验", "平台", at(date(2025, 7, 23))
    )
    assert failed.state == VerificationState.FAILED and failed.zh == "实名核验未通过"
    assert not failed.publicly_verified
    assert [w.rule for w in services.list_warnings(world, MERCHANT)] == ["verification_failed"]


def test_identity_change_clocks() -> None:
    d = change_deadlines(date(2025, 1, 24))
    # submit by 5 Feb; verify 7 working days later, the make-up Saturday 8 Feb included
    assert (d.submit_by, d.verify_by) == (date(2025, 2, 5), date(2025, 2, 13))
    assert change_deadlines(date(2025, 1, 24), date(2025, 1, 27)).verify_by == date(2025, 2, 12)


def test_verification_of_unknown_subject_is_refused(world: sa.Engine) -> None:
    with pytest.raises(KeyError):
        services.record_verification(world, "nobody", True, "x", "y")


def _run(world: sa.Engine, scores: list[Score], day: date) -> int:
    return services.note_scores(world, scores, f"run {day}", at(day))


def _evaluated_events(world: sa.Engine) -> list[float]:
    with world.connect() as conn:
        case = store.load_case(conn, "evaluation", MERCHANT)
    return [] if case is None else [e.data["score"] for e in case.events if e.name == "evaluated"]


def test_batch_scores_answer_the_queue_keep_only_moves_and_warn_on_drops(
    world: sa.Engine,
) -> None:
    services.reevaluate(world, None, MERCHANT, "objection O1", at(date(2025, 3, 1)))
    assert services.pending_reevaluations(world) == [MERCHANT]
    assert _run(world, [_score(800)], date(2025, 3, 2)) == 0
    assert services.pending_reevaluations(world) == []
    assert _run(world, [_score(800, date(2025, 3, 3))], date(2025, 3, 3)) == 0
    assert _evaluated_events(world) == [800]
    assert _run(world, [_score(760, date(2025, 3, 4))], date(2025, 3, 4)) == 0
    assert _run(world, [_score(700, date(2025, 3, 5))], date(2025, 3, 5)) == 1
    assert _evaluated_events(world) == [800, 760, 700]
    (warning,) = services.list_warnings(world, MERCHANT, "score_drop")
    assert "760 → 700" in warning.zh
    with world.connect() as conn:
        assert latest_score(conn, MERCHANT) == _score(700, date(2025, 3, 5))
    services.reevaluate(world, None, MERCHANT, "repair R1", at(date(2025, 3, 6)))
    _run(world, [_score(700, date(2025, 3, 7))], date(2025, 3, 7))
    assert services.pending_reevaluations(world) == []
    assert _evaluated_events(world) == [800, 760, 700, 700]
