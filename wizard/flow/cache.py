"""The render path's one cache: what a wizard page builds that depends only on names — a
version's definition in a language and the engine's layout of it, a screen's form class, a
route's URL, a screen's page plan — made once and kept, bounded, in one object per app (`kept()`).

Every key is a tuple of names, never an object's id: ("definition", definition name,
language), ("layout", definition name, language), ("form", definition name, language, slot ids, ...), ("url", script root, endpoint,
arguments), ("page", definition name, language, theme, ..., screen, the page's shape:
flow.render.plan_key). A definition's name (InstanceData.definition_key) names its content: a version's
row (id and creation time) in the embedded core, a digest of its JSON from a remote core. A
published version is never changed, so an entry is never stale: a page of a newly published
version asks for names that were not there before, and shows it at once
(tests/test_render_cache.py). The oldest entries go first when it is full.
"""
from __future__ import annotations

from collections import OrderedDict

from ..extensions import per_app

MAX_ENTRIES = 4096


class RenderCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()

    def get(self, key: tuple, build):
        """The value kept under `key`, made by `build()` the first time."""
        try:
            return self._entries[key]
        except KeyError:
            pass
        value = build()
        self._entries[key] = value
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key) -> bool:
        return key in self._entries

    def clear(self) -> None:
        self._entries.clear()


def kept() -> RenderCache:
    """The app's render cache."""
    return per_app("wizard_render_cache", RenderCache)
