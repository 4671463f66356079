"""The built-in sandbox service: an OAuth 2 provider and a tiny API under /sandbox/ (services.md)."""
from __future__ import annotations

from flask import Flask

from . import models  # noqa: F401  (register the tables)
from .provider import CLIENT_ID, SCOPES, WORKSPACES, api_key_for  # noqa: F401


def register(app: Flask) -> None:
    """Mount the sandbox. Its routes answer 404 while WIZARD_SANDBOX is off (checked per request,
    so a test can switch it); the token endpoint and API are called by servers, not forms."""
    from ..extensions import csrf
    from .provider import build
    from .views import bp, token

    app.extensions["wizard_sandbox"] = build(app)
    csrf.exempt(token)
    app.register_blueprint(bp)
