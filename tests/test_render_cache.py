"""The render path keeps what it builds from a definition (its copy in a language, the screens'
form classes) in one cache keyed by names (wizard.flow.cache): a published version shows at once,
in every language, without anything to clear."""
from __future__ import annotations

from wizard_support import Wizard, simple_solution

from wizard.flow import cache


def test_a_published_version_shows_at_once(client, core, user, app):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    first = w.instance("notes")
    w.open(first.id)
    assert "Channel" in w.page
    kept_before = len(cache.kept())
    # a new version renames the slot; an instance on it shows the new title on its first page
    second = simple_solution()
    second["screens"][0]["slots"][0]["title"] = "Slack channel"
    w.publish(second)
    newer = w.instance("notes")
    w.open(newer.id)
    assert "Slack channel" in w.page and ">Channel<" not in w.page
    assert len(cache.kept()) > kept_before  # its own entries, beside the old version's
    # the old version's pages are still its own
    w.open(first.id)
    assert w.path.endswith("/screen/1")


def test_every_key_is_made_of_names(client, core, user):
    w = Wizard(client, core, user)
    w.publish(simple_solution())
    w.open(w.instance("notes").id)
    w.get(f"{w.base}/screen/1?lang=de")
    keys = list(cache.kept()._entries)
    assert {key[0] for key in keys} >= {"definition", "form", "url"}

    def names(part):
        return isinstance(part, (str, int, bool, type(None))) or (isinstance(part, tuple) and all(map(names, part)))
    assert all(names(part) for key in keys for part in key), keys
    assert any(key[0] == "definition" and key[-1] == "de" for key in keys)
