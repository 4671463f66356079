"""Security headers on every response.

- A fresh CSP nonce per request (`csp_nonce()` in templates): no inline script without it.
- `frame-ancestors` is `'none'` unless a view opts in: wizard pages call `allow_framing()`, which
  admits the configured allowed origins (and the server's own origin in development).
- `Cache-Control: no-store` on every page and on every answer to a request with a session
  (except assets that hold nothing of it, `cacheable()`).
- `Referrer-Policy`: `no-referrer` on answers to URLs that carry a code or token; elsewhere
  `same-origin`, so that no URL (wizard URLs carry session references) leaves this origin, while
  form posts still carry the same-origin Referer that Flask-WTF's CSRF check demands over HTTPS.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, request, session


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allowed_origins() -> list[str]:
    return list(current_app.config["WIZARD_ALLOWED_ORIGINS"])


def allow_framing(origins: list[str] | None = None) -> None:
    """Called by views whose page may be framed: by default by the allowed origins."""
    g.frame_ancestors = origins if origins is not None else allowed_origins()


def allow_frame_src(origins: list[str]) -> None:
    """Called by a view whose page frames other origins (the demo ISV page frames the wizard)."""
    g.frame_src = list(origins)


def allow_data_fonts() -> None:
    """Called by a view whose stylesheet embeds its fonts as data: URLs (the development API
    explorer's GraphiQL); every other page keeps default-src for fonts."""
    g.data_fonts = True


def cacheable() -> None:
    """Called by views whose answer holds nothing of a session (a theme's stylesheet and logo):
    their own Cache-Control stands, even when the request brought a session cookie."""
    g.cacheable = True


_CSP_FIXED = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; ")
_SECRET_PARAMS = ("code", "token", "access_token", "state")


def set_security_headers(response):
    """Called for every answer (after_request)."""
    state = g._get_current_object()
    headers = response.headers
    html = response.mimetype == "text/html"
    if html:
        ancestors = getattr(state, "frame_ancestors", None)
        if ancestors is not None and current_app.config["WIZARD_ENV"] != "production":
            ancestors = list(dict.fromkeys(ancestors + ["'self'"]))
        frame = " ".join(ancestors) if ancestors else "'none'"
        frame_src = getattr(state, "frame_src", None)
        headers["Content-Security-Policy"] = (
            _CSP_FIXED.format(nonce=csp_nonce())
            + ("font-src 'self' data:; " if getattr(state, "data_fonts", False) else "")
            + ("frame-src 'self' " + " ".join(frame_src) + "; " if frame_src else "")
            + f"frame-ancestors {frame}"
        )
    if html or (getattr(session, "sid", None) and not getattr(state, "cacheable", False)):
        # Pages carry session references, CSRF tokens, codes or keys: never kept by a cache or
        # the browser's history (a shared computer's Back button must not show them).
        headers["Cache-Control"] = "no-store"
    if "Referrer-Policy" not in headers:
        args = request.args
        secret_in_url = bool(args) and any(k in args for k in _SECRET_PARAMS)
        headers["Referrer-Policy"] = "no-referrer" if secret_in_url else "same-origin"
    if "X-Content-Type-Options" not in headers:
        headers["X-Content-Type-Options"] = "nosniff"
    return response


def reset_request_state():
    """Called before each request: per-request security state never outlives its request (an app
    context kept open around several requests, as in tests, would otherwise carry it over)."""
    g.pop("csp_nonce", None)
    g.pop("frame_ancestors", None)
    g.pop("cacheable", None)
    g.pop("data_fonts", None)
    g.pop("page_theme", None)
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the session's token
