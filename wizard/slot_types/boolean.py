"""The boolean type: a checkbox."""
from __future__ import annotations

from wtforms import BooleanField

from ..texts import T
from .base import SlotType, SlotValueError, register, title


@register
class Boolean(SlotType):
    name = "boolean"
    reads = "checkbox"
    part = "boolean"

    def check(self, slot, value, *, dynamic_ok=True):
        if not isinstance(value, bool):
            raise SlotValueError(T("%(title)s must be true or false", title=title(slot)))
        return value

    def field(self, slot, maps):
        return BooleanField(slot["title"])

    def prefill(self, slot, value, maps):
        return bool(value)

    def convert(self, slot, field, maps):
        return bool(field.data)

    def display(self, slot, value, maps):
        return "text", T("Yes") if value else T("No")
