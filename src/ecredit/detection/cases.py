"""Cases: what detection hands to a platform reviewer, and what a confirmation writes.

Signals fire on findings (one device, one shop, one dense block …). A *case* is a set of
findings of one manipulation type that share accused subjects or shops, merged as connected
components of the finding–entity graph: the device shared by ten accounts, the dense block those
accounts form with three shops and those shops' below-cost orders are one ring, not three
alerts. Supporting signals (shared devices, the rating network) join and strengthen a case but
never open one, because an account farm alone does not say what it was used for.

A case's score adds, per distinct signal, 1 + ln(how far past its threshold the strongest
finding went): two independent signals outweigh one strong one, and nothing is hidden in a
learned weight a reviewer could not check.

The review queue is append-only (new → confirmed / dismissed). Confirming writes credit records
(catalogue types PLT01–PLT04, source kind `monitoring`, document number = case id, one ingest
batch per confirmation as provenance) and, for brushing and malicious reviews, `rating_flag`
rows with `valid_score = false`, so the next evaluation no longer counts those ratings (for
brushing also the sellers' ratings of the buyers on the same fake orders).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import sqlalchemy as sa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ecredit.detection.rules import (
    ACCUSED_ROLES,
    LINKING_ROLES,
    DetectionPolicy,
    Manipulation,
    Role,
)
from ecredit.engines.sources import CHINA_STANDARD_TIME_HOURS
from ecredit.records.catalogue import load_catalogue
from ecredit.storage import detection as store
from ecredit.storage.tables import KIND_TABLES, ingest_batch, rating_flag, record_status

NEW, CONFIRMED, DISMISSED = "new", "confirmed", "dismissed"
LINKING_KINDS = ("subject", "shop")
SYSTEM_ACTOR = "ecredit detect"

NAMES: dict[Manipulation, tuple[str, str, str]] = {
    Manipulation.BRUSHING: ("BR", "刷单炒信", "brushing"),
    Manipulation.MALICIOUS_REVIEW: ("MR", "恶意评价", "malicious review"),
    Manipulation.EMPTY_PARCEL: ("EP", "空包裹", "empty parcels"),
    Manipulation.FAKE_TRAFFIC: ("FT", "虚假流量", "fake traffic"),
}
"""Case-id prefix and the names a reviewer reads (glossary)."""

ROLE_PRIORITY = (
    Role.MERCHANT,
    Role.SHOP,
    Role.BUYER,
    Role.REVIEWER,
    Role.ACCOUNT,
    Role.TARGET,
    Role.CONTEXT,
    Role.ORDER,
    Role.RATING,
    Role.PARCEL,
)
"""An entity seen in several roles keeps the most serious one."""


class ReviewError(ValueError):
    """The case cannot take this decision (unknown, already decided, references missing)."""


@dataclass(frozen=True)
class Signal:
    """Anything that produces hits: a behaviour rule, the block search, the rating network.

    `params` fill the evidence templates, so the wording always quotes the live threshold.
    """

    name: str
    manipulation: Manipulation | None
    threshold: float
    evidence_zh: str
    evidence_en: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    signal: str
    findings: int
    measure: float
    threshold: float
    text_zh: str
    text_en: str

    @property
    def strength(self) -> float:
        return self.measure / self.threshold if self.threshold > 0 else 1.0

    @property
    def points(self) -> float:
        return 1.0 + math.log(max(self.strength, 1.0))


@dataclass(frozen=True)
class Case:
    case_id: str
    manipulation: Manipulation
    score: float
    members: pl.DataFrame
    """entity_kind, entity_id, role — one row per entity."""
    evidence: tuple[Evidence, ...]
    last_seen_at: datetime | None

    def ids(self, entity_kind: str, roles: Sequence[str] | None = None) -> list[str]:
        """Ids of one entity kind, in some roles only (`Role` values or their names)."""
        rows = self.members.filter(pl.col("entity_kind") == entity_kind)
        if roles is not None:
            rows = rows.filter(pl.col("role").is_in([str(r) for r in roles]))
        return rows.get_column("entity_id").sort().to_list()

    def accused(self, entity_kind: str) -> list[str]:
        return self.ids(entity_kind, sorted(ACCUSED_ROLES))

    @property
    def summary_zh(self) -> str:
        _, zh, _ = NAMES[self.manipulation]
        return (
            f"{zh}：{len(self.accused('shop'))} 家网店，{len(self.accused('subject'))} 个主体，"
            f"{len(self.ids('order'))} 笔订单，{len(self.ids('rating'))} 条评价"
        )

    @property
    def summary_en(self) -> str:
        _, _, en = NAMES[self.manipulation]
        return (
            f"{en}: {len(self.accused('shop'))} shops, {len(self.accused('subject'))} subjects, "
            f"{len(self.ids('order'))} orders, {len(self.ids('rating'))} ratings"
        )


# --- building cases from hits ----------------------------------------------------------------


def bipartite_components(nodes: pl.Series, edges: pl.DataFrame) -> pl.DataFrame:
    """Connected component of every node, where nodes link through shared partners.

    `edges` has the node column (named like `nodes`) and one partner column; nodes without
    edges are components of their own.
    """
    name = nodes.name
    partner = next(c for c in edges.columns if c != name)
    left = nodes.unique().sort().to_frame().with_row_index("i")
    right = edges.select(partner).unique().with_row_index("j")
    pairs = edges.join(left, on=name).join(right, on=partner)
    n_left, n = left.height, left.height + right.height
    rows = pairs.get_column("i").to_numpy().astype(np.int64)
    cols = n_left + pairs.get_column("j").to_numpy().astype(np.int64)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return left.select(name).with_columns(pl.Series("component", labels[:n_left]))


def _components(hits: pl.DataFrame) -> pl.DataFrame:
    """Component of every finding, findings linking through the subjects and shops they accuse."""
    links = hits.filter(
        pl.col("role").is_in([r.value for r in LINKING_ROLES]),
        pl.col("entity_kind").is_in(LINKING_KINDS),
    ).select("fid", pl.concat_str(["entity_kind", "entity_id"], separator=":").alias("entity"))
    return bipartite_components(hits.get_column("fid"), links)


def _members(rows: pl.DataFrame) -> pl.DataFrame:
    priority = pl.DataFrame(
        {"role": [r.value for r in ROLE_PRIORITY], "priority": range(len(ROLE_PRIORITY))}
    )
    return (
        rows.select("entity_kind", "entity_id", "role")
        .join(priority, on="role")
        .sort("priority", "entity_kind", "entity_id")
        .unique(["entity_kind", "entity_id"], keep="first", maintain_order=True)
        .drop("priority")
    )


def _period(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "—"
    shift = timedelta(hours=CHINA_STANDARD_TIME_HOURS)
    a, b = (first + shift).date(), (last + shift).date()
    return a.isoformat() if a == b else f"{a.isoformat()} – {b.isoformat()}"


def _evidence(rows: pl.DataFrame, signals: Mapping[str, Signal]) -> list[Evidence]:
    per_rule = (
        rows.group_by("rule")
        .agg(
            pl.col("fid").n_unique().alias("count"),
            pl.col("measure").max().alias("measure"),
            pl.col("finding").sort_by("measure", descending=True).first().alias("finding"),
            pl.col("first_at").min().alias("first_at"),
            pl.col("last_at").max().alias("last_at"),
        )
        .sort("rule")
    )
    evidence = []
    for rule, count, measure, finding, first, last in per_rule.iter_rows():
        signal = signals[rule]
        values = {
            **signal.params,
            "count": count,
            "measure": measure,
            "finding": finding,
            "period": _period(first, last),
        }
        evidence.append(
            Evidence(
                signal=rule,
                findings=count,
                measure=measure,
                threshold=signal.threshold,
                text_zh=signal.evidence_zh.format(**values),
                text_en=signal.evidence_en.format(**values),
            )
        )
    return sorted(evidence, key=lambda e: (-e.points, e.signal))


def case_id(manipulation: Manipulation, members: pl.DataFrame) -> str:
    """Stable across runs: the same accused entities always make the same case."""
    accused = members.filter(pl.col("role").is_in([r.value for r in ACCUSED_ROLES]))
    keys = sorted(f"{k}:{i}" for k, i in accused.select("entity_kind", "entity_id").iter_rows())
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:12]
    return f"{NAMES[manipulation][0]}-{digest}"


def build_cases(
    hits: pl.DataFrame, signals: Mapping[str, Signal], policy: DetectionPolicy
) -> list[Case]:
    """Merge hits into cases of each manipulation type; keep those that reach the type's score."""
    hits = hits.with_columns(pl.concat_str(["rule", "finding"], separator="\x1f").alias("fid"))
    cases: list[Case] = []
    for manipulation in Manipulation:
        part = hits.filter(
            (pl.col("manipulation") == manipulation.value) | pl.col("manipulation").is_null()
        )
        if part.is_empty():
            continue
        part = part.join(_components(part), on="fid")
        opened = part.filter(pl.col("manipulation") == manipulation.value).select("component")
        part = part.join(opened.unique(), on="component", how="semi")
        for _, rows in part.group_by("component", maintain_order=True):
            evidence = _evidence(rows, signals)
            score = sum(e.points for e in evidence)
            if score < policy.cases.min_score[manipulation]:
                continue
            members = _members(rows)
            cases.append(
                Case(
                    case_id=case_id(manipulation, members),
                    manipulation=manipulation,
                    score=score,
                    members=members,
                    evidence=tuple(evidence),
                    last_seen_at=rows.get_column("last_at").max(),  # type: ignore[arg-type]
                )
            )
    return sorted(cases, key=lambda c: (-c.score, c.case_id))


def with_members(cases: Sequence[Case], extra: pl.DataFrame) -> list[Case]:
    """Cases with more members (case_id, entity_kind, entity_id, role); ids stay as they were."""
    added = {key[0]: rows.drop("case_id") for key, rows in extra.group_by("case_id")}
    return [
        replace(c, members=_members(pl.concat([c.members, added[c.case_id]])))
        if c.case_id in added
        else c
        for c in cases
    ]


# --- the review queue ------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def save_cases(
    db: sa.Engine, cases: Sequence[Case], policy: DetectionPolicy, engine: str, source: str
) -> int:
    """Store new cases as `new`; a case already on file (same id) keeps its history untouched.

    Returns how many cases were new.
    """
    now = _now()
    with db.begin() as conn:
        known = store.existing_case_ids(conn, [c.case_id for c in cases])
        fresh = [c for c in cases if c.case_id not in known]
        for c in fresh:
            store.insert_case(
                conn,
                {
                    "case_id": c.case_id,
                    "manipulation": c.manipulation.value,
                    "score": c.score,
                    "summary_zh": c.summary_zh,
                    "summary_en": c.summary_en,
                    "policy_version": policy.version,
                    "engine": engine,
                    "source": source,
                    "found_at": now,
                    "last_seen_at": c.last_seen_at.replace(tzinfo=UTC) if c.last_seen_at else None,
                },
                c.members.to_dicts(),
                [
                    {
                        "seq": seq,
                        "signal": e.signal,
                        "findings": e.findings,
                        "measure": e.measure,
                        "threshold": e.threshold,
                        "text_zh": e.text_zh,
                        "text_en": e.text_en,
                    }
                    for seq, e in enumerate(c.evidence, 1)
                ],
                {"status": NEW, "reviewer": SYSTEM_ACTOR, "reason": "detected", "decided_at": now},
            )
    return len(fresh)


@dataclass(frozen=True)
class Decision:
    case_id: str
    status: str
    records: list[str]
    flagged_ratings: int


def _open_case(conn: sa.Connection, case_id: str) -> store.StoredCase:
    case = store.get_case(conn, case_id)
    if case is None:
        raise ReviewError(f"没有这个案件 / no such case: {case_id}")
    if case.status != NEW:
        raise ReviewError(f"案件已处理（{case.status}）/ case {case_id} was already {case.status}")
    return case


def _check_reason(reviewer: str, reason: str) -> None:
    if not reviewer.strip() or not reason.strip():
        raise ReviewError("必须填写审核人和理由 / reviewer and reason are required")


def dismiss_case(db: sa.Engine, case_id: str, reviewer: str, reason: str) -> Decision:
    _check_reason(reviewer, reason)
    with db.begin() as conn:
        _open_case(conn, case_id)
        store.append_review(
            conn,
            case_id,
            {"status": DISMISSED, "reviewer": reviewer, "reason": reason, "decided_at": _now()},
        )
    return Decision(case_id, DISMISSED, [], 0)


def _missing(conn: sa.Connection, kind: str, ids: Sequence[str]) -> list[str]:
    table = KIND_TABLES[kind]
    key = table.c[table.primary_key.columns.keys()[0]]
    present: set[str] = set()
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        present.update(r[0] for r in conn.execute(sa.select(key).where(key.in_(part))))
    return [i for i in ids if i not in present]


def _local_today(now: datetime) -> date:
    return (now + timedelta(hours=CHINA_STANDARD_TIME_HOURS)).date()


def _record_rows(
    case: store.StoredCase,
    subjects: Sequence[str],
    policy: DetectionPolicy,
    reason: str,
    now: datetime,
) -> list[dict[str, object]]:
    rule = policy.records.by_manipulation[Manipulation(case.manipulation)]
    severity = load_catalogue().get(rule.type_code).severity
    ended = case.last_seen_at
    rows = []
    for line, subject_id in enumerate(subjects, 1):
        row: dict[str, object] = {
            "record_id": f"{case.case_id}-{line:04d}",
            "subject_id": subject_id,
            "type_code": rule.type_code,
            "source_kind": policy.records.source_kind,
            "source_name": policy.records.source_name,
            "decided_on": _local_today(now),
            "severity": severity,
            "status": "active",
            "act_ended_on": _local_today(ended) if ended else None,
            "document_no": case.case_id,
            "amount": None,
            "summary": f"{case.summary_zh} / {case.summary_en}. {reason}"[:2000],
            "supersedes": None,
            "source_line": line,
        }
        text = "\x1f".join("" if v is None else str(v) for v in row.values())
        row["row_hash"] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        rows.append(row)
    return rows


def _sellers_ratings_of_the_same_orders(conn: sa.Connection, ratings: list[str]) -> list[str]:
    """Sellers' ratings of the buyers on the orders these ratings rate: on a fake trade they
    would otherwise keep building the ring accounts' own credit points."""
    table = KIND_TABLES["ratings"]
    orders = sa.select(table.c.order_id).where(table.c.rating_id.in_(ratings))
    return list(
        conn.execute(
            sa.select(table.c.rating_id).where(
                table.c.direction == "seller_to_buyer", table.c.order_id.in_(orders)
            )
        ).scalars()
    )


def confirm_case(
    db: sa.Engine, case_id: str, reviewer: str, reason: str, policy: DetectionPolicy
) -> Decision:
    """Confirm a case: its records, rating flags and review row commit together or not at all.

    Records go to the members whose role the policy names for the case's type (merchants and
    fake buyers for brushing, reviewers for malicious reviews …); every one of them must be a
    stored subject, because a record without its subject could never be displayed or repaired.
    """
    _check_reason(reviewer, reason)
    now = _now()
    with db.begin() as conn:
        case = _open_case(conn, case_id)
        manipulation = Manipulation(case.manipulation)
        members = store.case_members(conn, case_id)
        roles = {r.value for r in policy.records.by_manipulation[manipulation].roles}
        subjects = sorted(
            m.entity_id for m in members if m.entity_kind == "subject" and m.role in roles
        )
        ratings = (
            sorted(m.entity_id for m in members if m.entity_kind == "rating")
            if manipulation in policy.records.invalidate_ratings
            else []
        )
        missing = _missing(conn, "subjects", subjects) + _missing(conn, "ratings", ratings)
        if missing:
            raise ReviewError(
                "案件涉及的主体或评价未导入数据库 / case refers to subjects or ratings not in the "
                f"database: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
            )
        if manipulation in policy.records.fake_trades:
            ratings = sorted({*ratings, *_sellers_ratings_of_the_same_orders(conn, ratings)})
        records = _record_rows(case, subjects, policy, reason, now)
        if records:
            digest = hashlib.sha256(
                "\n".join(str(r["row_hash"]) for r in records).encode()
            ).hexdigest()
            batch_id = conn.execute(
                ingest_batch.insert().values(
                    kind="records",
                    source_file=f"detection case {case_id}",
                    file_sha256=digest,
                    started_at=now,
                    finished_at=now,
                    rows_read=len(records),
                    rows_inserted=len(records),
                    rows_unchanged=0,
                    rows_rejected=0,
                    status="finished",
                )
            ).inserted_primary_key[0]
            conn.execute(
                KIND_TABLES["records"].insert(), [{**r, "batch_id": batch_id} for r in records]
            )
            conn.execute(
                record_status.insert(),
                [
                    {
                        "record_id": r["record_id"],
                        "status": "active",
                        "changed_at": now,
                        "actor": reviewer,
                        "reason": f"{case_id}: {reason}",
                    }
                    for r in records
                ],
            )
        if ratings:
            conn.execute(
                rating_flag.insert(),
                [
                    {
                        "rating_id": rating_id,
                        "valid_score": False,
                        "shield_reason": None,
                        "set_at": now,
                        "actor": reviewer,
                        "case_id": case_id,
                    }
                    for rating_id in ratings
                ],
            )
        store.append_review(
            conn,
            case_id,
            {"status": CONFIRMED, "reviewer": reviewer, "reason": reason, "decided_at": now},
        )
    return Decision(case_id, CONFIRMED, [str(r["record_id"]) for r in records], len(ratings))
