"""Governance commands: calendar, lists and measures, objections, repair, commitments,
complaints, warnings and retention — thin wrappers over `ecredit.governance.services`.

Steps that change a record re-evaluate the subject. A full evaluation is a batch over every
subject, too heavy for one step, so they pass no evaluator: the subject is queued, and the next
`ecredit evaluate run` answers the queue (`services.note_scores`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, ParamSpec, TypeVar

import sqlalchemy as sa
import typer
from rich.table import Table

from ecredit.cli.common import EXIT_UNUSABLE, DbOption, console, err_console
from ecredit.governance import services
from ecredit.governance.clocks import deadline, stored_deadline_note
from ecredit.governance.lists import Decision, ListEntry
from ecredit.governance.model import CHINA, WorkflowError, china_date, utc_now
from ecredit.governance.peer_lists import Origin, PeerListing
from ecredit.governance.policy import Label, load_policy
from ecredit.governance.ports import DetectionCase
from ecredit.governance.workdays import CalendarNotCovered, count_workdays
from ecredit.storage import governance as store
from ecredit.storage.database import connect, migrate

P = ParamSpec("P")
R = TypeVar("R")

Actor = Annotated[str, typer.Option("--by", help="经办人 / acting person or body")]
OnDate = Annotated[
    str | None, typer.Option("--date", help="日期 / date, YYYY-MM-DD (默认今天 default today)")
]


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Turn refused actions and unknown ids into a clear bilingual message and exit code 2."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (WorkflowError, LookupError, CalendarNotCovered, ValueError) as exc:
            err_console.print(f"[red]无法执行 / refused:[/red] {exc}")
            raise typer.Exit(EXIT_UNUSABLE) from exc

    return run


def _engine(db: str | None) -> sa.Engine:
    engine = connect(db)
    migrate(engine)
    return engine


def _day(text: str | None) -> date:
    if text is None:
        return china_date(utc_now())
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD: {text}") from exc


def _table(title: str, headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _due(day: date | None, note: Label | None) -> str | date | None:
    """A deadline cell: the date, with the provisional warning under it when it has one."""
    return day if day is None or note is None else f"{day}\n{note.zh}"


def _explain_provisional(notes: Iterable[Label | None]) -> None:
    """Spell out each provisional warning of a table once, in both languages, on stderr, so
    a clerk sees it and a script reading the table is not disturbed."""
    for note in dict.fromkeys(n for n in notes if n is not None):
        err_console.print(f"[yellow]{note.zh} / {note.en}[/yellow]")


# --- calendar -------------------------------------------------------------------------------

calendar_app = typer.Typer(help="工作日历与法定时限 / working-day calendar and legal clocks")


@calendar_app.command("add-workdays")
@handled
def add_workdays_command(
    start: Annotated[str, typer.Argument(help="起算日期 / start date, YYYY-MM-DD")],
    n: Annotated[int, typer.Argument(help="工作日数 / working days")],
) -> None:
    """打印起算日后第 N 个工作日 / Print the date N working days after DATE (ISO).

    A date counted over a year whose holiday notice is not yet known is provisional: the
    warning goes to stderr, so stdout stays the bare date."""
    counted = count_workdays(_day(start), n)
    console.print(counted.day.isoformat())
    _explain_provisional([counted.note])


@calendar_app.command("deadlines")
@handled
def deadlines_command(
    start: Annotated[str, typer.Argument(help="起算日期 / start date, YYYY-MM-DD")],
) -> None:
    """列出自该日起算的全部法定时限 / Every legal clock started on DATE."""
    rows, notes = [], []
    for name in load_policy().clocks:
        d = deadline(name, _day(start))
        due = _due(d.due_on, d.note_for(d.due_on))
        extended = None if d.extended_to is None else _due(d.extended_to, d.note_for(d.extended_to))
        rows.append((d.zh, name, due, extended, f"{d.source} [{d.confidence}]"))
        notes.append(d.note_for(d.extended_to or d.due_on))
    headers = ("时限 clock", "代码 code", "届满 due", "延长至 extended", "依据 source")
    _table(f"法定时限 / clocks from {start}", headers, rows)
    _explain_provisional(notes)


# --- lists and measures ----------------------------------------------------------------------

lists_app = typer.Typer(help="红黑名单与联合奖惩措施 / red and black lists, joint measures")


THIS_NODE = "本节点 / this node"


def _origin(origin: Origin | None) -> str:
    return THIS_NODE if origin is None else f"{origin.name} ({origin.node_id})"


def _print_entries(
    entries: Iterable[ListEntry], peers: Iterable[PeerListing] | None = None
) -> None:
    """The listings as a table. With `peers` (`lists show`), trusted peers' listings in force
    follow this node's own under a 来源 origin column naming the peer, so a clerk never takes
    a peer's decision for one of this node's, which they could act on."""
    policy = load_policy()

    def row(e: ListEntry) -> list[Any]:
        found = policy.lists.get(e.list_code)
        return [
            e.entry_id,
            e.subject_id,
            found.zh if found else e.list_code,
            e.state,
            e.decision.document_no if e.decision else None,
            e.ends_on,
            "；".join(r.zh for r in e.reasons),
        ]

    headers = [
        "编号 id",
        "主体 subject",
        "名单 list",
        "状态 state",
        "文书 document",
        "届满 ends",
        "依据 reasons",
    ]
    if peers is None:
        _table("名单 / listings", headers, [row(e) for e in entries])
        return

    def authority(e: ListEntry) -> str | None:
        return e.decision.authority if e.decision else None

    rows = [[*row(e), _origin(None), authority(e)] for e in entries]
    rows += [[*row(p.entry), _origin(p.origin), authority(p.entry)] for p in peers]
    _table("名单 / listings", [*headers, "来源 origin", "决定机关 authority"], rows)


@lists_app.command("scan")
@handled
def lists_scan(subject: str, by: Actor = "ecredit", db: DbOption = None) -> None:
    """按名单标准提出列入建议 / Propose listings whose criteria the subject meets today."""
    _print_entries(services.propose_listings(_engine(db), subject, by))


@lists_app.command("decide")
@handled
def lists_decide(
    entry: str,
    authority: Annotated[str, typer.Option(help="决定机关 / deciding authority")],
    basis: Annotated[str, typer.Option(help="法律依据 / legal basis")],
    document: Annotated[str, typer.Option(help="决定文书号 / decision document number")],
    by: Actor,
    on: OnDate = None,
    db: DbOption = None,
) -> None:
    """作出列入决定 / Decide a proposed listing."""
    decision = Decision(authority, basis, document, _day(on))
    _print_entries([services.decide_listing(_engine(db), entry, decision, by)])


@lists_app.command("reject")
@handled
def lists_reject(entry: str, reason: str, by: Actor, db: DbOption = None) -> None:
    """不予列入 / Reject a proposed listing."""
    _print_entries([services.reject_listing(_engine(db), entry, reason, by)])


@lists_app.command("publish")
@handled
def lists_publish(entry: str, by: Actor, db: DbOption = None) -> None:
    """公示名单 / Publish a decided listing."""
    _print_entries([services.publish_listing(_engine(db), entry, by)])


@lists_app.command("remove")
@handled
def lists_remove(
    entry: str,
    cause: Annotated[str, typer.Option(help="原因 / cause: request, repair, correction, court")],
    reason: str,
    by: Actor,
    db: DbOption = None,
) -> None:
    """提前移出名单 / Remove a listing early."""
    _print_entries([services.remove_listing(_engine(db), entry, cause, reason, by)])


@lists_app.command("show")
@handled
def lists_show(
    subject: Annotated[str | None, typer.Option(help="信用主体 / subject")] = None,
    list_code: Annotated[str | None, typer.Option("--list", help="名单 / list code")] = None,
    db: DbOption = None,
) -> None:
    """查看名单 / Show listings: this node's own, then trusted peers' in force, with origin."""
    engine = _engine(db)
    _print_entries(
        services.listings(engine, subject, list_code),
        services.peer_listings_in_force(engine, subject, list_code),
    )


@lists_app.command("measures")
@handled
def lists_measures(
    subject: str,
    executor: Annotated[
        str | None, typer.Option(help="执行方 / executor: platform or department")
    ] = None,
    on: OnDate = None,
    db: DbOption = None,
) -> None:
    """该主体当日适用的措施及理由 / Measures that apply to the subject today, and why."""
    found = services.measures_for(_engine(db), subject, _day(on), executor)
    rows = [
        (
            m.zh,
            m.measure,
            "/".join(m.executors),
            _origin(m.origin),
            m.document_no,
            m.until,
            m.why_zh,
        )
        for m in found
    ]
    headers = (
        "措施 measure",
        "代码 code",
        "执行方 executor",
        "来源 origin",
        "文书 document",
        "至 until",
        "理由 why",
    )
    _table(f"{subject} 适用措施 / measures in force", headers, rows)


@lists_app.command("executed")
@handled
def lists_executed(
    entry: str,
    measure: str,
    executor: Annotated[str, typer.Option(help="platform or department")],
    reference: Annotated[str, typer.Option(help="执行凭证 / reference")],
    by: Actor,
    db: DbOption = None,
) -> None:
    """报告措施已执行 / Report that a measure was executed."""
    services.report_execution(_engine(db), entry, measure, executor, reference, by)
    console.print("[green]已记录 / recorded[/green]")


@lists_app.command("expire")
@handled
def lists_expire(db: DbOption = None) -> None:
    """记录期满的名单和公示期满的记录 / Record listings and records whose period ended."""
    listings, records = services.close_expired(_engine(db))
    console.print(f"名单期满 / listings expired: {listings}; 记录期满 / records expired: {records}")


# --- objections -----------------------------------------------------------------------------

objections_app = typer.Typer(help="异议处理 / objections")


def _print_objections(found: Iterable[Any]) -> None:
    found = list(found)
    notes = [o.deadlines.note_for(o.answer_due) for o in found]
    rows = [
        (
            o.objection_id,
            o.record_id,
            o.filed_by,
            o.grounds,
            o.deadlines.profile,
            _due(o.answer_due, note),
            o.state,
            o.answer,
        )
        for o, note in zip(found, notes, strict=True)
    ]
    headers = (
        "编号 id",
        "记录 record",
        "异议人 filer",
        "理由 grounds",
        "规则 profile",
        "答复期限 due",
        "状态 state",
        "答复 answer",
    )
    _table("异议 / objections", headers, rows)
    _explain_provisional(notes)


@objections_app.command("file")
@handled
def objections_file(
    record: str,
    grounds: Annotated[str, typer.Option(help="error_or_omission, published_beyond_period, …")],
    text: Annotated[str, typer.Option(help="异议内容 / statement")],
    by: Actor,
    profile: Annotated[str | None, typer.Option(help="national, shenzhen, shanghai")] = None,
    db: DbOption = None,
) -> None:
    """提出异议，记录即时标注 / File an objection; the record is marked disputed at once."""
    _print_objections([services.file_objection(_engine(db), record, by, grounds, text, profile)])


@objections_app.command("decide")
@handled
def objections_decide(
    objection: str,
    outcome: Annotated[str, typer.Option(help="upheld（维持）or corrected（更正）")],
    answer: Annotated[str, typer.Option(help="答复 / answer to the filer")],
    by: Actor,
    change: Annotated[
        list[str] | None, typer.Option(help="更正字段 / corrected field, name=value")
    ] = None,
    db: DbOption = None,
) -> None:
    """办结异议 / Decide an objection."""
    changes = dict(item.split("=", 1) for item in change or [])
    _print_objections(
        [services.decide_objection(_engine(db), objection, outcome, answer, by, None, changes)]
    )


@objections_app.command("extend")
@handled
def objections_extend(objection: str, reason: str, by: Actor, db: DbOption = None) -> None:
    """延长办理期限 / Extend the answer period where the profile allows it."""
    _print_objections([services.extend_objection(_engine(db), objection, reason, by)])


@objections_app.command("show")
@handled
def objections_show(
    subject: Annotated[str | None, typer.Option(help="信用主体 / subject")] = None,
    db: DbOption = None,
) -> None:
    """查看异议 / Show objections."""
    _print_objections(services.list_objections(_engine(db), subject))


# --- repair and commitments ---------------------------------------------------------------

repair_app = typer.Typer(help="信用修复 / credit repair")


def _print_repairs(found: Iterable[Any]) -> None:
    found = list(found)
    notes = [
        stored_deadline_note("repair_decision", china_date(a.applied_at), a.decide_by)
        for a in found
    ]
    rows = [
        (
            a.application_id,
            a.record_id,
            a.commitment_id,
            _due(a.decide_by, note),
            a.state,
            a.answer,
        )
        for a, note in zip(found, notes, strict=True)
    ]
    headers = (
        "编号 id",
        "记录 record",
        "承诺 commitment",
        "决定期限 decide by",
        "状态 state",
        "答复 answer",
    )
    _table("信用修复 / repair", headers, rows)
    _explain_provisional(notes)


@repair_app.command("apply")
@handled
def repair_apply(
    record: str,
    commitment: Annotated[str, typer.Option(help="信用修复承诺编号 / repair commitment id")],
    evidence: Annotated[str, typer.Option(help="履行义务的证明 / evidence of obligations met")],
    by: Actor,
    fulfilled: Annotated[
        bool, typer.Option("--fulfilled/--not-fulfilled", help="已履行义务 / obligations met")
    ] = True,
    db: DbOption = None,
) -> None:
    """申请信用修复 / Apply for repair of a record."""
    application, problems = services.apply_for_repair(
        _engine(db), record, commitment, fulfilled, evidence, by
    )
    _print_repairs([application])
    for p in problems:
        console.print(f"[yellow]尚不符合 / not yet met:[/yellow] {p.zh} / {p.en}")


@repair_app.command("decide")
@handled
def repair_decide(
    application: str,
    answer: Annotated[str, typer.Option(help="答复 / answer")],
    by: Actor,
    approve: Annotated[bool, typer.Option("--approve/--refuse", help="准予或不予")] = True,
    db: DbOption = None,
) -> None:
    """作出修复决定 / Decide a repair application."""
    _print_repairs([services.decide_repair(_engine(db), application, approve, answer, by, None)])


@repair_app.command("show")
@handled
def repair_show(
    subject: Annotated[str | None, typer.Option(help="信用主体 / subject")] = None,
    db: DbOption = None,
) -> None:
    """查看修复申请 / Show repair applications."""
    _print_repairs(services.list_repairs(_engine(db), subject))


commitments_app = typer.Typer(help="信用承诺 / credit commitments")


@commitments_app.command("sign")
@handled
def commitments_sign(
    subject: str,
    template: Annotated[str, typer.Option(help="legal_compliance, truthful_information, …")],
    by: Actor,
    db: DbOption = None,
) -> None:
    """按标准模板作出信用承诺 / Sign a commitment in a standard template."""
    c = services.sign_commitment(_engine(db), subject, template, by)
    console.print(f"{c.commitment_id}  {c.text_zh}\n{c.text_en}")


@commitments_app.command("breach")
@handled
def commitments_breach(
    commitment: str,
    description: str,
    by: Actor,
    on: OnDate = None,
    db: DbOption = None,
) -> None:
    """记录违反承诺（形成失信记录）/ Record a breach, which files a dishonesty record."""
    c = services.breach_commitment(_engine(db), commitment, description, _day(on), by, None)
    console.print(f"{c.commitment_id}: {len(c.breaches)} 次违诺 / breaches")


# --- complaints -----------------------------------------------------------------------------

complaints_app = typer.Typer(help="投诉举报 / complaints and reports")


def _print_complaint(c: Any) -> None:
    rows = [(c.complaint_id, c.nature, c.target_id, c.category, c.state, c.outcome, c.duplicates)]
    headers = (
        "编号 id",
        "性质 nature",
        "被投诉 target",
        "类别 category",
        "状态 state",
        "结果 outcome",
        "重复 duplicates",
    )
    _table("投诉举报 / complaint", headers, rows)


@complaints_app.command("file")
@handled
def complaints_file(
    channel: Annotated[str, typer.Option(help="12312, 12315, 12318, 12358, 12365, platform")],
    target: Annotated[str, typer.Option(help="被投诉主体 / subject complained about")],
    category: Annotated[str, typer.Option(help="quality, counterfeit, …")],
    complainant: Annotated[str | None, typer.Option(help="投诉人 / complainant")] = None,
    order: Annotated[str | None, typer.Option(help="订单 / order")] = None,
    text: Annotated[str | None, typer.Option(help="内容 / text")] = None,
    db: DbOption = None,
) -> None:
    """登记投诉举报（自动去重）/ File a complaint or report (de-duplicated)."""
    intake = services.ComplaintIntake(channel, target, category, complainant, None, order, text)
    filed = services.file_complaint(_engine(db), intake)
    note = "重复投诉，已并入 / duplicate of" if filed.duplicate else "已登记 / filed"
    console.print(f"{note} {filed.complaint_id}")


@complaints_app.command("step")
@handled
def complaints_step(
    complaint: str,
    step: Annotated[
        str, typer.Argument(help="accepted, refused, mediation_started, resolved, closed")
    ],
    by: Actor,
    reason: Annotated[str | None, typer.Option(help="不予受理理由 / refusal reason")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="upheld, rejected, withdrawn, mediated")
    ] = None,
    db: DbOption = None,
) -> None:
    """办理步骤 / A handling step."""
    data = {k: v for k, v in (("reason", reason), ("outcome", outcome)) if v}
    _print_complaint(services.handle_complaint(_engine(db), complaint, step, by, **data))


@complaints_app.command("compensate")
@handled
def complaints_compensate(
    complaint: str,
    amount: Annotated[str, typer.Argument(help="金额（元）/ amount in CNY")],
    payer: Annotated[str, typer.Option(help="先行赔付方 / paying platform")],
    by: Actor,
    db: DbOption = None,
) -> None:
    """记录先行赔付 / Record a first compensation by the platform."""
    _print_complaint(services.compensate(_engine(db), complaint, Decimal(amount), payer, by))


@complaints_app.command("overdue")
@handled
def complaints_overdue(on: OnDate = None, db: DbOption = None) -> None:
    """超期未办的投诉举报 / Complaints past a handling deadline."""
    found = services.overdue_complaints(_engine(db), _day(on))
    late = [(c, d, d.note_for(d.due_on)) for c, ds in found for d in ds]
    rows = [(c.complaint_id, c.target_id, d.zh, _due(d.due_on, note)) for c, d, note in late]
    _table("超期 / overdue", ("编号 id", "被投诉 target", "时限 clock", "届满 due"), rows)
    _explain_provisional(note for _, _, note in late)


@complaints_app.command("surges")
@handled
def complaints_surges(db: DbOption = None) -> None:
    """检测投诉激增并预警 / Raise warnings for complaint surges."""
    found = services.scan_complaint_surges(_engine(db))
    _table(
        "投诉激增 / surges",
        ("预警 warning", "主体 subject", "说明"),
        [(w.warning_id, w.subject_id, w.zh) for w in found],
    )


# --- warnings -------------------------------------------------------------------------------

warnings_app = typer.Typer(help="风险预警与风险提示 / risk warnings and public notices")


@warnings_app.command("show")
@handled
def warnings_show(
    subject: Annotated[str | None, typer.Option(help="信用主体 / subject")] = None,
    db: DbOption = None,
) -> None:
    """查看预警 / Show warnings."""
    found = services.list_warnings(_engine(db), subject)
    rows = [
        (
            w.warning_id,
            w.subject_id,
            w.rule,
            w.level,
            w.zh,
            ",".join(sorted(w.delivered_to)),
            w.notice_until,
        )
        for w in found
    ]
    headers = (
        "编号 id",
        "主体 subject",
        "规则 rule",
        "级别 level",
        "说明",
        "已推送 delivered",
        "提示至 notice until",
    )
    _table("风险预警 / warnings", headers, rows)


@warnings_app.command("publish")
@handled
def warnings_publish(warning: str, by: Actor, db: DbOption = None) -> None:
    """发布风险提示 / Publish a public risk notice for a warning."""
    w = services.publish_notice(_engine(db), warning, by)
    console.print(f"{w.warning_id}: {w.notice_from} — {w.notice_until}")


@warnings_app.command("withdraw")
@handled
def warnings_withdraw(warning: str, reason: str, by: Actor, db: DbOption = None) -> None:
    """撤回风险提示 / Withdraw a public risk notice."""
    services.withdraw_notice(_engine(db), warning, reason, by)
    console.print("[green]已撤回 / withdrawn[/green]")


@warnings_app.command("deliver")
@handled
def warnings_deliver(
    platform_url: Annotated[str, typer.Option(help="平台接收地址 / platform webhook URL")],
    regulator_url: Annotated[str, typer.Option(help="监管接收地址 / regulator webhook URL")],
    db: DbOption = None,
) -> None:
    """推送未推送的预警 / Deliver pending alerts by webhook."""
    notifier = services.WebhookNotifier({"platform": platform_url, "regulator": regulator_url})
    console.print(f"已推送 / delivered: {services.deliver_warnings(_engine(db), notifier)}")


# --- retention ------------------------------------------------------------------------------

retention_app = typer.Typer(help="保存期限与删除 / retention and purge")


@retention_app.command("purge")
@handled
def retention_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出不删除 / list only")] = False,
    db: DbOption = None,
) -> None:
    """删除保存期满的失信信息并记录 / Delete negative records past their term, logged.

    Peers' copies of each record (exchange statements and conflict rows) go with it."""
    # Here rather than at the top: the other governance commands need nothing of exchange,
    # and loading it costs each of them a fifth of a second (see `ecredit.cli.main`).
    from ecredit.exchange.tombstones import ExchangeCopies

    items = services.purge(_engine(db), dry_run=dry_run, copies=ExchangeCopies())
    rows = [
        (
            i.record.record_id,
            i.record.subject_id,
            i.record.type_code,
            i.delete_after,
            "-" if i.copies is None else sum(i.copies.values()),
        )
        for i in items
    ]
    title = "将删除 / would delete" if dry_run else "已删除 / deleted"
    columns = ("记录 record", "主体 subject", "类型 type", "可删除日 delete after", "副本 copies")
    _table(title, columns, rows)


# --- demo -----------------------------------------------------------------------------------

DEMO_AS_OF = date(2026, 7, 1)
"""The demo's timeline is fixed, so its clocks stay inside the years the calendar covers."""


def _demo_at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA)


def _demo_listing(engine: sa.Engine, merchant: str, case_id: str, on: date) -> ListEntry:
    case = DetectionCase(
        case_id,
        merchant,
        "brushing",
        on,
        "集中刷单 / concentrated brushing",
        "平台风控 / platform risk control",
    )
    services.record_confirmed_case(engine, case, None, _demo_at(on))
    (proposal,) = [e for e in services.listings(engine, merchant) if e.state == "proposed"]
    decided_on = on + timedelta(days=10)
    decision = Decision(
        "某市市场监督管理局",
        "发改财金〔2016〕2794号 第十九条",
        f"市监信〔{decided_on.year}〕{case_id}号",
        decided_on,
    )
    services.decide_listing(engine, proposal.entry_id, decision, "演示 demo", _demo_at(decided_on))
    return services.publish_listing(
        engine, proposal.entry_id, "演示 demo", _demo_at(decided_on + timedelta(days=1))
    )


def demo_governance(engine: sa.Engine) -> None:
    """`ecredit demo` step: list two merchants for brushing, repair one, show the result.

    It picks merchants without general or serious records so that the walk-through shows
    exactly one proposal per merchant."""
    with engine.connect() as conn:
        merchants = (
            conn.execute(
                sa.select(store.subjects.c.subject_id)
                .where(store.subjects.c.subject_type == "merchant")
                .where(
                    store.subjects.c.subject_id.not_in(
                        sa.select(store.records.c.subject_id).where(
                            store.records.c.severity.in_(("general", "serious"))
                        )
                    )
                )
                .order_by(store.subjects.c.subject_id)
                .limit(2)
            )
            .scalars()
            .all()
        )
    if len(merchants) < 2:
        console.print("[yellow]演示数据中商家不足 / not enough merchants for the demo[/yellow]")
        return
    repaired, listed = merchants
    entry = _demo_listing(engine, repaired, "DEMO-1", date(2025, 1, 10))
    record_id = "DC-DEMO-1"
    objection = services.file_objection(
        engine,
        record_id,
        repaired,
        "error_or_omission",
        "订单真实 / orders were genuine",
        now=_demo_at(date(2025, 2, 5)),
    )
    services.decide_objection(
        engine,
        objection.objection_id,
        "upheld",
        "刷单属实 / confirmed",
        "演示 demo",
        None,
        now=_demo_at(date(2025, 2, 20)),
    )
    promise = services.sign_commitment(
        engine, repaired, "repair", "法定代表人 / legal rep.", _demo_at(date(2026, 2, 12))
    )
    application, _ = services.apply_for_repair(
        engine,
        record_id,
        promise.commitment_id,
        True,
        "已整改 / corrected",
        repaired,
        _demo_at(date(2026, 2, 12)),
    )
    services.decide_repair(
        engine,
        application.application_id,
        True,
        "准予修复 / repaired",
        "演示 demo",
        None,
        _demo_at(date(2026, 2, 13)),
    )
    _demo_listing(engine, listed, "DEMO-2", date(2026, 6, 1))
    console.print(f"演示时间线截至 / demo timeline as of {DEMO_AS_OF}; 名单 {entry.entry_id}")
    _print_entries(services.listings(engine))
    found = services.measures_for(engine, listed, DEMO_AS_OF)
    _table(
        f"{listed} 适用措施 / measures in force",
        ("措施 measure", "理由 why"),
        [(m.zh, m.why_zh) for m in found],
    )
    _table(
        "风险预警 / warnings",
        ("主体 subject", "规则 rule", "说明"),
        [(w.subject_id, w.rule, w.zh) for w in services.list_warnings(engine)],
    )
    shown = {p.record_id for p in services.public_records(engine, repaired, DEMO_AS_OF)}
    _table(
        f"{repaired} 已修复主体 / repaired subject",
        ("记录 record", "档案状态 archive", "公示 public"),
        [
            (r.record_id, r.status, "是 yes" if r.record_id in shown else "否 no")
            for r in services.archive(engine, repaired)
        ],
    )
