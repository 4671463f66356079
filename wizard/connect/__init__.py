"""Connecting accounts and calling their services: the OAuth 2 popup flow, credential forms, the
status endpoint, token refresh, dynamic options and the auth-only dialog. See views.py for the
status and message contracts."""
from __future__ import annotations

from flask import Flask

from . import dialog  # noqa: F401  (adds the dialog routes to the blueprint)
from .tokens import ApiError, NeedsReconnect, call_api, ensure_fresh  # noqa: F401
from .views import bp


def register(app: Flask) -> None:
    """Mount the connect routes and the auth-only dialog routes."""
    app.register_blueprint(bp)
