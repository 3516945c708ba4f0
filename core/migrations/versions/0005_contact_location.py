"""contacts: ZIP code and state, so quiet hours follow where people are, not their numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

A state recorded in ``attributes`` (the earlier place for it) moves to the column; the
rest are derived from the number by ``consentdesk db upgrade`` (core.upgrade).
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('contact', sa.Column('postal_code', sa.String(length=10), nullable=True))
    op.add_column('contact', sa.Column('state', sa.String(length=2), nullable=True))
    recorded = ("json_extract(attributes, '$.state')" if op.get_bind().dialect.name == 'sqlite'
                else "attributes->>'state'")
    op.execute(f"UPDATE contact SET state = upper(substr(trim({recorded}), 1, 2)) "
               f"WHERE phone IS NOT NULL AND length(trim({recorded})) = 2")


def downgrade() -> None:
    op.execute('ALTER TABLE contact DROP COLUMN state')
    op.execute('ALTER TABLE contact DROP COLUMN postal_code')
