"""The boolean type: a checkbox."""
from __future__ import annotations

from wtforms import BooleanField

from .base import SlotType, SlotValueError, register, title


@register
class Boolean(SlotType):
    name = "boolean"
    part = "boolean"

    def check(self, slot, value, *, dynamic_ok=True):
        if not isinstance(value, bool):
            raise SlotValueError(f"{title(slot)} must be true or false")
        return value

    def field(self, slot, maps):
        return BooleanField(slot["title"])

    def prefill(self, slot, value, maps):
        return bool(value)

    def convert(self, slot, field, maps):
        return bool(field.data)

    def display(self, slot, value, maps):
        return "text", "Yes" if value else "No"
