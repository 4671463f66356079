"""What a theme may be, in plain Python (no Flask, no database): the API, the CLI and the store
all call `check`, so each rule lives here once.

- Colours are `#rgb` or `#rrggbb`; the pairs an end user reads must pass WCAG 2.2 AA contrast
  (1.4.3: 4.5:1 for text; 1.4.11: 3:1 for controls), and a refusal names the pair and its ratio.
- A logo is PNG or JPEG, recognised by its bytes (never by a declared type), at most
  `MAX_LOGO_BYTES`. SVG is refused: it is a document that can carry script and load other
  origins, and a PNG does everything a logo needs.
- Custom CSS is text of at most `MAX_CSS_CHARS`; it is served as its own `text/css` resource under
  the pages' CSP (never inlined into a page), so it cannot run script or load other origins.
- `palette` derives the stylesheet's other colours (muted text, borders, hover, soft backgrounds)
  from the six given ones, each kept at the contrast its use needs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..texts import T
from ..textcheck import text_problem

HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
MAX_LOGO_BYTES = 200 * 1024
MAX_CSS_CHARS = 32 * 1024
MAX_NAME_CHARS = 80
MAX_RADIUS = 24
TEXT, CONTROL = 4.5, 3.0

COLOR_NAMES = ("primary", "textOnPrimary", "background", "surface", "text", "error")

# (foreground, background, minimum): what the end user reads or must make out.
PAIRS = (
    ("text", "background", TEXT),
    ("text", "surface", TEXT),
    ("textOnPrimary", "primary", TEXT),
    ("error", "background", TEXT),
    ("error", "surface", TEXT),
    ("primary", "background", CONTROL),
    ("primary", "surface", CONTROL),
)

LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": ("image/png", "png"), b"\xff\xd8\xff": ("image/jpeg", "jpg")}


class ThemeError(ValueError):
    """A theme that cannot be taken; `field` names the input (e.g. `colors`, `logo`)."""

    def __init__(self, field: str, message: str, reason: str = "invalid_input"):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.reason = field, message, reason


@dataclass(frozen=True)
class Theme:
    """A theme's values (the logo is kept beside them, as bytes)."""

    product_name: str = ""
    colors: dict = field(default_factory=dict)
    corner_radius: int = 8
    custom_css: str = ""


DEFAULT_COLORS = {"primary": "#1f5fbf", "textOnPrimary": "#ffffff", "background": "#f5f6f8",
                  "surface": "#ffffff", "text": "#1c2430", "error": "#b3261e"}
DEFAULT = Theme(product_name="", colors=dict(DEFAULT_COLORS), corner_radius=8, custom_css="")


# -- colour arithmetic (WCAG 2.2, "relative luminance" and "contrast ratio") ---------------------

def rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def hex_color(value: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in value)


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: str, b: str, weight: float) -> str:
    """`weight` of `a` over `b` (sRGB, as CSS color-mix does)."""
    return hex_color(tuple(x * weight + y * (1 - weight) for x, y in zip(rgb(a), rgb(b))))


def ratio_text(value: float) -> str:
    """2.14 -> "2.1" (rounded down: a ratio that only rounds up to the minimum does not pass)."""
    return f"{int(value * 10) / 10:g}"


def contrast_failures(colors: dict) -> list[str]:
    """Each pair below its minimum, e.g. "primary / background: 2.1:1, needs 3:1"."""
    out = []
    for fg, bg, minimum in PAIRS:
        value = contrast(colors[fg], colors[bg])
        if value < minimum:
            out.append(T("%(fg)s / %(bg)s: %(ratio)s:1, needs %(minimum)s:1", fg=fg, bg=bg,
                         ratio=ratio_text(value), minimum=f"{minimum:g}"))
    return out


# -- checking input -------------------------------------------------------------------------------

def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ThemeError(name, T("must be text"))
    problem = text_problem(value)
    if problem:
        raise ThemeError(name, problem)
    if len(value) > limit:
        raise ThemeError(name, T("must be at most %(n)s characters", n=limit))
    return value


def check_colors(given: dict, base: dict) -> dict:
    unknown = sorted(set(given) - set(COLOR_NAMES))
    if unknown:
        raise ThemeError("colors", T("unknown colour %(name)s; the colours are %(names)s",
                                          name=unknown[0], names=", ".join(COLOR_NAMES)))
    colors = dict(base)
    for name, value in given.items():
        if value is None:
            continue
        if not isinstance(value, str) or not HEX.fullmatch(value.strip()):
            raise ThemeError(f"colors.{name}", T("must be a colour like #1f5fbf"))
        colors[name] = hex_color(rgb(value.strip().lower()))
    failures = contrast_failures(colors)
    if failures:
        raise ThemeError("colors", T("too little contrast (WCAG 2.2 AA): %(pairs)s",
                                          pairs="; ".join(failures)), "insufficient_contrast")
    return colors


def check(base: Theme, *, product_name=None, colors=None, corner_radius=None, custom_css=None) -> Theme:
    """`base` with the given fields changed (None: unchanged), or ThemeError naming the field."""
    changes = {}
    if product_name is not None:
        name = _text(product_name, "productName", MAX_NAME_CHARS).strip()
        changes["product_name"] = name
    if colors is not None:
        if not isinstance(colors, dict):
            raise ThemeError("colors", T("must be an object of colours"))
        changes["colors"] = check_colors(colors, base.colors)
    if corner_radius is not None:
        if isinstance(corner_radius, bool) or not isinstance(corner_radius, int) \
                or not 0 <= corner_radius <= MAX_RADIUS:
            raise ThemeError("cornerRadius", T("must be a whole number of pixels from 0 to %(n)s", n=MAX_RADIUS))
        changes["corner_radius"] = corner_radius
    if custom_css is not None:
        changes["custom_css"] = _text(custom_css, "customCss", MAX_CSS_CHARS)
    return replace(base, **changes)


def check_logo(data: bytes) -> str:
    """The logo's content type, from its bytes."""
    if not data:
        raise ThemeError("logo", T("is empty"))
    if len(data) > MAX_LOGO_BYTES:
        raise ThemeError("logo", T("must be at most %(n)s KB", n=MAX_LOGO_BYTES // 1024))
    for magic, (content_type, _ext) in LOGO_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data.lstrip()[:5].lower() in (b"<?xml", b"<svg "):
        raise ThemeError("logo", T("SVG is not taken (it can carry script); give a PNG or JPEG"))
    raise ThemeError("logo", T("must be a PNG or JPEG image"))


def extension(content_type: str) -> str:
    return {ct: ext for ct, ext in LOGO_TYPES.values()}[content_type]


# -- the stylesheet --------------------------------------------------------------------------------

def _first(candidates, ok, fallback: str) -> str:
    return next((c for c in candidates if ok(c)), fallback)


def palette(theme: Theme) -> dict[str, str]:
    """Every colour variable of static/wizard.css, from the theme's six colours."""
    c = theme.colors
    bg, surface, text, primary, on_primary, error = (c["background"], c["surface"], c["text"], c["primary"],
                                                     c["textOnPrimary"], c["error"])

    def readable(color, *backgrounds, minimum=TEXT):
        return all(contrast(color, b) >= minimum for b in backgrounds)

    weights = (0.7, 0.8, 0.9)
    muted = _first((mix(text, bg, w) for w in weights), lambda x: readable(x, bg, surface), text)
    border_strong = _first((mix(text, surface, w) for w in (0.45, 0.55, 0.65, 0.8)),
                           lambda x: readable(x, bg, surface, minimum=CONTROL), text)
    # Hover darkens (or lightens) the primary away from its text, keeping that text readable.
    away = "#000000" if luminance(on_primary) > luminance(primary) else "#ffffff"
    hover = _first((mix(primary, away, w) for w in (0.8, 0.9)), lambda x: readable(on_primary, x), primary)
    accent_soft = _first((mix(primary, surface, w) for w in (0.1, 0.05)), lambda x: readable(text, x), surface)
    danger_soft = _first((mix(error, surface, w) for w in (0.1, 0.05)),
                         lambda x: readable(error, x) and readable(text, x), surface)
    ok = _first(("#1e6b3a", text), lambda x: readable(x, bg, surface), text)
    ok_soft = _first((mix(ok, surface, w) for w in (0.1, 0.05)), lambda x: readable(ok, x), surface)
    return {
        "--bg": bg, "--surface": surface, "--text": text, "--muted": muted,
        "--border": mix(text, surface, 0.2), "--border-strong": border_strong,
        "--accent": primary, "--accent-dark": hover, "--accent-soft": accent_soft, "--on-accent": on_primary,
        "--link": primary if readable(primary, bg, surface) else text,
        "--danger": error, "--danger-soft": danger_soft, "--danger-text": error,
        "--info-text": text, "--ok": ok, "--ok-soft": ok_soft, "--ok-text": ok,
    }


def stylesheet(theme: Theme) -> str:
    """The theme's stylesheet: the variables, then the ISV's own CSS (which may override them)."""
    lines = [f"  {k}: {v};" for k, v in palette(theme).items()] + [f"  --radius: {theme.corner_radius}px;"]
    css = "/* Theme variables (wizard.themes.rules.palette). */\n:root {\n" + "\n".join(lines) + "\n}\n"
    if theme.custom_css.strip():
        css += "\n/* The ISV's custom CSS. */\n" + theme.custom_css + "\n"
    return css
