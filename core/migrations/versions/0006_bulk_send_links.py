"""bulk sends: one shared link per send, clicks that name their recipient, lighter outbox indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:00:00

- ``message.link_id``: the branded link in the text (a bulk send's recipients share one link;
  their codes add their own part).
- ``click.message_id``/``contact_id``: who clicked, filled in for the clicks recorded so far
  from their per-message links.
- ``message.phone`` loses its index (the phone simulator finds messages by contact);
  ``provider_message_id`` and ``(sender_id, dispatched_at)`` are indexed only where set, so
  queueing a million texts does not touch them.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column, target in (('message', 'link_id', 'link'),
                                  ('click', 'message_id', 'message'),
                                  ('click', 'contact_id', 'contact')):
        name = f'fk_{table}_{column}_{target}'
        if sqlite:  # SQLite takes a new column's foreign key inline, not as ALTER ... ADD
            op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER '
                       f'CONSTRAINT {name} REFERENCES {target} (id)')
        else:
            op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(
                f'{target}.id', name=op.f(name)), nullable=True))
    op.create_index(op.f('ix_click_contact_id'), 'click', ['contact_id'])
    op.execute('UPDATE click SET message_id = (SELECT link.message_id FROM link '
               'WHERE link.id = click.link_id), contact_id = (SELECT link.contact_id '
               'FROM link WHERE link.id = click.link_id)')
    op.drop_index('ix_message_phone', table_name='message')
    op.drop_index('ix_message_provider_message_id', table_name='message')
    op.drop_index('ix_message_sender_id_dispatched_at', table_name='message')
    where = sa.text('provider_message_id IS NOT NULL')
    op.create_index('ix_message_provider_message_id', 'message', ['provider_message_id'],
                    sqlite_where=where, postgresql_where=where)
    where = sa.text('dispatched_at IS NOT NULL')
    op.create_index('ix_message_sender_id_dispatched_at', 'message',
                    ['sender_id', 'dispatched_at'], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_message_sender_id_dispatched_at', table_name='message')
    op.drop_index('ix_message_provider_message_id', table_name='message')
    op.create_index('ix_message_sender_id_dispatched_at', 'message',
                    ['sender_id', 'dispatched_at'])
    op.create_index('ix_message_provider_message_id', 'message', ['provider_message_id'])
    op.create_index('ix_message_phone', 'message', ['phone'])
    op.drop_index(op.f('ix_click_contact_id'), table_name='click')
    # A column with a foreign key: SQLite can only drop it by rebuilding the table (batch);
    # the key goes with the column.
    with op.batch_alter_table('click') as batch:
        batch.drop_column('contact_id')
        batch.drop_column('message_id')
    with op.batch_alter_table('message') as batch:
        batch.drop_column('link_id')
