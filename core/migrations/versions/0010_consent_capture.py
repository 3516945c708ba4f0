"""consent capture: hosted opt-in forms, their snapshots and submissions, paper scans,
preference-center choices

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:00:00

- ``opt_in_form`` (+ ``opt_in_form_type``): forms built in the admin, public at /f/<slug>.
- ``form_snapshot``: each form exactly as rendered, once per distinct page.
- ``form_submission``: a submission, its evidence, and the double opt-in's wait for "Y".
- ``consent_document``: signed paper forms as uploaded.
- ``preference_event``: preference-center choices beyond consent (offers per week).
- ``consent_event.snapshot_hash``, ``document_hash``, ``host_page_url``: what the person saw
  or signed, hashed into the chain when set (older events hash exactly as before).
- ``preference.offers_per_week``; ``link.kind`` ("branded" or "preferences").
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'opt_in_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=60), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('disclosure_id', sa.Integer(), nullable=False),
        sa.Column('heading', sa.String(length=200), nullable=True),
        sa.Column('ask_name', sa.Boolean(), nullable=False),
        sa.Column('ask_email', sa.Boolean(), nullable=False),
        sa.Column('ask_zip', sa.Boolean(), nullable=False),
        sa.Column('thank_you', sa.Text(), nullable=True),
        sa.Column('flow_id', sa.Integer(), nullable=True),
        sa.Column('double_opt_in', sa.Boolean(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'],
                                name=op.f('fk_opt_in_form_campaign_id_campaign')),
        sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure.id'],
                                name=op.f('fk_opt_in_form_disclosure_id_disclosure')),
        sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_opt_in_form_flow_id_flow')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_in_form')),
        sa.UniqueConstraint('slug', name=op.f('uq_opt_in_form_slug')),
    )
    op.create_table(
        'opt_in_form_type',
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('message_type_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['form_id'], ['opt_in_form.id'], ondelete='CASCADE',
                                name=op.f('fk_opt_in_form_type_form_id_opt_in_form')),
        sa.ForeignKeyConstraint(['message_type_id'], ['message_type.id'],
                                name=op.f('fk_opt_in_form_type_message_type_id_message_type')),
        sa.PrimaryKeyConstraint('form_id', 'message_type_id', name=op.f('pk_opt_in_form_type')),
    )
    op.create_table(
        'form_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['form_id'], ['opt_in_form.id'],
                                name=op.f('fk_form_snapshot_form_id_opt_in_form')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_snapshot')),
        sa.UniqueConstraint('sha256', name=op.f('uq_form_snapshot_sha256')),
    )
    op.create_index(op.f('ix_form_snapshot_form_id'), 'form_snapshot', ['form_id'])
    op.create_table(
        'form_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('message_type_ids', JSON, nullable=False),
        sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
        sa.Column('page_url', sa.String(length=1000), nullable=True),
        sa.Column('host_page_url', sa.String(length=1000), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('request_message_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirm_message_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('confirmed', 'pending', 'expired', 'cancelled')",
                           name=op.f('ck_form_submission_status')),
        sa.ForeignKeyConstraint(['form_id'], ['opt_in_form.id'],
                                name=op.f('fk_form_submission_form_id_opt_in_form')),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'],
                                name=op.f('fk_form_submission_contact_id_contact')),
        sa.ForeignKeyConstraint(['request_message_id'], ['message.id'],
                                name=op.f('fk_form_submission_request_message_id_message')),
        sa.ForeignKeyConstraint(['confirm_message_id'], ['message.id'],
                                name=op.f('fk_form_submission_confirm_message_id_message')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission')),
        sa.UniqueConstraint('nonce', name=op.f('uq_form_submission_nonce')),
    )
    op.create_index(op.f('ix_form_submission_form_id'), 'form_submission', ['form_id'])
    op.create_index(op.f('ix_form_submission_contact_id'), 'form_submission', ['contact_id'])
    op.create_index('ix_form_submission_pending', 'form_submission', ['contact_id', 'status'])
    op.create_table(
        'consent_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=50), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('uploaded_by', sa.String(length=200), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_document')),
        sa.UniqueConstraint('sha256', name=op.f('uq_consent_document_sha256')),
    )
    op.create_table(
        'preference_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=True),
        sa.Column('link_id', sa.Integer(), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'],
                                name=op.f('fk_preference_event_contact_id_contact')),
        sa.ForeignKeyConstraint(['link_id'], ['link.id'],
                                name=op.f('fk_preference_event_link_id_link')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_preference_event')),
    )
    op.create_index(op.f('ix_preference_event_contact_id'), 'preference_event', ['contact_id'])
    # Plain ADD COLUMN: consent_event keeps its append-only triggers (no table rebuild).
    op.add_column('consent_event', sa.Column('snapshot_hash', sa.String(length=64), nullable=True))
    op.add_column('consent_event', sa.Column('document_hash', sa.String(length=64), nullable=True))
    op.add_column('consent_event', sa.Column('host_page_url', sa.String(length=1000),
                                             nullable=True))
    op.add_column('preference', sa.Column('offers_per_week', sa.Integer(), nullable=True))
    op.add_column('link', sa.Column('kind', sa.String(length=20), nullable=False,
                                    server_default='branded'))


def downgrade() -> None:
    with op.batch_alter_table('link') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('preference') as batch:
        batch.drop_column('offers_per_week')
    if op.get_bind().dialect.name == 'sqlite':
        for column in ('host_page_url', 'document_hash', 'snapshot_hash'):
            op.execute(f'ALTER TABLE consent_event DROP COLUMN {column}')
    else:
        for column in ('host_page_url', 'document_hash', 'snapshot_hash'):
            op.drop_column('consent_event', column)
    op.drop_table('preference_event')
    op.drop_table('consent_document')
    op.drop_table('form_submission')
    op.drop_table('form_snapshot')
    op.drop_table('opt_in_form_type')
    op.drop_table('opt_in_form')
