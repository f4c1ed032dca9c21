"""web: accounts, API keys, issued reports, badges, statistics snapshots

Revision ID: 0004_web
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_web"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("disabled_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.subject_id"], name=op.f("fk_web_user_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("username", name=op.f("uq_web_user_username")),
    )
    op.create_index(op.f("ix_web_user_subject_id"), "web_user", ["subject_id"])

    op.create_table(
        "api_key",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["web_user.user_id"], name=op.f("fk_api_key_user_id_web_user")
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_key")),
    )
    op.create_index(op.f("ix_api_key_user_id"), "api_key", ["user_id"])

    op.create_table(
        "issued_report",
        sa.Column("report_no", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.Column("valid_until", UTC_TIME, nullable=False),
        sa.Column("issued_to", sa.Text(), nullable=False),
        sa.Column("signing_key_id", sa.String(length=16), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("json_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("document_pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.subject_id"],
            name=op.f("fk_issued_report_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("report_no", name=op.f("pk_issued_report")),
    )
    op.create_index(op.f("ix_issued_report_subject_id"), "issued_report", ["subject_id"])

    op.create_table(
        "badge",
        sa.Column("badge_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.subject_id"], name=op.f("fk_badge_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.shop_id"], name=op.f("fk_badge_shop_id_shops")),
        sa.PrimaryKeyConstraint("badge_id", name=op.f("pk_badge")),
    )
    op.create_index(op.f("ix_badge_subject_id"), "badge", ["subject_id"])
    op.create_index(op.f("ix_badge_shop_id"), "badge", ["shop_id"])

    op.create_table(
        "stats_snapshot",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("computed_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("month", "indicator", "dimension", name=op.f("pk_stats_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("stats_snapshot")
    op.drop_index(op.f("ix_badge_shop_id"), table_name="badge")
    op.drop_index(op.f("ix_badge_subject_id"), table_name="badge")
    op.drop_table("badge")
    op.drop_index(op.f("ix_issued_report_subject_id"), table_name="issued_report")
    op.drop_table("issued_report")
    op.drop_index(op.f("ix_api_key_user_id"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_index(op.f("ix_web_user_subject_id"), table_name="web_user")
    op.drop_table("web_user")
