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


GETTEXT_TEMPLATES = [
    "{{ _('Next') }}", "{{ _('100%% sure') }}", "{{ _('Hello %(name)s', name=who) }}",
    "{{ gettext('a <b> literal') }}", "{% for i in [1, 2] %}{% set x = i %}{{ _('Step %(n)s', n=x) }} {{ _('plain') }}{% endfor %}",
    "{{ ngettext('%(num)s field', '%(num)s fields', 1) }}|{{ ngettext('%(num)s field', '%(num)s fields', n) }}",
    "{% autoescape false %}{{ _('Hello %(name)s', name=who) }}{% endautoescape %}",
]


@pytest.mark.parametrize("source", GETTEXT_TEMPLATES)
def test_the_templates_gettext_writes_what_jinjas_newstyle_gettext_writes(source):
    """wizard.i18n.template_gettext (the request's catalogue, no copy of the context inside a loop,
    no formatting of a text without %) against jinja2.ext's newstyle gettext."""
    from babel.support import NullTranslations

    from wizard.i18n import template_gettext

    translations = NullTranslations()
    ours = jinja2.Environment(autoescape=True)
    ours.globals.update(template_gettext(translations))
    jinjas = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    jinjas.install_gettext_translations(translations, newstyle=True)
    values = {"who": '<script>"x"</script>', "n": 3}
    assert ours.from_string(source).render(values) == jinjas.from_string(source).render(values)
