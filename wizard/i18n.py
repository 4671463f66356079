"""Languages: Flask-Babel, bound in `create_app`. Code marks user-visible text with `_` (now) or
`_l` (lazy, for module-level constants such as form labels); templates use `_()` directly."""
from flask_babel import Babel, gettext as _, lazy_gettext as _l, ngettext  # noqa: F401  (re-exported)

babel = Babel()


def select_locale() -> str:
    """Called by Flask-Babel once per request, the first time text is translated."""
    return "en"


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)
