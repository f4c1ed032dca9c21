"""buyers' credit points per evaluation run (买家信用积分)

Sellers' ratings of buyers give buyers credit points under the same rules as shops' points
(seed 001 §四, 交易双方信用互评); each run stores every rated buyer's points and level.

Revision ID: 0008_evaluation_buyer_credit
Revises: 0006_evaluation
Create Date: 2026-11-23 05:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008_evaluation_buyer_credit'
down_revision: Union[str, Sequence[str], None] = '0006_evaluation'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('evaluation_buyer_credit',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_run.run_id'], name=op.f('fk_evaluation_buyer_credit_run_id_evaluation_run')),
    sa.PrimaryKeyConstraint('run_id', 'buyer_id', name=op.f('pk_evaluation_buyer_credit'))
    )
    with op.batch_alter_table('evaluation_buyer_credit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_buyer_credit_buyer_id'), ['buyer_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('evaluation_buyer_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_buyer_credit_buyer_id'))

    op.drop_table('evaluation_buyer_credit')
