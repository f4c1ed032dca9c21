"""exchange statements: the subject each is about, indexed

A subject's page reads what peers said about it (their listings and evaluations); without a
subject column that meant searching the text of every statement's payload. The column is
filled on import and backfilled here from the payloads already stored: a subject's id is the
object's own id, a record's, list entry's or evaluation's is `data.subject_id`; status changes
and tombstones name no subject and stay NULL.

Revision ID: 0010_statement_subject
Revises: 0003_exchange
Create Date: 2026-11-25 09:00:00

"""

import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0010_statement_subject"
down_revision: Union[str, Sequence[str], None] = "0003_exchange"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SUBJECT_DATA = ("record", "list_entry", "evaluation")
"""Object types whose `data.subject_id` names their subject (a `subject`'s is its own id)."""

CHUNK = 1000


def _backfill() -> None:
    """Read in id order, a chunk at a time, so a large table never sits in memory at once."""
    conn = op.get_bind()
    st = sa.table(
        "exchange_statement",
        sa.column("id", sa.Integer),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("payload", sa.Text),
        sa.column("subject_id", sa.String),
    )
    conn.execute(
        st.update().where(st.c.object_type == "subject").values(subject_id=st.c.object_id)
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(st.c.id, st.c.payload)
            .where(st.c.object_type.in_(SUBJECT_DATA), st.c.id > last)
            .order_by(st.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        updates = [
            {"row_id": row.id, "subject": json.loads(row.payload)["data"].get("subject_id")}
            for row in rows
        ]
        conn.execute(
            st.update().where(st.c.id == sa.bindparam("row_id")).values(
                subject_id=sa.bindparam("subject")
            ),
            updates,
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("exchange_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.String(64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_exchange_statement_object_type_subject_id"),
            ["object_type", "subject_id"],
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("exchange_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_statement_object_type_subject_id"))
        batch_op.drop_column("subject_id")
