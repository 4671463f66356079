"""Rate limits in front of the public endpoints (Flask-Limiter).

- Code entry (the wizard's `/configure/...?code=` and the auth dialog's entries, which use up an
  authorization code): per client address, WIZARD_RATE_LIMIT_CODES (default 20 per minute).
  Guessing a code is hopeless anyway (they are long and single-use); this keeps the database
  from being used as an oracle at volume.
- The API (`POST /graphql`): per bearer token (its hash; the client address without one),
  WIZARD_RATE_LIMIT_API (default 300 per minute); a master token counts against its own limit,
  WIZARD_RATE_LIMIT_API_MASTER (default 6000 per minute), because a wizard front end of this core
  (WIZARD_CORE_URL) calls with it on behalf of every end user at once.

Counters live in Redis when REDIS_URL is set (shared by every worker and host), in memory
otherwise (per process). Redis is optional at run time: while it does not answer, the limits count
in this process's memory (Flask-Limiter's in-memory fallback, logged once by its
`flask-limiter` logger) and go back to Redis when it answers again; /readyz says "degraded". WIZARD_RATE_LIMITS=0 turns them off (load tests; the test suite, except
the tests of the limits themselves). A refused request gets 429 with `Retry-After`; the API
answers it as a GraphQL error (RATE_LIMITED).

Every limit is declared on its view (`limit_views`), whose wrapper checks it; there are no default,
application or meta limits. Flask-Limiter's own request hooks (a check before every request, its
X-RateLimit-* headers after it, a reset at its teardown) then have nothing to do for any other view,
yet cost about a fifth of a request that does nothing: the limited views run them (`_with_hooks`).
"""
from __future__ import annotations

import functools
import time

from flask import Flask, after_this_request, current_app, jsonify, make_response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..crypto import hash_secret
from ..identity import request_principal

# Views that use up an authorization code (wizard.flow.views, wizard.connect.dialog).
CODE_ENTRY_ENDPOINTS = ("wizard.entry", "wizard.entry_external", "connect.dialog_for_instance",
                        "connect.dialog_create", "connect.dialog_edit")
API_ENDPOINT = "api.graphql"
HOOKS = "wizard_limiter_hooks"  # app.extensions: Flask-Limiter's request hooks, run by the limited views


def api_key() -> str:
    """The API's counter: one per valid token (hashed: no token is written to Redis); a request
    with no token or one that is not valid counts against its client address, so inventing a new
    token per request is limited like any other guessing (and leaves no counter per guess)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() and request_principal() is not None:
        return "token:" + hash_secret(token.strip())
    return "addr:" + get_remote_address()


def is_master_request() -> bool:
    """Whether the API request carries a master token (resolved once per request)."""
    found = request_principal()
    return bool(found and found.is_master)


def _too_many(exc: RateLimitExceeded):
    """Error handler: a 429 page (or GraphQL error) with Retry-After."""
    from .errors import MESSAGES, render_error

    if request.path == "/graphql":
        response = jsonify(errors=[{"message": f"Too many requests for this token (limit: {exc.description}). "
                                               "Retry after the time in the Retry-After header.",
                                    "extensions": {"code": "RATE_LIMITED"}}])
        response.status_code = 429
    else:
        response = make_response(render_error(429, MESSAGES[429], "rate_limited"))
    limit = current_app.extensions["wizard_limiter"].current_limit
    if limit is not None:
        response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time()) + 1))
    return response


def limit_views(app: Flask, limit, endpoints) -> None:
    """Puts `limit` (a Flask-Limiter decorator) on the views of those endpoints the app has; each
    such view runs Flask-Limiter's request hooks itself (`_with_hooks`)."""
    hooks = app.extensions.get(HOOKS)
    for endpoint in endpoints:
        if endpoint in app.view_functions:
            view = limit(app.view_functions[endpoint])
            app.view_functions[endpoint] = _with_hooks(view, *hooks) if hooks else view


def hooks_added(app: Flask, init) -> tuple[list, list, list]:
    """Calls `init()` and takes back off the app the request hooks it added: (before, after, teardown)."""
    lists = (app.before_request_funcs.setdefault(None, []), app.after_request_funcs.setdefault(None, []),
             app.teardown_request_funcs.setdefault(None, []))
    sizes = [len(funcs) for funcs in lists]
    init()
    added = tuple(funcs[size:] for funcs, size in zip(lists, sizes))
    for funcs, size in zip(lists, sizes):
        del funcs[size:]
    return added


def _with_hooks(view, before: list, after: list, _teardown: list):
    """The limited view, running Flask-Limiter's request hooks around itself: its check before
    (which raises RateLimitExceeded), its X-RateLimit-* headers on the answer (a 429 too:
    `after_this_request` applies to the error handler's answer). Its teardown hook only resets
    what it keeps on the request's context, which ends with the request: not needed. As app
    hooks they would run on every request, for nothing on all the others (a fiftieth of a
    request that does nothing). They now run after the blueprints' before-request hooks, which
    refuse (404) or set up the page only."""

    def inject(response):
        for hook in reversed(after):
            response = hook(response)
        return response

    @functools.wraps(view)
    def limited(*args, **kwargs):
        after_this_request(inject)
        for hook in before:
            answer = hook()
            if answer is not None:  # (as Flask treats a before-request hook's answer)
                return answer
        return view(*args, **kwargs)

    return limited


def register(app: Flask) -> None:
    """Called by create_app after the blueprints: put the limits on their endpoints."""
    cfg = app.config
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg.get("REDIS_URL") or "memory://")
    if cfg["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # a Redis that hangs must not hold requests: give up on it quickly, count in memory
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    limiter = Limiter(get_remote_address, headers_enabled=True, strategy="fixed-window", in_memory_fallback_enabled=True,
                      enabled=cfg.get("RATELIMIT_ENABLED", True), key_prefix=cfg.get("RATELIMIT_KEY_PREFIX", "wizard"))
    hooks = hooks_added(app, lambda: limiter.init_app(app))
    if any(hooks):  # none when the limits are off
        app.extensions[HOOKS] = hooks
    app.extensions["wizard_limiter"] = limiter
    codes = limiter.shared_limit(lambda: app.config["WIZARD_RATE_LIMIT_CODES"], scope="code-entry",
                                 key_func=get_remote_address)
    api = limiter.limit(lambda: app.config["WIZARD_RATE_LIMIT_API"], key_func=api_key, exempt_when=is_master_request)
    api_master = limiter.limit(lambda: app.config["WIZARD_RATE_LIMIT_API_MASTER"], key_func=api_key,
                               exempt_when=lambda: not is_master_request())
    limit_views(app, codes, CODE_ENTRY_ENDPOINTS)
    limit_views(app, lambda view: api_master(api(view)), [API_ENDPOINT])
    app.register_error_handler(RateLimitExceeded, _too_many)
