"""The acceptance scenario of issue 5, end to end through the services on a real database.

brushing flagged → case confirmed → record PLT01 → score drops → black-list proposal →
decision → measures visible → objection filed and rejected → repair refused before the minimum
period → repair with commitment after it → display stops, measures lifted, score recomputed,
every step in the archive's history.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from ecredit.governance import services
from ecredit.governance.lists import Decision, ListState
from ecredit.governance.model import RecordStatus, WorkflowError
from ecredit.governance.objections import ObjectionState
from ecredit.governance.ports import DetectionCase
from ecredit.governance.repair import RepairState
from tests.governance.conftest import MERCHANT, FixedCases, RecordScore, at

CASE = DetectionCase(
    case_id="CASE-2025-001",
    subject_id=MERCHANT,
    kind="brushing",
    confirmed_on=date(2025, 1, 10),
    summary="同一设备集中下单并好评 / concentrated orders and reviews from shared devices",
    source_name="某电商平台风控中心",
)
RECORD = f"DC-{CASE.case_id}"
DECISION = Decision(
    authority="某市市场监督管理局",
    legal_basis="发改财金〔2016〕2794号 第十九条",
    document_no="某市监信〔2025〕1号",
    decided_on=date(2025, 1, 20),
)


def test_brushing_to_black_list_to_repair(world: sa.Engine, evaluator: RecordScore) -> None:
    engine = world
    baseline = evaluator.evaluate(MERCHANT, date(2025, 1, 2))
    services.note_score(engine, baseline, "baseline", at(date(2025, 1, 2)))

    # flagged and confirmed by detection → record, warnings, score drop, black-list proposal
    filed = services.sync_confirmed_cases(
        engine, FixedCases([CASE]), evaluator, date(2025, 1, 1), at(date(2025, 1, 10))
    )
    assert filed == [RECORD]
    (record,) = services.archive(engine, MERCHANT)
    assert (record.type_code, record.severity, record.decided_on) == (
        "PLT01",
        "serious",
        date(2025, 1, 10),
    )
    rules = {w.rule for w in services.list_warnings(engine, MERCHANT)}
    assert {"confirmed_case", "score_drop"} <= rules
    (proposal,) = services.listings(engine, MERCHANT)
    assert (proposal.list_code, proposal.state) == ("black_list", ListState.PROPOSED)
    assert RECORD in proposal.record_ids
    assert services.measures_for(engine, MERCHANT, date(2025, 1, 15)) == []

    # re-syncing the same case changes nothing
    assert (
        services.sync_confirmed_cases(
            engine, FixedCases([CASE]), evaluator, date(2025, 1, 1), at(date(2025, 1, 11))
        )
        == []
    )

    # decision and publication → measures visible, with the reasons
    entry = services.decide_listing(
        engine, proposal.entry_id, DECISION, "张三", at(date(2025, 1, 20))
    )
    assert entry.ends_on == date(2028, 1, 20)
    services.publish_listing(engine, entry.entry_id, "张三", at(date(2025, 1, 21)))
    measures = services.measures_for(engine, MERCHANT, date(2025, 2, 1))
    assert {"shield_shop", "freeze_account", "more_inspections"} <= {m.measure for m in measures}
    assert all(m.document_no == DECISION.document_no and "严重失信" in m.why_zh for m in measures)
    platform_side = services.measures_for(engine, MERCHANT, date(2025, 2, 1), executor="platform")
    assert "more_inspections" not in {m.measure for m in platform_side}
    services.report_execution(
        engine,
        entry.entry_id,
        "shield_shop",
        "platform",
        "工单 T-1",
        "某电商平台",
        at(date(2025, 2, 2)),
    )
    assert "list_entry" in {w.rule for w in services.list_warnings(engine, MERCHANT)}

    # objection: disputed at once, shown as disputed, then rejected (record upheld)
    objection = services.file_objection(
        engine, RECORD, MERCHANT, "error_or_omission", "订单为真实交易", now=at(date(2025, 2, 5))
    )
    assert objection.deadlines.answer_by == date(2025, 2, 25)
    (shown,) = [p for p in services.public_records(engine, MERCHANT, date(2025, 2, 6))]
    assert shown.disputed
    decided = services.decide_objection(
        engine,
        objection.objection_id,
        "upheld",
        "经核查刷单属实",
        "李四",
        evaluator,
        now=at(date(2025, 2, 20)),
    )
    assert decided.state == ObjectionState.UPHELD
    assert services.archive(engine, MERCHANT)[0].status == RecordStatus.ACTIVE

    # repair before the minimum display period (12 months for serious) is refused
    commitment = services.sign_commitment(
        engine, MERCHANT, "repair", "王五（法定代表人）", at(date(2025, 6, 3))
    )
    early, problems = services.apply_for_repair(
        engine,
        RECORD,
        commitment.commitment_id,
        True,
        "已退还刷单所得",
        "王五",
        at(date(2025, 6, 3)),
    )
    assert any("最短公示期未满" in p.zh for p in problems)
    with pytest.raises(WorkflowError):
        services.decide_repair(
            engine, early.application_id, True, "", "李四", evaluator, at(date(2025, 6, 4))
        )
    services.decide_repair(
        engine,
        early.application_id,
        False,
        "最短公示期未满",
        "李四",
        evaluator,
        at(date(2025, 6, 4)),
    )

    # after the minimum period, with obligations fulfilled and the public commitment
    application, problems = services.apply_for_repair(
        engine,
        RECORD,
        commitment.commitment_id,
        True,
        "已退还刷单所得",
        "王五",
        at(date(2026, 2, 12)),
    )
    assert problems == []
    assert application.decide_by == date(2026, 2, 24)  # make-up Saturday 14 Feb, then 春节
    repaired = services.decide_repair(
        engine,
        application.application_id,
        True,
        "准予修复",
        "李四",
        evaluator,
        at(date(2026, 2, 13)),
    )
    assert repaired.state == RepairState.APPROVED

    # display stops, the archive keeps the record, listing and measures lifted, score recomputed
    after = date(2026, 2, 14)
    assert RECORD not in {p.record_id for p in services.public_records(engine, MERCHANT, after)}
    kept = {r.record_id: r for r in services.archive(engine, MERCHANT)}
    assert kept[RECORD].status == RecordStatus.REPAIRED
    assert services.measures_for(engine, MERCHANT, after) == []
    (lifted,) = services.listings(engine, MERCHANT)
    assert (lifted.state, lifted.end_cause) == (ListState.REMOVED, "repair")
    history = services.history(engine, MERCHANT)
    scores = [item.detail["score"] for item in history if item.workflow == "evaluation"]
    assert scores == [820, 520, 820]

    steps = {(item.on, item.label.split(" / ")[0]) for item in history}
    assert history == sorted(history, key=lambda item: item.at)
    expected = [
        (date(2025, 1, 10), "登记信用记录"),
        (date(2025, 1, 10), "确认操纵信用案件"),
        (date(2025, 1, 10), "产生预警"),
        (date(2025, 1, 10), "重新评价"),
        (date(2025, 1, 10), "提出列入名单"),
        (date(2025, 1, 20), "作出列入决定"),
        (date(2025, 1, 21), "公示名单"),
        (date(2025, 2, 2), "措施已执行"),
        (date(2025, 2, 5), "提出异议（记录标注为异议中）"),
        (date(2025, 2, 5), "记录状态：异议处理中"),
        (date(2025, 2, 20), "异议不成立，维持原记录"),
        (date(2025, 2, 20), "记录状态：有效"),
        (date(2025, 6, 3), "签署信用承诺"),
        (date(2025, 6, 3), "申请信用修复"),
        (date(2025, 6, 4), "不予信用修复"),
        (date(2026, 2, 12), "申请信用修复"),
        (date(2026, 2, 13), "准予信用修复"),
        (date(2026, 2, 13), "记录状态：已修复"),
        (date(2026, 2, 13), "提前移出名单"),
        (date(2026, 2, 13), "重新评价"),
    ]
    assert [step for step in expected if step not in steps] == []
