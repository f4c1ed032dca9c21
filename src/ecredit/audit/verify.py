"""Verifying and pruning the access log.

Verification walks the chain from its anchor and names the first entry that does not fit:
a gap in the numbering (removed), a body numbered for another place (reordered), a broken
link to the previous hash, a body that no longer matches its hash (altered), or query columns
that disagree with the hashed body. The head row catches entries cut from the end.

Entries are kept at least five years (深圳经济特区社会信用条例 Art.45); pruning older ones moves
the anchor, so the remaining chain still verifies from a known starting hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, Entry, append, chain_hash, iso
from ecredit.storage.exchange import access_log, access_log_head

RETENTION_YEARS = 5


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""


def _problem(row: sa.Row, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return (
            f"第 {expected_seq} 条缺失（被删除）/ entry {expected_seq} is missing (removed); "
            f"the next stored entry is {row.seq}"
        )
    try:
        body = json.loads(row.body)
    except ValueError:
        return f"第 {row.seq} 条内容无法解析（被修改）/ entry {row.seq} body is not JSON (altered)"
    if body.get("seq") != row.seq:
        return (
            f"第 {row.seq} 条位置不符（被重排）/ entry {row.seq} holds entry {body.get('seq')} "
            "(reordered)"
        )
    if row.prev_hash != prev_hash:
        return (
            f"第 {row.seq} 条前序哈希不符（之前的记录被删除、重排或修改）/ "
            f"entry {row.seq} does not link to the entry before it (removed, reordered or altered)"
        )
    if chain_hash(prev_hash, row.body) != row.entry_hash:
        return f"第 {row.seq} 条内容与哈希不符（被修改）/ entry {row.seq} was altered"
    stored = (row.actor, row.action, row.subject_id, iso(row.at))
    hashed = (body["actor"], body["action"], body["subject_id"], body["at"])
    if stored != hashed:
        return (
            f"第 {row.seq} 条查询列与登记内容不符（被修改）/ entry {row.seq} columns were altered"
        )
    return None


def _rows(conn: sa.Connection) -> Iterator[sa.Row]:
    result = conn.execution_options(yield_per=1000).execute(
        sa.select(access_log).order_by(access_log.c.seq)
    )
    yield from result


def verify(engine: sa.Engine) -> Verdict:
    with engine.connect() as conn:
        head = conn.execute(sa.select(access_log_head)).one()
        expected, prev_hash, checked = head.anchor_seq + 1, head.anchor_hash, 0
        for row in _rows(conn):
            if problem := _problem(row, expected, prev_hash):
                return Verdict(False, checked, expected, problem)
            expected, prev_hash, checked = expected + 1, row.entry_hash, checked + 1
    if (head.last_seq, head.last_hash) != (expected - 1, prev_hash):
        return Verdict(
            False,
            checked,
            expected,
            f"第 {expected} 条起的记录缺失（末尾被删除）/ "
            f"entries {expected} to {head.last_seq} are missing (removed from the end)",
        )
    return Verdict(True, checked)


class RetentionError(Exception):
    pass


def prune(engine: sa.Engine, before: datetime, actor: Actor, now: datetime | None = None) -> int:
    """Delete the oldest entries before `before`, never any inside the retention period."""
    now = now or datetime.now(UTC)
    if before > now - timedelta(days=365 * RETENTION_YEARS + 2):
        raise RetentionError(
            f"查询使用登记至少保存{RETENTION_YEARS}年 / "
            f"the access log is kept {RETENTION_YEARS} years"
        )
    with engine.begin() as conn:
        entry = Entry(
            actor, Action.PRUNE, "retention", f"role:{actor.role}", detail={"before": iso(before)}
        )
        append(conn, entry, now)
        newer = sa.select(sa.func.min(access_log.c.seq)).where(access_log.c.at >= before)
        last_old = conn.execute(
            sa.select(sa.func.max(access_log.c.seq)).where(
                access_log.c.seq < newer.scalar_subquery()
            )
        ).scalar_one()
        if last_old is None:
            return 0
        anchor = conn.execute(
            sa.select(access_log.c.entry_hash).where(access_log.c.seq == last_old)
        )
        conn.execute(
            access_log_head.update()
            .where(access_log_head.c.id == 1)
            .values(anchor_seq=last_old, anchor_hash=anchor.scalar_one())
        )
        removed = conn.execute(access_log.delete().where(access_log.c.seq <= last_old)).rowcount
    return int(removed)
