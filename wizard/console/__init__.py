"""The operator console at /console (docs/console.md): the ISV's support staff see and act on
users, instances, versions, deliveries and themes, through the same operations as the API and
the CLI (wizard.manage)."""
from __future__ import annotations

from flask import Flask

from . import models  # noqa: F401  (register the tables)
from ..web.limits import limit_views
from .cli import console_cli
from .views import RATE_LIMITED, bp


def register(app: Flask) -> None:
    """Called by create_app after the rate limits: the console's blueprint (its own CSRF check,
    not the wizard sessions'), its commands, and a limit on every way of signing in."""
    from ..extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.cli.add_command(console_cli)
    limiter = app.extensions.get("wizard_limiter")
    if limiter is not None:
        limit = limiter.shared_limit(lambda: app.config["WIZARD_RATE_LIMIT_CONSOLE_SIGN_IN"], scope="console-sign-in")
        limit_views(app, limit, RATE_LIMITED)
