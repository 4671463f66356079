"""Themes per embeddedId: the ISV's product name, logo, colours, corner radius and custom CSS on
every page an end user sees. `rules` (plain Python: contrast, what is taken), `store` (the
table), `views` (which theme a page wears, the stylesheet and logo URLs); managed by the API
(wizard/api/themes.py) and `flask themes` (cli.py)."""
from __future__ import annotations

from . import models  # noqa: F401  (register the table)
from .rules import ThemeError  # noqa: F401


def register(app) -> None:
    """Called by create_app: the asset routes, `theme()` in templates and the CLI group."""
    from .cli import themes_cli
    from .views import bp, page_theme

    app.register_blueprint(bp)
    app.jinja_env.globals["theme"] = page_theme
    app.cli.add_command(themes_cli)
