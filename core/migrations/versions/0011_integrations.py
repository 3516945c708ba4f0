"""integrations: connections to other systems and every delivery they send

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:10:00

- ``integration_connection``: an installed integration an admin connected (settings; secrets
  encrypted with a key derived from the app's secret key).
- ``integration_delivery``: each webhook delivery, stored (raw body and headers) before it is
  verified or processed; one row per sender event id.
- ``outgoing_webhook``: Consentdesk events forwarded to a connected system, with retries.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'integration_connection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('settings', JSON, nullable=False),
        sa.Column('secrets', sa.Text(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('connected_by', sa.String(length=200), nullable=False),
        sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_connection')),
        sa.UniqueConstraint('name', name=op.f('uq_integration_connection_name')),
    )
    op.create_table(
        'integration_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('integration', sa.String(length=50), nullable=False),
        sa.Column('route', sa.String(length=50), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('event_id', sa.String(length=200), nullable=True),
        sa.Column('topic', sa.String(length=100), nullable=True),
        sa.Column('headers', JSON, nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('body_size', sa.Integer(), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('redeliveries', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('received', 'rejected', 'queued', 'processed', "
                           "'ignored', 'failed')", name=op.f('ck_integration_delivery_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_delivery')),
        sa.UniqueConstraint('integration', 'event_id', name='uq_integration_delivery_event'),
    )
    op.create_index('ix_integration_delivery_recent', 'integration_delivery',
                    ['integration', 'received_at'])
    op.create_table(
        'outgoing_webhook',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('integration', sa.String(length=50), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('payload', JSON, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'skipped', 'failed')",
                           name=op.f('ck_outgoing_webhook_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_webhook')),
    )
    op.create_index('ix_outgoing_webhook_due', 'outgoing_webhook', ['status', 'next_at'])


def downgrade() -> None:
    op.drop_index('ix_outgoing_webhook_due', table_name='outgoing_webhook')
    op.drop_table('outgoing_webhook')
    op.drop_index('ix_integration_delivery_recent', table_name='integration_delivery')
    op.drop_table('integration_delivery')
    op.drop_table('integration_connection')
