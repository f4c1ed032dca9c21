"""Accounts, passwords and API keys.

An API key is `<key_id>.<secret>`: the id finds the row without scanning, the secret is
compared by its SHA-256 in constant time. Demo accounts get fresh random passwords at every
start of the server, so a demo never leaves a known password behind.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ecredit.storage.tables import KIND_TABLES
from ecredit.storage.web import ROLES, api_key, web_user

PASSWORDS = PasswordHash((Argon2Hasher(),))
SUBJECT_ROLES = {"subject": None, "platform": "platform", "agency": "agency"}
"""Roles that act for a subject, and the subject type they need (None: any type)."""


@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    role: str
    subject_id: str | None


class AccountError(ValueError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _check_subject(conn: sa.Connection, role: str, subject_id: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"未知角色 / unknown role: {role}")
    if role not in SUBJECT_ROLES:
        if subject_id:
            raise AccountError(f"角色 {role} 不代表主体 / role {role} acts for no subject")
        return
    if not subject_id:
        raise AccountError(f"角色 {role} 需要 --subject / role {role} needs a subject")
    subjects = KIND_TABLES["subjects"]
    subject_type = conn.execute(
        sa.select(subjects.c.subject_type).where(subjects.c.subject_id == subject_id)
    ).scalar_one_or_none()
    if subject_type is None:
        raise AccountError(f"主体不存在 / no such subject: {subject_id}")
    needed = SUBJECT_ROLES[role]
    if needed and subject_type != needed:
        raise AccountError(
            f"主体 {subject_id} 不是{needed} / subject {subject_id} is a {subject_type}"
        )


def create_user(
    engine: sa.Engine,
    username: str,
    password: str,
    role: str,
    subject_id: str | None = None,
    *,
    demo: bool = False,
) -> Account:
    with engine.begin() as conn:
        _check_subject(conn, role, subject_id)
        exists = conn.execute(sa.select(web_user.c.user_id).where(web_user.c.username == username))
        if exists.first():
            raise AccountError(f"用户名已存在 / username taken: {username}")
        user_id = conn.execute(
            web_user.insert().values(
                username=username,
                password_hash=PASSWORDS.hash(password),
                role=role,
                subject_id=subject_id,
                demo=demo,
                created_at=_now(),
            )
        ).inserted_primary_key[0]
    return Account(user_id, username, role, subject_id)


def _account(row: sa.Row) -> Account:
    return Account(row.user_id, row.username, row.role, row.subject_id)


def active_account(conn: sa.Connection, user_id: int) -> Account | None:
    row = conn.execute(
        sa.select(web_user).where(web_user.c.user_id == user_id, web_user.c.disabled_at.is_(None))
    ).first()
    return _account(row) if row else None


def authenticate(engine: sa.Engine, username: str, password: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(web_user).where(
                web_user.c.username == username, web_user.c.disabled_at.is_(None)
            )
        ).first()
    if row is None:
        PASSWORDS.hash(password)  # same cost whether or not the user exists
        return None
    return _account(row) if PASSWORDS.verify(password, row.password_hash) else None


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(engine: sa.Engine, username: str, label: str) -> str:
    """The key is shown once; only its digest is kept."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.select(web_user.c.user_id).where(web_user.c.username == username)
        ).scalar_one_or_none()
        if user_id is None:
            raise AccountError(f"用户不存在 / no such user: {username}")
        conn.execute(
            api_key.insert().values(
                key_id=key_id,
                secret_sha256=_secret_digest(secret),
                user_id=user_id,
                label=label,
                created_at=_now(),
            )
        )
    return f"{key_id}.{secret}"


def account_for_api_key(conn: sa.Connection, presented: str) -> Account | None:
    key_id, _, secret = presented.partition(".")
    row = conn.execute(
        sa.select(api_key.c.secret_sha256, api_key.c.user_id).where(
            api_key.c.key_id == key_id, api_key.c.revoked_at.is_(None)
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _secret_digest(secret)):
        return None
    return active_account(conn, row.user_id)


def list_users(engine: sa.Engine) -> list[Account]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(web_user).where(web_user.c.disabled_at.is_(None)).order_by(web_user.c.user_id)
        )
        return [_account(r) for r in rows]


def _demo_subjects(conn: sa.Connection) -> dict[str, str | None]:
    """A merchant that has a shop, a platform and an agency, for the subject-bound roles."""
    subjects, shops = KIND_TABLES["subjects"], KIND_TABLES["shops"]
    merchant = conn.execute(
        sa.select(shops.c.merchant_id).order_by(shops.c.shop_id).limit(1)
    ).scalar_one_or_none()

    def first_of(subject_type: str) -> str | None:
        return conn.execute(
            sa.select(subjects.c.subject_id)
            .where(subjects.c.subject_type == subject_type)
            .order_by(subjects.c.subject_id)
            .limit(1)
        ).scalar_one_or_none()

    return {"subject": merchant, "platform": first_of("platform"), "agency": first_of("agency")}


def reset_demo_accounts(engine: sa.Engine) -> list[tuple[Account, str]]:
    """One demo account per role (those whose subject exists), each with a new password."""
    with engine.begin() as conn:
        subjects = _demo_subjects(conn)
        existing = {
            r.role: r for r in conn.execute(sa.select(web_user).where(web_user.c.demo.is_(True)))
        }
    accounts: list[tuple[Account, str]] = []
    for role in ROLES:
        subject_id = subjects.get(role)
        if role in SUBJECT_ROLES and subject_id is None:
            continue
        password = secrets.token_urlsafe(9)
        if role in existing:
            with engine.begin() as conn:
                conn.execute(
                    web_user.update()
                    .where(web_user.c.user_id == existing[role].user_id)
                    .values(password_hash=PASSWORDS.hash(password), disabled_at=None)
                )
            accounts.append((_account(existing[role]), password))
        else:
            account = create_user(engine, f"demo-{role}", password, role, subject_id, demo=True)
            accounts.append((account, password))
    return accounts
