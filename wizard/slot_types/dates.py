"""The date type: an ISO date (YYYY-MM-DD)."""
from __future__ import annotations

from datetime import date

from wtforms import StringField
from wtforms.widgets import DateInput

from .base import SlotType, SlotValueError, register, title


@register
class Date(SlotType):
    name = "date"
    bare_text = True

    def check(self, slot, value, *, dynamic_ok=True):
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise SlotValueError(f"{title(slot)} must be a date like 2026-01-31") from None
        return value

    def field(self, slot, maps):
        return StringField(slot["title"], widget=DateInput())
