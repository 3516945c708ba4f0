"""List views that stay fast on big tables (a million contacts, millions of texts).

Flask-Admin counts every match of a list on every page, and a search runs ``ILIKE '%…%'``
over every searchable column: both read the whole table. Here a list counts at most
``COUNT_CAP`` matches (shown as "10,000+"), an unfiltered list on PostgreSQL shows the
planner's estimate of the table's size once it is past that, and a search for a whole phone
number looks the number up by its index instead of scanning every column.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Query

from core.phone import InvalidPhone, to_e164

COUNT_CAP = 10_000
PHONE_SHAPED = re.compile(r"\+?[\d\s().-]{7,20}")


class AtLeast(int):
    """A count that stopped at the cap: prints as "10,000+", pages as the cap."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class About(int):
    """The planner's estimate of a table's rows: prints as "about 1,000,000"."""

    def __str__(self) -> str:
        return f"about {int(self):,}"


def phone_in(search: str) -> str | None:
    """The E.164 number a search is, when the whole search is one phone number."""
    text = (search or "").strip()
    if not PHONE_SHAPED.fullmatch(text) or len(re.sub(r"\D", "", text)) < 10:
        return None
    try:
        return to_e164(text)
    except InvalidPhone:
        return None


def count(query: Query, model: Any, narrowed: bool) -> int:
    """How many rows ``query`` lists, read no further than the cap."""
    table = model.__table__.name
    session = query.session
    if not narrowed and session.get_bind().dialect.name == "postgresql":
        estimate = session.scalar(sa.text(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:name)"),
            {"name": table})
        if estimate and estimate > COUNT_CAP:
            return About(estimate)
    key = sa.inspect(model).primary_key[0]
    rows = query.with_entities(key).order_by(None).limit(COUNT_CAP + 1).subquery()
    found = session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0
    return AtLeast(COUNT_CAP) if found > COUNT_CAP else found


def list_rows(view: Any, page: int | None, sort_column: Any, sort_desc: bool,
              search: str | None, filters: Any, execute: bool = True,
              page_size: int | None = None) -> tuple[int, Any]:
    """Flask-Admin's ``ModelView.get_list``, counting with :func:`count`."""
    from sqlalchemy.orm import joinedload

    query = view.get_query()
    joins: dict = {}
    if view._search_supported and search:
        query, _, joins, _ = view._apply_search(query, None, joins, {}, search)
    if filters and view._filters:
        query, _, joins, _ = view._apply_filters(query, None, joins, {}, filters)
    total = count(query, view.model, narrowed=bool(search or filters))
    for join in view._auto_joins:
        query = query.options(joinedload(join))
    query, joins = view._apply_sorting(query, joins, sort_column, sort_desc)
    query = view._apply_pagination(query, page, page_size)
    return total, (query.all() if execute else query)


def phone_search(view: Any, query: Query, joins: dict, e164: str) -> tuple[Query, dict] | None:
    """Filter on the view's phone columns by equality (their unique index), or None when the
    view searches no phone column."""
    clauses = []
    for field, path in view._search_fields or ():
        if getattr(field, "key", None) != "phone":
            continue
        query, joins, alias = view._apply_path_joins(query, joins, path, inner_join=False)
        column = field if alias is None else getattr(alias, field.key)
        clauses.append(column == e164)
    if not clauses:
        return None
    return query.filter(sa.or_(*clauses)), joins
