"""The wizard's form controls written straight to HTML: the same markup as WTForms' widgets, without
their per-call overhead (a dict comprehension and `clean_key` per attribute, `dir()` of the
field's flags, an `inspect.signature` of `Select.render_option` on every select, `Markup.format`).

`render_field` is the forms' `Meta.render_field` (wizard.flow.forms.ScreenForm, the mapping rows of
wizard.slot_types.structured): every `{{ field(...) }}` of the templates comes here. The widgets
the wizard uses are written here; any other widget, a field with validation flags (required,
maxlength... that the widget would add as attributes) or a select with option groups goes to
WTForms as before. tests/test_wizard_controls.py compares the two for every slot type's control.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from markupsafe import Markup, escape
from wtforms.meta import DefaultMeta
from wtforms.widgets import core as widgets

_QUOTE, _QUOTE_ENTITY = Markup('"'), Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params` with the same output (attributes sorted, values escaped, True bare,
    False left out), without formatting each attribute through `Markup.format`, which made the
    widgets a good part of a screen's render time (tests/test_wizard_fields.py compares the two)."""
    return Markup(_params(kwargs))


def _params(kwargs: dict) -> str:
    out = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        name = _names.get(key)
        if name is None:
            name = _names[key] = str(escape(widgets.clean_key(key)))
        if value is True:
            out.append(name)
        elif hasattr(value, "__html__"):  # escape() leaves Markup as it is: its quotes must not end the attribute
            out.append(f'{name}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"')
        else:  # escaped text has no quote left
            out.append(f'{name}="{escape(value)}"')
    return " ".join(out)


# Attribute names as html_params writes them (cleaned, escaped), remembered: a handful are used.
_names: dict[str, str] = {}


# Keys as WTForms' render_field cleans them (class_ -> class, data_x -> data-x), remembered: the
# templates and the slot types use a handful of keys.
_clean: dict[str, str] = {}


def _cleaned(kw: dict) -> dict:
    out = {}
    for k, v in kw.items():
        c = _clean.get(k)
        if c is None:
            c = _clean[k] = widgets.clean_key(k)
        out[c] = v
    return out


# The attributes any WTForms widget takes from the field's flags (set by validators): a field that
# has one is rendered by WTForms itself, which adds them.
_FLAG_ATTRS = frozenset({"required", "disabled", "readonly", "maxlength", "minlength", "pattern", "min", "max",
                         "step", "accept"})
_INPUTS = (widgets.TextInput, widgets.PasswordInput, widgets.EmailInput, widgets.URLInput, widgets.NumberInput,
           widgets.DateInput, widgets.TimeInput, widgets.HiddenInput, widgets.CheckboxInput, widgets.RadioInput)


def _option(choice) -> str:
    """Select.render_option for a choice without render_kw."""
    value = choice.value
    if isinstance(value, bool):
        value = str(value)
    label = escape(choice.label or choice.value)
    # escaped text has no quote left; escape() leaves Markup as it is, so its quotes are replaced
    value = escape(value).replace(_QUOTE, _QUOTE_ENTITY) if hasattr(value, "__html__") else escape(value)
    return f'<option selected value="{value}">{label}</option>' if choice.selected \
        else f'<option value="{value}">{label}</option>'


# The page plan being made (wizard.flow.plan), if one is: a control's value, checked state and
# choices belong to one request, so while a plan is made each control is a marker the plan fills
# in on every request, by calling this module again with that request's field.
_planner: ContextVar = ContextVar("controls_planner", default=None)


@contextmanager
def planning(planner):
    """While a page plan is made with `planner` (a wizard.flow.plan.Planner), or with None, not."""
    token = _planner.set(planner)
    try:
        yield
    finally:
        _planner.reset(token)


def render(field, render_kw: dict) -> Markup:
    """What `field.widget(field, **render_kw)` after DefaultMeta.render_field returns."""
    planner = _planner.get()
    if planner is not None:
        return planner.field(field.name, lambda f: render(f, render_kw))
    widget = field.widget
    kind = type(widget)
    flags = vars(field.flags)
    if (flags and not _FLAG_ATTRS.isdisjoint(flags)) or getattr(field, "_datalist", None) is not None \
            or "name" in render_kw:
        return DefaultMeta.render_field(field.meta, field, render_kw)
    kw = _cleaned(render_kw)
    if field.render_kw:
        kw = {**_cleaned(field.render_kw), **kw}
    if kind in _INPUTS:
        if kind is widgets.NumberInput and (widget.step is not None or widget.min is not None or widget.max is not None):
            return DefaultMeta.render_field(field.meta, field, render_kw)
        if kind is widgets.PasswordInput and widget.hide_value:
            kw["value"] = ""
        elif kind is widgets.CheckboxInput and getattr(field, "checked", field.data):
            kw.setdefault("checked", True)
        elif kind is widgets.RadioInput and field.checked:
            kw.setdefault("checked", True)
        kw.setdefault("id", field.id)
        kw.setdefault("type", widget.input_type)
        if "value" not in kw:
            kw["value"] = field._value()
        kw["name"] = field.name
        return Markup(f"<input {_params(kw)}>")
    if kind is widgets.TextArea:
        kw.setdefault("id", field.id)
        kw["name"] = field.name
        return Markup(f"<textarea {_params(kw)}>\r\n{escape(field._value())}</textarea>")
    if kind is widgets.Select and not field.has_groups():
        kw.setdefault("id", field.id)
        if widget.multiple:
            kw["multiple"] = True
        kw["name"] = field.name
        choices = list(field._iter_choices_normalized())
        if any(c.render_kw for c in choices):
            return DefaultMeta.render_field(field.meta, field, render_kw)
        return Markup(f"<select {_params(kw)}>{''.join(_option(c) for c in choices)}</select>")
    return DefaultMeta.render_field(field.meta, field, render_kw)


def choice_controls(field, described=()) -> list[tuple[str, Markup, str]]:
    """A checkbox or radio group's controls, one per choice: (id, the control, its label), as
    WTForms' option subfields write them (`{% for option in field %}{{ option() }}`), without
    building a field for each choice, which cost more than the whole part. Any other option
    widget, or attributes on the field or a choice, go to those subfields as before.
    `described`: per choice, in order, whether a description follows it (an account's identity
    and date on the auth slot): its control's aria-describedby is then the control's id + "-meta".
    While a page plan is made, the ids and labels (the field's fixed choices) are written into it and
    each control is a marker filled in on every request."""
    planner = _planner.get()
    if planner is not None:
        with planning(None):
            listed = choice_controls(field, described)
        return [(id_, planner.field(field.name, lambda f: choice_controls(f, described), index=i), label)
                for i, (id_, _control, label) in enumerate(listed)]
    described = dict(enumerate(described))
    widget = getattr(field, "option_widget", None)
    choices = list(field._iter_choices_normalized())
    if type(widget) not in (widgets.CheckboxInput, widgets.RadioInput) or field.render_kw \
            or any(c.render_kw for c in choices) or vars(field.flags):
        return [(option.id, option(**({"aria-describedby": option.id + "-meta"} if described.get(i) else {})),
                 option.label.text) for i, option in enumerate(field)]
    name, kind, prefix = field.name, widget.input_type, field.id
    out = []
    for i, choice in enumerate(choices):
        kw = {"checked": bool(choice.selected), "id": f"{prefix}-{i}", "name": name, "type": kind,
              "value": str(choice.value)}
        if described.get(i):
            kw["aria-describedby"] = kw["id"] + "-meta"
        out.append((kw["id"], Markup(f"<input {_params(kw)}>"), choice.label or choice.value))
    return out


class FastMeta:
    """Mixed into a form's Meta: its fields render through `render`."""

    def render_field(self, field, render_kw):
        return render(field, render_kw)
