"""ledger: drop the indexes nothing reads, so a million-row import writes less

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00

- ``consent_event.hash`` loses its UNIQUE index: nothing looks an event up by its hash, and
  ``consentdesk consent verify`` checks every link of the chain anyway. On SQLite only a
  table rebuild drops a UNIQUE constraint; the append-only triggers are made again after it.
- ``consent_event.occurred_at`` loses its index (the admin lists events in ``seq`` order).
- ``contact.phone_hmac``'s index becomes one on its first 12 characters, all that a bulk
  send's link codes look up: a fifth of the size.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

LINK_PART = sa.text('substr(phone_hmac, 1, 12)')


def _sqlite_triggers(action: str) -> None:
    for operation in ('UPDATE', 'DELETE'):
        name = f'consent_event_no_{operation.lower()}'
        if action == 'drop':
            op.execute(f'DROP TRIGGER {name}')
        else:
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON consent_event BEGIN "
                       f"SELECT RAISE(ABORT, 'consent_event rows are append-only: "
                       f"{operation} refused'); END")


def upgrade() -> None:
    op.drop_index('ix_consent_event_occurred_at', table_name='consent_event')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_triggers('drop')
        with op.batch_alter_table('consent_event', recreate='always') as batch:
            batch.drop_constraint('uq_consent_event_hash', type_='unique')
        _sqlite_triggers('create')
    else:
        op.drop_constraint('uq_consent_event_hash', 'consent_event', type_='unique')
    op.drop_index('ix_contact_phone_hmac', table_name='contact')
    op.create_index('ix_contact_link_part', 'contact', [LINK_PART])


def downgrade() -> None:
    op.drop_index('ix_contact_link_part', table_name='contact')
    op.create_index('ix_contact_phone_hmac', 'contact', ['phone_hmac'])
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_triggers('drop')
        with op.batch_alter_table('consent_event', recreate='always') as batch:
            batch.create_unique_constraint('uq_consent_event_hash', ['hash'])
        _sqlite_triggers('create')
    else:
        op.create_unique_constraint('uq_consent_event_hash', 'consent_event', ['hash'])
    op.create_index('ix_consent_event_occurred_at', 'consent_event', ['occurred_at'])
