"""The forms of the connect popup: the credential form of api_key, basic and client_credentials
services, built from the service's fields, and the connection parameters a service asks before
connecting (docs/services.md, "Connection parameters"), alone or inside the credential form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..services.params import ParamError, check_value
from ..texts import T

PARAM_PREFIX = "param_"  # a parameter's field name: never one of a credential's (those are the service's)


class CredentialForm(FlaskForm):
    """Subclassed per service by `credential_form`."""


class ParamsForm(FlaskForm):
    """Subclassed per service by `params_form`."""


def _param_fields(service) -> dict:
    """One field per parameter the user types: a choice list or a text box checked by the one
    rule of wizard.services.params (pattern, safe characters, length)."""
    attrs = {}
    for p in service.typed_params:
        def check(_form, field, p=p):
            try:
                check_value(p, field.data)
            except ParamError as exc:
                raise ValidationError(exc.message) from None

        kw = {"description": p["help"], "render_kw": {"autocomplete": "off", "spellcheck": "false"}}
        if p["choices"]:
            attrs[PARAM_PREFIX + p["name"]] = SelectField(p["title"], [check], choices=list(p["choices"]), **kw)
        else:
            attrs[PARAM_PREFIX + p["name"]] = StringField(
                p["title"], [InputRequired(T("Enter the %(field)s.", field=p["title"])), Length(max=63), check], **kw)
    return attrs


def params_form(service, values: dict | None = None) -> ParamsForm:
    """The parameters asked before the OAuth popup goes to the provider."""
    form_cls = type(f"{service.name.title()}ParamsForm", (ParamsForm,), _param_fields(service))
    return form_cls(data={PARAM_PREFIX + k: v for k, v in (values or {}).items()})


def credential_form(service) -> CredentialForm:
    """A form with one field per credential (and parameter); secret ones never echo their value back."""
    attrs = _param_fields(service)
    for f in service.fields:
        kind = PasswordField if f["secret"] else StringField
        attrs[f["name"]] = kind(f["title"], [InputRequired(T("Enter the %(field)s.", field=f['title'])), Length(max=4000)],
                                render_kw={"autocomplete": "off", "spellcheck": "false"})
    form_cls = type(f"{service.name.title()}CredentialForm", (CredentialForm,), attrs)
    return form_cls()


def credentials_from(form: CredentialForm, service) -> dict:
    return {f["name"]: getattr(form, f["name"]).data.strip() for f in service.fields}


def params_from(form, service) -> dict:
    """The parameter values of a validated form."""
    return {p["name"]: getattr(form, PARAM_PREFIX + p["name"]).data.strip() for p in service.typed_params}
