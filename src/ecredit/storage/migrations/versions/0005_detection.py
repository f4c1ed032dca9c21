"""detection: manipulation cases, their members and evidence, append-only review history

Revision ID: 0005_detection
Revises: 0001
Create Date: 2026-11-22 23:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0005_detection"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "detection_case",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("manipulation", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_detection_case")),
    )
    op.create_index(
        op.f("ix_detection_case_manipulation"), "detection_case", ["manipulation"], unique=False
    )
    op.create_table(
        "case_member",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["detection_case.case_id"],
            name=op.f("fk_case_member_case_id_detection_case"),
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "entity_kind", "entity_id", name=op.f("pk_case_member")
        ),
    )
    op.create_index(
        "ix_case_member_entity", "case_member", ["entity_kind", "entity_id"], unique=False
    )
    op.create_table(
        "case_evidence",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["detection_case.case_id"],
            name=op.f("fk_case_evidence_case_id_detection_case"),
        ),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_case_evidence")),
    )
    op.create_table(
        "case_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["detection_case.case_id"],
            name=op.f("fk_case_review_case_id_detection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_review")),
    )
    op.create_index(
        op.f("ix_case_review_case_id"), "case_review", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_review_case_id"), table_name="case_review")
    op.drop_table("case_review")
    op.drop_table("case_evidence")
    op.drop_index("ix_case_member_entity", table_name="case_member")
    op.drop_table("case_member")
    op.drop_index(op.f("ix_detection_case_manipulation"), table_name="detection_case")
    op.drop_table("detection_case")
