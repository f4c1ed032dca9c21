"""Reading non-public information: authorised by role, purpose and consent, and always logged.

Every decision goes through `authorise`, so the web portal, the console and the command line
apply one rule: a subject reads its own archive; anyone else needs a role that may state the
purpose, and — when the subject is a person and the purpose needs it — the person's active
consent. A platform or merchant reading the data of its own orders (`own_transaction`, 履行合同)
needs no consent but must be party to the order, which is checked here too. The access is
registered before any value is returned, and refusals are registered too, so 查询使用审查 sees
attempts as well as reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, Entry, iso, record
from ecredit.privacy.classes import is_protected, json_view, status_data
from ecredit.privacy.consent import active_consent, list_consents
from ecredit.privacy.keys import current_keyring
from ecredit.privacy.policy import OWN_MERCHANTS, OWN_TRANSACTION, load_privacy_policy
from ecredit.privacy.protect import decrypt
from ecredit.records.kinds import RECORDS, SUBJECTS, DataClass, Field
from ecredit.storage.exchange import access_log
from ecredit.storage.tables import KIND_TABLES, record_status

SELF_QUERY = "self_query"
ARCHIVE_CLASSES = (DataClass.PUBLIC, DataClass.INTERNAL)


class AccessDenied(Exception):
    """A refusal, kept in both languages and with a short reason code, so the web layer can
    answer in the reader's language (and name the rule) without parsing the message; `str()`
    stays the bilingual line the command line prints."""

    def __init__(self, zh: str, en: str, reason: str = "forbidden") -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.reason = zh, en, reason


@dataclass(frozen=True)
class Grant:
    authorisation: str
    clear: frozenset[DataClass]


def _legal_form(conn: sa.Connection, subject_id: str) -> str:
    table = KIND_TABLES["subjects"]
    form = conn.execute(
        sa.select(table.c.legal_form).where(table.c.subject_id == subject_id)
    ).scalar_one_or_none()
    if form is None:
        raise AccessDenied("未知的信用主体", f"unknown subject: {subject_id}", "unknown-subject")
    return str(form)


def _check_party(conn: sa.Connection, actor: Actor, buyer_id: str, order_id: str | None) -> None:
    """The scope of `own_transaction`: the reader must be party to the buyer's order, or
    `AccessDenied` (reason `scope`).

    A platform is party to every order placed on it (its service agreement with the buyer, and
    电子商务法 Art.31 has it keep them all), so without a named order it reads a buyer who
    ordered on it at all. A merchant is party to the sales in its own shops only, so it must
    name the order. Nobody else is party: carriers, agencies and the buyer itself (who reads
    its own orders as `self_query`) do not get here. `orders.buyer_id` is indexed, so this
    reads one buyer's orders."""
    orders, shops = KIND_TABLES["orders"], KIND_TABLES["shops"]
    side = {"platform": shops.c.platform_id, "subject": shops.c.merchant_id}.get(actor.role)
    if order_id is None and actor.role == "subject":
        raise AccessDenied(
            "店铺只能就本店铺的某一订单查询买家信息",
            "a merchant reads a buyer's data only for one order in its own shops",
            "scope",
        )
    if side is not None and actor.subject_id is not None:
        query = (
            sa.select(orders.c.order_id)
            .join(shops, shops.c.shop_id == orders.c.shop_id)
            .where(orders.c.buyer_id == buyer_id, side == actor.subject_id)
        )
        if order_id is not None:
            query = query.where(orders.c.order_id == order_id)
        if conn.execute(query.limit(1)).first() is not None:
            return
    raise AccessDenied(
        "只能查询本平台或本店铺交易中的买家信息",
        "only buyers' data of orders on your own platform or in your own shops",
        "scope",
    )


def _check_own_merchant(conn: sa.Connection, actor: Actor, subject_id: str) -> None:
    """The scope of `own_merchants`: a platform verifies the identity of the merchants that
    sell on it, not of anyone it names — a real-name check needs no consent, so without this a
    platform could read any person's file by stating it."""
    shops = KIND_TABLES["shops"]
    sells_here = sa.select(shops.c.shop_id).where(
        shops.c.merchant_id == subject_id, shops.c.platform_id == actor.subject_id
    )
    if actor.role != "platform" or conn.execute(sells_here.limit(1)).first() is None:
        raise AccessDenied(
            "只能核验在本平台经营的商家",
            "a platform verifies only merchants selling on it",
            "scope",
        )


PARTY_ROLES = frozenset({"platform", "subject"})
"""Roles that trade on the platform: a read of one order by them is bounded by their being
party to it, whatever purpose they state, so a consent for dispute handling or a real-name
check cannot open another platform's or shop's orders."""


def authorise(
    conn: sa.Connection,
    actor: Actor,
    subject_id: str,
    purpose: str,
    now: datetime | None = None,
    *,
    order_id: str | None = None,
) -> Grant:
    """The one decision on reading a subject's non-public information, for every front end
    (the web's `AccessLog` calls it too); it registers nothing, so callers register its
    outcome, refusals included, before anything is read. Raises `AccessDenied`.

    `order_id` names the order whose data is read (an order's trail, under its buyer), so the
    scope check of `own_transaction` — and the bound on trading roles reading any one order —
    is made here, once, not in each route. The scope is checked before the subject is looked
    up, so a reader outside it cannot tell an unknown buyer from someone else's."""
    policy = load_privacy_policy()
    role = policy.roles.get(actor.role)
    if role is None:
        raise AccessDenied("未知的角色", f"unknown role: {actor.role}", "role")
    clear = frozenset(role.clear)
    if actor.role == "subject" and purpose != OWN_TRANSACTION:
        if actor.subject_id != subject_id or purpose != SELF_QUERY:
            raise AccessDenied(
                "信用主体只能查询本人信息", "a subject may query only itself", "self"
            )
        _legal_form(conn, subject_id)
        return Grant("self", clear)
    if purpose not in role.purposes:
        raise AccessDenied(
            f"角色 {role.zh} 不能以该用途查询：{purpose or '-'}",
            f"role {actor.role} may not query for: {purpose or '-'}",
            "purpose",
        )
    stated = policy.purposes[purpose]
    bounded = order_id is not None and actor.role in PARTY_ROLES
    if stated.scope == OWN_TRANSACTION or bounded:
        _check_party(conn, actor, subject_id, order_id)
    if stated.scope == OWN_MERCHANTS:
        _check_own_merchant(conn, actor, subject_id)
    if stated.clear is not None:
        clear &= frozenset(stated.clear)
    person = _legal_form(conn, subject_id) == "person"
    if person and stated.consent_required:
        grantees = [actor.name, *([actor.subject_id] if actor.subject_id else [])]
        consent_id = active_consent(conn, subject_id, grantees, purpose, now or datetime.now(UTC))
        if consent_id is None:
            raise AccessDenied(
                "查询自然人信息需要本人授权同意",
                "querying a person needs the person's consent",
                "consent",
            )
        return Grant(f"consent:{consent_id}", clear)
    return Grant(f"role:{actor.role}/{purpose}", clear)


def _authorise_logged(
    engine: sa.Engine,
    actor: Actor,
    subject_id: str,
    purpose: str,
    action: Action,
    target: str,
    clear_field: Field | None = None,
) -> Grant:
    """Authorise and register the outcome, whichever it is, before anything is read."""
    try:
        with engine.connect() as conn:
            grant = authorise(conn, actor, subject_id, purpose)
        if clear_field is not None and clear_field.data_class not in grant.clear:
            raise AccessDenied(
                f"该角色不能查看{clear_field.zh}明文",
                f"role {actor.role} may not read {clear_field.name} in clear",
                "clear",
            )
    except AccessDenied as refusal:
        refused = {"refused": str(refusal)}
        record(engine, Entry(actor, action, purpose, "denied", subject_id, target, refused))
        raise
    record(engine, Entry(actor, action, purpose, grant.authorisation, subject_id, target))
    return grant


def reveal(
    engine: sa.Engine,
    actor: Actor,
    subject_id: str,
    field: str,
    purpose: str,
    key_file: Path | None = None,
) -> str | None:
    """The clear value of a personal field, for an authorised actor stating its purpose."""
    spec = SUBJECTS.field(field)
    if not is_protected(spec):
        raise ValueError(f"{field} is not personal information")
    target = f"subjects.{field}"
    _authorise_logged(engine, actor, subject_id, purpose, Action.READ_PERSONAL, target, spec)
    table = KIND_TABLES["subjects"]
    query = sa.select(table.c[f"{field}_cipher"]).where(table.c.subject_id == subject_id)
    with engine.connect() as conn:
        cipher = conn.execute(query).scalar_one_or_none()
    if cipher is None:
        return None
    try:
        return decrypt(current_keyring(key_file), field, cipher)
    except KeyError:  # a rotation re-encrypted it and retired the key since it was read
        with engine.connect() as conn:
            cipher = conn.execute(query).scalar_one()
        return decrypt(current_keyring(key_file), field, cipher)


def _archive(conn: sa.Connection, subject_id: str) -> dict[str, Any]:
    subjects, records = KIND_TABLES["subjects"], KIND_TABLES["records"]
    subject = conn.execute(sa.select(subjects).where(subjects.c.subject_id == subject_id))
    stored = conn.execute(sa.select(records).where(records.c.subject_id == subject_id))
    changes = conn.execute(
        sa.select(record_status)
        .join(records, records.c.record_id == record_status.c.record_id)
        .where(records.c.subject_id == subject_id)
        .order_by(record_status.c.id)
    )
    history: dict[str, list[dict[str, Any]]] = {}
    for change in changes.mappings():
        history.setdefault(change["record_id"], []).append(status_data(change))
    return {
        "subject": json_view(SUBJECTS, subject.mappings().one(), ARCHIVE_CLASSES),
        "records": [
            json_view(RECORDS, row, ARCHIVE_CLASSES)
            | {"status_history": history.get(row["record_id"], [])}
            for row in stored.mappings()
        ],
    }


def archive(engine: sa.Engine, actor: Actor, subject_id: str, purpose: str) -> dict[str, Any]:
    """A subject's whole archive (信用档案), including records no longer shown publicly."""
    action = Action.SELF_QUERY if purpose == SELF_QUERY else Action.QUERY
    _authorise_logged(engine, actor, subject_id, purpose, action, "archive")
    with engine.connect() as conn:
        return _archive(conn, subject_id)


def self_query(engine: sa.Engine, actor: Actor) -> dict[str, Any]:
    """本人查询: the subject's own archive, who accessed it, and the consents it gave."""
    if actor.subject_id is None:
        raise AccessDenied("未指明本人", "self-query needs the subject's own id", "self")
    result = archive(engine, actor, actor.subject_id, SELF_QUERY)
    with engine.connect() as conn:
        result["access_log"] = [
            json.loads(body)
            for body in conn.execute(
                sa.select(access_log.c.body)
                .where(access_log.c.subject_id == actor.subject_id)
                .order_by(access_log.c.seq)
            ).scalars()
        ]
    consents = list_consents(engine, actor.subject_id)
    result["consents"] = [
        {k: iso(v) if isinstance(v, datetime) else v for k, v in asdict(c).items()}
        for c in consents
    ]
    return result
