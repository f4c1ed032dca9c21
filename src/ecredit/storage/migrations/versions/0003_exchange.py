"""exchange between nodes, consents, hash-chained access log

Revision ID: 0003_exchange
Revises: 0001
Create Date: 2026-11-23 10:00:00

The access log refuses UPDATE always and DELETE inside its 5-year retention, in the database
itself, so no code path (and no careless operator) can rewrite it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0003_exchange"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

GENESIS = "0" * 64

SQLITE_GUARDS = (
    """CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, '查询使用登记只可追加 / access_log is append-only'); END""",
    """CREATE TRIGGER access_log_no_early_delete BEFORE DELETE ON access_log
    WHEN old."at" > strftime('%Y-%m-%d %H:%M:%f', 'now', '-5 years')
    BEGIN SELECT RAISE(ABORT, '查询使用登记保存期未满5年 / access_log retention is 5 years'); END""",
)

POSTGRES_GUARDS = (
    """CREATE FUNCTION access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD."at" < now() - interval '5 years' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '查询使用登记只可追加，保存期5年 / access_log is append-only, kept 5 years';
    END $$""",
    """CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_guard()""",
)


def upgrade() -> None:
    op.create_table(
        "exchange_peer",
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("authority", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_exchange_peer")),
    )
    op.create_table(
        "exchange_sent",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cursor_since", sa.Text(), nullable=False),
        sa.Column("cursor_until", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_exchange_sent")),
    )
    op.create_table(
        "exchange_received",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cursor_until", sa.Text(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("ingest_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ingest_batch_id"],
            ["ingest_batch.batch_id"],
            name=op.f("fk_exchange_received_ingest_batch_id_ingest_batch"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_received")),
        sa.UniqueConstraint(
            "node_id", "sequence", name=op.f("uq_exchange_received_node_id_sequence")
        ),
    )
    op.create_table(
        "exchange_statement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(160), nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("said_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("local_key", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["received_id"],
            ["exchange_received.id"],
            name=op.f("fk_exchange_statement_received_id_exchange_received"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_statement")),
    )
    op.create_index(
        op.f("ix_exchange_statement_received_id"), "exchange_statement", ["received_id"]
    )
    op.create_index(
        op.f("ix_exchange_statement_object_type_object_id"),
        "exchange_statement",
        ["object_type", "object_id"],
    )
    op.create_index(
        op.f("ix_exchange_statement_object_type_local_key"),
        "exchange_statement",
        ["object_type", "local_key"],
    )
    op.create_table(
        "exchange_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(160), nullable=False),
        sa.Column("stored_origin", sa.String(64), nullable=False),
        sa.Column("stored_payload", sa.Text(), nullable=False),
        sa.Column("incoming_origin", sa.String(64), nullable=False),
        sa.Column("winner", sa.String(16), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["exchange_statement.id"],
            name=op.f("fk_exchange_conflict_statement_id_exchange_statement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_conflict")),
    )
    op.create_index(
        op.f("ix_exchange_conflict_statement_id"), "exchange_conflict", ["statement_id"]
    )
    op.create_table(
        "exchange_cursor",
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "direction", name=op.f("pk_exchange_cursor")),
    )
    op.create_table(
        "consent",
        sa.Column("consent_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("grantee", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.subject_id"], name=op.f("fk_consent_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_consent")),
    )
    op.create_index(op.f("ix_consent_subject_id"), "consent", ["subject_id"])
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"])
    op.create_index(op.f("ix_access_log_subject_id"), "access_log", ["subject_id"])
    head = op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log_head")),
    )
    op.bulk_insert(
        head,
        [{"id": 1, "last_seq": 0, "last_hash": GENESIS, "anchor_seq": 0, "anchor_hash": GENESIS}],
    )
    guards = SQLITE_GUARDS if op.get_bind().dialect.name == "sqlite" else POSTGRES_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER access_log_append_only ON access_log")
        op.execute("DROP FUNCTION access_log_guard()")
    for table in (
        "access_log_head",
        "access_log",
        "consent",
        "exchange_cursor",
        "exchange_conflict",
        "exchange_statement",
        "exchange_received",
        "exchange_sent",
        "exchange_peer",
    ):
        op.drop_table(table)
