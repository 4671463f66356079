"""What an operator watches: a request id on every request and log line, one JSON access line
per request, and Prometheus metrics (prometheus-flask-exporter for latency per route, and the
wizard's own counters) at `/metrics` behind a token.

- Request id: the `X-Request-ID` a proxy sent (when it looks like one), else a new one; answered
  in `X-Request-ID` and added to every log record of the request (`request_id`).
- Logs: `WIZARD_LOG_FORMAT=json` (the default in production and for `make serve`) writes one
  JSON object per line (python-json-logger), redacted like every other record (logging_setup).
- Metrics: `WIZARD_METRICS_TOKEN` switches `/metrics` on (404 without it, 401 without the
  token). Under gunicorn the workers share their figures through PROMETHEUS_MULTIPROC_DIR
  (gunicorn.conf.py sets it), so any worker answers for all.
"""
from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import time

from flask import Flask, Response, abort, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client import multiprocess
from prometheus_flask_exporter import PrometheusMetrics
from pythonjsonlogger.json import JsonFormatter

from ..logging_setup import RedactingFilter, redact

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,100}$")
access_log = logging.getLogger("wizard.access")

# The wizard's own figures (module level: one set per process, whatever the number of apps).
OWN = CollectorRegistry(auto_describe=True)
JOURNEYS_STARTED = Counter("wizard_journeys_started", "Wizards entered with a valid code", registry=OWN)
JOURNEYS_FINISHED = Counter("wizard_journeys_finished", "Wizards finished (values saved)", registry=OWN)
JOURNEYS_ABANDONED = Counter("wizard_journeys_abandoned",
                             "Wizards left unfinished: cancelled, or replaced by a newer session of the instance",
                             ["reason"], registry=OWN)
CONNECT_FAILURES = Counter("wizard_connect_failures", "Failed attempts to connect an account, per service",
                           ["service"], registry=OWN)


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def configure_json_logs() -> None:
    """One JSON object per line on the root handlers (their redaction filters stay)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                               rename_fields={"levelname": "level", "asctime": "time"}))
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def register(app: Flask) -> None:
    """Called by create_app (configure_web)."""
    if app.config.get("WIZARD_LOG_FORMAT") == "json":
        configure_json_logs()
    else:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())

    @app.before_request
    def _request_started():
        """Called first for each request: its id and start time."""
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.match(sent) else secrets.token_hex(16)  # (as uuid4().hex, without the UUID)
        g.request_started = time.perf_counter()

    @app.after_request
    def _request_done(response):
        """Called for each answer: the id goes back, and one access line is logged."""
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if app.config.get("WIZARD_ACCESS_LOG"):
            started = g.get("request_started")
            access_log.info("request", extra={
                "method": request.method, "path": redact(request.path), "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "endpoint": request.endpoint})
        return response

    # latency per route (the endpoint), in a registry of this app's own
    exporter = PrometheusMetrics(app, path=None, group_by="endpoint", defaults_prefix="wizard",
                                 registry=CollectorRegistry(auto_describe=True), excluded_paths=["^/metrics$"])
    app.extensions["wizard_metrics"] = exporter

    @app.get("/metrics")
    def metrics():
        """Prometheus scrape: behind WIZARD_METRICS_TOKEN (Authorization: Bearer ...)."""
        token = app.config.get("WIZARD_METRICS_TOKEN")
        if not token:
            abort(404)
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            abort(401)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest(exporter.registry) + generate_latest(OWN)
        return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
