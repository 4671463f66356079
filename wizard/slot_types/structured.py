"""Structured types: json (with an optional JSON Schema) and mapping (rows of lhs -> rhs)."""
from __future__ import annotations

import json

import jsonschema
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField

from .. import textcheck
from ..controls import FastMeta
from ..texts import T, set_text
from . import safe
from .base import (
    EMPTY_CHOICE, Conversion, SlotType, SlotValueError, check_choice, option_key, register, single_choices, text_of, title,
)

SIDES = ("lhs", "rhs")


@register
class Json(SlotType):
    name = "json"
    reads = "json"
    keys = frozenset({"schema"})

    def definition(self, rules):
        super().definition(rules)
        if "schema" in rules.raw:
            problems = safe.schema_problems(rules.raw["schema"])  # remote or dangling $ref, non-RE2 pattern
            for problem in problems:
                rules.problem(("schema",), problem)
            if not problems:
                rules.slot["schema"] = rules.raw["schema"]

    def check(self, slot, value, *, dynamic_ok=True):
        if "schema" in slot:
            try:
                safe.validate(value, slot["schema"])  # RE2 patterns; never fetches a $ref
            except jsonschema.ValidationError as exc:
                where = "/".join(str(p) for p in exc.absolute_path)
                if where:
                    raise SlotValueError(T("%(title)s does not match its schema at %(where)s: %(problem)s",
                                           title=title(slot), where=where, problem=exc.message)) from None
                raise SlotValueError(T("%(title)s does not match its schema: %(problem)s",
                                       title=title(slot), problem=exc.message)) from None
        return value

    def field(self, slot, maps):
        return TextAreaField(slot["title"], render_kw={"class": "code", "spellcheck": "false", "rows": 8})

    def prefill(self, slot, value, maps):
        return json.dumps(value, indent=2, ensure_ascii=False)

    def convert(self, slot, field, maps):
        text = (field.data or "").strip()
        if not text:
            return None
        try:
            return textcheck.loads(text, slot["title"])  # no NaN, bounded numbers and depth
        except textcheck.InputError as exc:
            raise Conversion(T("%(title)s %(problem)s.", title=slot["title"], problem=exc.problem)) from None

    def display(self, slot, value, maps):
        return "code", json.dumps(value, indent=2, ensure_ascii=False)


class MappingRow(Form):
    """One row of a mapping slot (no CSRF of its own: the screen form has it)."""

    class Meta(FastMeta):  # the row's controls written as the screen form's are (wizard.controls)
        pass


@register
class Mapping(SlotType):
    name = "mapping"
    reads = "rows"
    part = "mapping"
    planned = False  # one row per entry of the value
    keys = frozenset({"lhs", "rhs"})

    def definition(self, rules):
        super().definition(rules)
        for side in SIDES:
            spec = rules.raw.get(side) or {}
            if not isinstance(spec, dict):
                rules.problem((side,), f"{side} must be a mapping with title and options")
                continue
            side_out = {}
            problem = set_text(side_out, "title", spec.get("title"), T("From") if side == "lhs" else T("To"))
            if problem:
                rules.problem((side, "title"), f"title {problem}")
            if "options" in spec:
                side_out["options"] = rules.options((side, "options"), spec["options"])
            rules.slot[side] = side_out

    def option_specs(self, slot):
        return {side: (slot.get(side) or {}).get("options") for side in SIDES
                if (slot.get(side) or {}).get("options") is not None}

    def with_options(self, slot, fetched):
        return {**slot, **{side: {**slot[side], "options": opts} for side, opts in fetched.items()}}

    def check(self, slot, value, *, dynamic_ok=True):
        t = title(slot)
        if not isinstance(value, list):
            raise SlotValueError(T("%(title)s must be a list of rows", title=t))
        for i, row in enumerate(value, 1):
            if not isinstance(row, dict) or set(row) != set(SIDES):
                raise SlotValueError(T("%(title)s: row %(row)s must have exactly lhs and rhs", title=t, row=i))
            for side in SIDES:
                if row[side] in (None, "") or isinstance(row[side], (dict, list)):
                    raise SlotValueError(T("%(title)s: row %(row)s needs a value on both sides", title=t, row=i))
                check_choice(f"{t} row {i}", (slot.get(side) or {}).get("options"), row[side])
        return value

    def field(self, slot, maps):
        attrs = {}
        for side in SIDES:
            side_title = (slot.get(side) or {}).get("title") or side
            if maps.get(side) is not None:
                attrs[side] = SelectField(side_title, choices=[], validate_choice=False)
            else:
                attrs[side] = StringField(side_title)
        row = type("Row_" + slot["externalId"], (MappingRow,), attrs)
        return FieldList(FormField(row), min_entries=1)

    def choices(self, slot, field, maps):
        for side in SIDES:
            omap = maps.get(side)
            if omap is not None:
                for entry in field.entries:
                    entry.form[side].choices = single_choices(omap)

    def prefill(self, slot, value, maps):
        rows = value if isinstance(value, list) else []
        return [{side: option_key(r.get(side)) if isinstance(r, dict) else "" for side in SIDES}
                for r in rows] or [{}]

    def convert(self, slot, field, maps):
        rows = []
        for entry in field.entries:
            row = {}
            for side in SIDES:
                data = entry.form[side].data
                key = data.strip() if isinstance(data, str) else data
                omap = maps.get(side)
                row[side] = (omap.value(key) if omap is not None else key) if key not in (None, "") else None
            if row["lhs"] is None and row["rhs"] is None:
                continue  # an empty row is not a value
            rows.append({side: row[side] if row[side] is not None else "" for side in SIDES})
        return rows or None

    def display(self, slot, value, maps):
        left, right = maps.get("lhs"), maps.get("rhs")
        return "rows", [f"{text_of(left, r.get('lhs'))} → {text_of(right, r.get('rhs'))}" for r in value]
