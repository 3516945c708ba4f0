"""Branded short links: unique per message and recipient, a click recorded, a 302 with UTM tags.

A flow's text to one person gets a link of its own (``/l/<11 random characters>``). A bulk
send makes one link for all its recipients and each recipient's code adds 12 hex characters
of their phone HMAC (``/l/<8 random><12 hex>``): the database writes the code while it writes
the text, and the HMAC, keyed with the server's secret, cannot be guessed for another person.

``/l/<code>`` answers on the app and on each brand's link domain (point the domain at the
app). HEAD requests and link-preview fetchers (the bots that draw a preview card in a chat)
get the redirect but are not counted as clicks. The visitor's IP is kept only as an HMAC.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, request
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.gate.rules import content_lists, is_local, local_links  # noqa: F401 - re-exported
from core.integrations import outgoing
from core.models import Brand, Click, Contact, Link, Message

blueprint = Blueprint("links", __name__)
CODE_BYTES = 8  # 64 random bits, 11 URL-safe characters: codes cannot be walked or collide
SEND_CODE_BYTES = 6  # a bulk send's own code: 48 random bits, 8 characters
SEND_CODE_CHARS = 8
RECIPIENT_CHARS = 12  # of the recipient's phone HMAC: 48 bits, no collisions in practice
HEX = re.compile(f"[0-9a-f]{{{RECIPIENT_CHARS}}}")
# As the index ix_contact_link_part has it, constants and all, so the database uses it.
LINK_PART = sa.func.substr(Contact.phone_hmac, sa.literal_column("1"),
                           sa.literal_column(str(RECIPIENT_CHARS)))
URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
PREVIEW_AGENTS = ("facebookexternalhit", "facebot", "twitterbot", "slackbot", "whatsapp",
                  "telegrambot", "discordbot", "linkedinbot", "skypeuripreview", "iframely",
                  "embedly", "googlebot", "bingbot", "applebot", "pinterest", "redditbot",
                  "vkshare", "w3c_validator", "preview")


LOOPBACK_BASE = "http://127.0.0.1:5000"
LOCAL_LINKS_WARNING = (
    "Links would point at a local address no phone can open: set CONSENTDESK_PUBLIC_URL (the "
    "address the outside world reaches this server at) or the brand's link domain. "
    "Marketing texts with such links are blocked until then.")


class LinkError(ValueError):
    """A destination a branded link may not point to."""


def link_base(app, brand: Brand | None) -> str:
    """Where branded links live: the brand's link domain, else the public URL. Without either
    the app's own loopback address stands in, which :func:`is_local` flags (the preview warns
    and the gate blocks marketing texts that carry it)."""
    base = (brand.link_domain if brand and brand.link_domain else None) \
        or app.config.get("PUBLIC_URL") or LOOPBACK_BASE
    return base if "://" in base else f"https://{base}"


def check_destination(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(f"{url!r}: a link destination must be an http(s) URL")
    host = parts.hostname or ""
    if any(host == d or host.endswith("." + d) for d in content_lists()["public_shorteners"]):
        raise LinkError(f"{host} is a public URL shortener; carriers filter those. "
                        "Link to the real page.")
    return url.strip()


def make(session: Session, destination: str, brand: Brand | None, base_url: str,
         contact_id: int | None, flow_id: int | None, campaign: str) -> tuple[Link, str]:
    """A new link to ``destination`` (UTM-tagged); returns it and its public URL."""
    tagged = tag(check_destination(destination), campaign)
    link = Link(code=new_code(), destination=tagged, contact_id=contact_id,
                flow_id=flow_id)
    session.add(link)
    domain = (brand.link_domain if brand and brand.link_domain else base_url).rstrip("/")
    return link, f"{domain}/l/{link.code}"


def make_preferences(session: Session, brand: Brand | None, base_url: str,
                     contact_id: int, flow_id: int | None) -> tuple[Link, str]:
    """A new link to the person's preference center; returns it and its public URL."""
    link = Link(code=new_code(), destination="", kind="preferences", contact_id=contact_id,
                flow_id=flow_id)
    session.add(link)
    session.flush()
    domain = (brand.link_domain if brand and brand.link_domain else base_url).rstrip("/")
    return link, f"{domain}/l/{link.code}"


def make_preferences_for_send(session: Session, flow_id: int) -> Link:
    """A bulk send's preference link; each recipient's code adds their own part."""
    link = Link(code=secrets.token_urlsafe(SEND_CODE_BYTES), destination="", kind="preferences",
                flow_id=flow_id)
    session.add(link)
    session.flush()
    return link


def make_for_send(session: Session, destination: str, flow_id: int, campaign: str) -> Link:
    """The one link a bulk send's texts share; recipients' codes add :func:`recipient_part_sql`."""
    link = Link(code=secrets.token_urlsafe(SEND_CODE_BYTES),
                destination=tag(check_destination(destination), campaign), flow_id=flow_id)
    session.add(link)
    session.flush()
    return link


def recipient_part_sql() -> sa.ColumnElement:
    """SQL for a recipient's part of a bulk send's code: the start of their phone HMAC."""
    return sa.func.substr(sa.func.coalesce(Contact.phone_hmac, "0" * RECIPIENT_CHARS),
                          1, RECIPIENT_CHARS)


class Found(NamedTuple):
    """What a code names: the link, and the message and contact it was sent to when known."""

    link_id: int
    kind: str
    code: str
    destination: str
    message_id: int | None
    contact_id: int | None


LINK_COLUMNS = (Link.id, Link.kind, Link.code, Link.destination, Link.message_id,
                Link.contact_id)
# Built once: composing a statement costs more than running it on a click's path.
LINK_BY_CODE = sa.select(*LINK_COLUMNS).where(Link.code == sa.bindparam("code"))
CONTACT_BY_PART = sa.select(Contact.id).where(LINK_PART == sa.bindparam("part")).limit(1)
RECIPIENT = (sa.select(Message.id, Message.contact_id)
             .join(Contact, Contact.id == Message.contact_id)
             .where(LINK_PART == sa.bindparam("part"),
                    Message.link_id == sa.bindparam("link_id"))
             .order_by(Message.id.desc()).limit(1))
INSERT_CLICK = sa.insert(Click)


def resolve(connection: sa.Connection | Session, code: str) -> Found | None:
    """The link ``code`` names (in SQL only: a click is on the hot path)."""
    send_code, part = code[:-RECIPIENT_CHARS], code[-RECIPIENT_CHARS:]
    if len(send_code) == SEND_CODE_CHARS and HEX.fullmatch(part):
        row = connection.execute(LINK_BY_CODE, {"code": send_code}).first()
        if row is not None and row.kind == "preferences":
            # The person is named by their part alone: the send's texts point their
            # ``link_id`` at its branded link, not at this one.
            contact_id = connection.scalar(CONTACT_BY_PART, {"part": part})
            return Found(row.id, row.kind, row.code, row.destination, None, contact_id)
        if row is not None:
            return Found(row.id, row.kind, row.code, row.destination,
                         *_recipient(connection, row.id, part))
    row = connection.execute(LINK_BY_CODE, {"code": code}).first()
    return Found(*row) if row is not None else None


def _recipient(connection: sa.Connection | Session, link_id: int,
               part: str) -> tuple[int | None, int | None]:
    """The message of a bulk send's link whose recipient's phone HMAC starts with ``part``."""
    sent = connection.execute(RECIPIENT, {"part": part, "link_id": link_id}).first()
    return (sent.id, sent.contact_id) if sent else (None, None)


def utm_campaign(flow_name: str) -> str:
    """A flow's name as a ``utm_campaign`` value: ``Website lead welcome`` → ``website-lead-welcome``."""
    return re.sub(r"[^a-z0-9]+", "-", flow_name.lower()).strip("-")[:60]


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def tag(url: str, campaign: str) -> str:
    """``url`` with UTM parameters (source and medium ``sms``, the flow as campaign) added."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in (("utm_source", "sms"), ("utm_medium", "sms"), ("utm_campaign", campaign)):
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_preview(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(bot in agent for bot in PREVIEW_AGENTS)


@blueprint.route("/l/<code>", methods=("GET", "HEAD"))
def follow(code: str):
    """Find the link, record the click and redirect, on one connection and in one short
    transaction: the busiest public route does no more than it must."""
    if not 6 <= len(code) <= 20 or not set(code) <= URL_SAFE:
        abort(404)
    agent = request.headers.get("User-Agent", "")[:500]
    forwarded = False
    with _click_connection() as connection:
        found = resolve(connection, code)
        if found is None or found.kind == "preferences":
            connection.rollback()
        else:
            # A recipient part that names nobody this send went to (mistyped, or made up):
            # the visitor still gets the page, but no click is counted.
            unknown_recipient = found.code != code and found.message_id is None
            if request.method == "GET" and not is_preview(agent) and not unknown_recipient:
                values = {"link_id": found.link_id, "message_id": found.message_id,
                          "contact_id": found.contact_id, "clicked_at": utcnow(),
                          "user_agent": agent, "ip_hash": _ip_hash(request.remote_addr or "")}
                connection.execute(INSERT_CLICK, values)
                forwarded = outgoing.emit(connection, "link.clicked",
                                          lambda: _click_payload(connection, values))
            connection.commit()
    if found is None:
        abort(404)
    if found.kind == "preferences":
        return _follow_preferences(found)
    if forwarded:
        outgoing.submit_due(current_app)
    return redirect(found.destination, code=302)


def answer_clicks_first(app) -> None:
    """Answer a click before the app's other before-request work (loading an identity,
    rate-limit bookkeeping): following a link needs neither, and it is the busiest public
    route. The response still passes every after-request step (the security headers)."""

    def clicks_first():
        if request.endpoint == "links.follow":
            return follow(**request.view_args)
        return None

    app.before_request_funcs.setdefault(None, []).insert(0, clicks_first)


def _follow_preferences(found: Found):
    from core.capture.web import follow_preferences

    link = db.session.get(Link, found.link_id)
    current = _current(link)
    db.session.rollback()
    if not current:
        return follow_preferences(found.link_id, None, expired=True)
    return follow_preferences(found.link_id, found.contact_id)


def _current(link: Link) -> bool:
    from core.capture.preferences import link_is_current

    return link_is_current(link, utcnow())


_SYNC: dict[int, int] = {}  # each SQLite engine's own synchronous level, read once


@contextlib.contextmanager
def _click_connection():
    """A connection for one click. A click is analytics, not consent evidence: on SQLite it
    is written with ``synchronous=NORMAL`` (safe against a crash of the app; the last clicks
    may be lost if the machine loses power), about five times cheaper than a consent event's
    full sync. Every other write keeps ``synchronous=FULL``."""
    with db.engine.connect() as connection:
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:  # before the engine's BEGIN IMMEDIATE: SQLite refuses it inside one
            raw = connection.connection.dbapi_connection
            before = _SYNC.get(id(db.engine))
            if before is None:
                before = _SYNC[id(db.engine)] = raw.execute("PRAGMA synchronous").fetchone()[0]
            raw.execute("PRAGMA synchronous=NORMAL")
        try:
            yield connection
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                raw.execute(f"PRAGMA synchronous={int(before)}")


def _click_payload(connection: sa.Connection, values: dict) -> dict:
    row = connection.execute(sa.select(Link.code, Link.flow_id).where(
        Link.id == values["link_id"])).one()
    phone = connection.scalar(sa.select(Contact.phone).where(
        Contact.id == values["contact_id"])) if values.get("contact_id") else None
    return {"phone": phone, "link_code": row.code, "flow_id": row.flow_id,
            "clicked_at": values["clicked_at"]}


def _ip_hash(ip: str) -> str:
    key = current_app.config["SUPPRESSION_KEY"].encode()
    return hmac.new(key, f"click-ip:{ip}".encode(), hashlib.sha256).hexdigest()
