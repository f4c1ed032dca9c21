"""Finding subjects and showing who they are, as the public may see them.

Only subjects that trade or serve in the market (platforms, merchants, logistics companies,
credit agencies) are public; consumers and couriers are private persons and never appear.
A person who sells is found through the shop, and the name is masked.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from ecredit.storage.tables import KIND_TABLES
from ecredit.web.models import Shop, SubjectSummary
from ecredit.web.queries.names import SUBJECT_TYPES, label

PUBLIC_TYPES = ("platform", "merchant", "logistics", "agency")
SEARCH_LIMIT = 20
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

subjects = KIND_TABLES["subjects"]
shops = KIND_TABLES["shops"]


def public_name(name: str, legal_form: str) -> str:
    return name if legal_form == "organisation" else name[:1] + "*" * (len(name) - 1)


def summary(row: sa.Row, matched_shop: str | None = None) -> SubjectSummary:
    return SubjectSummary(
        subject_id=row.subject_id,
        name=public_name(row.name, row.legal_form),
        subject_type=row.subject_type,
        type_name=label(SUBJECT_TYPES, row.subject_type),
        legal_form=row.legal_form,
        uscc=row.uscc,
        region=row.region,
        matched_shop=matched_shop,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(conn: sa.Connection, query: str, limit: int = SEARCH_LIMIT) -> list[SubjectSummary]:
    """By USCC (exact), organisation name or shop name (substring); persons only via shops."""
    query = query.strip()
    if not query:
        return []
    public = subjects.c.subject_type.in_(PUBLIC_TYPES)
    if USCC_PATTERN.match(query.upper()):
        rows = conn.execute(sa.select(subjects).where(public, subjects.c.uscc == query.upper()))
        return [summary(r) for r in rows]
    pattern = _like(query)
    by_name = conn.execute(
        sa.select(subjects)
        .where(
            public,
            subjects.c.legal_form == "organisation",
            subjects.c.name.like(pattern, escape="\\"),
        )
        .order_by(subjects.c.name)
        .limit(limit)
    ).all()
    hits = {r.subject_id: summary(r) for r in by_name}
    by_shop = conn.execute(
        sa.select(subjects, shops.c.name.label("shop_name"))
        .join(shops, shops.c.merchant_id == subjects.c.subject_id)
        .where(public, shops.c.name.like(pattern, escape="\\"))
        .order_by(shops.c.name)
        .limit(limit)
    )
    for r in by_shop:
        hits.setdefault(r.subject_id, summary(r, matched_shop=r.shop_name))
    return list(hits.values())[:limit]


def public_subject(conn: sa.Connection, subject_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(subjects).where(
            subjects.c.subject_id == subject_id, subjects.c.subject_type.in_(PUBLIC_TYPES)
        )
    ).first()


def any_subject(conn: sa.Connection, subject_id: str) -> sa.Row | None:
    return conn.execute(sa.select(subjects).where(subjects.c.subject_id == subject_id)).first()


def shops_of(conn: sa.Connection, subject_id: str) -> list[Shop]:
    platform = subjects.alias("platform")
    rows = conn.execute(
        sa.select(shops, platform.c.name.label("platform_name"))
        .join(platform, platform.c.subject_id == shops.c.platform_id)
        .where(shops.c.merchant_id == subject_id)
        .order_by(shops.c.shop_id)
    )
    return [
        Shop(
            shop_id=r.shop_id,
            name=r.name,
            platform_id=r.platform_id,
            platform_name=r.platform_name,
            category=r.category,
            opened_on=r.opened_on,
        )
        for r in rows
    ]
