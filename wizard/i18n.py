"""Languages: which one a request speaks, and the one way text is translated into it.

- `catalogue()`: the request's language and catalogue, found once per request (Flask-Babel picks
  the language through `select_locale` and loads the catalogue; nothing else asks it).
- `_(text, **variables)` and `ngettext(singular, plural, num, **variables)`: the translation of
  Python code, through that catalogue. `T("…")` (wizard.texts, plain Python, also for
  module-level constants such as form labels) is the lazy form: a `Text` is translated by `_`
  where it is shown (`localize`; `Text.__html__`, which autoescaping and WTForms' widgets call).
- Templates call `_`, `gettext` and `ngettext` with Jinja's newstyle semantics (Jinja's i18n
  extension, newstyle): `template_gettext` binds them to the request's catalogue for each render
  (`page_language`; `flow.render` for a slot's part).
- The ISV's own texts (a solution definition's `{en: …, de: …}`) are not in a catalogue: they are
  picked by `wizard.texts.localize_definition`, with `localize` for the server's own defaults.

The language of a request (`select_locale`): the `lang` query parameter (remembered in the session
from then on), then the session's, then the browser's `Accept-Language`, then
`WIZARD_DEFAULT_LANGUAGE`. Only the languages of `WIZARD_LANGUAGES` are ever chosen. Catalogues:
wizard/translations/<lang>/LC_MESSAGES/messages.po, compiled by the install step (`make deps`).
README *Languages* says how to add one."""
from __future__ import annotations

import os
import weakref
from datetime import date, time
from functools import lru_cache
from typing import NamedTuple

from babel import Locale, UnknownLocaleError, support
from babel.numbers import format_decimal
from babel.dates import format_date as _format_date, format_time as _format_time
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, get_translations, refresh
from jinja2 import pass_eval_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from wtforms.i18n import messages_path

from . import session_keys as keys
from .config import DEFAULT_LANGUAGES
from .extensions import per_app
from . import texts
from .texts import T, Text

babel = Babel(configure_jinja=False)  # the templates' gettext and filters are ours (init_app)
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
    # each proxy looked up once; g's names as a dict (g's own `in` and `pop` are Python methods)
    held, req = vars(g._get_current_object()), request._get_current_object()
    # Flask-Babel caches the locale in `g` (under _flask_babel), which outlives a request inside an
    # app context; a request's own app context has none yet, and nothing to refresh
    if "_flask_babel" in held:
        refresh()
    held.pop("wizard_catalogue", None)  # and so does catalogue()
    if not req.environ.get("QUERY_STRING"):  # no query, no `lang` (most requests: nothing to parse)
        return
    args = req.args
    lang = match(args["lang"]) if "lang" in args else None  # (a missing key's get() raises and catches inside)
    if lang and session.get(keys.LANG) != lang:
        session[keys.LANG] = lang
    if lang and req.cookies.get(COOKIE) != lang:
        held["wizard_lang_cookie"] = lang


def set_lang_cookie(response):
    lang = vars(g._get_current_object()).pop("wizard_lang_cookie", None)  # g.pop through the proxy: ~4x the cost
    if lang:
        response.set_cookie(COOKIE, lang, httponly=True, samesite="Lax", max_age=24 * 3600,
                            secure=current_app.config["WIZARD_PUBLIC_URL"].startswith("https://"))
    return response


class Catalogue(NamedTuple):
    locale: Locale
    tag: str  # str(locale): de, pt_BR
    translations: support.NullTranslations


def catalogue() -> Catalogue:
    """The request's language and catalogue, found once per request (`select_locale`) and kept in
    `g`: a page asks for them dozens of times. Forgotten at the start of each request
    (remember_lang)."""
    state = g._get_current_object()  # the proxy looked up once
    found = state.get("wizard_catalogue")
    if found is None:
        found = state.wizard_catalogue = _catalogue_of(select_locale())
    return found


def _catalogue_of(lang: str) -> Catalogue:
    """The catalogue of one of the app's languages (what `select_locale` picks), made once per app
    through Flask-Babel (its locale and its translations, which it loads once per process):
    Flask-Babel's own get_locale parses the language again on every request, and looks itself up
    in `g` on every call. Bounded: only the languages of WIZARD_LANGUAGES are ever picked."""
    made = per_app("wizard_catalogues", dict)
    found = made.get(lang)
    if found is None:
        with force_locale(lang):
            locale = get_locale()
            found = made[lang] = Catalogue(locale, str(locale), get_translations())
    return found


@lru_cache(maxsize=64)
def _wtforms_catalog(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def wtforms_translations():
    """WTForms' own messages in the request's language, loaded once per language per process
    (Flask-WTF's loader reads the catalogue files again on every request)."""
    return _wtforms_catalog(catalogue().tag)


def select_locale() -> str:
    """The request's language: found once per request by `catalogue` (and by Flask-Babel, should
    anything ask it)."""
    config = current_app._get_current_object().config  # each proxy looked up once
    default = config["WIZARD_DEFAULT_LANGUAGE"]
    if not has_request_context():
        return default
    req, state = request._get_current_object(), session._get_current_object()
    bound = keys.binding() or keys.binding(keys.AUTH_DIALOG)
    # the cookie only speaks for the popup's pages that have no wizard or dialog session
    cookie = None if bound else req.cookies.get(COOKIE)
    # no query, no `lang` (most requests: nothing to parse); a missing key's get() raises and catches inside
    args = req.args if req.environ.get("QUERY_STRING") else {}
    for tag in (args["lang"] if "lang" in args else None, state.get(keys.LANG),
                (bound.get("options") or {}).get("lang"), cookie):
        lang = match(tag)
        if lang:
            return lang
    # the browser's languages: the header as request.accept_languages reads it (HTTP_ACCEPT_LANGUAGE)
    return _accepted(req.environ.get("HTTP_ACCEPT_LANGUAGE"), tuple(config["WIZARD_LANGUAGES"])) or default


@lru_cache(maxsize=256)
def _accepted(header: str | None, langs: tuple[str, ...]) -> str | None:
    """The best of `langs` for an Accept-Language header, remembered per header (bounded): a
    browser sends the same one on every request, and parsing it is most of choosing the
    language."""
    return parse_accept_header(header, LanguageAccept).best_match(langs)


# Outside an app (no request, no catalogue): the English text, as Flask-Babel gives it there.
_ENGLISH = support.NullTranslations()


def _(string: str, **variables) -> str:
    """The translation of Python code: `string` in the request's language (its catalogue, found
    once per request), `variables` filled in (`%(name)s`). What Flask-Babel's `gettext` does."""
    text = (catalogue().translations if has_app_context() else _ENGLISH).ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """`_` with a plural form: the form for `num` in the request's language, `%(num)s` and
    `variables` filled in. What Flask-Babel's `ngettext` does."""
    variables.setdefault("num", num)
    text = (catalogue().translations if has_app_context() else _ENGLISH).ungettext(singular, plural, num)
    return text % variables


def localize(value):
    """A `Text` (wizard.texts: `T("…")`) translated by `_`, its parameters too (numbers as the
    language writes them); anything else as it is."""
    if isinstance(value, Text):
        return _(value.msgid, **{k: _param(v) for k, v in value.params.items()})
    return value


def _param(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(value, locale=_locale())
    return localize(value)


def _locale() -> Locale | None:
    """The request's locale; None outside an app (babel's default, as Flask-Babel's helpers)."""
    return catalogue().locale if has_app_context() else None


def language(locale=None) -> str:
    """The request's language (or `locale`'s), as a tag (de, ar, pt-BR)."""
    return (str(locale) if locale else catalogue().tag).replace("_", "-")


def direction(locale=None) -> str:
    return "rtl" if (locale or catalogue().locale).character_order == "right-to-left" else "ltr"


def format_date(iso: str) -> str:
    """An ISO date (YYYY-MM-DD) as the user's language writes it."""
    return _format_date(date.fromisoformat(iso), format="long", locale=_locale())


def format_time(hhmm: str) -> str:
    """A time (HH:MM) as the user's language writes it."""
    return _format_time(time.fromisoformat(hhmm), format="short", locale=_locale())


def format_number(value) -> str:
    """A number (the review's display) as the user's language writes it, up to ten decimals."""
    return format_decimal(value, format="#,##0.##########", locale=_locale())


_whole_numbers: dict[tuple[str, int], str] = {}


def numberformat(number) -> str:
    """A number as the request's language writes it (babel's format_decimal, as Flask-Babel's
    `numberformat` filter), the text of a whole number remembered per language: the step counter
    above every screen formats two of them on each page, and formatting one walks babel's pattern
    machinery every time."""
    locale, tag, _t = catalogue()
    if type(number) is int and -1000 < number < 1000:  # a step number; bounded, as the languages are
        key = (tag, number)
        text = _whole_numbers.get(key)
        if text is None:
            text = _whole_numbers[key] = format_decimal(number, locale=locale)
        return text
    return format_decimal(number, locale=locale)


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
        translated = {t.msgid: _(t.msgid) for t in SCRIPT_TEXTS}
        attr = escape(str(htmlsafe_json_dumps(translated, dumps=current_app.json.dumps, sort_keys=True)))
        _script_texts[translations] = attr
    return attr


def template_gettext(translations) -> dict:
    """`_`/`gettext` and `ngettext` for templates, bound to `translations` (the request's catalogue)
    for one render: `_` and `ngettext` in the form Jinja's i18n extension gives templates with
    newstyle gettext (jinja2.ext: the text is Markup, the variables escaped, always a format string;
    also what `{% trans %}` calls). Given to every render by `page_language`, and to a slot's part
    by flow.render. Not Jinja's own wrappers, which are slower on a page that calls them dozens of
    times: these take the evaluation context, not the context (inside a loop, Jinja copies the
    whole context for a function that takes it, on every call), read the catalogue bound here, not
    the request's again, and do not format a text without `%`."""
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
    # `{% trans %}` too, calling the page's `gettext`/`ngettext` (template_gettext) the newstyle way
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.filters.update(local_date=format_date, local_time=format_time, local_number=format_number,
                                 numberformat=numberformat, bdi=isolate)
    # a Text shows in the request's language wherever it is escaped: every {{ }} of the templates
    # (all autoescaped), WTForms' labels and options
    texts.translate_with(localize)

    @app.context_processor
    def page_language():
        """Before every render_template: the page's language, direction and `_`/`ngettext`."""
        locale, _tag, translations = catalogue()
        return {"page_lang": language(locale), "page_dir": direction(locale), "script_texts_attr": script_texts_attr,
                **template_gettext(translations)}
