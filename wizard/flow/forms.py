"""WTForms forms generated from a screen's slots, and the conversion of what they post into
JSON values.

The form only carries and redisplays what the user typed (and the CSRF token, via Flask-WTF);
it does not decide what is valid. `convert` turns the submitted strings into JSON values
(numbers, booleans, lists, parsed JSON, mapping rows); the engine checks them with
wizard.solutions.values, and `apply_errors` puts its messages back beside their fields.
"""
from __future__ import annotations

import json

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, FieldList, Form, FormField, HiddenField, PasswordField, RadioField, SelectField,
    SelectChoice, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.widgets import DateInput, EmailInput, NumberInput, URLInput

CONTROL = {"csrf_token", "wizard_screen", "wizard_action", "wizard_name"}
NAME_FIELD = "wizard_name"
EMPTY_CHOICE = ""


def field_name(external_id: str) -> str:
    """The form field (and HTML name) of a slot: its externalId, unless that clashes with one of
    the wizard's own control fields."""
    return f"slot_{external_id}" if external_id in CONTROL else external_id


def option_key(value) -> str:
    """The HTML value of an option: the text itself for strings, JSON for other scalars."""
    return value if isinstance(value, str) else json.dumps(value)


class OptionMap:
    """Options as (key, text) choices and the way back from a posted key to the JSON value."""

    def __init__(self, options: list[dict] | None):
        self.options = list(options or [])
        self.by_key = {option_key(o["value"]): o["value"] for o in self.options}

    @property
    def choices(self) -> list[SelectChoice]:
        return [SelectChoice(option_key(o["value"]), str(o.get("text", o["value"]))) for o in self.options]

    def value(self, key: str):
        """The option's JSON value; an unknown key is passed on as text, for the value rules to
        refuse it with their own message."""
        return self.by_key.get(key, key)

    def json_of(self, key: str) -> str:
        return json.dumps(self.value(key))


class ScreenForm(FlaskForm):
    """Every screen form: CSRF (Flask-WTF) and the hidden current-screen field."""

    wizard_screen = HiddenField()


class MappingRow(Form):
    """One row of a mapping slot (no CSRF of its own: the screen form has it)."""


def _row_form(slot: dict, maps: dict) -> type[Form]:
    attrs = {}
    for side in ("lhs", "rhs"):
        spec = slot.get(side) or {}
        title = spec.get("title") or side
        omap = maps.get((slot["externalId"], side))
        if omap is not None:
            attrs[side] = SelectField(title, choices=[SelectChoice(EMPTY_CHOICE, "— Choose —")] + omap.choices,
                                      validate_choice=False)
        else:
            attrs[side] = StringField(title)
    return type("Row_" + slot["externalId"], (MappingRow,), attrs)


def _slot_field(slot: dict, maps: dict):
    """The WTForms field for one slot (labels and help are rendered by the template)."""
    t, title = slot.get("type"), slot["title"]
    if slot["kind"] == "auth":
        return RadioField(title, choices=maps[(slot["externalId"], "auth")].choices, validate_choice=False)
    if t == "text":
        return TextAreaField(title)
    if t == "json":
        return TextAreaField(title, render_kw={"class": "code", "spellcheck": "false", "rows": 8})
    if t == "secret":
        return PasswordField(title, render_kw={"autocomplete": "new-password"})  # never redisplayed
    if t == "email":
        return StringField(title, widget=EmailInput(), render_kw={"autocomplete": "email"})
    if t == "url":
        return StringField(title, widget=URLInput())
    if t in ("number", "integer"):
        kw = {"step": "1" if t == "integer" else "any"}
        if "min" in slot:
            kw["min"] = slot["min"]
        if "max" in slot:
            kw["max"] = slot["max"]
        return StringField(title, widget=NumberInput(), render_kw={**kw, "inputmode": "numeric" if t == "integer" else "decimal"})
    if t == "boolean":
        return BooleanField(title)
    if t == "date":
        return StringField(title, widget=DateInput())
    if t == "select":
        omap = maps[(slot["externalId"], "options")]
        return SelectField(title, choices=[SelectChoice(EMPTY_CHOICE, "— Choose —")] + omap.choices, validate_choice=False)
    if t == "multiselect":
        return SelectMultipleField(title, choices=maps[(slot["externalId"], "options")].choices, validate_choice=False)
    if t == "mapping":
        return FieldList(FormField(_row_form(slot, maps)), min_entries=1)
    field = StringField(title)
    for key in ("minLength", "maxLength"):
        if key in slot:
            field.kwargs.setdefault("render_kw", {})[key.lower()] = slot[key]
    return field


def build_form(slots: list[dict], maps: dict, *, name_field: bool, formdata=None, data: dict | None = None) -> ScreenForm:
    """A form class for these slots, instantiated with the posted `formdata` or with `data`
    (prefill by field name)."""
    attrs = {field_name(s["externalId"]): _slot_field(s, maps) for s in slots}
    if name_field:
        attrs[NAME_FIELD] = StringField("Name of this integration", render_kw={"maxlength": 300, "autocomplete": "off"})
    cls = type("Screen", (ScreenForm,), attrs)
    return cls(formdata=formdata, data=data or {})


# -- prefill -----------------------------------------------------------------------------------

def prefill(slots: list[dict], config: dict, auth: dict, maps: dict) -> dict:
    """Form data (by field name) for known JSON values (defaults where there is none)."""
    out = {}
    for slot in slots:
        sid, name = slot["externalId"], field_name(slot["externalId"])
        if slot["kind"] == "auth":
            out[name] = auth.get(sid)
            continue
        value = config.get(sid, slot.get("default"))
        t = slot["type"]
        if value is None or t == "secret":
            continue
        if t in ("number", "integer"):
            out[name] = str(value)
        elif t == "boolean":
            out[name] = bool(value)
        elif t == "select":
            out[name] = option_key(value)
        elif t == "multiselect":
            out[name] = [option_key(v) for v in value] if isinstance(value, list) else []
        elif t == "json":
            out[name] = json.dumps(value, indent=2, ensure_ascii=False)
        elif t == "mapping":
            rows = value if isinstance(value, list) else []
            out[name] = [{"lhs": option_key(r.get("lhs")) if isinstance(r, dict) else "",
                          "rhs": option_key(r.get("rhs")) if isinstance(r, dict) else ""} for r in rows] or [{}]
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


# -- conversion ----------------------------------------------------------------------------------

def _number(text: str):
    """'7' -> 7, '2.5' -> 2.5; anything else stays text for the value rules to refuse."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def convert(form: ScreenForm, slots: list[dict], maps: dict) -> tuple[dict, dict, dict]:
    """Posted strings -> (config values, auth values, conversion errors), by externalId.
    An empty field gives None."""
    config, auth, errors = {}, {}, {}
    for slot in slots:
        sid, field = slot["externalId"], form[field_name(slot["externalId"])]
        if slot["kind"] == "auth":
            auth[sid] = field.data or None
            continue
        t = slot["type"]
        data = field.data
        if t in ("text", "secret"):
            config[sid] = data if data not in (None, "") and (t == "secret" or data.strip()) else None
        elif t in ("string", "email", "url", "date"):
            config[sid] = (data or "").strip() or None
        elif t in ("number", "integer"):
            text = (data or "").strip()
            config[sid] = _number(text) if text else None
        elif t == "boolean":
            config[sid] = bool(data)
        elif t == "select":
            config[sid] = maps[(sid, "options")].value(data) if data not in (None, EMPTY_CHOICE) else None
        elif t == "multiselect":
            omap = maps[(sid, "options")]
            config[sid] = [omap.value(k) for k in (data or [])] or None
        elif t == "json":
            text = (data or "").strip()
            if not text:
                config[sid] = None
                continue
            try:
                config[sid] = json.loads(text)
            except json.JSONDecodeError as exc:
                config[sid] = None
                errors[sid] = f"{slot['title']} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            except RecursionError:
                config[sid] = None
                errors[sid] = f"{slot['title']} is nested too deeply."
        elif t == "mapping":
            rows = []
            for entry in field.entries:
                row = {}
                for side in ("lhs", "rhs"):
                    key = (entry.form[side].data or "").strip() if isinstance(entry.form[side].data, str) else entry.form[side].data
                    omap = maps.get((sid, side))
                    row[side] = (omap.value(key) if omap is not None else key) if key not in (None, "") else None
                if row["lhs"] is None and row["rhs"] is None:
                    continue  # an empty row is not a value
                rows.append({"lhs": row["lhs"] if row["lhs"] is not None else "",
                             "rhs": row["rhs"] if row["rhs"] is not None else ""})
            config[sid] = rows or None
        else:
            config[sid] = data or None
    return config, auth, errors


def apply_errors(form: ScreenForm, errors: dict[str, str]) -> None:
    """Put the engine's messages (by externalId) onto the form's fields."""
    for sid, message in errors.items():
        name = field_name(sid)
        if name in form:
            form[name].errors = [message]


def raw_from_formdata(formdata, slots: list[dict]) -> dict:
    """The raw submission of a screen (field -> list of strings), without secrets, CSRF and
    the wizard's buttons: kept with the progress and used to redisplay a left-half-done screen."""
    return raw_without(formdata, {field_name(s["externalId"]) for s in slots if s.get("type") == "secret"})


def raw_without(formdata, secret_fields) -> dict:
    """raw_from_formdata when only the secret fields' names are known (no definition at hand)."""
    skip = set(secret_fields) | {"csrf_token", "wizard_action"}
    return {k: formdata.getlist(k) for k in formdata.keys() if k not in skip}


def mapping_rows_action(formdata, action: str):
    """'add_row:<slot>' / 'remove_row:<slot>:<i>' -> the formdata with a row added or removed
    (works without JavaScript: the buttons submit and the screen is shown again)."""
    from werkzeug.datastructures import MultiDict

    data = MultiDict(formdata)
    parts = action.split(":")
    name = field_name(parts[1]) if len(parts) > 1 else ""
    prefix = name + "-"
    indices = sorted({int(k[len(prefix):].split("-", 1)[0]) for k in data.keys()
                      if k.startswith(prefix) and k[len(prefix):].split("-", 1)[0].isdigit()})
    if parts[0] == "add_row" and name:
        n = (indices[-1] + 1) if indices else 0
        data.setlist(f"{prefix}{n}-lhs", [""])
        data.setlist(f"{prefix}{n}-rhs", [""])
    elif parts[0] == "remove_row" and len(parts) == 3 and parts[2].isdigit():
        gone = int(parts[2])
        for side in ("lhs", "rhs"):
            data.poplist(f"{prefix}{gone}-{side}")
        # Renumber so the rows stay 0..n-1 (FieldList keeps gaps otherwise).
        kept = [i for i in indices if i != gone]
        values = [(data.getlist(f"{prefix}{i}-lhs"), data.getlist(f"{prefix}{i}-rhs")) for i in kept]
        for i in indices:
            for side in ("lhs", "rhs"):
                data.poplist(f"{prefix}{i}-{side}")
        for n, (lhs, rhs) in enumerate(values):
            data.setlist(f"{prefix}{n}-lhs", lhs)
            data.setlist(f"{prefix}{n}-rhs", rhs)
    return data
