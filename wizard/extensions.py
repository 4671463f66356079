"""Extensions live unbound here and are bound to the app in `create_app` (Flask tutorial style)."""
import hmac
import threading

from flask import current_app, g, request, session
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf, same_origin
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()


def check_csrf() -> None:
    """Called before every request, in place of Flask-WTF's own hook (WTF_CSRF_CHECK_DEFAULT off):
    the same check (`protect`, with the views and blueprints marked exempt left out), asked only
    of the methods it checks (POST, PUT, PATCH, DELETE). Flask-WTF's hook looks up the view's
    exemption before it looks at the method, on every GET too.

    A token this process already knows for the session's secret (`csrf_token` made it, or it was
    verified here before: `_known`) is not verified again: that exact string, compared in constant
    time with the one kept for the session's own secret and the signing key, is what a signature
    check would accept. Anything else (another session's token, a forged or re-signed one, none)
    goes through Flask-WTF's check as before, and is kept only once that check has passed."""
    app = current_app._get_current_object()  # each use of a proxy costs a look-up
    config = app.config
    req = request._get_current_object()
    if not config["WTF_CSRF_ENABLED"] or req.method not in config["WTF_CSRF_METHODS"]:
        return
    if not req.endpoint or csrf._is_exempt():  # protect(apply_exemptions=True) checks nothing then
        return
    state, secret = g._get_current_object(), session._get_current_object().get(config["WTF_CSRF_FIELD_NAME"])
    key = (config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, secret)
    sent = csrf._get_csrf_token()
    known = _known.get(key) if config["WTF_CSRF_TIME_LIMIT"] is None and isinstance(secret, str) else None
    if known is None or not sent or not hmac.compare_digest(sent.encode(), known.encode()):
        csrf.protect()  # Flask-WTF's check: refuses (400) what does not hold
        _keep(key, sent, config)  # it held
        return
    # the rest of protect(): the referrer of an HTTPS request, and the mark the forms read
    if req.is_secure and config["WTF_CSRF_SSL_STRICT"]:
        if not req.referrer:
            csrf._error_response("The referrer header is missing.")
        if not same_origin(req.referrer, f"https://{req.host}/"):
            csrf._error_response("The referrer does not match the host.")
    state.csrf_valid = True


def csrf_token() -> str:
    """The signed CSRF token of this session (Flask-WTF's `generate_csrf`: its secret in the
    session, made if there is none yet, signed with the app's key), signed once per session secret
    and kept (`_known`) rather than signed again on every page: with WTF_CSRF_TIME_LIMIT None
    (config.py) a token's timestamp is never checked, so the one made first holds as long as the
    session does. With a time limit set, a token is signed on each call, as Flask-WTF does."""
    app = current_app._get_current_object()
    config = app.config
    name = config["WTF_CSRF_FIELD_NAME"]
    signing_key = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    state = session._get_current_object()
    secret = state.get(name)
    token = _known.get((signing_key, secret)) if config["WTF_CSRF_TIME_LIMIT"] is None else None
    if token is None:
        token = generate_csrf()  # makes the session's secret when there is none yet
        _keep((signing_key, state.get(name)), token, config)
    return token


# (signing key, session's CSRF secret) -> the signed token this process made or verified for it,
# bounded (the oldest dropped first). Keyed by values: a new SECRET_KEY or a new session secret
# finds nothing and signs or verifies afresh; each worker keeps its own.
_known: dict[tuple, str] = {}
KNOWN_TOKENS = 4096
_known_lock = threading.Lock()


def _keep(key: tuple, token: str | None, config) -> None:
    if not token or config["WTF_CSRF_TIME_LIMIT"] is not None or not isinstance(key[1], str):
        return
    with _known_lock:
        _known.pop(key, None)
        _known[key] = token
        while len(_known) > KNOWN_TOKENS:
            del _known[next(iter(_known))]


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record):
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def per_app(name: str, build, key=None, app=None):
    """The one rule for what an area keeps per app: `app.extensions[name]`, made by `build()`
    once per app and again whenever `key` differs from the key it was made for (a changed
    services file, other encryption keys). Every such cache goes through here; a test may put
    its own object under `name` (a core that is down, say) and it is used as it is."""
    app = app or current_app._get_current_object()
    keys = app.extensions.setdefault("wizard_per_app_keys", {})
    if name not in app.extensions or keys.get(name, key) != key:
        app.extensions[name] = build()
        keys[name] = key
    return app.extensions[name]
