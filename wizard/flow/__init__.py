"""The configuration wizard: entry by authorization code, screens, saved progress, review and
finish. `engine` holds the rules (plain Python), `forms` the WTForms side, `views` the pages."""
from __future__ import annotations

import json
import os

from markupsafe import escape


def register(app) -> None:
    from ..web.security import allowed_origins
    from . import views

    # How long the script waits for the embedding page's answer to tray.configPopup.validate.
    app.config.setdefault("WIZARD_VALIDATION_TIMEOUT_MS", int(os.environ.get("WIZARD_VALIDATION_TIMEOUT_MS", "10000")))
    app.register_blueprint(views.bp)
    # The embedding page's origins, for the script's postMessage targets (a data-* attribute).
    app.jinja_env.globals["allowed_origins_json"] = lambda: json.dumps(list(dict.fromkeys(allowed_origins())))
    app.jinja_env.globals["announce_ready"] = views.announce_ready
    app.jinja_env.filters["json_attr"] = lambda value: escape(json.dumps(value))
