"""flows: trigger events, runs, scheduled sends, brand link domains

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flow_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_flow_event_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_event')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_flow_event_source_external_id'))
    )
    op.create_index(op.f('ix_flow_event_kind'), 'flow_event', ['kind'])
    op.create_index(op.f('ix_flow_event_contact_id'), 'flow_event', ['contact_id'])
    op.create_table('flow_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('waiting', 'done', 'stopped', 'failed')", name=op.f('ck_flow_run_status')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_flow_run_contact_id_contact')),
    sa.ForeignKeyConstraint(['event_id'], ['flow_event.id'], name=op.f('fk_flow_run_event_id_flow_event')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_flow_run_flow_id_flow')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_run')),
    sa.UniqueConstraint('flow_id', 'event_id', 'contact_id', name=op.f('uq_flow_run_flow_id_event_id_contact_id'))
    )
    op.create_index(op.f('ix_flow_run_flow_id'), 'flow_run', ['flow_id'])
    op.create_index(op.f('ix_flow_run_contact_id'), 'flow_run', ['contact_id'])
    op.create_index('ix_flow_run_status_next_at', 'flow_run', ['status', 'next_at'])
    op.add_column('brand', sa.Column('link_domain', sa.String(length=200), nullable=True))
    op.create_table('scheduled_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('local_time', sa.String(length=5), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'started', 'done', 'cancelled')", name=op.f('ck_scheduled_send_status')),
    sa.CheckConstraint('(at IS NOT NULL) OR (day IS NOT NULL AND local_time IS NOT NULL)', name=op.f('ck_scheduled_send_when')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_scheduled_send_flow_id_flow')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_send'))
    )
    op.create_index(op.f('ix_scheduled_send_flow_id'), 'scheduled_send', ['flow_id'])


def downgrade() -> None:
    op.drop_table('scheduled_send')
    op.execute('ALTER TABLE brand DROP COLUMN link_domain')
    op.drop_table('flow_run')
    op.drop_table('flow_event')
