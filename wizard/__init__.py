"""The configuration wizard server. `create_app` is a list of named configure steps."""
from __future__ import annotations

import os

from flask import Flask, g, request

from . import api, connect, console, dbsafety, demo, flow, i18n, models, sandbox, services, themes, webhooks  # noqa: F401  (models: register the tables; dbsafety: serialised writes, column guard)
from .cli import register as register_cli
from .config import check_production, load_config, trusted_hosts
from .extensions import check_csrf, csrf, db, migrate
from .logging_setup import configure_logging as setup_logging
from .web import boundary, health, jinja, limits, operations, static
from .web.errors import register_error_handlers
from .web.security import csp_nonce, reset_request_state, set_security_headers
from .web.session import ServerSessionInterface, check_store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WizardFlask(Flask):
    """Flask, asking once per hook whether it is a coroutine function: Flask's `ensure_sync` runs
    `inspect.iscoroutinefunction` on every before/after/teardown hook and view of every request
    (about twenty a request here; asked once, 50 k instructions fewer a request, 7% of one that does
    nothing). The hooks and views are the app's own, fixed once it is set up; the answer is kept per
    function (bounded all the same)."""

    _SYNC_MAX = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._wizard_sync = {}  # made here, not on first use: asked about twenty times a request

    def ensure_sync(self, func):
        kept = self._wizard_sync
        try:
            return kept[func]
        except (KeyError, TypeError):  # not seen yet, or not hashable
            pass
        sync = super().ensure_sync(func)
        try:
            if len(kept) < self._SYNC_MAX:
                kept[func] = sync
        except TypeError:
            pass
        return sync


def create_app(test_config: dict | None = None) -> Flask:
    app = WizardFlask(__name__, instance_path=os.environ.get("WIZARD_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
                template_folder=os.path.join(ROOT, "templates"), static_folder=os.path.join(ROOT, "static"))
    app.jinja_environment = jinja.Environment  # before anything makes app.jinja_env
    os.makedirs(app.instance_path, exist_ok=True)
    configure_settings(app, test_config)
    configure_logging(app)
    configure_extensions(app)
    configure_web(app)
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, test_config: dict | None) -> None:
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    check_production(app.config)
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True


def configure_logging(app: Flask) -> None:
    setup_logging(app)


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            dbsafety.ping_when_idle(engine, app.config["WIZARD_DB_PING_AFTER"])
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # check_csrf instead (configure_web)
    # Flask-WTF's own before-request hook does nothing with WTF_CSRF_CHECK_DEFAULT off: taken off
    limits.hooks_added(app, lambda: csrf.init_app(app))
    i18n.init_app(app)


def configure_web(app: Flask) -> None:
    app.session_interface = ServerSessionInterface()
    request_done = operations.register(app)  # request id first, then everything else; JSON logs, /metrics
    # the CSRF check next, before any other hook acts on a POST (a refusal still has its request id)
    app.before_request(check_csrf)
    app.before_request(reset_request_state)
    app.before_request(check_store)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    register_error_handlers(app)
    boundary.register(app)
    compressed = static.register(app)  # hashed, pre-compressed, immutable static files; compressed pages
    app.after_request(answer_steps(compressed, set_security_headers, request_done))


def answer_steps(*steps):
    """The app's own work on every answer, as one after-request hook running `steps` in order
    (each `step(response, request, g's names, present) -> response`): compression, the security
    headers, the request id and metrics. The request, g's names (a dict) and the headers the
    view's answer came with (`present`: lower-case name to value) are read once for all of them,
    as three hooks read them three times: every hook, proxy look-up and scan of the headers is
    paid on every request. A step asks `present` only about names no step before it adds."""

    def answered(response):
        req, held = request._get_current_object(), vars(g._get_current_object())
        present = {name.lower(): value for name, value in response.headers}
        for step in steps:
            response = step(response, req, held, present)
        return response

    return answered


def configure_blueprints(app: Flask) -> None:
    """Each area registers its blueprint(s); sandbox and demo switch themselves off by config.
    The sandbox comes before the registry is first built (services), whose entry it provides."""
    app.register_blueprint(health.bp)
    for area in (sandbox, services, connect, flow, themes, api, demo, webhooks):
        area.register(app)
    limits.register(app)  # on the endpoints the areas registered
    console.register(app)  # after the limiter: it limits its sign-in endpoints itself


def configure_cli(app: Flask) -> None:
    register_cli(app)
