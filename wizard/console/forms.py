"""The console's forms (Flask-WTF). Each carries the console's CSRF token (auth.ConsoleCSRF);
search and filter forms are GETs and carry none."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, URL

from .auth import ConsoleCSRF
from .models import ROLES


class ConsoleForm(FlaskForm):
    class Meta:
        csrf_class = ConsoleCSRF


class ActionForm(ConsoleForm):
    """A button that changes one thing (enable, disable, retry...): only the token."""
    submit = SubmitField("Go")


class GetForm(FlaskForm):
    class Meta:
        csrf = False


class UserSearchForm(GetForm):
    q = StringField("externalUserId, name or id", validators=[Optional(), Length(max=200)])


TRI = [SelectChoice("", "Any"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class InstanceFilterForm(GetForm):
    solution = StringField("Solution", validators=[Optional(), Length(max=100)])
    enabled = SelectField("Enabled", choices=TRI, validators=[Optional()])
    needs_upgrade = SelectField("Waiting for an upgrade", choices=TRI, validators=[Optional()])
    user_specific = SelectField("User-specific version", choices=TRI, validators=[Optional()])


class DeliveryFilterForm(GetForm):
    status = SelectField("Status", choices=[SelectChoice(v, t) for v, t in (
        ("", "Any"), ("pending", "Pending"), ("delivering", "Delivering"), ("delivered", "Delivered"), ("dead", "Dead"))], validators=[Optional()])
    endpoint = StringField("Endpoint id", validators=[Optional(), Length(max=40)])
    event_type = StringField("Event type", validators=[Optional(), Length(max=60)])
    subject = StringField("Subject (instance:<id>)", validators=[Optional(), Length(max=80)])


class AuditFilterForm(GetForm):
    operator = StringField("Operator e-mail", validators=[Optional(), Length(max=320)])
    action = StringField("Action", validators=[Optional(), Length(max=60)])
    object_id = StringField("Object id", validators=[Optional(), Length(max=100)])


class DefinitionForm(ConsoleForm):
    definition = TextAreaField("Definition (YAML)", validators=[Optional(), Length(max=200_000)])
    upload = FileField("…or upload a YAML file")
    check = SubmitField("Check")
    release = SubmitField("Release")


class EndpointForm(ConsoleForm):
    url = StringField("URL", validators=[DataRequired(), URL(require_tld=False), Length(max=2000)])
    description = StringField("Description", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Add endpoint")


class ReplayForm(ConsoleForm):
    since = DateTimeLocalField("Replay every event since (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    endpoint = HiddenField()
    submit = SubmitField("Replay")


class OperatorForm(ConsoleForm):
    email = StringField("E-mail", validators=[DataRequired(), Length(max=320),
                                           Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Not an e-mail address.")])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])
    submit = SubmitField("Save operator")


class OperatorChangeForm(ConsoleForm):
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])
    disabled = BooleanField("Signed out and refused")
    submit = SubmitField("Save")


class ThemeForm(ConsoleForm):
    embedded_id = StringField("embeddedId", validators=[DataRequired(), Length(max=100)])
    product_name = StringField("Product name", validators=[Optional(), Length(max=80)])
    primary = StringField("Primary", validators=[DataRequired(), Length(max=7)])
    textOnPrimary = StringField("Text on primary", validators=[DataRequired(), Length(max=7)])
    background = StringField("Background", validators=[DataRequired(), Length(max=7)])
    surface = StringField("Surface", validators=[DataRequired(), Length(max=7)])
    text = StringField("Text", validators=[DataRequired(), Length(max=7)])
    error = StringField("Error", validators=[DataRequired(), Length(max=7)])
    corner_radius = IntegerField("Corner radius (px)", validators=[Optional(), NumberRange(0, 24)])
    custom_css = TextAreaField("Custom CSS", validators=[Optional(), Length(max=20_000)])
    logo = FileField("Logo (PNG or JPEG)")
    preview = SubmitField("Preview")
    save = SubmitField("Save theme")
