"""governance: workflow cases, their append-only events, purge log

Revision ID: 0002_governance
Revises: 0001
Create Date: 2026-11-22 23:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_governance"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "governance_case",
        sa.Column("workflow", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.subject_id"],
            name=op.f("fk_governance_case_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("workflow", "case_id", name=op.f("pk_governance_case")),
    )
    op.create_index(
        op.f("ix_governance_case_subject_id"), "governance_case", ["subject_id"], unique=False
    )
    op.create_index(
        op.f("ix_governance_case_record_id"), "governance_case", ["record_id"], unique=False
    )
    op.create_table(
        "governance_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow", "case_id"],
            ["governance_case.workflow", "governance_case.case_id"],
            name=op.f("fk_governance_event_workflow_governance_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_event")),
        sa.UniqueConstraint(
            "workflow", "case_id", "seq", name=op.f("uq_governance_event_workflow_case_id_seq")
        ),
    )
    op.create_table(
        "purge_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("type_code", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("act_ended_on", sa.Date(), nullable=True),
        sa.Column("delete_after", sa.Date(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_log")),
    )
    op.create_index(op.f("ix_purge_log_record_id"), "purge_log", ["record_id"], unique=False)
    op.create_index(op.f("ix_purge_log_subject_id"), "purge_log", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_purge_log_subject_id"), table_name="purge_log")
    op.drop_index(op.f("ix_purge_log_record_id"), table_name="purge_log")
    op.drop_table("purge_log")
    op.drop_table("governance_event")
    op.drop_index(op.f("ix_governance_case_record_id"), table_name="governance_case")
    op.drop_index(op.f("ix_governance_case_subject_id"), table_name="governance_case")
    op.drop_table("governance_case")
