"""Extensions live unbound here and are bound to the app in `create_app` (Flask tutorial style)."""
from flask import current_app, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
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
    exemption before it looks at the method, on every GET too."""
    config = current_app._get_current_object().config  # each use of a proxy costs a look-up
    if config["WTF_CSRF_ENABLED"] and request._get_current_object().method in config["WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


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
