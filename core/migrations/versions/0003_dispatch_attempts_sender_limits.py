"""dispatch: attempts, errors and dispatch time on messages; sender throughput limits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('message', sa.Column('compliance_reply', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column('message', sa.Column('attempts', sa.Integer(), server_default='0',
                                       nullable=False))
    op.add_column('message', sa.Column('dispatched_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.add_column('message', sa.Column('error_code', sa.String(length=30), nullable=True))
    op.add_column('message', sa.Column('last_error', sa.Text(), nullable=True))
    op.create_index('ix_message_status_send_after', 'message', ['status', 'send_after'])
    op.create_index('ix_message_sender_id_dispatched_at', 'message',
                    ['sender_id', 'dispatched_at'])
    op.add_column('sender', sa.Column('per_second', sa.Integer(), nullable=True))
    op.add_column('sender', sa.Column('per_minute', sa.Integer(), nullable=True))
    op.add_column('sender', sa.Column('daily_cap', sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ('daily_cap', 'per_minute', 'per_second'):
        op.execute(f'ALTER TABLE sender DROP COLUMN {column}')
    op.drop_index('ix_message_sender_id_dispatched_at', table_name='message')
    op.drop_index('ix_message_status_send_after', table_name='message')
    for column in ('last_error', 'error_code', 'dispatched_at', 'attempts', 'compliance_reply'):
        op.execute(f'ALTER TABLE message DROP COLUMN {column}')
