"""Tables for exchange between nodes, consents and the access log.

Provenance is kept per statement: every object a peer sends is stored with the node that
authored it and when, whatever became of it, so "who said what, when" can always be answered
and a conflict never loses the losing side. The access log is append-only (database triggers
refuse updates and early deletes) and hash-chained; its head row lets verification notice
entries removed from the end, where no later link would break.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.storage.tables import UtcDateTime, metadata

exchange_peer = sa.Table(
    "exchange_peer",
    metadata,
    sa.Column("node_id", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("authority", sa.String(32), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
)
"""Trusted peers: only batches and requests signed by one of these keys are accepted."""

exchange_sent = sa.Table(
    "exchange_sent",
    metadata,
    sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("cursor_since", sa.Text, nullable=False),
    sa.Column("cursor_until", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(80), nullable=False),
    sa.Column("objects", sa.Integer, nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),
)

exchange_received = sa.Table(
    "exchange_received",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("node_id", sa.String(64), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(80), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("cursor_until", sa.Text, nullable=False),
    sa.Column("objects", sa.Integer, nullable=False),
    sa.Column("ingest_batch_id", sa.Integer, sa.ForeignKey("ingest_batch.batch_id")),
    sa.UniqueConstraint("node_id", "sequence"),
)

exchange_statement = sa.Table(
    "exchange_statement",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "received_id", sa.Integer, sa.ForeignKey("exchange_received.id"), nullable=False, index=True
    ),
    sa.Column("object_type", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(160), nullable=False),
    sa.Column("origin", sa.String(64), nullable=False),
    sa.Column("said_at", UtcDateTime, nullable=False),
    sa.Column("content_hash", sa.String(80), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("local_key", sa.String(64)),
    sa.Column("subject_id", sa.String(64)),
    sa.Index(None, "object_type", "object_id"),
    sa.Index(None, "object_type", "local_key"),
    sa.Index(None, "object_type", "subject_id"),
)
"""One row per object received; `outcome` says whether it was applied (see exchange.apply).
`subject_id` repeats the subject the object is about (subjects, records, list entries and
evaluations; NULL for status changes and tombstones), so a subject's page finds what peers said
about it through an index instead of searching every payload's text."""

exchange_conflict = sa.Table(
    "exchange_conflict",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "statement_id",
        sa.Integer,
        sa.ForeignKey("exchange_statement.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("object_type", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(160), nullable=False),
    sa.Column("stored_origin", sa.String(64), nullable=False),
    sa.Column("stored_payload", sa.Text, nullable=False),
    sa.Column("incoming_origin", sa.String(64), nullable=False),
    sa.Column("winner", sa.String(16), nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
)

exchange_cursor = sa.Table(
    "exchange_cursor",
    metadata,
    sa.Column("node_id", sa.String(64), primary_key=True),
    sa.Column("direction", sa.String(8), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
"""`in`: the peer's cursor after the last batch imported from it; `out`: ours it acknowledged."""

consent = sa.Table(
    "consent",
    metadata,
    sa.Column("consent_id", sa.String(36), primary_key=True),
    sa.Column(
        "subject_id",
        sa.String(64),
        sa.ForeignKey("subjects.subject_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("grantee", sa.Text, nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("granted_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("withdrawn_at", UtcDateTime),
)
"""A person's consent to one grantee querying its credit information for one purpose."""

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), index=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)
"""查询使用登记. `body` is the RFC 8785 JSON that was hashed; the other columns repeat parts of it
for queries and are checked against it."""

access_log_head = sa.Table(
    "access_log_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
    sa.Column("anchor_seq", sa.BigInteger, nullable=False),
    sa.Column("anchor_hash", sa.String(64), nullable=False),
)
"""A single row: the chain's end, and its start once entries past retention are pruned."""
