"""The wizard's form controls written straight to HTML: the same markup as WTForms' widgets, without
their per-call overhead (a dict comprehension and `clean_key` per attribute, `dir()` of the
field's flags, an `inspect.signature` of `Select.render_option` on every select, `Markup.format`).

`render_field` is the forms' `Meta.render_field` (wizard.flow.forms.ScreenForm, the mapping rows of
wizard.slot_types.structured): every `{{ field(...) }}` of the templates comes here. The widgets
the wizard uses are written here; any other widget, a field with validation flags (required,
maxlength... that the widget would add as attributes) or a select with option groups goes to
WTForms as before. tests/test_wizard_controls.py compares the two for every slot type's control.

A control is written in two steps (`_writer`): what its field's class, the template and the field's
own attributes fix (the tag, the attributes but the value and checked state, the id and name) once,
then the value, checked state and options of the field at hand. A page plan (wizard.flow.plan) does
the first once, when it is made, and only the second on each request.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from markupsafe import Markup, escape
from wtforms.fields.choices import Choice, RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.meta import DefaultMeta
from wtforms.widgets import core as widgets

_QUOTE, _QUOTE_ENTITY = Markup('"'), Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params` with the same output (attributes sorted, values escaped, True bare,
    False left out), without formatting each attribute through `Markup.format`, which made the
    widgets a good part of a screen's render time (tests/test_wizard_fields.py compares the two)."""
    return Markup(_params(kwargs))


def _params(kwargs: dict) -> str:
    return " ".join(a for a in (_attr(k, v) for k, v in sorted(kwargs.items())) if a)


def _attr(key: str, value) -> str:
    """One attribute as html_params writes it; "" for False."""
    if value is False:
        return ""
    name = _names.get(key)
    if name is None:
        name = _names[key] = str(escape(widgets.clean_key(key)))
    if value is True:
        return name
    if hasattr(value, "__html__"):  # escape() leaves Markup as it is: its quotes must not end the attribute
        return f'{name}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"'
    return f'{name}="{escape(value)}"'  # escaped text has no quote left


class _Attrs:
    """A control's attributes as html_params writes them (sorted by name), those named `varying`
    given on each `write` (in that order, which is theirs by name), the others (`fixed`) written
    once, here."""

    def __init__(self, fixed: dict, varying: tuple[str, ...]):
        if list(varying) != sorted(varying):
            raise ValueError("the varying attributes are given in order")
        # the fixed attributes' text before, between and after the varying ones, and those names
        self.pieces: list[str] = []
        run: list[str] = []
        for key in sorted([*fixed, *varying]):
            if key in varying:
                self.pieces += [" ".join(run), key]
                run = []
            elif fixed[key] is not False:
                run.append(_attr(key, fixed[key]))
        self.pieces.append(" ".join(run))

    def write(self, values) -> str:
        pieces = self.pieces
        out = [pieces[0]] if pieces[0] else []
        for k, value in enumerate(values):
            a = _attr(pieces[2 * k + 1], value)
            if a:
                out.append(a)
            if pieces[2 * k + 2]:
                out.append(pieces[2 * k + 2])
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
    """Select.render_option for a choice without render_kw. An option of plain text (its value and
    label `str`, as a definition's options are) is written once per (value, label, selected) and
    kept (`_options`, bounded): a page writes the same few options on every request."""
    value, label = choice.value, choice.label or choice.value
    if type(value) is not str or type(label) is not str:
        return _write_option(value, label, choice.selected)
    key = (value, label, bool(choice.selected))
    html = _options.get(key)
    if html is None:
        if len(_options) >= MAX_OPTIONS:
            _options.clear()
        html = _options[key] = _write_option(value, label, choice.selected)
    return html


def _write_option(value, label, selected) -> str:
    if isinstance(value, bool):
        value = str(value)
    label = escape(label)
    # escaped text has no quote left; escape() leaves Markup as it is, so its quotes are replaced
    value = escape(value).replace(_QUOTE, _QUOTE_ENTITY) if hasattr(value, "__html__") else escape(value)
    return f'<option selected value="{value}">{label}</option>' if selected \
        else f'<option value="{value}">{label}</option>'


# Options written (`_option`), by (value, label, selected): values only, so any other text is written
# afresh; cleared when full (a process writes the options of the definitions it serves).
_options: dict[tuple[str, str, bool], str] = {}
MAX_OPTIONS = 4096


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
    """What `field.widget(field, **render_kw)` after DefaultMeta.render_field returns. While a page
    plan is made, a marker whose fill writes the request's field (the same field of the same form
    class) with what was worked out here once (`_writer`)."""
    planner = _planner.get()
    if planner is not None:
        return planner.field(field.name, _writer(field, render_kw))
    return _writer(field, render_kw)(field)


def _writer(field, render_kw: dict):
    """How `field` is written with `render_kw`: a function of the field (this one, or the same field
    of another form of its class) -> its control. What does not change between such fields (the
    widget, its attributes, the template's, the id and name) is written here, once; what does (the
    value, the checked state, the options) by the function."""
    widget = field.widget
    kind = type(widget)
    flags = vars(field.flags)
    if (flags and not _FLAG_ATTRS.isdisjoint(flags)) or getattr(field, "_datalist", None) is not None \
            or "name" in render_kw:
        return lambda f: DefaultMeta.render_field(f.meta, f, render_kw)
    kw = _cleaned(render_kw)
    if field.render_kw:
        kw = {**_cleaned(field.render_kw), **kw}
    if kind in _INPUTS:
        if kind is widgets.NumberInput and (widget.step is not None or widget.min is not None or widget.max is not None):
            return lambda f: DefaultMeta.render_field(f.meta, f, render_kw)
        if kind is widgets.PasswordInput and widget.hide_value:
            kw["value"] = ""
        checkable = kind in (widgets.CheckboxInput, widgets.RadioInput) and "checked" not in kw
        valued = "value" not in kw
        kw.setdefault("id", field.id)
        kw.setdefault("type", widget.input_type)
        kw["name"] = field.name
        attrs = _Attrs(kw, ("checked",) * checkable + ("value",) * valued)
        checkbox = kind is widgets.CheckboxInput

        def write_input(f) -> Markup:
            values = []
            if checkable:  # checked: True; not: the attribute left out
                values.append(bool(getattr(f, "checked", f.data) if checkbox else f.checked))
            if valued:
                values.append(f._value())
            return Markup(f"<input {attrs.write(values)}>")
        return write_input
    if kind is widgets.TextArea:
        kw.setdefault("id", field.id)
        kw["name"] = field.name
        head = f"<textarea {_params(kw)}>\r\n"
        return lambda f: Markup(f"{head}{escape(f._value())}</textarea>")
    if kind is widgets.Select:
        kw.setdefault("id", field.id)
        if widget.multiple:
            kw["multiple"] = True
        kw["name"] = field.name
        head = f"<select {_params(kw)}>"

        def write_select(f) -> Markup:
            choices = _choices(f)
            if choices is None:
                choices = None if f.has_groups() else list(f._iter_choices_normalized())
            if choices is None or any(c.render_kw for c in choices):  # the request's choices: WTForms writes them
                return DefaultMeta.render_field(f.meta, f, render_kw)
            return Markup(f"{head}{''.join(_option(c) for c in choices)}</select>")
        return write_select
    return lambda f: DefaultMeta.render_field(f.meta, f, render_kw)


_SINGLE = (SelectField, RadioField)


def _choices(f) -> list[Choice] | None:
    """What `f._iter_choices_normalized()` yields, worked out straight from the field's choices
    when it is a SelectField, RadioField or SelectMultipleField (those classes exactly) and they
    are a list of plain SelectChoice (no group, no render_kw: what the wizard's fields hold,
    wizard.flow.forms.OptionMap): WTForms parses the list again for `has_groups` and for
    `iter_choices`. The selected state by WTForms' rule: the coerced value equals the data (is in
    it, for a multiple select). None for any other field or choice (the caller asks WTForms)."""
    kind, choices = type(f), f.choices
    if kind not in _SINGLE and kind is not SelectMultipleField or type(choices) not in (list, tuple):
        return None
    for c in choices:
        if type(c) is not SelectChoice or c.optgroup is not None or c.render_kw:
            return None
    coerce, data = f.coerce, f.data
    if kind is SelectMultipleField:
        data = data or ()
        return [Choice(c.value, c.label, coerce(c.value) in data, c.render_kw) for c in choices]
    return [Choice(c.value, c.label, coerce(c.value) == data, c.render_kw) for c in choices]


def choice_controls(field, described=()) -> list[tuple[str, Markup, str]]:
    """A checkbox or radio group's controls, one per choice: (id, the control, its label), as
    WTForms' option subfields write them (`{% for option in field %}{{ option() }}`), without
    building a field for each choice, which cost more than the whole part. Any other option
    widget, or attributes on the field or a choice, go to those subfields as before.
    `described`: per choice, in order, whether a description follows it (an account's identity
    and date on the auth slot): its control's aria-describedby is then the control's id + "-meta".
    While a page plan is made, the ids and labels (the field's fixed choices) are written into it and
    each control is a marker filled in on every request."""
    write = _group_writer(field, described)
    planner = _planner.get()
    if planner is None:
        return write(field)
    return [(id_, planner.field(field.name, write, index=i), label)
            for i, (id_, _control, label) in enumerate(write(field))]


def _group_writer(field, described):
    """choice_controls' `_writer`: a function of the field (this one, or the same field of another
    form of its class) -> its controls; each choice's attributes but its checked state and value
    written here, once."""
    described = dict(enumerate(described))
    widget = getattr(field, "option_widget", None)
    if type(widget) not in (widgets.CheckboxInput, widgets.RadioInput) or field.render_kw or vars(field.flags):
        return lambda f: _subfields(f, described)
    name, kind, prefix = field.name, widget.input_type, field.id

    def attrs(i: int) -> tuple[str, _Attrs]:
        id_ = f"{prefix}-{i}"
        fixed = {"id": id_, "name": name, "type": kind}
        if described.get(i):
            fixed["aria-describedby"] = id_ + "-meta"
        return id_, _Attrs(fixed, ("checked", "value"))

    made = [attrs(i) for i, _choice in enumerate(field._iter_choices_normalized())]

    def write(f) -> list[tuple[str, Markup, str]]:
        choices = _choices(f)
        if choices is None:
            choices = list(f._iter_choices_normalized())
        if any(c.render_kw for c in choices):
            return _subfields(f, described)
        out = []
        for i, choice in enumerate(choices):
            id_, a = made[i] if i < len(made) else attrs(i)
            out.append((id_, Markup(f"<input {a.write((bool(choice.selected), str(choice.value)))}>"),
                        choice.label or choice.value))
        return out
    return write


def _subfields(field, described: dict) -> list[tuple[str, Markup, str]]:
    """A group's controls as WTForms' option subfields write them."""
    return [(option.id, option(**({"aria-describedby": option.id + "-meta"} if described.get(i) else {})),
             option.label.text) for i, option in enumerate(field)]


class FastMeta:
    """Mixed into a form's Meta: its fields render through `render`."""

    def render_field(self, field, render_kw):
        return render(field, render_kw)
