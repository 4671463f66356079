"""What changed between two versions of a solution, and what an upgrade asks of the end user.

Plain Python over two normalised definitions (wizard.solutions.format). `diff` is what the API
answers (`solutionVersionDiff`) and what the wizard's upgrade mode starts from (`needing_input`),
so the ISV's dashboard and the end user see the same changes.

    diff(old, new) -> {"added":   [slot change, ...],     # slots only the new version has
                       "removed": [slot change, ...],     # slots only the old version has
                       "changed": [slot change, ...]}     # slots in both, differing
    slot change:      {"externalId", "kind": "auth" | "config", "title", "screen": n | None,
                       "changes": [{"field", "before", "after", "added", "removed"}, ...]}

`field` is a key of the normalised slot (type, options, required, scopes, service, showIf, ...);
`added` / `removed` are filled for lists compared item by item: static options (their values)
and an auth slot's scopes. Added and removed slots have no `changes`.
"""
from __future__ import annotations

from typing import Callable

from .format import all_slots, dynamic_specs
from .values import SlotValueError, check_value, effective_values, is_empty, is_shown, missing_required

# Keys that never change what a slot takes: compared like any other, but listed after the rest.
_WORDING = ("title", "help", "placeholder")
# The reasons an upgrade asks for a slot (needing_input), in the order the wizard explains them.
ADDED, CHANGED, REQUIRED, RECONNECT = "added", "changed", "required", "reconnect"


def _screens(definition: dict) -> dict[str, int]:
    return {slot_id: n for n, s in enumerate(definition["screens"], 1) for slot_id in s["slots"]}


def _entry(slot: dict, screen: int | None, changes: list[dict] | None = None) -> dict:
    return {"externalId": slot["externalId"], "kind": slot["kind"], "title": slot["title"], "screen": screen,
            "changes": changes or []}


def _items(field: str, value) -> list | None:
    """The items of a list compared one by one: static options by value, scopes as they are."""
    if field == "options" and isinstance(value, list):
        return [o.get("value") if isinstance(o, dict) else o for o in value]
    if field == "scopes" and isinstance(value, list):
        return list(value)
    return None


def _field_change(field: str, before, after) -> dict:
    change = {"field": field, "before": before, "after": after, "added": [], "removed": []}
    old_items, new_items = _items(field, before), _items(field, after)
    if old_items is not None and new_items is not None:
        change["added"] = [v for v in new_items if v not in old_items]
        change["removed"] = [v for v in old_items if v not in new_items]
    return change


def slot_changes(old: dict, new: dict) -> list[dict]:
    """What differs between two versions of one slot, key by key (wording last)."""
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in ("externalId", "kind")]
    keys.sort(key=lambda k: (k in _WORDING, k))
    return [_field_change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def diff(old: dict, new: dict) -> dict[str, list[dict]]:
    """Slots added, removed and changed from definition `old` to definition `new`."""
    a, b = all_slots(old), all_slots(new)
    where_a, where_b = _screens(old), _screens(new)
    added = [_entry(b[k], where_b.get(k)) for k in b if k not in a]
    removed = [_entry(a[k], where_a.get(k)) for k in a if k not in b]
    changed = []
    for k in b:
        if k in a:
            changes = slot_changes(a[k], b[k])
            if changes:
                changed.append(_entry(b[k], where_b.get(k), changes))
    return {"added": added, "removed": removed, "changed": changed}


def _value_fits(slot: dict, value) -> bool:
    try:
        check_value(slot, value)
    except SlotValueError:
        return False
    return True


def needing_input(old: dict, new: dict, config: dict, auth: dict, *,
                  lacking_scopes: Callable[[str, list[str]], list[str]] | None = None) -> dict[str, str]:
    """The slots an upgrade from `old` to `new` asks the end user about, with the reason:

    - ADDED: a slot the user sees that the old version did not have;
    - CHANGED: a slot whose type, options or rules changed so that its value no longer fits
      (or whose dynamic options now come from elsewhere);
    - REQUIRED: a slot the new version requires that has no value;
    - RECONNECT: an auth slot of another service, or asking for scopes the chosen account was
      not granted (`lacking_scopes(auth_id, scopes)` answers those; without it, every added
      scope counts as lacking).

    `config` / `auth` are the instance's values under `old`. Hidden slots (set by the ISV) are
    never asked."""
    changes = diff(old, new)
    new_slots = all_slots(new)
    by_id = {s["externalId"]: s for s in new["config"]}
    eff = effective_values(new, {k: v for k, v in config.items() if k in by_id})
    asked: dict[str, str] = {}
    for entry in changes["added"]:
        slot = new_slots[entry["externalId"]]
        if slot["kind"] == "auth" or (not slot.get("hidden") and is_shown(slot, eff, by_id)):
            asked[slot["externalId"]] = ADDED
    for entry in changes["changed"]:
        slot_id, slot = entry["externalId"], new_slots[entry["externalId"]]
        fields = {c["field"]: c for c in entry["changes"]}
        if slot["kind"] == "auth":
            asked_scopes = fields.get("scopes", {}).get("added") or []
            chosen = auth.get(slot_id)
            lacking = (lacking_scopes(chosen, asked_scopes) if lacking_scopes and chosen else asked_scopes)
            if "service" in fields or "kind" in fields or (asked_scopes and lacking):
                asked[slot_id] = RECONNECT
        elif not slot.get("hidden") and is_shown(slot, eff, by_id):
            value = config.get(slot_id)
            moved = any(old_spec != new_spec for old_spec, new_spec in _dynamic_sources(all_slots(old)[slot_id], slot))
            if not is_empty(value) and (not _value_fits(slot, value) or moved):
                asked[slot_id] = CHANGED
    carried = {k: v for k, v in config.items() if k in by_id and k not in asked and _value_fits(by_id[k], v)}
    for slot_id in missing_required(new, carried, {k: v for k, v in auth.items() if k in new_slots}, hidden=False):
        asked.setdefault(slot_id, REQUIRED)
    return asked


def _dynamic_sources(old_slot: dict, new_slot: dict) -> list[tuple]:
    """Pairs of (old, new) dynamic options specs of a config slot, side by side."""
    if old_slot["kind"] != "config" or old_slot.get("type") != new_slot.get("type"):
        return [(None, spec) for _, spec in dynamic_specs(new_slot)]
    old_specs = dict(dynamic_specs(old_slot))
    return [(old_specs.get(path), spec) for path, spec in dynamic_specs(new_slot)]


def carry_values(new_def: dict, config_values: dict, auth_values: dict) -> tuple[dict, dict]:
    """Values of an instance that still fit a newer definition (slot kept, value still valid)."""
    by_id = {s["externalId"]: s for s in new_def["config"]}
    auth_ids = {s["externalId"] for s in new_def["auth"]}
    config = {}
    for k, v in config_values.items():
        if k in by_id and v is not None:
            try:
                config[k] = check_value(by_id[k], v)
            except SlotValueError:
                pass
    return config, {k: v for k, v in auth_values.items() if k in auth_ids}
