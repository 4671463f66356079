"""The slot-type registry and the base class every type extends."""
from __future__ import annotations

import json
from typing import Callable

from wtforms import StringField
from wtforms.fields.choices import SelectChoice

from . import safe
from ..texts import T, set_text

EMPTY_CHOICE = ""
# one for every select (WTForms never changes a choice; the text is translated where it is shown)
_CHOOSE = SelectChoice(EMPTY_CHOICE, T("— Choose —"))


def single_choices(omap) -> list:
    """A single-choice select's choices (a `choices` hook's): "— Choose —" first, then the options
    of `omap` (an OptionMap)."""
    return [_CHOOSE, *omap.choices]

# Keys every config slot may carry, whatever its type.
COMMON_KEYS = frozenset({
    "externalId", "title", "type", "required", "default", "hidden", "help", "placeholder", "showIf",
    "minLength", "maxLength", "pattern", "min", "max",
})

_TYPES: dict[str, "SlotType"] = {}


class SlotValueError(ValueError):
    """A value that does not fit its slot. The message is for people and names no secret."""


class Conversion(Exception):
    """A submitted field that cannot become a value (e.g. malformed JSON): the message says why."""


class DefinitionRules:
    """What a type's `definition` hook gets: the slot as written (`raw`), the normalised slot it
    fills in, the auth slots' ids, and `problem(subpath, message)` to report an error at a key."""

    def __init__(self, raw: dict, slot: dict, auth_ids: set[str], problem: Callable[[tuple, str], None]):
        self.raw, self.slot, self.auth_ids, self.problem = raw, slot, auth_ids, problem

    def options(self, subpath: tuple, value):
        """Static options -> [{"value", "text"}]; dynamic -> {"source", "auth"}; None when wrong."""
        if isinstance(value, dict):
            source = value.get("source")
            if not isinstance(source, str) or "." not in source:
                self.problem(subpath + ("source",), "options.source must look like 'service.optionsName'")
                return None
            auth = value.get("auth")
            if auth not in self.auth_ids:
                self.problem(subpath + ("auth",), f"options.auth must name an auth slot of this solution, not {auth!r}")
                return None
            return {"source": source, "auth": auth}
        if not isinstance(value, list) or not value:
            self.problem(subpath, "options must be a non-empty list or {source, auth}")
            return None
        out, seen = [], set()
        for i, opt in enumerate(value):
            if not isinstance(opt, dict):
                opt = {"value": opt}
            if "value" not in opt or isinstance(opt["value"], (dict, list)):
                self.problem(subpath + (i,), "each option needs a scalar 'value'")
                continue
            key = json.dumps(opt["value"])
            if key in seen:
                self.problem(subpath + (i,), f"duplicate option value {opt['value']!r}")
            seen.add(key)
            option = {"value": opt["value"]}
            problem = set_text(option, "text", opt.get("text"), option_key(opt["value"]))
            if problem:
                self.problem(subpath + (i, "text"), f"text {problem}")
            out.append(option)
        return out


class SlotType:
    """One slot type. Subclasses override the hooks their type needs; the defaults describe a
    single-line text value."""

    name = ""
    part = "input"          # its template part: templates/wizard/slots/<part>.html (docs/solution-format.md)
    keys = frozenset()      # definition keys of this type besides COMMON_KEYS
    # Whether its part shows only what the definition says, besides its control's value and its
    # error: it is then rendered once into the screen's page plan (wizard.flow.render). False: the
    # part is rendered on every request (its structure follows the value, e.g. a mapping's rows).
    planned = True
    secret = False          # never shown again, masked on the review, encrypted at rest, never sent to
                            # the ISV (webhooks, the host page): everything asks this, never the name
    # How static/wizard.js reads the value on the page (the field's data-read): "text" (as typed),
    # "trimmed", "number", "json", "choice" (a select's option), "checked" (the checked options, a
    # list), "checkbox" (true or false), "radio" (the checked radio's value), "rows" (lhs/rhs pairs)
    reads = "trimmed"
    bare_text = False       # values are text: an API value that is not JSON text is taken as it is

    # -- the definition ------------------------------------------------------------------------

    def definition(self, rules: DefinitionRules) -> None:
        """Called when a definition is validated, after the common keys: check and copy this
        type's own keys from `rules.raw` into `rules.slot`."""
        if "options" in rules.raw:
            rules.problem(("options",), f"options only apply to select and multiselect, not {self.name}")

    # -- values --------------------------------------------------------------------------------

    def check(self, slot: dict, value, *, dynamic_ok: bool = True):
        """Called for every value from the API, the core and the wizard: return it normalised or
        raise SlotValueError. `dynamic_ok` lets any scalar through for options that live at a
        service (the wizard checks those against the options it fetched)."""
        raise SlotValueError(T("%(title)s has an unknown type %(type)s", title=title(slot), type=self.name))

    def option_specs(self, slot: dict) -> dict:
        """Called when a screen or the review is built and when a choice is checked: the slot's
        option lists by side ("options", or "lhs"/"rhs"), static or dynamic."""
        return {}

    def with_options(self, slot: dict, fetched: dict) -> dict:
        """Called by the engine before `check` on a posted screen: the slot with its dynamic option
        lists replaced by `fetched` (by side), so that `check` can hold a choice against them."""
        return slot

    # -- the wizard's form ---------------------------------------------------------------------

    def field(self, slot: dict, maps: dict):
        """Called when a screen's form class is made (once, then kept for every user of the screen:
        wizard.flow.forms.form_class): the WTForms field (labels and help come from the template
        part). `maps[side]` are the slot's OptionMaps, empty: `choices` gives each form its own."""
        field = StringField(slot["title"])
        for key in ("minLength", "maxLength"):
            if key in slot:
                field.kwargs.setdefault("render_kw", {})[key.lower()] = slot[key]
        return field

    def choices(self, slot: dict, field, maps: dict) -> None:
        """Called on every form built, after it was filled in: gives the bound `field` the choices
        of `maps` (by side), which may differ per user (fetched options). Types without choices
        have none to give."""

    def prefill(self, slot: dict, value, maps: dict):
        """Called when a screen is shown from saved values (not from a draft or a post): the form
        data for a known JSON value (never called for secrets)."""
        return value if isinstance(value, str) else json.dumps(value)

    def convert(self, slot: dict, field, maps: dict):
        """Called for every posted (or drafted) screen, before the engine checks it: the field as
        a JSON value; None when empty; raises Conversion when it cannot be one."""
        return (field.data or "").strip() or None

    # -- the review ----------------------------------------------------------------------------

    def display(self, slot: dict, value, maps: dict) -> tuple[str, object]:
        """Called by the review for a non-empty value: (kind, text), kind being text, code or rows,
        or date, time or number (the review writes those the way the user's language does).
        `maps` are the OptionMaps by side, None where the options cannot be had."""
        return "text", value if isinstance(value, str) else json.dumps(value)


def register(cls: type[SlotType]) -> type[SlotType]:
    """Class decorator: make the type known by its `name`."""
    if cls.name in _TYPES:
        raise RuntimeError(f"slot type {cls.name!r} is registered twice")
    _TYPES[cls.name] = cls()
    return cls


def get(name: str) -> SlotType:
    """The type of this name; an unknown name gets a type that refuses every value."""
    return _TYPES.get(name) or _Unknown(name)


def names() -> list[str]:
    return sorted(_TYPES)


def slot_keys() -> frozenset:
    """Every key a config slot may carry, over all types."""
    return COMMON_KEYS.union(*(t.keys for t in _TYPES.values()))


class _Auth(SlotType):
    """What the wizard's page asks of an auth slot (not a config type: its value is an account)."""
    name = "auth"
    part = "auth"
    reads = "radio"
    planned = False  # the user's own accounts


AUTH = _Auth()


class _Unknown(SlotType):
    def __init__(self, name):
        self.name = name


def title(slot: dict) -> str:
    return slot.get("title", slot["externalId"])


def check_text(slot: dict, value) -> str:
    """The rules of every text-valued type: length and pattern."""
    t = title(slot)
    if not isinstance(value, str):
        raise SlotValueError(T("%(title)s must be text", title=t))
    if "minLength" in slot and len(value) < slot["minLength"]:
        raise SlotValueError(T("%(title)s must be at least %(min)s characters", title=t, min=slot["minLength"]))
    if "maxLength" in slot and len(value) > slot["maxLength"]:
        raise SlotValueError(T("%(title)s must be at most %(max)s characters", title=t, max=slot["maxLength"]))
    if "pattern" in slot and not safe.fullmatch(slot["pattern"], value):  # RE2: no backtracking
        raise SlotValueError(T("%(title)s is not in the expected format", title=t))
    return value


def option_key(value) -> str:
    """The HTML value of an option: the text itself for strings, JSON for other scalars."""
    return value if isinstance(value, str) else json.dumps(value)


def text_of(omap, value) -> str:
    """An option's text on the review (the value itself when the options are not at hand)."""
    if omap is not None:
        for o in omap.options:
            if o["value"] == value:
                return str(o.get("text", value))
    return value if isinstance(value, str) else json.dumps(value)


def check_choice(slot_title: str, options, value) -> None:
    """A choice must be one of static options; dynamic ones (a dict) take any scalar here."""
    if isinstance(options, list) and options:
        if value not in [o["value"] for o in options]:
            raise SlotValueError(T("%(value)s is not one of the choices for %(title)s", value=repr(value), title=slot_title))
    elif isinstance(value, (dict, list)):  # dynamic options are scalars
        raise SlotValueError(T("%(title)s takes a single choice", title=slot_title))


def secret_ids(definition: dict) -> set[str]:
    """The externalIds of a definition's secret slots."""
    return {s["externalId"] for s in definition.get("config", ()) if get(s.get("type", "")).secret}
