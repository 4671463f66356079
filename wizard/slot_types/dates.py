"""The date type: an ISO date (YYYY-MM-DD)."""
from __future__ import annotations

from wtforms import StringField
from wtforms.widgets import DateInput

from ..textcheck import strict_date
from ..texts import T
from .base import SlotType, SlotValueError, register, title


@register
class Date(SlotType):
    name = "date"
    bare_text = True

    def check(self, slot, value, *, dynamic_ok=True):
        if not strict_date(value):  # YYYY-MM-DD only (fromisoformat takes 20260101, 2026-W01-1)
            raise SlotValueError(T("%(title)s must be a date like 2026-01-31", title=title(slot)))
        return value

    def field(self, slot, maps):
        return StringField(slot["title"], widget=DateInput())

    def display(self, slot, value, maps):
        return "date", value
