"""Running deliveries: `flask webhooks worker` (production; several at once are safe) and, for
`make run`, a thread started with the first request (WIZARD_WEBHOOKS_THREAD)."""
from __future__ import annotations

import logging
import threading

from ..extensions import db
from .delivery import Lanes, worker_name

log = logging.getLogger("wizard.webhooks")


def work(app, stop: threading.Event, *, worker: str | None = None, until_empty: bool = False) -> int:
    """Deliver until `stop` is set (or, with `until_empty`, until nothing is due), each endpoint in
    its lane (delivery.Lanes). What is in flight is finished before stopping. Returns the number of attempts made."""
    worker = worker or worker_name()
    total = 0
    with app.app_context():
        lanes = Lanes(app, worker)
        while not stop.is_set():
            try:
                n = lanes.fill(int(app.config["WIZARD_WEBHOOK_BATCH"]))
            except Exception:  # a fault must not end the worker: log it, wait, go on
                log.exception("webhook worker round failed")
                db.session.rollback()
                n = 0
            finally:
                db.session.remove()
            total += n
            if n == 0:
                if until_empty and lanes.idle():
                    break
                stop.wait(float(app.config["WIZARD_WEBHOOK_POLL"]))
        lanes.join()
    return total


def start_thread(app) -> threading.Thread:
    """A daemon thread delivering for this process (development server)."""
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(app, stop), kwargs={"worker": worker_name() + ":thread"},
                              name="webhooks", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
