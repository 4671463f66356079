"""Relay-style connections with a stable order: (created, id), oldest first.

Cursors are the embedded core's opaque cursors (created + id), so a page boundary survives rows
being added or deleted around it.
"""
from __future__ import annotations

from sqlalchemy import or_

from ..core.embedded import cursor_for, decode_cursor
from ..extensions import db
from .errors import bad_input

DEFAULT_PAGE = 50
MAX_PAGE = 100


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 1 <= first <= MAX_PAGE:
        raise bad_input("first", f"must be between 1 and {MAX_PAGE}")
    return first


def check_cursor(after: str | None):
    """Decode `after` (None stays None); a cursor not made by this API is bad input."""
    if not after:
        return None
    created, last_id = decode_cursor(after)  # CoreError naming `after` when it is not one
    if created.tzinfo is None:
        raise bad_input("after", "is not a cursor from this API")
    return created, last_id


def keyset(stmt, model, first: int | None, after: str | None) -> tuple[list, bool]:
    """One page of `stmt` (a select of `model`, which has `created` and `id`) after the cursor."""
    size = page_size(first)
    if after:
        created, last_id = check_cursor(after)
        stmt = stmt.where(or_(model.created > created, (model.created == created) & (model.id > last_id)))
    rows = db.session.scalars(stmt.order_by(model.created, model.id).limit(size + 1)).all()
    return list(rows[:size]), len(rows) > size


def connection(items: list, has_next: bool) -> dict:
    edges = [{"node": item, "cursor": cursor_for(item)} for item in items]
    return {"edges": edges,
            "pageInfo": {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None}}
