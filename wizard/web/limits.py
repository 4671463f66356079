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
"""
from __future__ import annotations

import time

from flask import Flask, current_app, jsonify, make_response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..crypto import hash_secret
from ..identity import request_principal

# Views that use up an authorization code (wizard.flow.views, wizard.connect.dialog).
CODE_ENTRY_ENDPOINTS = ("wizard.entry", "wizard.entry_external", "connect.dialog_for_instance",
                        "connect.dialog_create", "connect.dialog_edit")
API_ENDPOINT = "api.graphql"


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


def register(app: Flask) -> None:
    """Called by create_app after the blueprints: put the limits on their endpoints."""
    cfg = app.config
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg.get("REDIS_URL") or "memory://")
    if cfg["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # a Redis that hangs must not hold requests: give up on it quickly, count in memory
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True, strategy="fixed-window",
                      in_memory_fallback_enabled=True,
                      enabled=cfg.get("RATELIMIT_ENABLED", True), key_prefix=cfg.get("RATELIMIT_KEY_PREFIX", "wizard"))
    app.extensions["wizard_limiter"] = limiter
    codes = limiter.shared_limit(lambda: app.config["WIZARD_RATE_LIMIT_CODES"], scope="code-entry",
                                 key_func=get_remote_address)
    api = limiter.limit(lambda: app.config["WIZARD_RATE_LIMIT_API"], key_func=api_key, exempt_when=is_master_request)
    api_master = limiter.limit(lambda: app.config["WIZARD_RATE_LIMIT_API_MASTER"], key_func=api_key,
                               exempt_when=lambda: not is_master_request())
    for endpoint in CODE_ENTRY_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = codes(app.view_functions[endpoint])
    if API_ENDPOINT in app.view_functions:
        app.view_functions[API_ENDPOINT] = api_master(api(app.view_functions[API_ENDPOINT]))
    app.register_error_handler(RateLimitExceeded, _too_many)
