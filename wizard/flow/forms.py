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
from flask_wtf.csrf import _FlaskFormCSRF
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectChoice

from .. import slot_types
from .. import controls
from . import cache
from ..extensions import csrf_token
from ..i18n import wtforms_translations
from ..slot_types import option_key
from ..solutions.values import MAX_INSTANCE_NAME
from ..texts import T, message


CONTROL = {"csrf_token", "wizard_screen", "wizard_action", "wizard_name"}
NAME_FIELD = "wizard_name"


def field_name(external_id: str) -> str:
    """The form field (and HTML name) of a slot: its externalId, unless that clashes with one of
    the wizard's own control fields."""
    return f"slot_{external_id}" if external_id in CONTROL else external_id


class OptionMap:
    """Options as (key, text) choices and the way back from a posted key to the JSON value. Made
    once for a definition's own (static) options and kept (flow.render.screen_page): its choices
    and JSON values are worked out once, on first use; WTForms never changes a choice."""

    def __init__(self, options: list[dict] | None):
        self.options = list(options or [])
        self.by_key = {option_key(o["value"]): o["value"] for o in self.options}
        self._choices: tuple[SelectChoice, ...] | None = None
        self._values_json: str | None = None

    @property
    def choices(self) -> list[SelectChoice]:
        if self._choices is None:
            self._choices = tuple(SelectChoice(option_key(o["value"]), str(o.get("text", o["value"])))
                                  for o in self.options)
        return list(self._choices)

    @property
    def values_json(self) -> str:
        """The JSON values by key, for customValidation in the page's script."""
        if self._values_json is None:
            self._values_json = json.dumps(self.by_key)
        return self._values_json

    def value(self, key: str):
        """The option's JSON value; an unknown key is passed on as text, for the value rules to
        refuse it with their own message."""
        return self.by_key.get(key, key)


class _ShownToken(CSRFTokenField):
    """The CSRF token field, whose token is had when the page shows it (WTForms' makes it as the
    form is filled in: a Next's form, answered by a redirect, never shows it)."""

    def process(self, *args, **kwargs):
        HiddenField.process(self, *args, **kwargs)

    def _value(self):
        if self.current_token is None:
            self.current_token = self.csrf_impl.generate_csrf_token(self)
        return self.current_token


class _ScreenCSRF(_FlaskFormCSRF):
    """Flask-WTF's CSRF of a form, its token the session's kept one (extensions.csrf_token: signed
    once per session secret, not on every page); checked by extensions.check_csrf as before."""

    field_class = _ShownToken

    def setup_form(self, form):
        """The token field: one for every screen form (bound once per form class, as their other
        fields: ScreenForm.Meta.bind_field, which gives each form's copy this form's CSRF)."""
        self.meta = form.meta
        return [(form.meta.csrf_field_name, _TOKEN_FIELD)]

    def generate_csrf_token(self, csrf_token_field):
        return csrf_token()


_TOKEN_FIELD = _ShownToken(label="CSRF Token", csrf_impl=None)


class ScreenForm(FlaskForm):
    """Every screen form: CSRF (Flask-WTF) and the hidden current-screen field. Its controls are
    written by wizard.controls (the form's own Meta: no other form of the process is touched);
    the templates write none by hand."""

    wizard_screen = HiddenField()

    class Meta(controls.FastMeta):
        csrf_class = _ScreenCSRF

        def get_translations(self, form):
            return wtforms_translations()

        def bind_field(self, form, unbound_field, options):
            """A field of a form class is bound (WTForms' constructor: label, flags, the validators'
            and the widget's checks) once, kept with the class, and each form gets a copy of it with
            its own form and meta: what that constructor makes depends on the class's field and the
            options alone, and what a form changes (data, errors, choices, rows) it sets anew
            (`process`, build_form; the CSRF field's copy is given the form's CSRF). A list's entries
            (a mapping's rows, made as the form is filled in) are bound as WTForms binds them."""
            bind = super().bind_field
            if "prefix" not in options:
                return bind(form, unbound_field, options)
            cls = type(form)
            bound = cls.__dict__.get("_bound")
            if bound is None:
                bound = cls._bound = {}
            key = (options["name"], options["prefix"])
            kept = bound.get(key)
            if kept is None or kept[0] is not options["translations"] or kept[1] is not unbound_field:
                prototype = bind(form, unbound_field, options)
                prototype._form = prototype.meta = None  # no form kept alive by the class
                kept = bound[key] = (options["translations"], unbound_field, prototype)
            field = object.__new__(type(kept[2]))  # Field.__new__ would make an UnboundField
            field.__dict__.update(kept[2].__dict__)
            field._form, field.meta = form, self
            if unbound_field is _TOKEN_FIELD:
                field.csrf_impl = form._csrf
            return field


def build_form(slot_list: list[dict], maps: dict, *, name_field: bool, names: tuple | None = None,
               formdata=None, data: dict | None = None, csrf: bool = True) -> ScreenForm:
    """A form for these slots, filled in with the posted `formdata` or with `data` (prefill by
    field name), with the choices of `maps[externalId][side]` (the slots' OptionMaps). `names`
    (the definition's name, the language) say where the slots come from: its class is then kept.
    `csrf=False`: no CSRF token (none is made, so no session is touched)."""
    meta = {} if csrf else {"meta": {"csrf": False}}
    form = form_class(slot_list, maps, name_field, names)(formdata=formdata, data=data or {}, **meta)
    for slot in slot_list:
        slot_maps, field = maps.get(slot["externalId"], {}), form[field_name(slot["externalId"])]
        if slot["kind"] == "auth":
            field.choices = slot_maps["auth"].choices
        else:
            slot_types.get(slot["type"]).choices(slot, field, slot_maps)
    return form


def form_class(slot_list: list[dict], maps: dict, name_field: bool, names: tuple | None = None) -> type[ScreenForm]:
    """The form class of a screen, without choices (build_form gives each form its own, which may
    differ per user: fetched options, accounts). Making one (a class, a field template per slot)
    costs more than filling it in, so with `names` (the name of the definition the slots come from,
    InstanceData.definition_key, and the language) it is made once and kept (flow.cache), keyed by
    those, the slots' ids, the name field and which option lists each slot has."""
    sides = tuple((s["externalId"], side, omap is None) for s in slot_list
                  for side, omap in maps.get(s["externalId"], {}).items())

    def build():
        empty = {}  # the same option lists, with no options in them
        for slot_id, side, none in sides:
            empty.setdefault(slot_id, {})[side] = None if none else OptionMap([])
        attrs = {field_name(s["externalId"]): _slot_field(s, empty) for s in slot_list}
        if name_field:
            attrs[NAME_FIELD] = StringField(T("Name of this integration"),
                                            render_kw={"maxlength": MAX_INSTANCE_NAME, "autocomplete": "off"})
        return type("Screen", (ScreenForm,), attrs)

    if names is None:
        return build()
    key = ("form", *names, tuple(s["externalId"] for s in slot_list), name_field, sides)
    return cache.kept().get(key, build)


def _slot_field(slot: dict, maps: dict):
    """The WTForms field for one slot, without choices (labels and help are rendered by the
    template part)."""
    if slot["kind"] == "auth":
        return RadioField(slot["title"], choices=[], validate_choice=False)
    return slot_types.get(slot["type"]).field(slot, maps.get(slot["externalId"], {}))


# -- prefill -----------------------------------------------------------------------------------

def prefill(slot_list: list[dict], config: dict, auth: dict, maps: dict) -> dict:
    """Form data (by field name) for known JSON values (defaults where there is none)."""
    out = {}
    for slot in slot_list:
        slot_id, name = slot["externalId"], field_name(slot["externalId"])
        if slot["kind"] == "auth":
            out[name] = auth.get(slot_id)
            continue
        value = config.get(slot_id, slot.get("default"))
        stype = slot_types.get(slot["type"])
        if value is not None and not stype.secret:
            out[name] = stype.prefill(slot, value, maps.get(slot_id, {}))
    return out


# -- conversion ----------------------------------------------------------------------------------

def convert(form: ScreenForm, slot_list: list[dict], maps: dict) -> tuple[dict, dict, dict]:
    """Posted strings -> (config values, auth values, conversion errors), by externalId.
    An empty field gives None."""
    config, auth, errors = {}, {}, {}
    for slot in slot_list:
        slot_id, field = slot["externalId"], form[field_name(slot["externalId"])]
        if slot["kind"] == "auth":
            auth[slot_id] = field.data or None
            continue
        try:
            config[slot_id] = slot_types.get(slot["type"]).convert(slot, field, maps.get(slot_id, {}))
        except slot_types.Conversion as exc:
            config[slot_id] = None
            errors[slot_id] = message(exc)
    return config, auth, errors


def apply_errors(form: ScreenForm, errors: dict[str, str]) -> None:
    """Put the engine's messages (by externalId) onto the form's fields."""
    for slot_id, message in errors.items():
        name = slot_id if slot_id == NAME_FIELD else field_name(slot_id)  # the instance's name, or a slot's
        if name in form:
            form[name].errors = [message]


def raw_from_formdata(formdata, slot_list: list[dict]) -> dict:
    """The raw submission of a screen (field -> list of strings), without secrets, CSRF and
    the wizard's buttons: kept with the progress and used to redisplay a left-half-done screen."""
    return raw_without(formdata, secret_fields(slot_list))


def secret_fields(slot_list: list[dict]) -> set[str]:
    """The form fields of secret slots: never kept in a draft or shown again."""
    return {field_name(s["externalId"]) for s in slot_list
            if s["kind"] == "config" and slot_types.get(s["type"]).secret}


def raw_without(formdata, secret_fields) -> dict:
    """raw_from_formdata when only the secret fields' names are known (no definition at hand)."""
    skip = set(secret_fields) | {"csrf_token", "wizard_action"}
    return {k: formdata.getlist(k) for k in formdata.keys() if k not in skip}


def mapping_rows_action(formdata, action: str):
    """'add_row:<slot>' / 'remove_row:<slot>:<i>' -> the formdata with a row added or removed
    (works without JavaScript: the buttons submit and the screen is shown again)."""
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
