"""`ecredit exchange|audit|keys|consents`: sharing between nodes and personal-information duties."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.table import Table

from ecredit.audit.log import log_query, operator
from ecredit.audit.verify import RetentionError, prune, verify
from ecredit.cli.common import EXIT_REJECTS, EXIT_UNUSABLE, DbOption, console, err_console
from ecredit.exchange.apply import ImportReport, import_batch
from ecredit.exchange.batch import BatchRejected
from ecredit.exchange.export import export_batch
from ecredit.exchange.node import NodeError, init_node, load_node
from ecredit.exchange.objects import Cursor
from ecredit.exchange.peers import add_peer, list_peers
from ecredit.exchange.policy import load_exchange_policy
from ecredit.privacy.consent import ConsentError, grant_consent, list_consents, withdraw_consent
from ecredit.privacy.keys import key_file_path
from ecredit.privacy.rotation import rotate
from ecredit.storage.database import connect, migrate
from ecredit.storage.exchange import access_log, exchange_conflict

exchange_app = typer.Typer(
    help="信用信息共享交换 / exchange credit information between nodes", no_args_is_help=True
)
node_app = typer.Typer(
    help="本节点身份 / this node's identity and signing key", no_args_is_help=True
)
peers_app = typer.Typer(help="受信任节点 / trusted peer nodes", no_args_is_help=True)
exchange_app.add_typer(node_app, name="node")
exchange_app.add_typer(peers_app, name="peers")
audit_app = typer.Typer(help="查询使用登记 / the tamper-evident access log", no_args_is_help=True)
keys_app = typer.Typer(
    help="个人信息密钥 / keys that protect personal information", no_args_is_help=True
)
consents_app = typer.Typer(
    help="授权同意 / a person's consents to third-party queries", no_args_is_help=True
)


@keys_app.callback()
def keys_group() -> None:
    """个人信息密钥 / keys that protect personal information."""


REJECTED = "批次被拒收，未存储任何内容 / batch rejected, nothing stored"

ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="责任人 / who is accountable (default: $ECREDIT_ACTOR, else the OS user)",
    ),
]


def _engine(db: str | None) -> sa.Engine:
    engine = connect(db)
    migrate(engine)
    return engine


def _fail(message: str, code: int = EXIT_UNUSABLE) -> typer.Exit:
    err_console.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _print_import(report: ImportReport) -> None:
    if report.already_imported:
        console.print(
            f"批次 {report.node}#{report.sequence} 已导入过，未作任何更改 / "
            "already imported, nothing changed"
        )
        return
    table = Table(title=f"导入结果 / imported {report.node}#{report.sequence}")
    table.add_column("结果 outcome")
    table.add_column("对象 objects", justify="right")
    for outcome, count in sorted(report.outcomes.items()):
        table.add_row(outcome, f"{count:,}")
    console.print(table)
    for refusal in report.refusals:
        console.print(
            f"objects/{refusal.line} {refusal.type} {refusal.id}: {refusal.outcome} — "
            f"{refusal.reason}",
            markup=False,
        )
    if report.conflicts:
        console.print(
            f"[yellow]冲突 {report.conflicts} 项，已按来源权威处理并登记 / {report.conflicts} "
            "conflicts resolved by source authority and logged (ecredit exchange conflicts)"
        )


@node_app.command("init")
def node_init(
    node_id: Annotated[str, typer.Option("--id", help="节点编号 / node id, e.g. platform-a")],
    authority: Annotated[
        str, typer.Option(help="来源权威类别 / authority: department, region, platform, agency")
    ],
) -> None:
    """创建本节点身份和签名密钥 / Create this node's identity and Ed25519 signing key."""
    if authority not in load_exchange_policy().authorities:
        raise _fail(f"未知的权威类别 / unknown authority: {authority}")
    try:
        identity = init_node(node_id, authority)
    except NodeError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"节点 / node {identity.node_id} ({identity.authority})")
    console.print(f"公钥 / public key: {identity.public_key}")


@node_app.command("show")
def node_show() -> None:
    """显示本节点身份和公钥 / Show this node's id and public key, for peers to register."""
    try:
        identity = load_node()
    except NodeError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"节点 / node {identity.node_id} ({identity.authority})")
    console.print(f"公钥 / public key: {identity.public_key}")
    console.print(
        "对方登记命令 / the peer registers it with:\n"
        f"  ecredit exchange peers add {identity.node_id} --key {identity.public_key} "
        f"--authority {identity.authority}"
    )


@peers_app.command("add")
def peers_add(
    node_id: Annotated[str, typer.Argument(help="对方节点编号 / peer node id")],
    key: Annotated[str, typer.Option(help="对方公钥 / the peer's Ed25519 public key (base64)")],
    authority: Annotated[str, typer.Option(help="对方权威类别 / the peer's authority")],
    name: Annotated[str, typer.Option(help="名称 / display name")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """登记或更换受信任节点 / Trust a peer's key (re-adding replaces its key)."""
    try:
        peer = add_peer(_engine(db), node_id, key, authority, name or node_id, operator(actor).name)
    except NodeError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"[green]已信任 / trusted[/green] {peer.node_id} ({peer.authority})")


@peers_app.command("list")
def peers_list(db: DbOption = None) -> None:
    """列出受信任节点 / List trusted peers."""
    table = Table(title="受信任节点 / trusted peers")
    for header in ("节点 node", "权威 authority", "名称 name", "公钥 public key"):
        table.add_column(header)
    for peer in list_peers(_engine(db)):
        table.add_row(peer.node_id, peer.authority, peer.name, peer.public_key)
    console.print(table)


@exchange_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="输出文件 / batch file to write")],
    since: Annotated[
        str | None,
        typer.Option(help="增量起点游标 / incremental from this cursor (default: full export)"),
    ] = None,
    recipient: Annotated[str, typer.Option("--to", help="接收方 / recipient label")] = "file",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """导出签名批次 / Export a signed batch: full, or incremental with --since CURSOR."""
    try:
        cursor = Cursor.parse(since) if since else None
        identity = load_node()
    except (ValueError, NodeError) as exc:
        raise _fail(str(exc)) from exc
    engine = _engine(db)
    exported = export_batch(
        engine, identity, load_exchange_policy(), cursor, recipient, operator(actor)
    )
    if exported is None:
        console.print("没有新的数据 / nothing changed since the cursor; no batch written")
        return
    raw, until = exported
    out.write_bytes(raw)
    console.print(f"已导出 / exported {out} ({len(raw):,} bytes)")
    console.print(f"下次增量导出请用 / next incremental export: --since {until}")


@exchange_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="批次文件 / batch file")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """导入签名批次 / Import a batch: signature, schema and sender checked, idempotent.

    Exit code 3: the batch was rejected and nothing from it was stored.
    """
    try:
        identity = load_node()
        raw = path.read_bytes()
    except (NodeError, OSError) as exc:
        raise _fail(str(exc)) from exc
    try:
        report = import_batch(_engine(db), raw, identity, load_exchange_policy(), operator(actor))
    except BatchRejected as exc:
        raise _fail(f"{REJECTED}: {exc}", EXIT_REJECTS) from exc
    _print_import(report)


@exchange_app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址 / listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8700,
    db: DbOption = None,
) -> None:
    """运行交换节点服务 / Serve pulls and pushes from trusted peers over HTTP."""
    # The web stack loads only in the commands that serve or call peers; every other
    # `ecredit` invocation would pay for it.
    import uvicorn

    from ecredit.exchange.http import create_app

    try:
        identity = load_node()
    except NodeError as exc:
        raise _fail(str(exc)) from exc
    app = create_app(_engine(db), identity, load_exchange_policy())
    uvicorn.run(app, host=host, port=port, log_level="info")


def _sync(direction: str, url: str, actor: str | None, db: str | None) -> None:
    from ecredit.exchange import sync  # loads the web stack, see `serve`

    try:
        identity = load_node()
        engine = _engine(db)
        action = sync.pull if direction == "pull" else sync.push
        result = action(engine, identity, load_exchange_policy(), url, operator(actor))
    except (NodeError, sync.SyncError) as exc:
        raise _fail(str(exc)) from exc
    except BatchRejected as exc:
        raise _fail(f"{REJECTED}: {exc}", EXIT_REJECTS) from exc
    if result is None:
        console.print("没有新的数据 / nothing new")
    elif isinstance(result, ImportReport):
        _print_import(result)
    else:
        console.print_json(json.dumps(result))


@exchange_app.command()
def pull(
    url: Annotated[str, typer.Option("--from", help="对方节点地址 / peer URL")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """从对方节点拉取 / Pull and import everything new from a peer."""
    _sync("pull", url, actor, db)


@exchange_app.command()
def push(
    url: Annotated[str, typer.Option("--to", help="对方节点地址 / peer URL")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """推送到对方节点 / Push everything the peer has not acknowledged yet."""
    _sync("push", url, actor, db)


@exchange_app.command()
def conflicts(
    limit: Annotated[int, typer.Option(help="显示条数 / rows")] = 50, db: DbOption = None
) -> None:
    """冲突处理记录 / Conflicts between nodes and how source authority resolved them."""
    table = Table(title="交换冲突 / exchange conflicts")
    for header in (
        "时间 at",
        "对象 object",
        "已存来源 stored",
        "传入来源 incoming",
        "胜出 winner",
        "规则 rule",
    ):
        table.add_column(header)
    with _engine(db).connect() as conn:
        rows = conn.execute(
            sa.select(exchange_conflict).order_by(exchange_conflict.c.id.desc()).limit(limit)
        )
        for row in rows:
            table.add_row(
                str(row.decided_at),
                f"{row.object_type} {row.object_id}",
                row.stored_origin,
                row.incoming_origin,
                row.winner,
                row.rule,
            )
    console.print(table)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """校验查询使用登记 / Verify the hash chain; exit 1 naming the first bad entry."""
    verdict = verify(_engine(db))
    if not verdict.ok:
        raise _fail(f"查询使用登记校验失败 / access log verification failed: {verdict.reason}", 1)
    console.print(
        f"[green]查询使用登记完整 / access log intact[/green]: {verdict.checked:,} entries"
    )


@audit_app.command("show")
def audit_show(
    subject: Annotated[str | None, typer.Option(help="信用主体 / only entries about it")] = None,
    limit: Annotated[int, typer.Option(help="显示条数 / newest N entries")] = 50,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """查看查询使用登记 / Show the newest access-log entries (this reading is registered too)."""
    engine = _engine(db)
    log_query(engine, operator(actor), "access_log", "audit_review", subject)
    query = sa.select(access_log.c.body).order_by(access_log.c.seq.desc()).limit(limit)
    if subject:
        query = query.where(access_log.c.subject_id == subject)
    table = Table(title="查询使用登记 / access log")
    for header in (
        "序号 seq",
        "时间 at",
        "责任人 actor",
        "角色 role",
        "操作 action",
        "主体 subject",
        "用途 purpose",
        "授权 authorisation",
    ):
        table.add_column(header)
    with engine.connect() as conn:
        for body in conn.execute(query).scalars():
            e = json.loads(body)
            table.add_row(
                str(e["seq"]),
                e["at"],
                e["actor"],
                e["role"],
                e["action"],
                e["subject_id"] or "",
                e["purpose"],
                e["authorisation"],
            )
    console.print(table)


@audit_app.command("prune")
def audit_prune(
    before: Annotated[datetime, typer.Option(help="删除此时间之前的登记 / delete entries before")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """清理超过保存期的登记 / Delete entries past their 5-year retention (anchor kept)."""
    try:
        removed = prune(_engine(db), before.replace(tzinfo=before.tzinfo or UTC), operator(actor))
    except RetentionError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"已删除 / removed {removed:,} entries")


@keys_app.command("rotate")
def keys_rotate(
    chunk: Annotated[int, typer.Option(help="每次重新加密的行数 / rows per transaction")] = 500,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """轮换数据密钥 / Activate a new data key and re-encrypt every ciphertext while serving."""
    key_file = key_file_path()
    if not key_file.exists():
        raise _fail(f"找不到密钥文件 / no key file at {key_file} ($ECREDIT_KEY_FILE)")
    report = rotate(_engine(db), key_file, operator(actor), chunk)
    console.print(f"[green]新密钥已启用 / active key:[/green] {report.new_key_id}")
    for column, rows in sorted(report.reencrypted.items()):
        console.print(f"  {column}: {rows:,}")
    console.print(f"已停用的旧密钥 / retired keys: {', '.join(report.retired) or '-'}")


@consents_app.command("grant")
def consents_grant(
    subject: Annotated[str, typer.Argument(help="信用主体（自然人）/ the person's subject id")],
    grantee: Annotated[
        str,
        typer.Option(
            help="被授权方：账号名或机构主体编号 / who may query: an account, or an organisation's "
            "subject id (all its accounts)"
        ),
    ],
    purpose: Annotated[str, typer.Option(help="用途 / purpose, e.g. credit_report")],
    evidence: Annotated[str, typer.Option(help="书面同意凭证 / reference of the signed consent")],
    expires: Annotated[datetime | None, typer.Option(help="到期时间 / expiry")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """登记授权同意 / Record a person's consent to one grantee and purpose."""
    expires_at = expires.replace(tzinfo=expires.tzinfo or UTC) if expires else None
    try:
        consent_id = grant_consent(
            _engine(db), operator(actor), subject, grantee, purpose, evidence, expires_at
        )
    except ConsentError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"[green]已登记 / recorded[/green] {consent_id}")


@consents_app.command("withdraw")
def consents_withdraw(
    consent_id: Annotated[str, typer.Argument(help="同意编号 / consent id")],
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """撤回授权同意 / Withdraw a consent; later queries relying on it are refused."""
    try:
        withdraw_consent(_engine(db), operator(actor), consent_id)
    except ConsentError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"[green]已撤回 / withdrawn[/green] {consent_id}")


@consents_app.command("list")
def consents_list(
    subject: Annotated[str | None, typer.Option(help="信用主体 / only this person")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """列出授权同意 / List consents, withdrawn ones included (this reading is registered)."""
    engine = _engine(db)
    log_query(engine, operator(actor), "consents", "consent_review", subject)
    table = Table(title="授权同意 / consents")
    for header in (
        "编号 id",
        "主体 subject",
        "被授权方 grantee",
        "用途 purpose",
        "授权时间 granted",
        "到期 expires",
        "撤回 withdrawn",
    ):
        table.add_column(header)
    for c in list_consents(engine, subject):
        table.add_row(
            c.consent_id,
            c.subject_id,
            c.grantee,
            c.purpose,
            str(c.granted_at),
            str(c.expires_at or "-"),
            str(c.withdrawn_at or "-"),
        )
    console.print(table)
