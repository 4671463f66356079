"""Languages: Flask-Babel, bound in `create_app`. Code marks user-visible text with `_` (now) or
`_l` (lazy, for module-level constants such as form labels); templates use `_()` directly."""
from functools import lru_cache

from babel import support
from flask_babel import Babel, get_locale, gettext as _, lazy_gettext as _l, ngettext  # noqa: F401  (re-exported)
from wtforms.i18n import messages_path

babel = Babel()


@lru_cache(maxsize=64)
def _wtforms_catalog(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def wtforms_translations():
    """WTForms' own messages in the request's language, loaded once per language per process
    (Flask-WTF's loader reads the catalogue files again on every request)."""
    return _wtforms_catalog(str(get_locale()))


def select_locale() -> str:
    """Called by Flask-Babel once per request, the first time text is translated."""
    return "en"


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)
