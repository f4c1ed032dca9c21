"""Tables of the web layer: accounts, API keys, issued reports and badges, statistics snapshots.

Issued reports and badges are registered here because a signature alone proves only who
signed; the registry is what says a document was really issued and whether it is still
current. Secrets are never stored: passwords as argon2 hashes, API keys as SHA-256 of a
256-bit random secret (high entropy makes a slow hash unnecessary and keeps each request fast).
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.storage.tables import UtcDateTime, metadata

ROLES = ("subject", "platform", "agency", "regulator", "admin")
"""Roles an account can hold; `public` is the absence of an account."""

web_user = sa.Table(
    "web_user",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("subject_id", sa.String(64), sa.ForeignKey("subjects.subject_id"), index=True),
    sa.Column("demo", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("disabled_at", UtcDateTime),
)
"""`subject_id` ties a subject, platform or agency account to the subject it acts for."""

api_key = sa.Table(
    "api_key",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("web_user.user_id"), nullable=False, index=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

issued_report = sa.Table(
    "issued_report",
    metadata,
    sa.Column("report_no", sa.String(32), primary_key=True),
    sa.Column(
        "subject_id",
        sa.String(64),
        sa.ForeignKey("subjects.subject_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("valid_until", UtcDateTime, nullable=False),
    sa.Column("issued_to", sa.Text, nullable=False),
    sa.Column("signing_key_id", sa.String(16), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("json_sha256", sa.String(64), nullable=False),
    sa.Column("pdf_sha256", sa.String(64), nullable=False),
    sa.Column("document_json", sa.Text, nullable=False),
    sa.Column("document_pdf", sa.LargeBinary, nullable=False),
)
"""`content_sha256` fingerprints the report body: recomputing it later tells whether the
subject's file has changed since, i.e. whether the report is still current."""

badge = sa.Table(
    "badge",
    metadata,
    sa.Column("badge_id", sa.String(32), primary_key=True),
    sa.Column(
        "subject_id",
        sa.String(64),
        sa.ForeignKey("subjects.subject_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("shop_id", sa.String(64), sa.ForeignKey("shops.shop_id"), index=True),
    sa.Column("grade", sa.String(8)),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

stats_snapshot = sa.Table(
    "stats_snapshot",
    metadata,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("indicator", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(128), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("computed_at", UtcDateTime, nullable=False),
)
"""One row per (month, monitoring indicator, dimension value): the published figures stay
what they were even when late data arrives."""
