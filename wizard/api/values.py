"""Values between their API form (lists of {externalId, value: JSON text} / {externalId, authId})
and the dicts the core takes. Only conversion lives here: the rules are in wizard.solutions.values
and the core checks every value against its slot.
"""
from __future__ import annotations

import json

from ..solutions.values import ValueError_, parse_json_text
from .errors import bad_input

# What a secret slot's value reads as in every answer (the JSON text of a string).
MASK = "********"
MASKED_JSON = json.dumps(MASK)


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
    secret = {s["externalId"] for s in (definition or {}).get("config", []) if s["type"] == "secret"}
    out = {}
    for item in items:
        sid = item["externalId"]
        if sid in secret and item["value"] == MASKED_JSON:
            continue
        try:
            out[sid] = parse_json_text(sid, item["value"])
        except ValueError_:
            raise bad_input(f"configValues.{sid}", 'value must be JSON text, e.g. "\\"#general\\"", "7" or "true"',
                            reason="invalid_values", fields={sid: "not JSON text"}) from None
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
    """{externalId: value} -> [{externalId, value: JSON text}] in slot order; secrets masked."""
    slots = {s["externalId"]: s for s in definition["config"]}
    order = [s["externalId"] for s in definition["config"] if s["externalId"] in values]
    order += sorted(k for k in values if k not in slots)
    out = []
    for sid in order:
        secret = slots.get(sid, {}).get("type") == "secret"
        out.append({"externalId": sid, "value": MASKED_JSON if secret else json.dumps(values[sid])})
    return out


def auth_output(values: dict) -> list[dict]:
    return [{"externalId": k, "authId": v} for k, v in sorted(values.items()) if v]
