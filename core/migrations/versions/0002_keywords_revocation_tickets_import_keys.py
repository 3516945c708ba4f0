"""keywords, revocation tickets, import keys, contact phone HMAC

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:16:42.287780
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keyword',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('opt_out', 'help', 'opt_in', 'phrase', 'filler')", name=op.f('ck_keyword_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword')),
    sa.UniqueConstraint('kind', 'language', 'text', name=op.f('uq_keyword_kind_language_text'))
    )
    op.create_table('revocation_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('possible', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('matched', sa.String(length=200), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolved_by', sa.String(length=255), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'revoked', 'dismissed', 'answered')", name=op.f('ck_revocation_ticket_status')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_revocation_ticket_contact_id_contact')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_revocation_ticket_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocation_ticket'))
    )
    with op.batch_alter_table('revocation_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revocation_ticket_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revocation_ticket_due_at'), ['due_at'], unique=False)

    op.add_column('campaign', sa.Column('stop_asks_scope', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('message', sa.Column('send_after', sa.DateTime(timezone=True), nullable=True))
    op.add_column('message', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('contact', sa.Column('phone_hmac', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_contact_phone_hmac'), 'contact', ['phone_hmac'], unique=False)
    # Not batch mode: recreating consent_event on SQLite would drop its append-only triggers.
    op.add_column('consent_event', sa.Column('external_id', sa.String(length=100), nullable=True))
    op.create_index(op.f('ix_consent_event_external_id'), 'consent_event', ['external_id'],
                    unique=True)



def downgrade() -> None:
    # Not batch mode: recreating consent_event on SQLite would drop its append-only triggers.
    op.drop_index(op.f('ix_consent_event_external_id'), table_name='consent_event')
    op.execute("ALTER TABLE consent_event DROP COLUMN external_id")
    op.execute("ALTER TABLE campaign DROP COLUMN stop_asks_scope")
    op.execute("ALTER TABLE message DROP COLUMN send_after")
    op.execute("ALTER TABLE message DROP COLUMN expires_at")
    op.drop_index(op.f('ix_contact_phone_hmac'), table_name='contact')
    op.execute("ALTER TABLE contact DROP COLUMN phone_hmac")

    with op.batch_alter_table('revocation_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revocation_ticket_due_at'))
        batch_op.drop_index(batch_op.f('ix_revocation_ticket_contact_id'))

    op.drop_table('revocation_ticket')
    op.drop_table('keyword')
