"""The configuration wizard: entry by authorization code, screens, saved progress, review and
finish. `engine` holds the rules (plain Python), `progress` the state, `forms` the WTForms side,
`actions` what a screen's buttons do, `views` the pages."""
from __future__ import annotations

import json

from markupsafe import escape

from ..web.security import allowed_origins
from . import page_read, render, views


def register(app) -> None:
    app.register_blueprint(views.bp)
    page_read.install(app)  # the session's read brings the instance and progress (one statement)
    # The embedding page's origins, for the script's postMessage targets (a data-* attribute).
    app.jinja_env.globals["allowed_origins_json"] = lambda: json.dumps(list(dict.fromkeys(allowed_origins())))
    app.jinja_env.globals["announce_ready"] = render.announce_ready
    app.jinja_env.filters["json_attr"] = lambda value: escape(json.dumps(value))
