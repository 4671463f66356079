"""Text-valued types: string, text, secret, email, url."""
from __future__ import annotations

import re
from urllib.parse import urlparse

from wtforms import PasswordField, StringField, TextAreaField
from wtforms.widgets import EmailInput, URLInput

from ..texts import T
from .base import SlotType, SlotValueError, check_text, register, title

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@register
class String(SlotType):
    name = "string"
    bare_text = True

    def check(self, slot, value, *, dynamic_ok=True):
        return check_text(slot, value)


@register
class Text(String):
    name = "text"
    reads = "text"

    def field(self, slot, maps):
        return TextAreaField(slot["title"])

    def convert(self, slot, field, maps):
        data = field.data
        return data if data not in (None, "") and data.strip() else None  # kept as typed


@register
class Secret(String):
    name = "secret"
    reads = "text"
    secret = True

    def definition(self, rules):
        super().definition(rules)
        if "default" in rules.raw:
            # a definition is stored and served as it is: a secret in it would not be a secret
            rules.problem(("default",), "a secret slot cannot have a default; set its value through the API, "
                          "where it is stored encrypted")

    def field(self, slot, maps):
        return PasswordField(slot["title"], render_kw={"autocomplete": "new-password"})  # never redisplayed

    def convert(self, slot, field, maps):
        return field.data if field.data not in (None, "") else None  # spaces may be part of it


@register
class Email(String):
    name = "email"

    def check(self, slot, value, *, dynamic_ok=True):
        value = check_text(slot, value)
        if not EMAIL_RE.match(value):
            raise SlotValueError(T("%(title)s must be an email address like name@example.com", title=title(slot)))
        return value

    def field(self, slot, maps):
        return StringField(slot["title"], widget=EmailInput(), render_kw={"autocomplete": "email"})


@register
class Url(String):
    name = "url"

    def check(self, slot, value, *, dynamic_ok=True):
        value = check_text(slot, value)
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SlotValueError(T("%(title)s must be a web address starting with https://", title=title(slot)))
        return value

    def field(self, slot, maps):
        return StringField(slot["title"], widget=URLInput())
