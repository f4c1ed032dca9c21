"""purge log: the copies of a purged record's content that went with it

A retention term binds every copy (个人信息保护法 Art.47), so a purge also erases what peers
said about the record; the purge log counts those rows, by table. Earlier purges keep NULL:
nobody counted then.

Revision ID: 0009_purge_copies
Revises: 0002_governance
Create Date: 2026-11-24 09:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0009_purge_copies"
down_revision: Union[str, Sequence[str], None] = "0002_governance"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("purge_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copies", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("purge_log", schema=None) as batch_op:
        batch_op.drop_column("copies")
