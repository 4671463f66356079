"""Numeric types: number and integer."""
from __future__ import annotations

import math
import re
import unicodedata

from wtforms import StringField
from wtforms.widgets import NumberInput

from ..texts import T
from .base import SlotType, SlotValueError, register, title


# What a person types as a number (docs/solution-format.md, "Numbers typed in the wizard"): a sign,
# digits, for `number` one decimal point with digits after it. Digits of any script (Arabic-Indic
# ٠-٩, Persian ۰-۹, Devanagari, full-width...) are read as the digits they are. No exponent (1e1),
# no thousands separators or underscores (1_000), no inner spaces, no inf/nan; spaces around the
# number are dropped. Python's int() and float() take all of those, so they are not asked first.
_WRITTEN = re.compile(r"[+-]?(\d+)(\.\d+)?", re.UNICODE)


def _number(text: str):
    """'7' -> 7, ' 7 ' -> 7, '٧' -> 7, '2.5' -> 2.5; anything else stays text for `check` to refuse."""
    m = _WRITTEN.fullmatch(text)
    if not m:
        return text
    ascii_text = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    try:
        return float(ascii_text) if m.group(2) else int(ascii_text)
    except ValueError:  # past Python's 4,300 digits: not a number anyone types; `check` refuses it
        return text


@register
class Number(SlotType):
    name = "number"
    reads = "number"
    whole = False

    def check(self, slot, value, *, dynamic_ok=True):
        t = title(slot)
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
            raise SlotValueError(T("%(title)s must be a number", title=t))
        if self.whole and isinstance(value, float):
            if not value.is_integer():
                raise SlotValueError(T("%(title)s must be a whole number", title=t))
            value = int(value)
        if "min" in slot and value < slot["min"]:
            raise SlotValueError(T("%(title)s must be at least %(min)s", title=t, min=slot["min"]))
        if "max" in slot and value > slot["max"]:
            raise SlotValueError(T("%(title)s must be at most %(max)s", title=t, max=slot["max"]))
        return value

    def field(self, slot, maps):
        kw = {"step": "1" if self.whole else "any"}
        for key in ("min", "max"):
            if key in slot:
                kw[key] = slot[key]
        return StringField(slot["title"], widget=NumberInput(),
                           render_kw={**kw, "inputmode": "numeric" if self.whole else "decimal"})

    def prefill(self, slot, value, maps):
        return str(value)

    def display(self, slot, value, maps):
        return "number", value

    def convert(self, slot, field, maps):
        text = (field.data or "").strip()
        return _number(text) if text else None


@register
class Integer(Number):
    name = "integer"
    whole = True
