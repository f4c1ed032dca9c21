"""Appending to the access log.

Each entry is RFC 8785 canonical JSON, hashed together with the previous entry's hash, so
changing, removing or reordering any entry breaks every link after it. Appends serialise on
the head row: its UPDATE comes first, which takes the write lock on SQLite and a row lock on
PostgreSQL before the previous hash is read, so two writers can never fork the chain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785
import sqlalchemy as sa

from ecredit.storage.exchange import access_log, access_log_head


class Action(StrEnum):
    READ_PERSONAL = "read_personal"
    QUERY = "query"
    SELF_QUERY = "self_query"
    INGEST = "ingest"
    EXPORT = "export"
    IMPORT = "import"
    KEY_ROTATION = "key_rotation"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    PRUNE = "prune"


@dataclass(frozen=True)
class Actor:
    """Who is accountable for an access: a user, an organisation or a peer node, with its role."""

    name: str
    role: str
    subject_id: str | None = None


def operator(name: str | None = None) -> Actor:
    """Whoever runs a command on the node's own machine: its administrator, named by
    `--actor`, else $ECREDIT_ACTOR, else the operating-system user."""
    return Actor(name or os.environ.get("ECREDIT_ACTOR") or getpass.getuser(), "admin")


@dataclass(frozen=True)
class Entry:
    actor: Actor
    action: Action
    purpose: str
    authorisation: str
    subject_id: str | None = None
    target: str | None = None
    detail: Mapping[str, Any] | None = None


def canonical(value: object) -> bytes:
    return rfc8785.dumps(value)


def iso(moment: datetime) -> str:
    """UTC with microseconds and a Z, the one spelling every hashed timestamp uses."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + body.encode()).hexdigest()


def _body(seq: int, at: datetime, entry: Entry) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": iso(at),
        "actor": entry.actor.name,
        "role": entry.actor.role,
        "action": str(entry.action),
        "subject_id": entry.subject_id,
        "target": entry.target,
        "purpose": entry.purpose,
        "authorisation": entry.authorisation,
        "detail": json.loads(json.dumps(entry.detail or {}, default=str)),
    }


def append(conn: sa.Connection, entry: Entry, now: datetime | None = None) -> int:
    """Append inside the caller's transaction, so the entry commits or fails with its operation."""
    at = now or datetime.now(UTC)
    conn.execute(
        access_log_head.update()
        .where(access_log_head.c.id == 1)
        .values(last_seq=access_log_head.c.last_seq + 1)
    )
    seq, prev_hash = conn.execute(
        sa.select(access_log_head.c.last_seq, access_log_head.c.last_hash).where(
            access_log_head.c.id == 1
        )
    ).one()
    body = canonical(_body(seq, at, entry)).decode()
    entry_hash = chain_hash(prev_hash, body)
    conn.execute(
        access_log.insert().values(
            seq=seq,
            at=at,
            actor=entry.actor.name,
            action=str(entry.action),
            subject_id=entry.subject_id,
            body=body,
            prev_hash=prev_hash,
            entry_hash=entry_hash,
        )
    )
    conn.execute(
        access_log_head.update().where(access_log_head.c.id == 1).values(last_hash=entry_hash)
    )
    return int(seq)


def record(engine: sa.Engine, entry: Entry, now: datetime | None = None) -> int:
    """Append in a transaction of its own, committed before the caller goes on."""
    with engine.begin() as conn:
        return append(conn, entry, now)


def log_bulk_operation(
    engine: sa.Engine,
    actor: Actor,
    action: Action,
    detail: Mapping[str, Any],
    purpose: str = "bulk_operation",
) -> int:
    """Register an ingest, export, import or key rotation; `detail` holds files and counts only."""
    return record(
        engine,
        Entry(
            actor=actor,
            action=action,
            purpose=purpose,
            authorisation=f"role:{actor.role}",
            detail=detail,
        ),
    )


def log_query(
    engine: sa.Engine,
    actor: Actor,
    what: str,
    purpose: str,
    subject_id: str | None = None,
    authorisation: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Register a non-public query (console searches, API calls beyond the public portal);
    `detail` names what exactly was asked (the web layer's request line), never the answer."""
    return record(
        engine,
        Entry(
            actor=actor,
            action=Action.QUERY,
            purpose=purpose,
            authorisation=authorisation or f"role:{actor.role}",
            subject_id=subject_id,
            target=what,
            detail=detail,
        ),
    )
