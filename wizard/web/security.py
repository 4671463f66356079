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

from flask import current_app, g, session


def csp_nonce() -> str:
    """The request's CSP nonce (made on first use)."""
    return _nonce(vars(g._get_current_object()))  # g looked up once: each use of the proxy costs a look-up


def _nonce(held: dict) -> str:
    """The nonce kept in `held` (g's names), made on first use."""
    nonce = held.get("csp_nonce")
    if nonce is None:
        nonce = held["csp_nonce"] = secrets.token_urlsafe(16)
    return nonce


def allowed_origins() -> list[str]:
    return list(current_app._get_current_object().config["WIZARD_ALLOWED_ORIGINS"])


def allow_framing(origins: list[str] | None = None) -> None:
    """Called by views whose page may be framed: by default by the allowed origins; in development
    by the server's own origin too."""
    ancestors = list(origins) if origins is not None else allowed_origins()
    if current_app._get_current_object().config["WIZARD_ENV"] != "production":
        ancestors = list(dict.fromkeys(ancestors + ["'self'"]))
    g.frame_ancestors = ancestors


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


_CSP_HEAD = "default-src 'self'; script-src 'self' 'nonce-"  # + the nonce + _CSP_TAIL
_CSP_TAIL = "'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
_SECRET_PARAMS = ("code", "token", "access_token", "state")
# what g holds for one request only: the security state above, a page's theme, Flask-WTF's token
_PER_REQUEST = ("csp_nonce", "frame_ancestors", "frame_src", "cacheable", "data_fonts", "page_theme",
                "csrf_token")


def set_security_headers(response, req, held: dict, present: dict):
    """A step of the app's one after-request hook (wizard.answer_steps), for every answer: `req`
    the request, `held` g's names (a dict: g.get is a Python method), `present` the headers the
    view's answer came with (werkzeug's `in`, `get` and `mimetype` each scan them, and raise and
    catch an exception for a name that is not there). Every answer pays for it, so the session
    and the query are read only when needed. A header the view set itself is replaced (CSP,
    Cache-Control) or kept (Referrer-Policy, X-Content-Type-Options)."""
    headers = response.headers
    html = present.get("content-type", "").split(";")[0].strip() == "text/html"  # response.mimetype
    if html:
        ancestors = held.get("frame_ancestors")
        frame_src = held.get("frame_src")
        (headers.set if "content-security-policy" in present else headers.add)("Content-Security-Policy", (
            _CSP_HEAD + _nonce(held) + _CSP_TAIL
            + ("font-src 'self' data:; " if held.get("data_fonts") else "")
            + ("frame-src 'self' " + " ".join(frame_src) + "; " if frame_src else "")
            + "frame-ancestors " + (" ".join(ancestors) if ancestors else "'none'")
        ))
    if html or (getattr(session._get_current_object(), "sid", None) and not held.get("cacheable")):
        # Pages carry session references, CSRF tokens, codes or keys: never kept by a cache or
        # the browser's history (a shared computer's Back button must not show them).
        (headers.set if "cache-control" in present else headers.add)("Cache-Control", "no-store")
    if "referrer-policy" not in present:
        # (no query string, no arguments: most requests have none, and need not parse them)
        secret_in_url = bool(req.environ.get("QUERY_STRING")) and any(k in req.args for k in _SECRET_PARAMS)
        headers.add("Referrer-Policy", "no-referrer" if secret_in_url else "same-origin")
    if "x-content-type-options" not in present:
        headers.add("X-Content-Type-Options", "nosniff")
    return response


def reset_request_state():
    """Called before each request: per-request state never outlives its request (an app context
    kept open around several requests, as in tests, would otherwise carry it over)."""
    held = vars(g._get_current_object())
    if not held.keys().isdisjoint(_PER_REQUEST):  # a request's own app context holds none of them
        for name in _PER_REQUEST:
            held.pop(name, None)
