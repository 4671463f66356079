"""A demo slot type, kept as a test fixture (tests/test_slot_type_demo.py): what adding a type takes.

This module and its part (pin.html beside it) are the whole type: the solution format, the value
rules, the wizard's form and page, the review, the page script and every place that must keep a
secret (the validation webhook, `instance.configured`, the host page) ask it, never its name.
A real type would sit in wizard/slot_types/ and templates/wizard/slots/, with its texts in the
catalogues."""
from __future__ import annotations

from wtforms import PasswordField

from wizard.slot_types import SlotType, SlotValueError, register
from wizard.slot_types.base import title
from wizard.texts import T


class Pin(SlotType):
    """A numeric PIN of 4 to 8 digits: secret, typed on a numeric keypad."""

    name = "pin"
    part = "pin"
    secret = True
    reads = "text"

    def check(self, slot, value, *, dynamic_ok=True):
        if not isinstance(value, str) or not value.isdigit() or not 4 <= len(value) <= 8:
            raise SlotValueError(T("%(title)s must be 4 to 8 digits", title=title(slot)))
        return value

    def field(self, slot, maps):
        return PasswordField(slot["title"], render_kw={"inputmode": "numeric", "autocomplete": "off"})


def install():
    """Register the type (the decorator's work); `uninstall` takes it away again."""
    register(Pin)


def uninstall():
    from wizard.slot_types import base

    base._TYPES.pop(Pin.name, None)
