"""Catalogues for the tests: the real ones compiled (as `make deps` does), and the pseudo-locale
`eo` (Esperanto's code, a language the wizard does not ship) in which every translated text is
⟦wrapped⟧, so that a page's text outside the markers is text nobody translated."""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "wizard" / "translations"
LANGUAGES = ["de", "fr", "es", "ar"]
PSEUDO = "eo"
OPEN, CLOSE = "⟦", "⟧"


def compile_catalogues() -> None:
    """wizard/translations/*/LC_MESSAGES/messages.po -> .mo, where the .mo is missing or older."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=True)


def extracted() -> dict:
    """What `make messages` extracts now: msgid (or (singular, plural)) -> True."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "T": None}
    out = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        out[message] = True
    return out


def pseudo_catalogue(directory: Path) -> Path:
    """The pseudo-locale, from the text extracted now: msgstr = ⟦msgid⟧, placeholders kept."""
    catalog = Catalog(locale=PSEUDO)
    for message in extracted():
        if isinstance(message, tuple):
            catalog.add(message, tuple(OPEN + m + CLOSE for m in message[:2]))
        else:
            catalog.add(message, OPEN + message + CLOSE)
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    return directory


# -- finding text nobody translated ------------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
from html.parser import HTMLParser  # noqa: E402

MARKED = re.compile(OPEN + "[^" + OPEN + CLOSE + "]*" + CLOSE)
LETTER = re.compile(r"[^\W\d_]")
SHOWN_ATTRS = ("aria-label", "placeholder", "title", "alt", "data-error-message")
SKIPPED = {"script", "style", "code", "pre"}  # machine codes, and the ISV's JSON shown as code


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED:
            self.skip += 1
        for name in SHOWN_ATTRS:
            if attrs.get(name):
                self.found.append((f"<{tag} {name}>", attrs[name]))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.found.append(("<input value>", attrs["value"]))
        if tag == "body" and attrs.get("data-texts"):  # the scripts' text
            self.found += [("<body data-texts>", t) for t in json.loads(attrs["data-texts"]).values()]

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.found.append(("text", data))


def strip_marked(text: str) -> str:
    while True:
        stripped = MARKED.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


def untranslated(page: str, data=()) -> list[tuple[str, str]]:
    """The texts of a page (text nodes, shown attributes, the scripts' texts) with letters left
    once the ⟦translated⟧ parts and `data` (what the ISV or the user wrote) are taken out."""
    parser = _Texts()
    # <bdi> only isolates the direction of what the ISV or the user wrote inside a sentence: the
    # sentence is still one text ("⟦New name for <bdi>Acme</bdi>⟧")
    parser.feed(page.replace("<bdi>", "").replace("</bdi>", ""))
    data = sorted({d for d in data if d}, key=len, reverse=True)
    bad = []
    for where, text in parser.found:
        rest = strip_marked(text)
        for d in data:
            rest = rest.replace(d, " ")
        if LETTER.search(rest):
            bad.append((where, text.strip()))
    return bad


def strings_of(value) -> set[str]:
    """Every string in a definition (titles, help, options...) or other data."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings_of(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple, set)):
        return set().union(*(strings_of(v) for v in value)) if value else set()
    return {str(value)} if value is not None else set()
