"""The built-in sandbox service: an OAuth 2 provider and a tiny API under /sandbox/
(docs/services.md, "The sandbox")."""
from __future__ import annotations

from flask import Flask

from .. import services
from ..extensions import csrf, per_app
from . import models  # noqa: F401  (register the tables)
from .provider import CLIENT_ID, SCOPES, WORKSPACES, api_key_for, build, sandbox_service  # noqa: F401
from .views import bp, token

# The registry asks the sandbox for its entry (a hook, so that the registry does not import the
# sandbox, which imports the registry's Service).
services.provide("sandbox", sandbox_service)


def register(app: Flask) -> None:
    """Mount the sandbox. Its routes answer 404 while WIZARD_SANDBOX is off (checked per request,
    so a test can switch it); the token endpoint and API are called by servers, not forms."""
    per_app("wizard_sandbox", lambda: build(app), app=app)
    csrf.exempt(token)
    app.register_blueprint(bp)
