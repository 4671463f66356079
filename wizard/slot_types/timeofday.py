"""The time type: a time of day, "HH:MM" on a 24-hour clock (00:00 to 23:59)."""
from __future__ import annotations

import re

from wtforms import StringField
from wtforms.widgets import TimeInput

from ..texts import T
from .base import SlotType, SlotValueError, register, title

HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@register
class Time(SlotType):
    name = "time"
    bare_text = True

    def check(self, slot, value, *, dynamic_ok=True):
        if not isinstance(value, str) or not HH_MM.fullmatch(value):
            raise SlotValueError(T("%(title)s must be a time like 09:30 (24-hour clock)", title=title(slot)))
        return value

    def field(self, slot, maps):
        return StringField(slot["title"], widget=TimeInput())

    def display(self, slot, value, maps):
        return "time", value
