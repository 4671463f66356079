"""Value validation by slot type: the one implementation the API, the wizard and the core share.

Values are JSON values (str, int/float, bool, list, dict, None). The API receives them as JSON
text (`parse_json_text`); the wizard's forms produce them already decoded.
"""
from __future__ import annotations


from .. import slot_types
from ..slot_types import SlotValueError
from ..textcheck import InputError, NotJSON, check_data, loads
from ..texts import T, Text, message


# An instance's name (Tray's instanceName): what the API, the wizard's name field, the CLI and the
# core all accept (README, "Decisions where the spec is silent"). The column holds 300; a person's
# name for an integration fits in far fewer, and every page that shows one can lay it out.
MAX_INSTANCE_NAME = 100


def instance_name_problem(name: str) -> Text | None:
    """Why `name` cannot be an instance's name (spaces around it do not count), or None."""
    text = (name or "").strip()
    try:
        check_data(text, "name")
    except InputError as exc:
        return message(exc)
    if len(text) > MAX_INSTANCE_NAME:
        return T("The name may have at most %(max)s characters (this one has %(count)s).",
                 max=MAX_INSTANCE_NAME, count=len(text))
    return None


def check_value(slot: dict, value, *, dynamic_ok: bool = True):
    """Check `value` against `slot` and return it normalised (e.g. 7.0 -> 7 for integers); the
    rules are the slot type's (wizard.slot_types). Raises SlotValueError.

    Dynamic options cannot be checked here (they live at the service): `dynamic_ok` lets any
    scalar through; the wizard checks them against the options it fetched.
    """
    try:  # the text boundary (wizard.textcheck) before any rule: no NUL, lone surrogate, huge number
        check_data(value, slot.get("title", slot["externalId"]))
    except InputError as exc:
        raise SlotValueError(message(exc)) from None
    return slot_types.get(slot["type"]).check(slot, value, dynamic_ok=dynamic_ok)


def parse_json_text(external_id: str, text: str):
    """API values arrive as JSON text (as in Tray): '"#general"', '7', 'true'."""
    try:
        # No NaN, bounded numbers and depth. JSON with refused content (a lone surrogate, 400
        # digits) raises InputError past the callers that read non-JSON as plain text.
        return loads(text, f"configValues.{external_id}")
    except NotJSON:
        raise SlotValueError(T('configValues[%(id)s].value must be JSON text, e.g. "\\"text\\"" or "7"', id=external_id)) from None


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


def effective_values(definition: dict, values: dict) -> dict:
    """Defaults filled in where there is no value."""
    out = {s["externalId"]: s["default"] for s in definition["config"] if "default" in s}
    out.update({k: v for k, v in values.items() if not is_empty(v)})
    return out


def is_shown(slot: dict, values: dict, by_id: dict, _depth: int = 0) -> bool:
    """A slot is shown while its showIf holds, and the slots it depends on are shown too."""
    cond = slot.get("showIf")
    if not cond:
        return True
    if _depth > len(by_id):  # a cycle never shows
        return False
    for other, allowed in cond.items():
        dep = by_id.get(other)
        if dep is None or not is_shown(dep, values, by_id, _depth + 1):
            return False
        current = values.get(other, dep.get("default"))
        if isinstance(current, list):
            if not any(v in allowed for v in current):
                return False
        elif current not in allowed:
            return False
    return True


def drop_unshown(definition: dict, values: dict) -> dict:
    """A slot hidden by its condition keeps no stale value."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    eff = effective_values(definition, values)
    return {k: v for k, v in values.items() if k not in by_id or is_shown(by_id[k], eff, by_id)}


def validate_config_values(definition: dict, values: dict) -> tuple[dict, dict[str, str]]:
    """Check every given value against its slot. Returns (normalised values, errors by externalId).
    Unknown externalIds are errors too: a typo must not be silently stored."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    out, errors = {}, {}
    for slot_id, value in values.items():
        slot = by_id.get(slot_id)
        if slot is None:
            errors[slot_id] = T("%(id)s is not a config slot of this solution", id=slot_id)
            continue
        if value is None:
            out[slot_id] = None
            continue
        try:
            out[slot_id] = check_value(slot, value)
        except SlotValueError as exc:
            errors[slot_id] = message(exc)
    return out, errors


def missing_required(definition: dict, config_values: dict, auth_values: dict,
                     hidden: bool | None = None) -> list[str]:
    """Required slots that are shown and have neither a value nor a default.

    `hidden=None` counts every slot; True only hidden ones (values the ISV sets); False only
    visible ones (values the user sets)."""
    by_id = {s["externalId"]: s for s in definition["config"]}
    eff = effective_values(definition, config_values)
    missing = []
    for slot in definition["auth"]:
        if slot["required"] and hidden is not True and not auth_values.get(slot["externalId"]):
            missing.append(slot["externalId"])
    for slot in definition["config"]:
        if not slot["required"] or (hidden is not None and slot["hidden"] != hidden):
            continue
        if is_shown(slot, eff, by_id) and is_empty(eff.get(slot["externalId"])):
            missing.append(slot["externalId"])
    return missing
