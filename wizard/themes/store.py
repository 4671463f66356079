"""Themes kept in the database, for the API, the CLI and the pages. The rules are in
`rules.py`; this module only reads and writes rows and names their URLs' content hashes."""
from __future__ import annotations

import hashlib
import re

from ..extensions import db
from ..i18n import _
from . import rules
from .models import ThemeRow
from .rules import Theme, ThemeError

EMBEDDED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def check_embedded_id(embedded_id) -> str:
    if not isinstance(embedded_id, str) or not EMBEDDED_ID.fullmatch(embedded_id):
        raise ThemeError("embeddedId", _("must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit"))
    return embedded_id


def get(embedded_id: str | None) -> ThemeRow | None:
    if not embedded_id or not EMBEDDED_ID.fullmatch(embedded_id):
        return None
    return db.session.get(ThemeRow, embedded_id)


def values(row: ThemeRow | None) -> Theme:
    if row is None:
        return rules.DEFAULT
    return Theme(product_name=row.product_name, colors={**rules.DEFAULT_COLORS, **(row.colors or {})},
                 corner_radius=row.corner_radius, custom_css=row.custom_css or "")


def digest(data: bytes | str) -> str:
    """The content hash in an asset's URL (a new theme is a new URL, so assets cache for good)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def update(embedded_id: str, *, reset: bool = False, product_name=None, colors=None, corner_radius=None,
           custom_css=None, logo: bytes | None = None, remove_logo: bool = False) -> ThemeRow:
    """Change the theme of `embedded_id` (created from the default when it has none; `reset`
    starts from the default). Nothing is saved unless every field is taken."""
    check_embedded_id(embedded_id)
    row = get(embedded_id)
    base = rules.DEFAULT if reset or row is None else values(row)
    theme = rules.check(base, product_name=product_name, colors=colors, corner_radius=corner_radius,
                        custom_css=custom_css)
    logo_type = rules.check_logo(logo) if logo is not None else None
    if row is None:
        row = ThemeRow(embedded_id=embedded_id)
        db.session.add(row)
    row.product_name, row.colors = theme.product_name, dict(theme.colors)
    row.corner_radius, row.custom_css = theme.corner_radius, theme.custom_css
    if logo is not None:
        row.logo, row.logo_type, row.logo_hash = logo, logo_type, digest(logo)
    elif remove_logo or reset:
        row.logo = row.logo_type = row.logo_hash = None
    db.session.commit()
    return row


def remove(embedded_id: str) -> bool:
    """Back to the default look; False when there was no theme."""
    row = get(check_embedded_id(embedded_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def all_themes() -> list[ThemeRow]:
    return list(db.session.scalars(db.select(ThemeRow).order_by(ThemeRow.embedded_id)))


def describe(embedded_id: str) -> dict:
    """The theme of `embedded_id` as the API and the CLI show it (the default when it has none)."""
    row = get(check_embedded_id(embedded_id))
    theme = values(row)
    return {"embeddedId": embedded_id, "isDefault": row is None, "productName": theme.product_name,
            "colors": dict(theme.colors), "cornerRadius": theme.corner_radius, "customCss": theme.custom_css,
            "logoContentType": row.logo_type if row is not None else None}
