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
    keywords = {**DEFAULT_KEYWORDS, "T": None, "_l": None}
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
