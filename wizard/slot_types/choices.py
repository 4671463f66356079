"""Choice types: select (one) and multiselect (several), over static or dynamic options."""
from __future__ import annotations

import json

from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput

from ..texts import T
from .base import (
    EMPTY_CHOICE, SlotType, SlotValueError, check_choice, option_key, register, single_choices, text_of, title,
)


@register
class Select(SlotType):
    name = "select"
    reads = "choice"
    keys = frozenset({"options"})
    bare_text = True

    def definition(self, rules):
        if "options" not in rules.raw:
            rules.problem((), f"a {self.name} slot needs options")
        else:
            rules.slot["options"] = rules.options(("options",), rules.raw["options"])
        if rules.slot.get("options") is None:
            rules.slot["options"] = []  # (an error was reported) so that `check` has a list

    def option_specs(self, slot):
        return {"options": slot.get("options")}

    def with_options(self, slot, fetched):
        return {**slot, **fetched}

    def check(self, slot, value, *, dynamic_ok=True):
        if value is None or isinstance(value, (dict, list)):
            raise SlotValueError(T("%(title)s takes a single choice", title=title(slot)))
        check_choice(title(slot), slot.get("options"), value)
        return value

    def field(self, slot, maps):
        return SelectField(slot["title"], choices=[], validate_choice=False)

    def choices(self, slot, field, maps):
        field.choices = single_choices(maps["options"])

    def prefill(self, slot, value, maps):
        return option_key(value)

    def convert(self, slot, field, maps):
        return maps["options"].value(field.data) if field.data not in (None, EMPTY_CHOICE) else None

    def display(self, slot, value, maps):
        return "text", text_of(maps.get("options"), value)


@register
class MultiSelect(Select):
    name = "multiselect"
    reads = "checked"
    part = "choices"
    bare_text = False

    def check(self, slot, value, *, dynamic_ok=True):
        t = title(slot)
        if not isinstance(value, list):
            raise SlotValueError(T("%(title)s must be a list of choices", title=t))
        if len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            raise SlotValueError(T("%(title)s lists a choice twice", title=t))
        for v in value:
            check_choice(t, slot.get("options"), v)
        return value

    def field(self, slot, maps):
        # a checkbox per option: the part (wizard/slots/choices.html) writes the field's options
        return SelectMultipleField(slot["title"], choices=[], validate_choice=False, option_widget=CheckboxInput())

    def choices(self, slot, field, maps):
        field.choices = maps["options"].choices

    def prefill(self, slot, value, maps):
        return [option_key(v) for v in value] if isinstance(value, list) else []

    def convert(self, slot, field, maps):
        return [maps["options"].value(k) for k in (field.data or [])] or None

    def display(self, slot, value, maps):
        return "text", ", ".join(text_of(maps.get("options"), v) for v in value)
