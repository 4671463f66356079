"""The ISV's backend in the loop: signed instance and authentication events delivered from a
durable outbox (events, delivery, worker), the validation webhook asked on every Next, Finish and
API write of values (validation), and their management (endpoints; the API in
wizard/api/webhooks.py, the CLI in cli.py). Signatures follow Standard Webhooks (signing)."""
from __future__ import annotations

import threading

from . import models  # noqa: F401  (register the tables)
from .events import EVENT_TYPES, authentication_event, emit, instance_event  # noqa: F401


def register(app) -> None:
    """Called by create_app: the CLI group, and for the development server a delivery thread
    started with the first request (not at import, so `flask db upgrade` and tests start none)."""
    from .cli import webhooks_cli

    app.cli.add_command(webhooks_cli)
    if not app.config.get("WIZARD_WEBHOOKS_THREAD") or app.config.get("TESTING"):
        return
    lock = threading.Lock()

    @app.before_request
    def _start_delivery_thread():
        if "wizard_webhooks_thread" in app.extensions:
            return
        with lock:
            if "wizard_webhooks_thread" not in app.extensions:
                from .worker import start_thread

                app.extensions["wizard_webhooks_thread"] = start_thread(app)
