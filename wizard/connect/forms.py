"""The credential form of api_key and basic services, built from the service's fields."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length
from ..texts import T


class CredentialForm(FlaskForm):
    """Subclassed per service by `credential_form`."""


def credential_form(service) -> CredentialForm:
    """A form with one field per credential; secret ones never echo their value back."""
    attrs = {}
    for f in service.fields:
        kind = PasswordField if f["secret"] else StringField
        attrs[f["name"]] = kind(f["title"], [InputRequired(T("Enter the %(field)s.", field=f['title'])), Length(max=4000)],
                                render_kw={"autocomplete": "off", "spellcheck": "false"})
    form_cls = type(f"{service.name.title()}CredentialForm", (CredentialForm,), attrs)
    return form_cls()


def credentials_from(form: CredentialForm, service) -> dict:
    return {f["name"]: getattr(form, f["name"]).data.strip() for f in service.fields}
