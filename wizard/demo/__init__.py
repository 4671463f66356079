"""The demo ISV page at /demo and `flask demo setup`.

The page plays an ISV's product for one demo end user: it lists the solutions and the user's
instances, opens the wizard through the host SDK (static/embed.js) and logs the events it hears.
Its small JSON backend plays the ISV backend and calls the embedded core directly.
"""
from __future__ import annotations

from .cli import demo_cli
from .views import bp


def register(app) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(demo_cli)
