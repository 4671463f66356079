"""Languages: Flask-Babel, bound in `create_app`. Code marks user-visible text with `_` (now) or
`_l` (lazy, for module-level constants such as form labels); templates use `_()` directly; plain
Python that cannot import Flask makes `wizard.texts.Text`, which every template output localises.

The language of a request (`select_locale`): the `lang` query parameter (remembered in the session
from then on), then the session's, then the browser's `Accept-Language`, then
`WIZARD_DEFAULT_LANGUAGE`. Only the languages of `WIZARD_LANGUAGES` are ever chosen. Catalogues:
wizard/translations/<lang>/LC_MESSAGES/messages.po, compiled by the install step (`make deps`).
README *Languages* says how to add one."""
from __future__ import annotations

import os
import weakref
from functools import lru_cache
from typing import NamedTuple

from babel import Locale, UnknownLocaleError, support
from babel.numbers import format_decimal as _babel_format_decimal
from babel.dates import format_date as _babel_format_date, format_time as _babel_format_time
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, format_decimal, get_locale, refresh, lazy_gettext as _l, ngettext  # noqa: F401  (re-exported)
from flask_babel import gettext as _babel_gettext
from flask_babel import get_translations
from jinja2 import pass_eval_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from wtforms.i18n import messages_path

from . import session_keys as keys
from .config import DEFAULT_LANGUAGES
from . import texts
from .texts import T, Text

babel = Babel()
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")


def supported() -> list[str]:
    return current_app.config["WIZARD_LANGUAGES"]


def match(tag: str | None) -> str | None:
    """A supported language for a tag such as `de`, `de-AT`, `pt_BR`; None when there is none."""
    if not tag or not isinstance(tag, str):
        return None
    tag = tag.strip().replace("_", "-")[:35].lower()
    langs = {lang.lower(): lang for lang in supported()}
    while tag:
        if tag in langs:
            return langs[tag]
        tag = tag.rpartition("-")[0]
    return None


COOKIE = "wizard_lang"


def remember_lang() -> None:
    """Before every request: a `lang` parameter the server speaks is kept in the session, so that
    the pages after the entry (which carry no `lang`) speak it too, and in a first-party cookie
    for the popup's pages that have no wizard session (the provider's consent, the result)."""
    state, req = g._get_current_object(), request._get_current_object()  # each proxy looked up once
    # Flask-Babel caches the locale in `g` (under _flask_babel), which outlives a request inside an
    # app context; a request's own app context has none yet, and nothing to refresh
    if "_flask_babel" in state:
        refresh()
    state.pop("wizard_catalogue", None)  # and so does catalogue()
    args = req.args
    lang = match(args["lang"]) if "lang" in args else None  # (a missing key's get() raises and catches inside)
    if lang and session.get(keys.LANG) != lang:
        session[keys.LANG] = lang
    if lang and req.cookies.get(COOKIE) != lang:
        state.wizard_lang_cookie = lang


def set_lang_cookie(response):
    lang = g.pop("wizard_lang_cookie", None)
    if lang:
        response.set_cookie(COOKIE, lang, httponly=True, samesite="Lax", max_age=24 * 3600,
                            secure=current_app.config["WIZARD_PUBLIC_URL"].startswith("https://"))
    return response


class Catalogue(NamedTuple):
    locale: Locale
    tag: str  # str(locale): de, pt_BR
    translations: support.NullTranslations


def catalogue() -> Catalogue:
    """The request's language and catalogue, found once per request: Flask-Babel's own
    get_locale and get_translations look them up in `g` again on every call (get_translations
    about 6 µs each), and a page asks for them dozens of times. Forgotten where Flask-Babel's are
    (remember_lang, at the start of each request)."""
    found = g.get("wizard_catalogue")
    if found is None:
        locale = get_locale()
        found = g.wizard_catalogue = Catalogue(locale, str(locale), get_translations())
    return found


@lru_cache(maxsize=64)
def _wtforms_catalog(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def wtforms_translations():
    """WTForms' own messages in the request's language, loaded once per language per process
    (Flask-WTF's loader reads the catalogue files again on every request)."""
    return _wtforms_catalog(catalogue().tag)


def select_locale() -> str:
    """Called by Flask-Babel once per request, the first time text is translated."""
    default = current_app.config["WIZARD_DEFAULT_LANGUAGE"]
    if not has_request_context():
        return default
    bound = keys.binding() or keys.binding(keys.AUTH_DIALOG)
    # the cookie only speaks for the popup's pages that have no wizard or dialog session
    cookie = None if bound else request.cookies.get(COOKIE)
    for tag in (request.args.get("lang"), session.get(keys.LANG), (bound.get("options") or {}).get("lang"), cookie):
        lang = match(tag)
        if lang:
            return lang
    return request.accept_languages.best_match(supported()) or default


def _(string: str, **variables) -> str:
    """Flask-Babel's `gettext` (the text in the request's language, formatted with `variables`),
    with the catalogue found once per request (`catalogue`)."""
    if not has_app_context():
        return _babel_gettext(string, **variables)
    text = catalogue().translations.ugettext(string)
    return text % variables if variables else text


def language(locale=None) -> str:
    """The request's language (or `locale`'s), as a tag (de, ar, pt-BR)."""
    return (str(locale) if locale else catalogue().tag).replace("_", "-")


def localize(value):
    """A `Text` in the request's language (its parameters too, numbers as the language writes
    them); anything else as it is."""
    if isinstance(value, Text):
        params = {k: _param(v) for k, v in value.params.items()}
        if not has_app_context():  # no catalogue: the English text, as Flask-Babel gives it there
            return _(value.msgid, **params)
        text = catalogue().translations.ugettext(value.msgid)  # Flask-Babel's gettext, the catalogue found once
        return text % params if params else text
    return value


def _param(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(value)
    return localize(value)


def direction(locale=None) -> str:
    return "rtl" if (locale or catalogue().locale).character_order == "right-to-left" else "ltr"


def format_date(iso: str) -> str:
    """An ISO date (YYYY-MM-DD) as the user's language writes it."""
    from datetime import date
    return _babel_format_date(date.fromisoformat(iso), format="long", locale=get_locale())


_whole_numbers: dict[tuple[str, int], str] = {}


def numberformat(number) -> str:
    """Flask-Babel's `numberformat` filter (babel's format_decimal in the request's language), the
    text of a whole number remembered per language: the step counter above every screen formats two
    of them on each page, and formatting one walks babel's pattern machinery every time."""
    locale, tag, _t = catalogue()
    if type(number) is int and -1000 < number < 1000:  # a step number; bounded, as the languages are
        key = (tag, number)
        text = _whole_numbers.get(key)
        if text is None:
            text = _whole_numbers[key] = _babel_format_decimal(number, locale=locale)
        return text
    return _babel_format_decimal(number, locale=locale)


def format_number(value) -> str:
    return format_decimal(value, format="#,##0.##########")


def format_time(hhmm: str) -> str:
    from datetime import time
    return _babel_format_time(time.fromisoformat(hhmm), format="short", locale=get_locale())


# The text static/wizard.js and static/connect.js show, given to them translated in <body
# data-texts> (base.html), keyed by the English text: their `t("…")` looks it up there.
SCRIPT_TEXTS = [
    T("Please check these fields"),
    T("Checking your answers with the application…"),
    T("The application did not answer in time, so your answers could not be checked. Nothing was lost."),
    T("Retry"),
    T("Try again"),
    T("Account connected. Updating…"),
    T("Account connected: %(account)s"),
    T("The account could not be connected: %(reason)s"),
    T("The account could not be connected."),
    T("Still waiting for the account. If you closed the window before finishing, try again."),
    T("Your browser blocked the window. Allow pop-ups for this site, then try again."),
    T("Finish connecting in the window that opened…"),
    T("Something went wrong."),
    T("Connected."),
    T("The sign-in window was closed before the account was connected."),
    T("Waiting for the sign-in to finish… If you closed that window, press Connect again."),
    T("Your browser blocked the sign-in window. Allow pop-ups and try again."),
    T("Waiting for the sign-in window…"),
]


# Per catalogue (a language of this app): the same on every page, so translated and written as
# the attribute's value once.
_script_texts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def script_texts_attr() -> Markup:
    """The script texts translated, as JSON escaped for <body data-texts> (as `|tojson|forceescape`)."""
    translations = catalogue().translations
    attr = _script_texts.get(translations)
    if attr is None:
        texts = {t.msgid: translations.ugettext(t.msgid) for t in SCRIPT_TEXTS}
        attr = escape(str(htmlsafe_json_dumps(texts, dumps=current_app.json.dumps, sort_keys=True)))
        _script_texts[translations] = attr
    return attr


def template_gettext(translations) -> dict:
    """`gettext`/`ngettext` for the templates' `_()`, bound to one request's catalogue: Flask-Babel's
    own look the catalogue up again on every call. Same behaviour as Jinja's newstyle gettext
    (jinja2.ext: escaped variables, always a format string). They take the evaluation context,
    not the context as Jinja's do: inside a loop, Jinja copies the whole context for a function
    that takes it, on every call."""
    @pass_eval_context
    def gettext(__eval_ctx, __string, **variables):
        rv = translations.ugettext(__string)
        if __eval_ctx.autoescape:
            rv = Markup(rv)
        # formatting a text without % changes nothing; Markup's % wraps every value first
        return rv % variables if variables or "%" in rv else rv

    @pass_eval_context
    def ngettext(__eval_ctx, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = translations.ungettext(__singular, __plural, __num)
        if __eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    # `_` too: Jinja's own `_` looks `gettext` up in the context again and calls it through Context.call
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def isolate(value) -> Markup:
    """`{{ value|bdi }}`: text the user or the ISV wrote, direction-isolated (<bdi>), so that in a
    right-to-left page "#general" stays "#general" and an Arabic name stays whole in a left-to-right
    one (README, *Languages*). Escaped like any value; a Text shows in the page's language."""
    return Markup("<bdi>%s</bdi>") % value


def init_app(app) -> None:
    app.config.setdefault("WIZARD_LANGUAGES", list(DEFAULT_LANGUAGES))
    app.config.setdefault("WIZARD_DEFAULT_LANGUAGE", "en")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    dirs = app.config.get("BABEL_TRANSLATION_DIRECTORIES")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = TRANSLATIONS + (";" + dirs if dirs else "")
    if app.config["WIZARD_DEFAULT_LANGUAGE"] not in app.config["WIZARD_LANGUAGES"]:
        app.config["WIZARD_LANGUAGES"] = [*app.config["WIZARD_LANGUAGES"], app.config["WIZARD_DEFAULT_LANGUAGE"]]
    for lang in app.config["WIZARD_LANGUAGES"]:
        try:
            Locale.parse(lang)
        except (ValueError, UnknownLocaleError) as exc:
            raise RuntimeError(f"WIZARD_LANGUAGES: {lang!r} is not a language Babel knows") from exc
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_lang)
    app.after_request(set_lang_cookie)
    app.jinja_env.filters.update(local_date=format_date, local_time=format_time, local_number=format_number,
                                 numberformat=numberformat, bdi=isolate)
    texts.translate_with(localize)
    app.jinja_env.finalize = localize  # every {{ }} of every template: a Text in the page's language

    @app.context_processor
    def page_language():
        locale, _tag, translations = catalogue()
        return {"page_lang": language(locale), "page_dir": direction(locale), "script_texts_attr": script_texts_attr,
                **template_gettext(translations)}
