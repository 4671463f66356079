"""wizard.web.jinja.Environment reads `dict.key` in templates without Jinja's failing getattr
first: what a template shows is what Jinja's own Environment shows, keys, dict methods, missing
keys (Undefined) and other mappings alike."""
from __future__ import annotations

from collections import OrderedDict

import jinja2
import pytest
from markupsafe import Markup

from wizard.web import jinja

TEMPLATE = ("{{ d.a }}|{{ d.b }}|{{ d.b is defined }}|{{ d.items is defined }}|{{ d.get('a') }}|"
            "{{ d.keys()|list }}|{{ d.html }}|{% if d.missing %}x{% else %}y{% endif %}|{{ d.n.m if d.n is defined }}|{{ d.update is defined }}")
VALUES = [{"a": 1}, {"a": '<b>"q"&amp;', "html": Markup("<i>ok</i>"), "n": {"m": "ü"}}, {"items": "shadowed", "a": None},
          OrderedDict(a=2), {}]


@pytest.mark.parametrize("d", VALUES)
def test_dict_attributes_read_as_jinja_reads_them(app, d):
    plain = jinja2.Environment(autoescape=True)
    assert isinstance(app.jinja_env, jinja.Environment)
    ours = app.jinja_env.from_string(TEMPLATE).render(d=d)
    assert ours == plain.from_string(TEMPLATE).render(d=d)
