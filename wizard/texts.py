"""User-visible text made where there is no request yet or Flask is not at hand (the slot types,
the solution format, the engine, module-level constants such as form labels): the lazy form of
wizard.i18n's `_`. A `Text` is the English sentence itself (a `str`, so the API, logs and tests
read it as before) that also remembers its message id and parameters, so that it is translated
by `_` where it is shown (`__html__`: every `{{ }}` of the templates, WTForms' labels and
options; `wizard.i18n.localize` in Python). Plain Python on purpose: .importlinter forbids Flask
in the rules.

    raise SlotValueError(T("%(title)s must be a number", title=t))

`T` is also the extraction keyword (babel.cfg), so these sentences land in the catalogues.

The second half of this module is a different concept: the ISV's own texts in a solution
definition (`title: {en: Channel, de: Kanal}`), which no catalogue holds; `localize_definition`
picks each node's language."""
from __future__ import annotations

from markupsafe import escape

# Set by wizard.i18n when the app starts (its `localize`): Text -> str in the request's language.
_translator = None


def translate_with(translator) -> None:
    global _translator
    _translator = translator


class Text(str):
    """English text (the msgid with its parameters filled in) that can be translated later."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid, text.params = msgid, params
        return text

    def __html__(self) -> str:
        """HTML of the text in the request's language: what Jinja's autoescape and WTForms'
        widgets (option and label text) call, so a Text shows translated wherever it is rendered."""
        text = str(self)
        if _translator is not None:
            try:
                text = str(_translator(self))
            except RuntimeError:  # outside a request: English
                pass
        return str(escape(text))

    def to_json(self) -> dict:
        """For the session (JSON): the message, not its English rendering."""
        return {"msgid": self.msgid, "params": {k: to_json(v) for k, v in self.params.items()}}


def T(msgid: str, **params) -> Text:  # noqa: N802  (gettext-style marker)
    return Text(msgid, **params)


def message(exc: BaseException) -> str:
    """An exception's message, keeping a `Text` whole (`str(exc)` would flatten it to English)."""
    first = exc.args[0] if exc.args else ""
    return first if isinstance(first, Text) else str(exc)


def to_json(value):
    """A value for the session: Text (also inside dicts and lists) as {msgid, params}."""
    if isinstance(value, Text):
        return value.to_json()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def from_json(value):
    """The reverse of `to_json`."""
    if isinstance(value, dict):
        if set(value) == {"msgid", "params"} and isinstance(value["msgid"], str):
            return Text(value["msgid"], **{k: from_json(v) for k, v in (value["params"] or {}).items()})
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


# -- texts of a solution definition in several languages ----------------------------------------
# A title, description, help, placeholder or option text may be one string or {language: text}
# (`title: {en: Channel, de: Kanal}`). The normalised definition keeps the English text (else the
# first) where the string always was, so the API and every reader still see a string, and the
# languages beside it under the node's "i18n" key: {"title": {"en": "Channel", "de": "Kanal"}}.
# Defaults the server writes (a screen called "Settings") are stored there as a message.

LANG_TAG_MAX = 35


def text_value(value, default: str | Text = "") -> tuple[str, dict | None, str | None]:
    """(the string, its "i18n" entry or None, a problem or None) for a definition's text."""
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) and 0 < len(k) <= LANG_TAG_MAX and isinstance(v, str)
                                for k, v in value.items()):
            return str(default), None, "must be text, or a mapping of language codes to text (en: …, de: …)"
        by_lang = {k.replace("_", "-"): v for k, v in value.items()}
        fallback = by_lang.get("en") or next(iter(by_lang.values()))
        return fallback, by_lang, None
    if value in (None, ""):
        return str(default), (default.to_json() if isinstance(default, Text) else None), None
    return str(value), None, None


def set_text(node: dict, key: str, value, default: str | Text = "") -> str | None:
    """Put a definition's text into a normalised node; returns the problem, if any."""
    node[key], entry, problem = text_value(value, default)
    if entry is not None:
        node.setdefault("i18n", {})[key] = entry
    return problem


def pick(entry, lang: str, translate) -> str | None:
    """One "i18n" entry in `lang` (then its base language, then English); a stored message
    through `translate`."""
    if "msgid" in entry and "params" in entry:
        return translate(from_json(entry))
    base = lang.split("-")[0]
    for tag in (lang, base, "en"):
        if entry.get(tag):
            return entry[tag]
    return None


def localize_definition(definition, lang: str, translate=lambda text: text):
    """A copy of a normalised definition with every text in `lang` (English where the ISV gave
    none). `translate` turns a stored server message (a `Text`) into `lang`."""
    if isinstance(definition, list):
        return [localize_definition(v, lang, translate) for v in definition]
    if not isinstance(definition, dict):
        return definition
    out = {k: localize_definition(v, lang, translate) for k, v in definition.items() if k != "i18n"}
    for key, entry in (definition.get("i18n") or {}).items():
        text = pick(entry, lang, translate) if isinstance(entry, dict) else None
        if text is not None:
            out[key] = text
    if "i18n" in definition:
        out["i18n"] = definition["i18n"]
    return out
