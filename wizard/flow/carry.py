"""A version published while the user is half-way through the wizard: nothing typed is dropped.

Called by the context when the saved progress is for another version (or mode) than the one the
wizard now shows. The progress is rebuilt for the new definition the way a first visit would
build it (`fresh`), then what the user had entered is laid over it:

- values that are still valid under the new version are kept as they were typed;
- a value that no longer fits (its slot's type or options changed) is kept as a draft of the
  screen that now holds the slot, so the screen shows it with its error; that screen is not done;
- screens whose slots were all answered before stay done; new slots make their screen unfinished;
- `news` says what changed (wizard.solutions.versions.diff), shown once on the next page.
"""
from __future__ import annotations

from .. import slot_types
from ..solutions import versions
from ..solutions.values import SlotValueError, check_value
from .forms import field_name, secret_fields
from .progress import Progress


def _fits(slot: dict, value) -> str | None:
    """None when `value` is valid for `slot`, else the message saying why not."""
    try:
        check_value(slot, value)
    except SlotValueError as exc:
        return str(exc)
    return None


def _typed_fields(old: Progress) -> dict:
    """Every form field the user submitted or left as a draft, newest last."""
    fields: dict = {}
    for raw in list(old.raw.values()) + list(old.drafts.values()):
        fields.update(raw)
    return fields


def carry(old: Progress, fresh: Progress, old_definition: dict | None, new_definition: dict) -> Progress:
    """`fresh` (the progress a first visit would make for the new definition) with what the user
    entered in `old` laid over it. When the new journey is an upgrade, the screens the user was
    filling in keep taking part (all of them, coming from editing every setting), so that
    nothing they were looking at disappears."""
    new_slots = {s["externalId"]: s for s in new_definition["config"]}
    auth_ids = {s["externalId"] for s in new_definition["auth"]}
    screens = {slot_id: n for n, s in enumerate(new_definition["screens"], 1) for slot_id in s["slots"]}
    secret = slot_types.secret_ids(new_definition)
    invalid: dict[str, str] = {}
    for slot_id, value in old.config.items():
        slot = new_slots.get(slot_id)
        if slot is None or value is None:
            continue
        problem = _fits(slot, value)
        if problem is None:
            fresh.config[slot_id] = value
        elif slot_id not in secret:
            invalid[slot_id] = problem
            fresh.config.pop(slot_id, None)
    fresh.auth.update({k: v for k, v in old.auth.items() if k in auth_ids and v})
    fresh.secrets_saved = sorted(set(fresh.secrets_saved) | {k for k in old.secrets_saved if k in secret})
    if old.name is not None:
        fresh.name = old.name

    changes = versions.diff(old_definition, new_definition) if old_definition else {"added": [], "removed": [],
                                                                                    "changed": []}
    touched = {screens[k] for k in invalid if k in screens}
    touched |= {e["screen"] for e in changes["added"] + changes["changed"] if e["screen"]}
    if fresh.asked is not None:
        for slot_id in invalid:
            fresh.asked.setdefault(slot_id, versions.CHANGED)
        count = len(new_definition["screens"])
        kept = range(1, count + 1) if old.mode == "edit" else [n for n in old.editing if n <= count]
        fresh.editing = sorted(set(kept))

    # Drafts: what was typed, by field, for each screen that now needs the user again.
    typed = _typed_fields(old)
    never = secret_fields(new_definition["config"])
    for n, screen in enumerate(new_definition["screens"], 1):
        names = {field_name(s) for s in screen["slots"]} - never
        draft = {k: v for k, v in typed.items() if k in names or any(k.startswith(f"{name}-") for name in names)}
        if n in touched and draft and (set(screen["slots"]) & set(invalid) or str(n) in old.drafts):
            fresh.drafts[str(n)] = {**draft, "wizard_screen": [str(n)]}
    old_done_slots = _done_slots(old, old_definition)
    fresh.done = [n for n, screen in enumerate(new_definition["screens"], 1)
                  if n not in touched and screen["slots"] and set(screen["slots"]) <= old_done_slots]
    fresh.news = {
        "added": [e["title"] for e in changes["added"] if not _hidden(e, new_definition)],
        "removed": [e["title"] for e in changes["removed"]],
        "changed": [e["title"] for e in changes["changed"] if not _hidden(e, new_definition)],
        "invalid": [new_slots[k]["title"] for k in invalid],
    }
    return fresh


def _hidden(entry: dict, definition: dict) -> bool:
    return bool({s["externalId"]: s for s in definition["config"]}.get(entry["externalId"], {}).get("hidden"))


def _done_slots(old: Progress, definition: dict | None) -> set[str]:
    if not definition:
        return set()
    screens = definition["screens"]
    return {slot_id for n in old.done if 0 < n <= len(screens) for slot_id in screens[n - 1]["slots"]}
