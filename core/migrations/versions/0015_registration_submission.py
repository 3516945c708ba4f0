"""registration submitted through a provider plugin: its provider, reference and reviewer's note

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('campaign', sa.Column('registration_provider', sa.String(length=50),
                                        nullable=True))
    op.add_column('campaign', sa.Column('registration_reference', sa.String(length=200),
                                        nullable=True))
    op.add_column('campaign', sa.Column('registration_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign') as batch:
        batch.drop_column('registration_note')
        batch.drop_column('registration_reference')
        batch.drop_column('registration_provider')
