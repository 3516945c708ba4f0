"""keyword patterns, undeliverable numbers, bounded webhook records

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:00:00

- ``keyword`` holds patterns and word lists now: ``text`` becomes TEXT, ``meaning`` names the
  slot, spelling, type or event a row is about, and the kinds the engine reads are allowed.
  Rows of the old defaults that read everyday speech as an opt-out are dropped (the phrases
  "deja de"/"dejen de", which the new patterns say precisely, and the fillers "it"/"this",
  which made "cancel it" an opt-out); anything an admin added stays.
- ``contact.undeliverable_at``/``undeliverable_code``: a provider said the number cannot
  receive texts.
- ``webhook_event.body_size``/``body_sha256``: a refused request keeps only an excerpt;
  ``attempts`` counts how often the sweep processed a failed one again.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_KINDS = ('opt_out', 'help', 'opt_in', 'phrase', 'filler')
KINDS = ('opt_out', 'help', 'opt_in', 'filler', 'phrase', 'harmless', 'doubt', 'join', 'event',
         'pair', 'slot', 'spelling', 'type', 'total', 'trigger', 'fuzzy', 'near_miss', 'skip')
RETIRED = (('phrase', 'deja de'), ('phrase', 'dejen de'), ('filler', 'it'), ('filler', 'this'))


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    keyword = sa.table('keyword', sa.column('kind'), sa.column('text'))
    for kind, text in RETIRED:
        op.execute(keyword.delete().where(keyword.c.kind == kind, keyword.c.text == text))
    with op.batch_alter_table('keyword') as batch:
        batch.drop_constraint(op.f('ck_keyword_kind'), type_='check')
        batch.alter_column('text', type_=sa.Text(), existing_type=sa.String(200),
                           existing_nullable=False)
        batch.add_column(sa.Column('meaning', sa.String(length=100), nullable=True))
        batch.create_check_constraint(op.f('ck_keyword_kind'), sa.text(_kinds(KINDS)))
    op.add_column('contact', sa.Column('undeliverable_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.add_column('contact', sa.Column('undeliverable_code', sa.String(length=60), nullable=True))
    op.add_column('webhook_event', sa.Column('body_size', sa.Integer(), nullable=True))
    op.add_column('webhook_event', sa.Column('body_sha256', sa.String(length=64), nullable=True))
    op.add_column('webhook_event', sa.Column('attempts', sa.Integer(), nullable=False,
                                             server_default='0'))


def downgrade() -> None:
    op.execute("ALTER TABLE webhook_event DROP COLUMN attempts")
    op.execute("ALTER TABLE webhook_event DROP COLUMN body_sha256")
    op.execute("ALTER TABLE webhook_event DROP COLUMN body_size")
    op.execute("ALTER TABLE contact DROP COLUMN undeliverable_code")
    op.execute("ALTER TABLE contact DROP COLUMN undeliverable_at")
    keyword = sa.table('keyword', sa.column('kind'))
    op.execute(keyword.delete().where(keyword.c.kind.not_in(OLD_KINDS)))
    with op.batch_alter_table('keyword') as batch:
        batch.drop_constraint(op.f('ck_keyword_kind'), type_='check')
        batch.drop_column('meaning')
        batch.alter_column('text', type_=sa.String(200), existing_type=sa.Text(),
                           existing_nullable=False)
        batch.create_check_constraint(op.f('ck_keyword_kind'), sa.text(_kinds(OLD_KINDS)))
