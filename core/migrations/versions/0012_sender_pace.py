"""sender pace: each sender's throughput state, shared by every worker

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:10:00

- ``sender_pace``: the sender's next free send slot, a vendor's pause (429 Retry-After) and
  today's count against its daily cap (``core.sending.pace``; Redis holds it instead when
  the queue is Redis).
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sender_pace',
        sa.Column('sender_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.Column('paused_until', sa.Float(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('day_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'],
                                name=op.f('fk_sender_pace_sender_id_sender'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sender_id', name=op.f('pk_sender_pace')),
    )


def downgrade() -> None:
    op.drop_table('sender_pace')
