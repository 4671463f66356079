"""What an operator watches: a request id on every request and log line, one JSON access line
per request, and Prometheus metrics (latency per route, and the wizard's own counters) at
`/metrics` behind a token.

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
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
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


class RequestMetrics:
    """Each answer's latency per route and its count, under the names, labels and buckets
    prometheus-flask-exporter gave them (dashboards keep working), in a registry of the app's own.
    Not the exporter itself: its hooks (before, after and at the teardown of every request) read
    the request through Flask's proxies about fifteen times, a tenth of a request that does
    nothing; these are called by the request-id hooks, which time the request already."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        by_status = ("method", "status")
        self.duration = Histogram("wizard_http_request_duration_seconds", "Flask HTTP request duration in seconds",
                                  ("method", "endpoint", "status"), registry=self.registry)
        self.total = Counter("wizard_http_request_total", "Total number of HTTP requests", by_status,
                             registry=self.registry)
        self.exceptions = Counter("wizard_http_request_exceptions_total",
                                  "Total number of HTTP requests which resulted in an exception", by_status,
                                  registry=self.registry)
        self._children = {}  # (method, endpoint, status): the duration's and the total's child

    def answered(self, req, status: int) -> None:
        """Called for each answer; counts a request once (the after-request hooks run again on the
        error page of one that failed). /metrics itself is not counted."""
        if req.path == "/metrics" or getattr(req, "wizard_counted", False):
            return
        req.wizard_counted = True
        key = (req.method, req.endpoint, status)
        children = self._children.get(key)
        if children is None:  # (prometheus_client's labels() validates and locks on every call)
            children = (self.duration.labels(*key), self.total.labels(req.method, status))
            if len(self._children) < 1000:  # routes x methods x statuses: a client may invent methods
                self._children[key] = children
        started = getattr(req, "wizard_started", None)
        if started is not None:
            children[0].observe(max(time.perf_counter() - started, 0))
        children[1].inc()

    def failed(self, req) -> None:
        """Called at the end of a request whose exception no error handler answered."""
        if req.path != "/metrics":
            self.exceptions.labels(req.method, 500).inc()
            self.answered(req, 500)


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


def register(app: Flask):
    """Called by create_app (configure_web); gives back the answer's step (`request_done`)."""
    if app.config.get("WIZARD_LOG_FORMAT") == "json":
        configure_json_logs()
    else:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())

    request_metrics = app.extensions["wizard_metrics"] = RequestMetrics()

    # Each hook takes the request and g from their proxies once: every use of a proxy costs a look-up.
    @app.before_request
    def _request_started():
        """Called early in each request: its id (in g, for the log records) and its start time."""
        req = request._get_current_object()
        sent = req.environ.get("HTTP_X_REQUEST_ID")
        g._get_current_object().request_id = sent if sent and REQUEST_ID.match(sent) else secrets.token_hex(16)
        req.wizard_started = time.perf_counter()

    def request_done(response, req, held, present):
        """A step of the app's one after-request hook (wizard.answer_steps), for each answer: the id
        goes back, the answer is counted, and one access line is logged."""
        # added, unless the answer has one (set scans the headers)
        (response.headers.set if "x-request-id" in present else response.headers.add)(
            "X-Request-ID", held.get("request_id", ""))
        request_metrics.answered(req, response.status_code)
        if app.config.get("WIZARD_ACCESS_LOG"):
            started = getattr(req, "wizard_started", None)
            access_log.info("request", extra={
                "method": req.method, "path": redact(req.path), "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "endpoint": req.endpoint})
        return response

    @app.teardown_request
    def _request_failed(exc=None):
        """Called at the end of each request: one that raised what no error handler answered is counted."""
        if exc is not None:
            request_metrics.failed(request._get_current_object())

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
            body = generate_latest(request_metrics.registry) + generate_latest(OWN)
        return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return request_done
