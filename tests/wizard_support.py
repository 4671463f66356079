"""Helpers for the wizard tests: publish a small solution, open the wizard with a code the way an
ISV page would, and submit screens with the CSRF token taken from the page like a browser."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from wizard import identity

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    m = CSRF_RE.search(page)
    assert m, "no csrf_token in the page"
    return m.group(1) or m.group(2)


def body_attr(page: str, name: str) -> str | None:
    m = re.search(r"<body[^>]*\s" + re.escape(name) + r'="([^"]*)"', page, re.S)
    return html.unescape(m.group(1)) if m else None


def checked_values(page: str, name: str) -> set[str]:
    """The values of the checked radios and checkboxes named `name`, as a browser reads them
    (whatever the order of their attributes)."""
    from html.parser import HTMLParser

    found: set[str] = set()

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") == name and "checked" in a:
                found.add(a.get("value", "on"))

    Inputs().feed(page)
    return found


class Wizard:
    """One browser in the wizard: `open` enters with a fresh code; `post` submits a screen."""

    def __init__(self, client, core, owner):
        self.client = client
        self.core = core
        self.owner = owner
        self.base = None  # /configure/<iid>/s/<sid>
        self.page = ""
        self.resp = None

    def publish(self, definition: dict):
        return self.core.publish(definition)

    def instance(self, solution_id: str, owner=None, **kw):
        return self.core.create_instance((owner or self.owner).id, solution_id, "", **kw)

    def code(self, user=None) -> str:
        return identity.generate_code((user or self.owner).id)

    def open(self, iid: str, query: str = "", user=None):
        """Enter as an ISV page would and follow the redirects to the first page."""
        resp = self.client.get(f"/configure/{iid}?code={self.code(user)}{('&' + query) if query else ''}")
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
        path = urlsplit(resp.headers["Location"]).path
        self.base = path.rstrip("/")
        return self.get(resp.headers["Location"])

    def get(self, url: str, follow: bool = True):
        resp = self.client.get(url, follow_redirects=follow)
        self._keep(resp)
        return resp

    def _keep(self, resp):
        self.resp = resp
        self.page = resp.get_data(as_text=True)

    @property
    def path(self) -> str:
        return self.resp.request.path

    def screen_number(self) -> int:
        m = re.search(r"/screen/(\d+)$", self.path)
        assert m, f"not on a screen: {self.path}"
        return int(m.group(1))

    def post(self, data=None, *, action: str = "next", screen: int | None = None, follow: bool = True,
             csrf: bool = True, url: str | None = None):
        """Submit the current screen (or `screen`) with `data` (dict or list of pairs)."""
        n = screen or self.screen_number()
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        expanded = []
        for k, v in pairs:
            if isinstance(v, (list, tuple)):
                expanded += [(k, x) for x in v]
            else:
                expanded.append((k, v))
        form = [("wizard_screen", str(n)), ("wizard_action", action)] + expanded
        if csrf:
            form.insert(0, ("csrf_token", csrf_of(self.page)))
        resp = self.client.post(url or f"{self.base}/screen/{n}", data=_multi(form), follow_redirects=follow)
        self._keep(resp)
        return resp

    def finish(self, follow: bool = True):
        review = self.get(f"{self.base}/review")
        assert review.status_code == 200
        resp = self.client.post(f"{self.base}/finish", data={"csrf_token": csrf_of(self.page),
                                                             "wizard_screen": "review"}, follow_redirects=follow)
        self._keep(resp)
        return resp


def _multi(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def simple_solution(**over) -> dict:
    """A two-screen solution without auth slots."""
    d = {
        "id": "notes",
        "title": "Notes sync",
        "screens": [
            {"title": "Basics", "slots": [
                {"externalId": "channel", "title": "Channel", "type": "string", "required": True},
                {"externalId": "level", "title": "Level", "type": "select", "default": "errors",
                 "options": [{"value": "all", "text": "Everything"}, {"value": "errors", "text": "Errors only"}]},
                {"externalId": "keywords", "title": "Keywords", "type": "multiselect",
                 "options": [{"value": "deploy"}, {"value": "outage"}], "showIf": {"level": "all"}},
            ]},
            {"title": "Details", "slots": [
                {"externalId": "threshold", "title": "Threshold", "type": "integer", "min": 1, "max": 10, "default": 5},
                {"externalId": "api_key", "title": "API key", "type": "secret"},
            ]},
        ],
    }
    d.update(over)
    return d


# Fixtures for modules that `from wizard_support import wiz, inst`: a Wizard on the small solution.

@pytest.fixture
def wiz(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    return w


@pytest.fixture
def inst(wiz):
    return wiz.instance("notes")
