"""The theme of a page, and the theme's own assets served from this origin.

  stylesheet  GET /themes/<embedded_id>/<digest>.css         the variables, then the custom CSS
  logo        GET /themes/<embedded_id>/logo-<digest>.<ext>  the logo's bytes (PNG or JPEG)

Both carry a content hash in the URL, so they are cached for a year and never stale: a changed
theme is a new URL in the next page. The pages' CSP (wizard.web.security) governs what the
stylesheet may load: only this origin.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, g, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from .. import session_keys as keys
from ..extensions import db
from ..i18n import _
from ..web.security import cacheable
from . import rules, store

bp = Blueprint("themes", __name__)
YEAR = 365 * 24 * 3600
# Carries a session's embeddedId to the top-level pages of an OAuth popup that have no wizard
# session: the provider's consent page (the sandbox) and the callback's result page.
COOKIE = "wizard_theme"


@dataclass(frozen=True)
class PageTheme:
    """What a template needs: `theme()` in every template."""

    product_name: str
    custom: bool = False
    stylesheet_url: str | None = None
    logo_url: str | None = None


def page_embedded_id() -> str | None:
    """Whose theme this page wears: the embeddedId of a Tray-style URL, else the one its session
    was opened with, else WIZARD_EMBEDDED_ID (plain /configure/... URLs), else the one the last
    OAuth popup started with (`remember_for_popup`). The cookie only speaks for the popup's pages
    that have no wizard or dialog session: a plain wizard page of another ISV keeps its own look."""
    state, req = session._get_current_object(), request._get_current_object()  # each proxy looked up once
    bound = keys.binding() or keys.binding(keys.AUTH_DIALOG)
    return ((req.view_args or {}).get("embedded_id") or state.get(keys.THEME)
            or current_app.config.get("WIZARD_EMBEDDED_ID") or (None if bound else req.cookies.get(COOKIE)))


def remember_for_popup(response) -> None:
    """Called by the connect popup as it leaves for the provider: the popup's next pages (the
    sandbox's consent page, the result page) wear the wizard's theme too. Only a theme's name."""
    embedded_id = session.get(keys.THEME)
    if embedded_id:
        response.set_cookie(COOKIE, embedded_id, max_age=3600, httponly=True, samesite="Lax",
                            secure=current_app.config["WIZARD_PUBLIC_URL"].startswith("https://"))
    else:
        response.delete_cookie(COOKIE)


def page_theme() -> PageTheme:
    """Called by templates (`theme()`) and the page plan's key; found once per request (kept in `g`)."""
    state = g._get_current_object()  # the proxy looked up once
    theme = state.get("page_theme")
    if theme is None:
        try:
            row = store.get(page_embedded_id())
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            current_app.logger.warning("theme not read; the default look is used", exc_info=True)
            db.session.rollback()
            row = None
        theme = state.page_theme = theme_of(row)
    return theme


def theme_of(row) -> PageTheme:
    """The page data of a theme row (None: the default look)."""
    if row is None:
        return PageTheme(product_name=_("Configuration wizard"))
    css = rules.stylesheet(store.values(row))
    logo = url_for("themes.logo", embedded_id=row.embedded_id, digest=row.logo_hash,
                   ext=rules.extension(row.logo_type)) if row.logo_hash else None
    return PageTheme(product_name=row.product_name or _("Configuration wizard"), custom=True,
                     stylesheet_url=url_for("themes.stylesheet", embedded_id=row.embedded_id,
                                            digest=store.digest(css)),
                     logo_url=logo)


def _asset(body, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    # Opened on its own, neither asset may run or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    cacheable()
    return response


@bp.get("/themes/<embedded_id>/<digest>.css")
def stylesheet(embedded_id: str, digest: str):
    row = store.get(embedded_id)
    css = rules.stylesheet(store.values(row)) if row else None
    if css is None or store.digest(css) != digest:
        abort(404)
    return _asset(css, "text/css; charset=utf-8")


@bp.get("/themes/<embedded_id>/logo-<digest>.<ext>")
def logo(embedded_id: str, digest: str, ext: str):
    row = store.get(embedded_id)
    if row is None or not row.logo_hash or row.logo_hash != digest or rules.extension(row.logo_type) != ext:
        abort(404)
    return _asset(row.logo, row.logo_type)
