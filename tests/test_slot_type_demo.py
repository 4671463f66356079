"""A new slot type is its module and its part (and its tests): the demo type `pin`
(tests/demo_slot_type/: pin.py, pin.html), a secret, goes through the whole wizard without a line
elsewhere, and every place that must keep a secret asks the type, not its name."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader

from wizard import slot_types
from wizard.extensions import db
from wizard.webhooks.events import public_config
from wizard.webhooks.models import WebhookEvent

from demo_slot_type import pin
from wizard_support import Wizard, csrf_of

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path(__file__).resolve().parent / "demo_slot_type"

SOLUTION = {"id": "locks", "title": "Locks", "screens": [
    {"title": "Door", "slots": [
        {"externalId": "door", "title": "Door", "type": "string", "required": True},
        {"externalId": "code", "title": "Door code", "type": "pin", "required": True, "help": "Digits only"},
    ]},
]}


@pytest.fixture
def demo_type(app):
    """The demo type registered, and its part where the parts are looked up (as if it were in
    templates/wizard/slots/), for one test."""
    pin.install()
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([_PartLoader(), loader])
    app.jinja_env.cache.clear()
    yield pin.Pin
    app.jinja_env.loader = loader
    app.jinja_env.cache.clear()
    pin.uninstall()


class _PartLoader(FileSystemLoader):
    def __init__(self):
        super().__init__(str(DEMO))

    def get_source(self, environment, template):
        if template != "wizard/slots/pin.html":
            from jinja2 import TemplateNotFound
            raise TemplateNotFound(template)
        return super().get_source(environment, "pin.html")


def test_the_demo_type_goes_through_the_wizard(client, core, user, demo_type):
    w = Wizard(client, core, user)
    w.publish(SOLUTION)  # the solution format takes the type's keys and checks its default rule
    inst = w.instance("locks")
    w.open(inst.id)
    page = w.page
    # its part, in the field's wrapper, with what the page script reads off it
    box = re.search(r'<div class="field field--pin[^>]*>', page).group(0)
    assert 'data-secret="true"' in box and 'data-read="text"' in box
    assert re.search(r'<div class="pin"><input [^>]*inputmode="numeric"[^>]*type="password"', page)
    # its check, through the engine
    w.post({"door": "Front", "code": "12"})
    assert w.resp.status_code == 422 and "Door code must be 4 to 8 digits" in w.page
    w.post({"door": "Front", "code": "47110815"})
    assert w.path.endswith("/review")
    # the review masks it; the script's payload on the review leaves it out
    assert "47110815" not in w.page and "••••••" in w.page
    payload = json.loads(re.search(r'data-review-values="([^"]*)"', w.page).group(1).replace("&#34;", '"'))
    assert "code" in payload["visibleValues"] and "code" not in payload["configValues"]
    # shown again: never prefilled
    w.get(f"{w.base}/screen/1")
    assert "47110815" not in w.page and "Saved. Leave empty to keep it." in w.page
    w.finish()
    assert w.path.endswith("/done")
    # encrypted at rest, and never in instance.configured
    assert core.get_instance(inst.id).config_values["code"] == "47110815"
    event = db.session.query(WebhookEvent).filter_by(type="instance.configured").order_by(WebhookEvent.created.desc()).first()
    assert "code" not in event.payload["data"]["configValues"] and event.payload["data"]["secretsSet"] == ["code"]
    assert "47110815" not in json.dumps(event.payload)


def test_every_secret_leaving_the_server_is_asked_of_the_type(demo_type):
    """The validation webhook and the instance.* events send public_config: the type's `secret`."""
    definition = {"config": [{"externalId": "code", "type": "pin"}, {"externalId": "door", "type": "string"}]}
    shown, secret_set = public_config(definition, {"code": "47110815", "door": "Front"})
    assert shown == {"door": "Front"} and secret_set == ["code"]
    assert slot_types.secret_ids(definition) == {"code"}


SECRECY_BY_NAME = re.compile(r"""(type\W{0,6}\s*(==|===|!=|!==|\bin\b|\bis\b)\s*[\[(]?\s*["']secret["'])"""
                             r"""|(["']secret["']\s*(==|===|!=|!==)\s*\S*type)""")


def test_no_code_tests_secrecy_by_the_type_name():
    """Whether a value is secret is the type's `secret`, asked everywhere: no Python module,
    template or script compares a slot's type with "secret"."""
    found = []
    for folder, exts in (("wizard", (".py",)), ("templates", (".html",)), ("static", (".js",))):
        for dirpath, _dirs, files in os.walk(ROOT / folder):
            for name in files:
                if name.endswith(exts):
                    path = Path(dirpath) / name
                    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                        if SECRECY_BY_NAME.search(line):
                            found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, found
    assert SECRECY_BY_NAME.search('if s.get("type") == "secret"')  # the pattern finds what it is for
    assert SECRECY_BY_NAME.search('if (box.dataset.type === "secret")')


def test_the_page_script_reads_values_by_data_attributes_not_by_type_names():
    script = (ROOT / "static" / "wizard.js").read_text()
    assert not re.search(r"dataset\.type\b", script)
    modes = set(re.findall(r'\bread === "(\w+)"', script))
    assert modes and modes <= {"text", "trimmed", "number", "json", "choice", "checked", "checkbox", "radio", "rows"}
    assert {slot_types.get(name).reads for name in slot_types.names()} <= modes | {"trimmed"}


def test_one_template_part_per_type():
    """Every type names one part, a file of templates/wizard/slots/; the screen writes none itself."""
    parts = {p.stem for p in (ROOT / "templates" / "wizard" / "slots").glob("*.html")}
    for name in slot_types.names():
        assert slot_types.get(name).part in parts, name
    assert slot_types.AUTH.part in parts
    screen = (ROOT / "templates" / "wizard" / "screen.html").read_text()
    assert "item.part ==" not in screen and "<input" not in screen
