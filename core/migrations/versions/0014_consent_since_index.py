"""consent list: an index on consent.since

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:00:00

- ``ix_consent_since``: the admin's consent list shows the latest changes first; without it
  every page sorts the whole table (millions of rows at a million contacts).
"""

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_consent_since', 'consent', ['since'])


def downgrade() -> None:
    op.drop_index('ix_consent_since', table_name='consent')
