"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 05:55:41.280064
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_TABLES = ("consent_event", "audit_log")


def refuse_changes_in_database() -> None:
    """Make the database itself refuse UPDATE and DELETE on append-only tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION refuse_append_only_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
            )
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only: {operation} refused'); END"
            )


def allow_changes_in_database() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_append_only_change()")
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{operation}")


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('model', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.String(length=50), nullable=True),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('brand',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('public_name', sa.String(length=100), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('tax_id', sa.String(length=50), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('support_email', sa.String(length=200), nullable=True),
    sa.Column('support_phone', sa.String(length=20), nullable=True),
    sa.Column('authorized_contact', sa.String(length=200), nullable=True),
    sa.Column('privacy_policy_url', sa.String(length=300), nullable=True),
    sa.Column('terms_url', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand'))
    )
    op.create_table('consent_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_chain_head'))
    )
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('phone', name=op.f('uq_contact_phone'))
    )
    op.create_table('disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_disclosure_name_version'))
    )
    op.create_table('message_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('requires_opt_in', sa.Boolean(), nullable=False),
    sa.Column('quiet_hours_exempt', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_type')),
    sa.UniqueConstraint('slug', name=op.f('uq_message_type_slug'))
    )
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('permissions', sa.UnicodeText(), nullable=True),
    sa.Column('update_datetime', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
    sa.UniqueConstraint('name', name=op.f('uq_role_name'))
    )
    op.create_table('segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment')),
    sa.UniqueConstraint('name', name=op.f('uq_segment_name'))
    )
    op.create_table('suppression',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hmac', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppression')),
    sa.UniqueConstraint('phone_hmac', name=op.f('uq_suppression_phone_hmac'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('fs_uniquifier', sa.String(length=64), nullable=False),
    sa.Column('fs_token_uniquifier', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_ip', sa.String(length=64), nullable=True),
    sa.Column('current_login_ip', sa.String(length=64), nullable=True),
    sa.Column('login_count', sa.Integer(), nullable=True),
    sa.Column('create_datetime', sa.DateTime(timezone=True), nullable=False),
    sa.Column('update_datetime', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('fs_token_uniquifier', name=op.f('uq_user_fs_token_uniquifier')),
    sa.UniqueConstraint('fs_uniquifier', name=op.f('uq_user_fs_uniquifier')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('webhook_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event')),
    sa.UniqueConstraint('source', 'idempotency_key', name=op.f('uq_webhook_event_source_idempotency_key'))
    )
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('use_case', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('message_flow', sa.Text(), nullable=True),
    sa.Column('sample_messages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('opt_in_keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('opt_out_keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('help_keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('help_text', sa.Text(), nullable=True),
    sa.Column('opt_in_confirmation', sa.Text(), nullable=True),
    sa.Column('message_frequency', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'rejected', 'suspended')", name=op.f('ck_campaign_status')),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], name=op.f('fk_campaign_brand_id_brand')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_brand_id'), ['brand_id'], unique=False)

    op.create_table('preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('max_per_week', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_preference_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preference')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_preference_contact_id'))
    )
    op.create_table('roles_users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_roles_users_role_id_role')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_roles_users_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('pk_roles_users'))
    )
    op.create_table('flow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('message_type_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=100), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('success_metric', sa.String(length=100), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_flow_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['message_type_id'], ['message_type.id'], name=op.f('fk_flow_message_type_id_message_type')),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_flow_segment_id_segment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow')),
    sa.UniqueConstraint('name', name=op.f('uq_flow_name'))
    )
    op.create_table('sender',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=20), nullable=False),
    sa.Column('provider', sa.String(length=50), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('long_code', 'toll_free', 'short_code', 'alphanumeric')", name=op.f('ck_sender_kind')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_sender_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender')),
    sa.UniqueConstraint('address', name=op.f('uq_sender_address'))
    )
    with op.batch_alter_table('sender', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('message_type_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('source_detail', sa.String(length=500), nullable=True),
    sa.Column('disclosure_id', sa.Integer(), nullable=True),
    sa.Column('disclosure_hash', sa.String(length=64), nullable=True),
    sa.Column('page_url', sa.String(length=1000), nullable=True),
    sa.Column('document_url', sa.String(length=1000), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('flow_id', sa.Integer(), nullable=True),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('personal_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("action IN ('opt_in', 'opt_out')", name=op.f('ck_consent_event_action')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_consent_event_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_consent_event_contact_id_contact')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure.id'], name=op.f('fk_consent_event_disclosure_id_disclosure')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_consent_event_flow_id_flow')),
    sa.ForeignKeyConstraint(['message_type_id'], ['message_type.id'], name=op.f('fk_consent_event_message_type_id_message_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_consent_event_hash')),
    sa.UniqueConstraint('seq', name=op.f('uq_consent_event_seq'))
    )
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_event_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_consent_event_occurred_at', ['occurred_at'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('message_type_id', sa.Integer(), nullable=True),
    sa.Column('flow_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('block_reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('provider', sa.String(length=50), nullable=True),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("direction IN ('in', 'out')", name=op.f('ck_message_direction')),
    sa.CheckConstraint("status IN ('received', 'queued', 'blocked', 'deferred', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'dead')", name=op.f('ck_message_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_message_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_message_contact_id_contact')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_message_flow_id_flow')),
    sa.ForeignKeyConstraint(['message_type_id'], ['message_type.id'], name=op.f('fk_message_message_type_id_message_type')),
    sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_message_sender_id_sender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_message_idempotency_key'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_provider_message_id'), ['provider_message_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('message_type_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('opted_in', 'opted_out')", name=op.f('ck_consent_state')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_consent_contact_id_contact')),
    sa.ForeignKeyConstraint(['last_event_id'], ['consent_event.id'], name=op.f('fk_consent_last_event_id_consent_event')),
    sa.ForeignKeyConstraint(['message_type_id'], ['message_type.id'], name=op.f('fk_consent_message_type_id_message_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent')),
    sa.UniqueConstraint('contact_id', 'message_type_id', name=op.f('uq_consent_contact_id_message_type_id'))
    )
    op.create_table('consent_evidence',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('keyword_text', sa.String(length=1600), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['consent_event.id'], name=op.f('fk_consent_evidence_event_id_consent_event')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_consent_evidence'))
    )
    op.create_table('conversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('flow_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_conversion_contact_id_contact')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_conversion_flow_id_flow')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_conversion_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversion')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_conversion_source_external_id'))
    )
    with op.batch_alter_table('conversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversion_contact_id'), ['contact_id'], unique=False)

    op.create_table('link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('destination', sa.String(length=2000), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('flow_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_link_contact_id_contact')),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_link_flow_id_flow')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_link_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link')),
    sa.UniqueConstraint('code', name=op.f('uq_link_code'))
    )
    op.create_table('click',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['link.id'], name=op.f('fk_click_link_id_link')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_click'))
    )
    with op.batch_alter_table('click', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_click_link_id'), ['link_id'], unique=False)

    op.execute(
        "INSERT INTO consent_chain_head (id, seq, hash) VALUES (1, 0, '"
        + "0" * 64
        + "')"
    )
    refuse_changes_in_database()


def downgrade() -> None:
    allow_changes_in_database()
    with op.batch_alter_table('click', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_click_link_id'))

    op.drop_table('click')
    op.drop_table('link')
    with op.batch_alter_table('conversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversion_contact_id'))

    op.drop_table('conversion')
    op.drop_table('consent_evidence')
    op.drop_table('consent')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_provider_message_id'))
        batch_op.drop_index(batch_op.f('ix_message_phone'))
        batch_op.drop_index(batch_op.f('ix_message_contact_id'))

    op.drop_table('message')
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_event_occurred_at')
        batch_op.drop_index(batch_op.f('ix_consent_event_contact_id'))

    op.drop_table('consent_event')
    with op.batch_alter_table('sender', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sender_campaign_id'))

    op.drop_table('sender')
    op.drop_table('flow')
    op.drop_table('roles_users')
    op.drop_table('preference')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_brand_id'))

    op.drop_table('campaign')
    op.drop_table('webhook_event')
    op.drop_table('user')
    op.drop_table('suppression')
    op.drop_table('segment')
    op.drop_table('role')
    op.drop_table('message_type')
    op.drop_table('disclosure')
    op.drop_table('contact')
    op.drop_table('consent_chain_head')
    op.drop_table('brand')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
