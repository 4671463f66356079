"""wizard.controls writes the wizard's form controls itself (faster than WTForms' widgets): for
every slot type's control, the CSRF and screen fields, the name field and the mapping rows, its
HTML is the HTML WTForms' widget writes (with WTForms' own html_params), whatever the value, the
attributes the templates pass, and whether the form was prefilled or posted."""
from __future__ import annotations

import copy

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.meta import DefaultMeta
from wtforms.widgets import core as widgets

from wizard import controls, slot_types
from wizard.flow import forms

from test_wizard_fields import SLOTS

NASTY = ['', 'say "hi" & <go>', "it's ü € العربية", '"><script>alert(1)</script>', "a\nb\r\nc", "  ", "0"]
OPTIONS = [{"value": 'q"&<', "text": 'Big "<b>" & ü'}, {"value": 1, "text": "One"}, {"value": "ü", "text": ""},
           {"value": True, "text": "yes"}, {"value": None}]
TYPES_SLOTS = copy.deepcopy(SLOTS) + [
    {"externalId": "s_time", "title": "At", "type": "time"},
    {"externalId": "s_sel_nasty", "title": "Pick", "type": "select", "options": OPTIONS},
    {"externalId": "s_map_nasty", "title": "Rows", "type": "mapping",
     "lhs": {"title": "A", "options": OPTIONS}, "rhs": {"title": "B"}},
    {"externalId": "wizard_screen", "title": "Clash", "type": "string", "maxLength": 3, "minLength": 1},
]
MAPS = {s["externalId"]: {side: forms.OptionMap(spec if isinstance(spec, list) else [])
                          for side, spec in slot_types.get(s["type"]).option_specs(s).items()}
        for s in TYPES_SLOTS}
for s in TYPES_SLOTS:
    s.setdefault("kind", "config")

ATTRS = [
    {},
    {"id": "x", "placeholder": False, "aria-describedby": False, "aria-invalid": False, "aria-required": False},
    {"id": 'i"d', "placeholder": 'ph "<x>" & ü', "aria-describedby": "a-help a-error", "aria-invalid": "true",
     "aria-required": "true"},
    {"aria-label": Markup('Column "A", row 2'), "class_": "c", "data_x": "<&>"},
]


def original(field, kw, monkeypatch):
    """What WTForms' own widget writes (WTForms' own html_params: nothing replaces it)."""
    return DefaultMeta.render_field(field.meta, field, dict(kw))


class NoFallback:
    def render_field(self, field, render_kw):
        raise AssertionError(f"{field.name}: {type(field.widget).__name__} went to WTForms")


def controls_of(form):
    for field in form:
        if hasattr(field, "entries"):  # a mapping: its rows' controls
            for entry in field.entries:
                yield from entry.form
        elif isinstance(getattr(field, "option_widget", None), (widgets.CheckboxInput, widgets.RadioInput)):
            yield from field  # a checkbox group (multiselect): each option's control
        else:
            yield field


def forms_to_compare(app, value):
    """The same screen prefilled with `value` everywhere, and posted with it."""
    data = {forms.field_name(s["externalId"]): value for s in TYPES_SLOTS}
    for s in TYPES_SLOTS:
        name = forms.field_name(s["externalId"])
        if s["type"] == "boolean":
            data[name] = bool(value)
        elif s["type"] == "mapping":
            data[name] = [{"lhs": value, "rhs": value}, {"lhs": "1", "rhs": ""}]
        elif s["type"] == "multiselect":
            data[name] = [value]
    data[forms.NAME_FIELD] = value
    yield forms.build_form(TYPES_SLOTS, MAPS, name_field=True, data=data)
    posted = MultiDict()
    for s in TYPES_SLOTS:
        name = forms.field_name(s["externalId"])
        if s["type"] == "mapping":
            for i in range(2):
                posted.add(f"{name}-{i}-lhs", value)
                posted.add(f"{name}-{i}-rhs", value)
        elif value or s["type"] != "boolean":
            posted.add(name, value)
    posted.add(forms.NAME_FIELD, value)
    posted.add("wizard_screen", value)
    yield forms.build_form(TYPES_SLOTS, MAPS, name_field=True, formdata=posted)


@pytest.mark.parametrize("value", NASTY + ["1", "y", "2026-01-31"])
def test_every_control_is_written_as_wtforms_writes_it(app, monkeypatch, value):
    with app.test_request_context("/"):
        for form in forms_to_compare(app, value):
            form.wizard_screen.data = value
            form["s_string"].errors = ["wrong"]
            seen = set()
            for field in controls_of(form):
                seen.add(type(field.widget).__name__)
                for attrs in ATTRS:
                    expected = original(field, attrs, monkeypatch)
                    with monkeypatch.context() as m:
                        m.setattr(controls, "DefaultMeta", NoFallback)  # every control here is written by controls
                        assert field(**attrs) == expected, (field.name, attrs)
                    assert isinstance(field(**attrs), Markup)
            assert seen >= {"TextInput", "TextArea", "PasswordInput", "EmailInput", "URLInput", "NumberInput",
                            "CheckboxInput", "DateInput", "TimeInput", "Select", "HiddenInput"}


def test_a_field_with_validation_flags_or_groups_is_left_to_wtforms(app):
    """What controls does not write (flags the widget turns into attributes, option groups) WTForms does."""
    from wtforms import Form, SelectField, StringField
    from wtforms.fields.choices import SelectChoice
    from wtforms.validators import InputRequired, Length

    class F(Form):
        class Meta(controls.FastMeta):
            pass

        a = StringField(validators=[InputRequired(), Length(max=4)])
        b = SelectField(choices=[SelectChoice("1", "x<", optgroup="G")])

    form = F(data={"a": 'v"', "b": "1"})
    assert form.a(id="a") == Markup('<input id="a" maxlength="4" name="a" required type="text" value="v&#34;">')
    assert form.b() == DefaultMeta.render_field(form.meta, form.b, {})
    assert "<optgroup" in form.b()


@pytest.mark.parametrize("value", NASTY + ["1"])
def test_checkbox_and_radio_groups_are_written_as_wtforms_subfields_write_them(app, value):
    from wtforms import Form, RadioField

    nasty = [{"value": v, "text": t} for v, t in [(value, value + " <b>"), ("1", ""), ('q"&<', "Q")]]

    class F(Form):
        class Meta(controls.FastMeta):
            pass

        radio = RadioField(choices=[], validate_choice=False)

    with app.test_request_context("/"):
        for form in forms_to_compare(app, value):
            field = form["s_multi"]
            field.choices = forms.OptionMap(nasty).choices
            expected = [(o.id, DefaultMeta.render_field(o.meta, o, {}), o.label.text) for o in field]
            assert controls.choice_controls(field) == expected
        radio = F(data={"radio": value}).radio
        radio.choices = forms.OptionMap(nasty).choices
        expected = [(o.id, DefaultMeta.render_field(o.meta, o, {}), o.label.text) for o in radio]
        assert controls.choice_controls(radio) == expected and any("checked" in str(c) for _, c, _ in expected)


def test_other_forms_of_the_process_keep_wtforms_own_html_params(app):
    """The fast controls come with the wizard's forms' own Meta (wizard.controls.FastMeta): WTForms
    itself is not patched, so the sandbox's and connect's forms, or any other, write as WTForms does."""
    from wtforms import Form, StringField

    assert widgets.html_params.__module__ == "wtforms.widgets.core"
    assert widgets.Input.html_params is widgets.html_params
    assert "html_params" not in vars(forms)

    class Plain(Form):
        a = StringField()

    assert Plain(data={"a": "x"}).a(data_x="1") == Markup('<input data-x="1" id="a" name="a" type="text" value="x">')


class _Planner:
    """Stands for wizard.flow.plan.Planner: keeps each marker's compute."""

    def __init__(self):
        self.computes = []

    def field(self, name, compute, index=None):
        self.computes.append((name, compute, index))
        return Markup("")


@pytest.mark.parametrize("planned_with", ["", "1", 'say "hi" & <go>'])
def test_a_control_planned_once_writes_every_request_s_field_as_wtforms_does(app, monkeypatch, planned_with):
    """A page plan works out a control's writing from the field it was made with (wizard.controls
    `_writer`), then writes each request's field of the same form class with it: every value, checked
    state and choice of that request's field, as WTForms writes it."""
    with app.test_request_context("/"):
        planning_forms = list(forms_to_compare(app, planned_with))
        for value in NASTY + ["1", "y"]:
            for planning_form, form in zip(planning_forms, forms_to_compare(app, value)):
                planning_form["s_string"].errors = form["s_string"].errors = ["wrong"]
                form.wizard_screen.data = value
                for field in planning_form:
                    if hasattr(field, "entries"):
                        continue  # a mapping's rows are written on every request (slot_types.structured)
                    group = isinstance(getattr(field, "option_widget", None), (widgets.CheckboxInput, widgets.RadioInput))
                    for attrs in ATTRS:
                        planner = _Planner()
                        with controls.planning(planner):
                            controls.choice_controls(field) if group else field(**attrs)
                        mine = form[field.name]
                        with monkeypatch.context() as m:
                            m.setattr(controls, "DefaultMeta", NoFallback)
                            written = [compute(mine) for _name, compute, _index in planner.computes]
                        if group:
                            expected = [(o.id, DefaultMeta.render_field(o.meta, o, {}), o.label.text) for o in mine]
                            assert all(w == expected for w in written), field.name
                        else:
                            assert written == [original(mine, attrs, monkeypatch)], (field.name, attrs, value)


def test_a_kept_option_is_the_option_of_its_value_label_and_state(monkeypatch):
    """Options are kept by (value, label, selected) (controls._options): another label, value or
    state is written afresh, Markup and lazy texts never come from the kept ones, and the kept
    ones stay bounded."""
    from wtforms.fields.choices import Choice
    monkeypatch.setattr(controls, "_options", {})
    monkeypatch.setattr(controls, "MAX_OPTIONS", 3)
    one = controls._option(Choice("a", "Alpha", False, {}))
    assert one == '<option value="a">Alpha</option>'
    assert controls._option(Choice("a", "Alpha", True, {})) == '<option selected value="a">Alpha</option>'
    assert controls._option(Choice("a", 'Al "<b>"', False, {})) == '<option value="a">Al &#34;&lt;b&gt;&#34;</option>'
    assert controls._option(Choice('"a"', "Alpha", False, {})) == '<option value="&#34;a&#34;">Alpha</option>'
    assert len(controls._options) <= 3
    assert controls._option(Choice("a", Markup("<i>A</i>"), False, {})) == '<option value="a"><i>A</i></option>'
    assert controls._option(Choice("a", "Alpha", False, {})) == one
