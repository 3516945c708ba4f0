"""registration help: frozen registration versions, the call to action, SMS terms and privacy

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 06:30:00

- ``registration_version``: a campaign's registration text and the evidence behind it, as it
  stood when submitted, approved or re-reviewed (append-only: the database refuses UPDATE and
  DELETE); ``core.registration.drift`` compares the live records with the latest one.
- ``campaign.call_to_action``; ``brand.sms_terms``, ``brand.privacy_clause`` and
  ``brand.legal_pages_published`` (hosted at /legal/<brand id>/terms and /privacy).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLE = "registration_version"


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('fields', json, nullable=False),
        sa.Column('evidence', json, nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason IN ('submitted', 'approved', 're-reviewed')",
                           name=op.f('ck_registration_version_reason')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'],
                                name=op.f('fk_registration_version_campaign_id_campaign')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_version')),
    )
    op.create_index(op.f('ix_registration_version_campaign_id'), TABLE, ['campaign_id'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON "
                       f"{TABLE} BEGIN SELECT RAISE(ABORT, '{TABLE} rows are append-only: "
                       f"{operation} refused'); END")
    op.add_column('campaign', sa.Column('call_to_action', sa.Text(), nullable=True))
    op.add_column('brand', sa.Column('sms_terms', sa.Text(), nullable=True))
    op.add_column('brand', sa.Column('privacy_clause', sa.Text(), nullable=True))
    op.add_column('brand', sa.Column('legal_pages_published', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('brand') as batch:
        batch.drop_column('legal_pages_published')
        batch.drop_column('privacy_clause')
        batch.drop_column('sms_terms')
    with op.batch_alter_table('campaign') as batch:
        batch.drop_column('call_to_action')
    op.drop_index(op.f('ix_registration_version_campaign_id'), table_name=TABLE)
    op.drop_table(TABLE)
