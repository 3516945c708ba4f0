"""Bring a database up to date: migrate, then add the records the code declares."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from core import location, migrate, plugins
from core.consent import chain
from core.db import db
from core.models import ConsentChainHead, Contact, Keyword, MessageType
from core.security import sync_roles


def upgrade_and_sync(app: Flask) -> None:
    migrate.upgrade(db.engine)
    ensure_chain_head()
    sync_message_types(app)
    sync_keywords(app)
    sync_roles(db.session)
    locate_contacts()
    db.session.commit()


def ensure_chain_head() -> None:
    """The consent chain's head row (the migration adds it; an emptied database needs it back)."""
    if db.session.get(ConsentChainHead, chain.HEAD_ID) is None:
        db.session.add(ConsentChainHead(id=chain.HEAD_ID, seq=0, hash=chain.GENESIS))
        db.session.flush()


def sync_keywords(app: Flask) -> None:
    """Add keywords and phrases plugins declare that the table lacks; never touch a row."""
    existing = set(db.session.execute(sa.select(Keyword.kind, Keyword.language, Keyword.text)))
    for spec in plugins.keyword_specs(app.extensions["consentdesk"].pm):
        key = (spec.kind, spec.language, spec.text)
        if key not in existing:
            existing.add(key)
            db.session.add(Keyword(kind=spec.kind, language=spec.language, text=spec.text,
                                   meaning=spec.meaning))
    db.session.flush()


def sync_message_types(app: Flask) -> None:
    """Add message types declared by plugins that the table lacks; never overwrite a row."""
    existing = set(db.session.scalars(sa.select(MessageType.slug)))
    for spec in plugins.message_type_specs(app.extensions["consentdesk"].pm):
        if spec.slug not in existing:
            existing.add(spec.slug)
            db.session.add(
                MessageType(
                    slug=spec.slug,
                    name=spec.name,
                    description=spec.description,
                    requires_opt_in=spec.requires_opt_in,
                    quiet_hours_exempt=spec.quiet_hours_exempt,
                )
            )
    db.session.flush()


def locate_contacts(batch: int = 20_000) -> int:
    """Give contacts saved before states were recorded the state of their number (ZIP codes
    and typed states are set on save); returns how many were located."""
    located, after = 0, 0
    while True:
        rows = db.session.execute(
            sa.select(Contact.id, Contact.phone)
            .where(Contact.state.is_(None), Contact.phone.is_not(None), Contact.id > after)
            .order_by(Contact.id).limit(batch)).all()
        if not rows:
            return located
        after = rows[-1].id
        found = [{"id": row.id, "state": state} for row in rows
                 if (state := location.state_of_number(row.phone))]
        if found:
            db.session.execute(sa.update(Contact), found)
        located += len(found)
