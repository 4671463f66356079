"""Relay-style connections with a stable order: (created, id), oldest first.

Cursors are the embedded core's opaque cursors (created + id), so a page boundary survives rows
being added or deleted around it. `first`/`after` page forward, `last`/`before` backward; a query
with neither `first` nor `last` gets the whole list up to MAX_LIST items (Tray clients read one
page and take it for everything), with `hasNextPage` saying whether more exist.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..core import cursor_for, decode_cursor
from ..extensions import db
from .errors import bad_input

MAX_PAGE = 100   # first / last
MAX_LIST = 1000  # neither first nor last: the whole list, up to this many


@dataclass
class Page:
    items: list
    has_next: bool
    has_previous: bool


def _size(name: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_PAGE:
        raise bad_input(name, f"must be between 1 and {MAX_PAGE}")
    return value


def check_cursor(cursor: str | None, name: str = "after"):
    """Decode a cursor (None stays None); one not made by this API is bad input naming `name`."""
    if not cursor:
        return None
    try:
        created, last_id = decode_cursor(cursor)
    except Exception:
        raise bad_input(name, "is not a cursor from this API") from None
    if created.tzinfo is None:
        raise bad_input(name, "is not a cursor from this API")
    return created, last_id


def _after(model, cursor):
    created, last_id = cursor
    return or_(model.created > created, (model.created == created) & (model.id > last_id))


def _before(model, cursor):
    created, last_id = cursor
    return or_(model.created < created, (model.created == created) & (model.id < last_id))


def keyset(stmt, model, first: int | None = None, after: str | None = None, last: int | None = None,
           before: str | None = None) -> Page:
    """One page of `stmt` (a select of `model`, which has `created` and `id`)."""
    first, last = _size("first", first), _size("last", last)
    if first is not None and last is not None:
        raise bad_input("last", "cannot be combined with first")
    after_c, before_c = check_cursor(after, "after"), check_cursor(before, "before")
    if after_c:
        stmt = stmt.where(_after(model, after_c))
    if before_c:
        stmt = stmt.where(_before(model, before_c))
    if last is not None:
        rows = db.session.scalars(stmt.order_by(model.created.desc(), model.id.desc()).limit(last + 1)).all()
        items = list(reversed(rows[:last]))
        return Page(items, has_next=bool(before_c), has_previous=len(rows) > last)
    size = first or MAX_LIST
    rows = db.session.scalars(stmt.order_by(model.created, model.id).limit(size + 1)).all()
    return Page(list(rows[:size]), has_next=len(rows) > size, has_previous=bool(after_c))


def total(stmt) -> int:
    """How many rows `stmt` matches, all pages."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def connection(page: Page, node=lambda item: item, **extra) -> dict:
    """The connection answer; `node` maps a row to what the node resolvers take."""
    edges = [{"node": node(item), "cursor": cursor_for(item)} for item in page.items]
    return {"edges": edges,
            "pageInfo": {"hasNextPage": page.has_next, "hasPreviousPage": page.has_previous,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None},
            **extra}
