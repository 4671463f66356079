"""Values between their API form (lists of {externalId, value: Json} / {externalId, authId})
and the dicts the core takes. Only conversion lives here: the rules are in wizard.solutions.values
and the core checks every value against its slot.

Tray's Json encoding (docs/api.md): a value that arrives as a string is JSON text
('"#general"', '7', '{"a":1}'); a string that is not JSON text is taken as the string itself
for string-like slots (Tray's docs write `value: "support@example.com"`); a variable holding a
non-string JSON value (7, true, {...}) is that value. Whatever comes out is still checked against
the slot by the core.
"""
from __future__ import annotations

import json

from .. import slot_types
from ..solutions.values import SlotValueError, parse_json_text
from .errors import bad_input

# What a secret slot's value reads as in every answer (the JSON text of a string).
MASK = "********"
MASKED_JSON = json.dumps(MASK)
# Slot types whose values are strings: a bare (non-JSON) string is taken as the value itself.
STRING_LIKE = {name for name in slot_types.names() if slot_types.get(name).bare_text}


def decode_json(sid: str, value, slot: dict | None):
    """One Json input value -> the Python value for slot `sid` (see the module docstring)."""
    if not isinstance(value, str):
        return value  # a variable that held a non-string JSON value
    try:
        return parse_json_text(sid, value)
    except SlotValueError:
        if slot is not None and slot.get("type") in STRING_LIKE and len(value) < 100_000:
            return str(value)
        raise bad_input(f"configValues.{sid}", 'value must be JSON text, e.g. "\\"#general\\"", "7" or "true"',
                        reason="invalid_values", fields={sid: "not JSON text"}) from None


def _unique(items: list[dict], field: str) -> None:
    seen = set()
    for item in items:
        if item["externalId"] in seen:
            raise bad_input(f"{field}.{item['externalId']}", "is given twice")
        seen.add(item["externalId"])


def config_input(items: list[dict] | None, definition: dict | None = None) -> dict:
    """[{externalId, value}] -> {externalId: value}. "null" removes a value. The masked secret
    sent back for a secret slot of `definition` is left out, so the stored secret is kept."""
    items = items or []
    _unique(items, "configValues")
    slots = {s["externalId"]: s for s in (definition or {}).get("config", [])}
    secrets = slot_types.secret_ids(definition) if definition else set()
    out = {}
    for item in items:
        sid = item["externalId"]
        value = item.get("value")
        if sid in secrets and value in (MASKED_JSON, MASK):
            continue
        out[sid] = None if value is None else decode_json(sid, value, slots.get(sid))
    return out


def auth_input(items: list[dict] | None) -> dict:
    """[{externalId, authId}] -> {externalId: authId}; an empty authId removes the value."""
    items = items or []
    _unique(items, "authValues")
    return {item["externalId"]: (item["authId"] or None) for item in items}


def prefixes(config: dict, auth: dict) -> dict[str, str]:
    """externalId -> the input list it came in, for error messages (errors.from_core_error)."""
    return {**{k: "authValues" for k in auth}, **{k: "configValues" for k in config}}


def config_output(definition: dict, values: dict) -> list[dict]:
    """{externalId: value} -> [{externalId, value}] in slot order, secrets masked; the Json
    scalar writes each value as JSON text."""
    slots = {s["externalId"]: s for s in definition["config"]}
    order = [s["externalId"] for s in definition["config"] if s["externalId"] in values]
    order += sorted(k for k in values if k not in slots)
    secrets = slot_types.secret_ids(definition)
    return [{"externalId": sid, "value": MASK if sid in secrets else values[sid]} for sid in order]


def auth_output(values: dict) -> list[dict]:
    return [{"externalId": k, "authId": v} for k, v in sorted(values.items()) if v]
